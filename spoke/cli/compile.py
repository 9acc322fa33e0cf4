"""``spoke compile``: a fully pinned requirements file from ``requirements.in`` or a project
file, in pip-compile's format (pip-tools users switch without changing a file)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spoke.cli.common import make_context
from spoke.cli.render import Printer, format_duration, shown_path
from spoke.errors import RequirementError, SpokeError, UsageError

#: Project files whose dependencies are read (pip-compile's METADATA_FILENAMES).
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
#: What ``spoke compile`` reads when no input is named (pip-compile's order).
DEFAULT_INPUTS = ("requirements.in", "setup.py", "pyproject.toml")
#: Options that do not change the file, left out of the header's command (pip-tools' list).
_ONE_OFF = frozenset({"-U", "--upgrade", "--dry-run", "-q", "--quiet", "-v", "--verbose", "--no-header"})
_ONE_OFF_WITH_VALUE = frozenset({"-P", "--upgrade-package", "--cache-dir"})


def run(
    settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str], *,
    argv: Sequence[str] = (),
) -> int:
    """Carry out ``spoke compile``; return the exit code."""
    from spoke.app.compile import run_compile
    from spoke.plan.pinfile import render

    get = settings.get
    # Groups alone are an input: the project file is then not read unless named.
    inputs = compile_inputs(positional) if positional or not get("groups", None) else []
    output = _output(get("output_file", None), inputs)
    request, from_files = compile_request(settings, inputs, output, environ)
    ctx, reporter = make_context(settings, printer, environ, extra=from_files, read_only=True,
                                 any_platform=request.generate_hashes or request.foreign.given or request.universal)
    try:
        try:
            outcome = run_compile(ctx, request)
        finally:
            reporter.close()
    finally:
        ctx.close()
    text = render(outcome.pins, _file_options(settings, from_files, outcome, argv, environ))
    for warning in outcome.warnings:
        printer.warning(warning)
    for note in outcome.notes:
        printer.info(note)
    if output is None or request.dry_run:
        printer.stdout(text)
    if request.dry_run:
        printer.info("Dry-run, so nothing updated.")
    elif output is not None:
        write_whole(output, text)
        printer.info(f"Wrote {shown_path(output)}: {len(outcome.pins)} packages pinned "
                     f"in {format_duration(outcome.seconds)}")
    return 0


def compile_request(settings: Any, inputs: Sequence[Path], output: Path | None,
                    environ: Mapping[str, str], *, universal: bool | None = None) -> tuple[Any, Any]:
    """The :class:`CompileRequest` of ``inputs`` (read here) with the resolving options, and
    what the input files said (index options…); ``spoke lock`` asks the same."""
    from spoke.app.requests import CompileRequest
    from spoke.cli.download import foreign_target
    from spoke.cli.install import _names, read_overrides

    get = settings.get
    requirements, constraints, from_files = _read_inputs(inputs, settings, environ)
    foreign = foreign_target(settings)
    request = CompileRequest(
        requirements=tuple(requirements),
        constraints=tuple(constraints),
        projects=tuple(p.absolute() for p in inputs if p.name in PROJECT_FILES),
        extras=tuple(get("extras", None) or ()),
        all_extras=bool(get("all_extras", None)),
        output=output,
        upgrade_pins=bool(get("upgrade", None)),
        upgrade_packages=tuple(get("upgrade_packages", None) or ()),
        generate_hashes=bool(get("generate_hashes", None)),
        pre=bool(get("pre", None)) or from_files.pre,
        no_binary=_names([*(get("no_binary", None) or ()), *from_files.no_binary]),
        only_binary=_names([*(get("only_binary", None) or ()), *from_files.only_binary]),
        prefer_binary=bool(get("prefer_binary", None)) or from_files.prefer_binary,
        build_isolation=not get("no_build_isolation", None),
        config_settings=tuple(get("config_settings", None) or ()),
        src_dir=Path(get("src", None)).absolute() if get("src", None) else None,
        foreign=foreign,
        dry_run=bool(get("dry_run", None)),
        overrides=read_overrides(settings, environ),
        universal=bool(get("universal", None)) if universal is None else universal,
        python_requirement=get("python_requirement", None),
        environments=tuple(get("environments", None) or ()),
    )
    if (request.python_requirement or request.environments) and not request.universal:
        raise UsageError("--python-requirement and --environment describe a universal resolution",
                         hint="Add --universal (spoke compile), or leave out --platform / --python-version "
                         "(spoke lock is universal unless they name one environment).")
    if request.universal and foreign.given:
        raise UsageError("--universal resolves for every environment; --platform / --python-version / "
                         "--implementation / --abi name one", hint="Leave out one or the other.")
    return request, from_files


def compile_inputs(positional: Sequence[str]) -> list[Path]:
    """The input files named, or pip-compile's default; each must exist."""
    if not positional:
        for name in DEFAULT_INPUTS:
            if Path(name).is_file():
                return [Path(name)]
        raise UsageError(
            "No input: there is no requirements.in, setup.py or pyproject.toml here",
            hint="Name the input, e.g. `spoke compile requirements.in` or `spoke compile pyproject.toml`.",
        )
    paths = [Path(p) for p in positional]
    for path in paths:
        if str(path) == "-":
            raise UsageError("Reading the input from standard input is not supported",
                             hint="Write the requirements to a file and name it.")
        if not path.is_file():
            raise RequirementError(f"Input file `{path}` does not exist",
                                   hint="Check the path; `spoke compile` reads requirements.in, "
                                   "pyproject.toml, setup.cfg or setup.py files.")
    return paths


