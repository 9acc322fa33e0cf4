"""``spoke doctor``: the target environment and the machine checked, each finding with its fix.

Each check is a small function returning findings; a finding is ``error`` (something is broken:
the command exits 1), ``warning`` (likely to bite) or ``info`` (what is in effect). The
checks: which ``python``/``pip`` a shell runs against the environment spoke acts on, a
``.venv`` whose interpreter is gone, local files that shadow installed modules, broken
requirements (``spoke check``), duplicated or half-installed distributions, ``.pth`` lines
pointing nowhere, an externally managed interpreter, whether the configured index answers
(certificates included), the configuration files in effect, and the cache's size.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from spoke.app.context import Context
from spoke.app.environment import InstalledSet


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One thing the doctor noticed."""

    check: str
    level: str  # "error", "warning" or "info"
    message: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def examine(ctx: Context, *, network: bool = True) -> list[Finding]:
    """Every check's findings, in order."""
    from spoke.app.environment import installed_set

    found = installed_set(ctx)
    checks: list[Callable[[], Iterable[Finding]]] = [
        lambda: _path_interpreters(ctx, str(found.interpreter.executable)),
        lambda: _broken_dot_venv(Path.cwd()),
        lambda: _shadowed(Path.cwd(), found.paths),
        lambda: _requirements(found),
        lambda: _duplicates(found.paths),
        lambda: _stale_pth(found.paths),
        lambda: _externally_managed(found.interpreter),
        lambda: _configuration(ctx),
        lambda: _cache_size(ctx),
    ]
    if network:
        checks.insert(7, lambda: _index_reachable(ctx))
    out: list[Finding] = []
    for check in checks:
        out.extend(check())
    return out


def _path_interpreters(ctx: Context, target: str) -> list[Finding]:
    """``python`` and ``pip`` on PATH against the interpreter spoke acts on."""
    out = []
    real_target = os.path.realpath(target)
    prefix = str(Path(target).parent.parent)
    python = shutil.which("python", path=ctx.environ.get("PATH")) or shutil.which(
        "python3", path=ctx.environ.get("PATH"))
    if python is None:
        out.append(Finding(check="path", level="warning", message="no `python` on PATH",
                           fix=f"Run the environment's interpreter directly: `{target}`."))
    elif os.path.realpath(python) != real_target and not python.startswith(prefix + os.sep):
        out.append(Finding(
            check="path", level="warning",
            message=f"`python` on PATH is {python}, but spoke acts on {target}: what spoke installs "
                    "is not importable from that `python` (ModuleNotFoundError)",
            fix=f"Activate the environment (`source {prefix}/bin/activate`) or run `{target} …`.",
        ))
    else:
        out.append(Finding(check="path", level="info", message=f"`python` on PATH runs {target}"))
    pip = shutil.which("pip", path=ctx.environ.get("PATH"))
    if pip is not None and not pip.startswith(prefix + os.sep):
        out.append(Finding(
            check="path", level="warning",
            message=f"`pip` on PATH is {pip}, outside the environment spoke acts on ({prefix})",
            fix="Use `spoke install` (or `python -m pip` with the environment's python), not a bare `pip`.",
        ))
    return out


def _broken_dot_venv(cwd: Path) -> list[Finding]:
    """A ``.venv`` here whose interpreter is gone (its Python was removed or upgraded)."""
    venv = cwd / ".venv"
    if not (venv / "pyvenv.cfg").is_file():
        return []
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if python.exists() and os.access(python, os.X_OK):
        return []
    return [Finding(check="venv", level="error", message=f"{venv}'s interpreter {python} is gone",
                    fix=f"Make it again: `spoke venv --clear {venv}`, then reinstall its packages.")]


def _top_level_names(paths: Iterable[Path]) -> set[str]:
    names: set[str] = set()
    for folder in paths:
        for info in folder.glob("*.dist-info"):
            top = info / "top_level.txt"
            if top.is_file():
                names.update(line.strip() for line in top.read_text(errors="replace").splitlines() if line.strip())
    return names


def _shadowed(cwd: Path, paths: Iterable[Path]) -> list[Finding]:
    """A ``requests.py`` (or ``requests/``) here hides the installed ``requests`` from Python."""
    out = []
    installed = _top_level_names(paths)
    for name in sorted(installed):
        for local in (cwd / f"{name}.py", cwd / name / "__init__.py"):
            if local.exists():
                out.append(Finding(
                    check="shadowing", level="warning",
                    message=f"{local} shadows the installed module `{name}` when Python runs from {cwd}",
                    fix=f"Rename {local.name if local.suffix else name} (and remove __pycache__ next to it).",
                ))
    return out


