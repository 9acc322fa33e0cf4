"""Creating virtual environments without running ``python -m venv``.

A venv is a handful of files, and ``python -m venv`` spends most of its time starting an
interpreter and importing things to write them. On POSIX CPython spoke writes them itself,
from facts the (cached) probe already has, exactly as the target's own ``venv`` module
would: ``pyvenv.cfg``; ``bin/<exe>`` linked to the base interpreter and ``python``,
``python3``, ``python3.X`` linked to it; the site-packages folder from the target's
``venv`` (3.11+) or ``posix_prefix`` scheme; ``lib64 -> lib`` on 64-bit Linux; the
activation scripts read from the *target's* ``venv/scripts/{common,posix}/`` with the same
placeholder substitution its ``venv`` module does (which changed over the years: the
prompt lost its parentheses in 3.13, and the values became shell-quoted in the security
releases of late 2024 — both read off the target's own ``venv/__init__.py``); and a
``.gitignore`` of ``*`` as 3.13's venv writes.

Anything else (Windows, PyPy, an interpreter inspected without the needed facts) falls
back to ``[base_python, "-m", "venv", "--without-pip", PATH]``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spoke.env.interpreter import InspectedInterpreter, scheme_from_template
from spoke.errors import VenvError
from spoke.models.interpreter import Interpreter

_GITIGNORE = "# Created by venv; see https://docs.python.org/3/library/venv.html\n*\n"


def create_venv(
    path: Path,
    *,
    interpreter: Interpreter,
    prompt: str | None = None,
    system_site_packages: bool = False,
    clear: bool = False,
    runner: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> Path:
    """Create a virtual environment at ``path`` for ``interpreter``; return its folder.

    An existing environment is updated in place (links, scripts and ``pyvenv.cfg``
    rewritten, installed packages kept); ``clear`` empties the folder first. A folder that
    exists, is not empty and is not an environment is refused with
    :class:`~spoke.errors.VenvError` unless ``clear`` is given.
    """
    path = Path(os.path.abspath(path))
    _prepare_folder(path, clear=clear)
    if prompt == ".":  # like venv (bpo-38901): the current folder's name
        prompt = os.path.basename(os.getcwd())
    if _can_write_directly(interpreter):
        assert isinstance(interpreter, InspectedInterpreter)
        _write_venv(path, interpreter, prompt=prompt, system_site_packages=system_site_packages)
    else:
        _run_venv_module(path, interpreter, prompt=prompt, system_site_packages=system_site_packages, runner=runner)
    return path


def _prepare_folder(path: Path, *, clear: bool) -> None:
    if path.is_symlink() and not path.exists():
        raise VenvError(f"`{path}` is a broken symbolic link", hint="Remove it or choose another path.")
    if not path.exists():
        return
    if not path.is_dir():
        raise VenvError(f"`{path}` exists and is not a folder", hint="Choose another path.")
    if clear:
        for child in path.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        return
    if any(path.iterdir()) and not (path / "pyvenv.cfg").is_file():
        raise VenvError(
            f"`{path}` exists, is not empty and is not a virtual environment",
            hint="Choose another path, or pass `--clear` to empty it first (its contents are deleted).",
        )


def _can_write_directly(interp: Interpreter) -> bool:
    if os.name == "nt" or interp.implementation != "cpython":
        return False
    if not isinstance(interp, InspectedInterpreter):
        return False
    return bool(interp.base_executable and interp.venv_template and interp.stdlib)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    """The values the target's venv module substitutes into the activation scripts."""

    env_dir: str
    env_name: str
    prompt: str
    bin_name: str
    env_exe: str


def _write_venv(path: Path, interp: InspectedInterpreter, *, prompt: str | None, system_site_packages: bool) -> None:
    base = interp.base_executable
    assert base is not None and interp.stdlib is not None
    major, minor = interp.version[0], interp.version[1]
    scheme = scheme_from_template(interp.venv_template, path)
    bin_dir = scheme.scripts
    try:
        for folder in {bin_dir, scheme.purelib, scheme.platlib, scheme.headers}:
            folder.mkdir(parents=True, exist_ok=True)
        if interp.probe.get("is_64bit") and sys.platform != "darwin" and not os.path.lexists(path / "lib64"):
            # venv does this on 64-bit POSIX (bpo-21197) so lib64/... paths from tools still work.
            os.symlink("lib", path / "lib64")
        _write_pyvenv_cfg(path, interp, base, prompt=prompt, system_site_packages=system_site_packages)
        exe_name = base.name
        env_exe = bin_dir / exe_name
        _symlink(str(base), env_exe)
        for name in ("python", "python3", f"python{major}.{minor}"):
            if name != exe_name:
                _symlink(exe_name, bin_dir / name)
        template = _activation_style(interp.stdlib / "venv" / "__init__.py")
        shown_prompt = prompt if prompt is not None else path.name
        context = _Context(
            env_dir=str(path),
            env_name=path.name,
            prompt=f"({shown_prompt}) " if template.parenthesized_prompt else shown_prompt,
            bin_name=bin_dir.name,
            env_exe=str(env_exe),
        )
        _install_activation_scripts(interp.stdlib / "venv" / "scripts", bin_dir, context, quoted=template.quoted)
        gitignore = path / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text(_GITIGNORE, encoding="utf-8")
    except OSError as e:
        raise VenvError(
            f"Cannot create a virtual environment at `{path}`: {e.strerror or e}",
            notes=(f"while writing {e.filename}",) if e.filename else (),
        ) from None