def _output(given: str | None, inputs: Sequence[Path]) -> Path | None:
    """Where the file goes: ``-o``, else beside the one input (``x.in`` → ``x.txt``, a project
    file → ``requirements.txt``); ``None`` for standard output (``-o -``)."""
    if given == "-":
        return None
    if given:
        out = Path(given)
    elif len(inputs) != 1:
        raise UsageError("--output-file is needed unless exactly one input file is given",
                         hint="Add `-o requirements.txt` (or `-o -` for standard output).")
    else:
        src = inputs[0]
        out = src.with_name("requirements.txt") if src.name in PROJECT_FILES else src.with_suffix(".txt")
    if any(out.absolute() == p.absolute() for p in inputs):
        raise UsageError(f"The output file `{out}` is also an input",
                         hint="Name another output file with -o, or rename the input to .in.")
    return out


def _read_inputs(inputs: Sequence[Path], settings: Any, environ: Mapping[str, str]) -> tuple[list[Any], list[Any], Any]:
    """Requirements and constraints of the requirements-format inputs, the groups and the ``-c``
    files, with what the files said (index options)."""
    from spoke.cli.install import read_requirements_files

    reqs, constraints, merged = read_requirements_files(
        [p for p in inputs if p.name not in PROJECT_FILES], settings.get("constraints", None) or (), environ)
    if settings.get("groups", None):
        from spoke.reqs.groups import group_requirements

        reqs.extend(group_requirements(tuple(settings.get("groups", None))))
    return reqs, constraints, merged


def _file_options(settings: Any, from_files: Any, outcome: Any, argv: Sequence[str], environ: Mapping[str, str]) -> Any:
    from spoke.config.options import DEFAULT_INDEX_URL
    from spoke.plan.pinfile import PinFileOptions

    get = settings.get
    interp = outcome.interpreter
    return PinFileOptions(
        header=get("header", True) is not False,
        command=environ.get("CUSTOM_COMPILE_COMMAND") or header_command(argv),
        python_version=".".join(str(interp.python_version).split(".")[:2]),
        annotate=get("annotate", True) is not False,
        annotation_style=get("annotation_style", None) or "split",
        strip_extras=get("strip_extras", True) is not False,
        allow_unsafe=get("allow_unsafe", True) is not False,
        index_url=None if get("no_index", None) else (from_files.index_url or get("index_url", None)),
        default_index_url=DEFAULT_INDEX_URL,
        extra_index_urls=() if get("no_index", None) else (
            *(get("extra_index_urls", None) or ()), *from_files.extra_index_urls),
        find_links=(*(get("find_links", None) or ()), *from_files.find_links),
        trusted_hosts=(*(get("trusted_hosts", None) or ()), *from_files.trusted_hosts),
        no_binary=tuple(get("no_binary", None) or ()),
        only_binary=tuple(get("only_binary", None) or ()),
        emit_index_url=get("emit_index_url", True) is not False,
        emit_find_links=get("emit_find_links", True) is not False,
        emit_trusted_host=get("emit_trusted_host", True) is not False,
        emit_options=get("emit_options", True) is not False,
    )


def header_command(argv: Sequence[str]) -> str:
    """The command that regenerates the file: as typed, less the one-off options (``-U``,
    ``-P``, ``--dry-run``, ``-v``…), which would not give the same file again."""
    words: list[str] = []
    skip = False
    seen_command = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if not seen_command and arg == "compile":
            seen_command = True
            continue
        flag = arg.split("=", 1)[0]
        if flag in _ONE_OFF or (arg.startswith("-") and not arg.startswith("--") and set(arg[1:]) <= {"v", "q"}):
            continue
        if flag in _ONE_OFF_WITH_VALUE:
            skip = "=" not in arg
            continue
        if arg.startswith("-P") and len(arg) > 2:  # -Pdjango
            continue
        words.append(shlex.quote(arg))
    return " ".join(["spoke compile", *words])


def write_whole(path: Path, text: str) -> None:
    """Write through a temporary file beside ``path`` and a rename: never half a file."""
    import os
    import tempfile

    folder = path.absolute().parent
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise SpokeError(f"Cannot write `{path}`: {exc.strerror or exc}",
                         hint="Choose an output file in a folder you can write to (-o).") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