def _requirements(found: InstalledSet) -> list[Finding]:
    from spoke.app.check import check_set, read_packages

    dists = found.dists
    interp = found.interpreter
    packages, unreadable = read_packages(dists.values())
    result = check_set(packages, interp.markers, unreadable)
    out = [Finding(check="requirements", level="error", message=line,
                   fix="Run `spoke upgrade` (one joint resolution), or install what is missing.")
           for line in result.lines()]
    out += [Finding(check="requirements", level="error", message=b.reason, fix=b.hint or "") for b in result.unreadable]
    return out


def _duplicates(paths: Iterable[Path]) -> list[Finding]:
    """Two ``.dist-info`` folders of one project, or pip's half-removed ``~name`` folders."""
    from packaging.utils import canonicalize_name

    out = []
    for folder in paths:
        seen: dict[str, list[str]] = {}
        for info in sorted(folder.glob("*.dist-info")):
            name: str = canonicalize_name(info.name.removesuffix(".dist-info").rsplit("-", 1)[0])
            seen.setdefault(name, []).append(info.name)
            if not (info / "RECORD").is_file() and not (info / "METADATA").is_file():
                out.append(Finding(check="installed", level="warning", message=f"{info} is half-installed",
                                   fix=f"Remove it and install {name} again."))
        for name, infos in sorted(seen.items()):
            if len(infos) > 1:
                out.append(Finding(
                    check="installed", level="error",
                    message=f"{name} is installed twice in {folder}: {', '.join(infos)}",
                    fix=f"Remove the older folder, then `spoke install --force-reinstall {name}`.",
                ))
        for leftover in sorted(folder.glob("~*")):
            out.append(Finding(check="installed", level="warning",
                               message=f"{leftover} is left from an interrupted pip run",
                               fix=f"Remove it: `rm -r '{leftover}'`."))
    return out


def _stale_pth(paths: Iterable[Path]) -> list[Finding]:
    """``.pth`` lines naming folders that no longer exist (a moved editable project)."""
    out = []
    for folder in paths:
        for pth in sorted(folder.glob("*.pth")):
            try:
                lines = pth.read_text(errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                target = Path(line) if os.path.isabs(line) else folder / line
                if not target.exists():
                    out.append(Finding(
                        check="pth", level="warning", message=f"{pth.name} points at {line}, which does not exist",
                        fix="Reinstall the project it belongs to (`spoke install -e PATH`), or remove the file.",
                    ))
    return out


def _externally_managed(interp: object) -> list[Finding]:
    if getattr(interp, "is_venv", True) or not getattr(interp, "externally_managed", None):
        return []
    return [Finding(check="environment", level="info",
                    message=f"{getattr(interp, 'sys_prefix', '')} is externally managed (PEP 668): "
                            "spoke installs there only with --break-system-packages",
                    fix="Make a virtual environment: `spoke venv`.")]


def _index_reachable(ctx: Context) -> list[Finding]:
    """The configured index answers (TLS certificates, proxy and credentials included)."""
    from spoke.errors import SpokeError
    from spoke.prepare import local_path

    urls = list(ctx.index.index_urls)
    out = []
    for url in urls[:3]:
        local = local_path(url)
        if local is not None:
            out.append(Finding(check="index", level="info" if local.is_dir() else "error",
                               message=f"{url} {'is a folder' if local.is_dir() else 'does not exist'}",
                               fix="" if local.is_dir() else "Fix the index URL in the configuration."))
            continue
        try:
            ctx.http.head(url, accept_status=range(200, 500))
        except SpokeError as exc:
            out.append(Finding(check="index", level="error", message=f"{url} cannot be reached: {exc.message}",
                               fix=exc.hint or "Check the URL, the proxy and the certificates (--cert)."))
        else:
            out.append(Finding(check="index", level="info", message=f"{url} answers"))
    return out


def _configuration(ctx: Context) -> list[Finding]:
    from spoke.config.files import config_locations, site_config_path

    interp = ctx.interpreter
    files = config_locations(ctx.environ, site_config=site_config_path(interp.sys_prefix))
    found = [f for f in files if os.path.isfile(f.path) and not getattr(f, "skipped", None)]
    out = [Finding(check="configuration", level="info", message=f"configuration file in effect: {f.path}")
           for f in found]
    out += [Finding(check="configuration", level="info", message=f"configuration variable in effect: {name}")
            for name in sorted(ctx.environ) if name.startswith(("PIP_", "SPOKE_"))]
    return out or [Finding(check="configuration", level="info", message="no configuration file or variable")]


def _cache_size(ctx: Context) -> list[Finding]:
    root = ctx.cache.root
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return [Finding(check="cache", level="info", message=f"cache {root}: {total / 1e6:.1f} MB",
                    fix="`rm -r` it to free the space; spoke fills it again as needed.")]


def summary(findings: Iterable[Finding]) -> Mapping[str, int]:
    """How many findings of each level."""
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        counts[f.level] = counts.get(f.level, 0) + 1
    return counts