def _write_pyvenv_cfg(
    path: Path, interp: InspectedInterpreter, base: Path, *, prompt: str | None, system_site_packages: bool
) -> None:
    lines = [
        f"home = {base.parent}",
        f"include-system-site-packages = {'true' if system_site_packages else 'false'}",
        f"version = {interp.python_version}",
    ]
    if prompt is not None:
        lines.append(f"prompt = {prompt!r}")
    lines.append(f"executable = {os.path.realpath(base)}")
    args = ["--without-pip"]
    if system_site_packages:
        args.append("--system-site-packages")
    if prompt is not None:
        args.append(f'--prompt="{prompt}"')
    lines.append(f"command = {base} -m venv {' '.join(args)} {path}")
    (path / "pyvenv.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _symlink(target: str, link: Path) -> None:
    if os.path.lexists(link):
        if link.is_dir() and not link.is_symlink():
            raise VenvError(f"`{link}` is a folder where the interpreter link belongs")
        link.unlink()
    os.symlink(target, link)


@dataclass(frozen=True, slots=True, kw_only=True)
class _ActivationStyle:
    parenthesized_prompt: bool
    quoted: bool


def _activation_style(venv_module: Path) -> _ActivationStyle:
    """How the target's venv module fills in its templates, read off its source."""
    try:
        source = venv_module.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        source = ""
    return _ActivationStyle(
        # Up to 3.12: context.prompt = '(%s) ' % prompt. From 3.13 the scripts add them.
        parenthesized_prompt="'(%s) ' % prompt" in source,
        # gh-124651 (3.9.21+, 3.10.16+, 3.11.11+, 3.12.8+, 3.13.1+): values are shell-quoted
        # and the templates lost their own quotes.
        quoted="shlex.quote" in source,
    )


def _install_activation_scripts(scripts: Path, bin_dir: Path, context: _Context, *, quoted: bool) -> None:
    for sub in ("common", "posix"):
        folder = scripts / sub
        if not folder.is_dir():
            continue
        for source in sorted(folder.iterdir()):
            if not source.is_file():
                continue
            try:
                text = source.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                continue  # venv copies binaries (Windows launchers) unchanged; none on POSIX
            dest = bin_dir / source.name
            dest.write_text(replace_variables(text, context, script=source.name, quoted=quoted), encoding="utf-8")
            shutil.copymode(source, dest)


def replace_variables(text: str, context: _Context, *, script: str, quoted: bool) -> str:
    """Fill an activation template the way the target's ``venv.EnvBuilder.replace_variables`` does."""
    values = {
        "__VENV_DIR__": context.env_dir,
        "__VENV_NAME__": context.env_name,
        "__VENV_PROMPT__": context.prompt,
        "__VENV_BIN_NAME__": context.bin_name,
        "__VENV_PYTHON__": context.env_exe,
    }
    if quoted:
        if script.endswith(".ps1"):
            values = {k: "'" + v.replace("'", "''") + "'" for k, v in values.items()}
        elif not script.endswith(".bat"):
            values = {k: shlex.quote(v) for k, v in values.items()}
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _run_venv_module(
    path: Path,
    interp: Interpreter,
    *,
    prompt: str | None,
    system_site_packages: bool,
    runner: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    base = getattr(interp, "base_executable", None) or interp.executable
    argv = [str(base), "-m", "venv", "--without-pip"]
    if system_site_packages:
        argv.append("--system-site-packages")
    if prompt is not None:
        argv += ["--prompt", prompt]
    argv.append(str(path))
    try:
        proc = runner(argv, capture_output=True, text=True, check=False)
    except OSError as e:
        raise VenvError(f"Cannot run `{base}` to create the environment: {e.strerror or e}") from None
    if proc.returncode != 0:
        lines = [line for line in (proc.stderr or "").splitlines() if line.strip()]
        raise VenvError(
            f"`{base} -m venv` failed to create `{path}` (exit code {proc.returncode})",
            notes=tuple(lines[-5:]),
            hint="Check that this Python has its `venv` module (some distributions package it separately).",
        )


def bundled_pip_wheel(interp: Interpreter) -> Path | None:
    """The newest pip wheel the interpreter ships for ``ensurepip``, or None.

    Looks in the stdlib's ``ensurepip/_bundled/`` and, for Debian-style system Pythons that
    keep wheels apart, ``/usr/share/python-wheels/``.
    """
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    stdlib = getattr(interp, "stdlib", None) or (
        interp.base_prefix / "lib" / f"python{interp.version[0]}.{interp.version[1]}"
    )
    folders = [Path(stdlib) / "ensurepip" / "_bundled"]
    if os.name != "nt":
        folders.append(Path("/usr/share/python-wheels"))
    for folder in folders:
        best = None
        try:
            candidates = sorted(folder.glob("pip-*.whl"))
        except OSError:
            continue
        for wheel in candidates:
            try:
                _name, version, _build, _tags = parse_wheel_filename(wheel.name)
            except InvalidWheelFilename:
                continue
            if best is None or version > best[0]:
                best = (version, wheel)
        if best is not None:
            return best[1]
    return None
