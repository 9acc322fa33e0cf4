"""``spoke audit``: known vulnerabilities, in pip-audit's formats and with its exit status.

* ``columns`` (the default): ``Name Version ID Fix Versions`` (``Aliases`` and ``Description``
  with ``--aliases``/``--desc``), a dashed line under the header, columns joined by one space
  and padded to the widest cell; then the skipped packages (``Name Skip Reason``).
* ``json``: ``{"dependencies": [{"name", "version", "vulns": [{"id", "fix_versions",
  "aliases"?, "description"?}]} | {"name", "skip_reason"}], "fixes": [{"name", "old_version",
  "new_version"} | {"name", "version", "skip_reason"}]}``, pip-audit's shape.
* ``markdown``: the same tables in Markdown, ids linked to osv.dev and names to PyPI.

The results go to standard output (or ``-o FILE``); the summary — ``Found N known
vulnerabilities in M packages`` or ``No known vulnerabilities found`` — to standard error.
Exit status: 0 when nothing is found, 1 when vulnerabilities are (left after ``--fix``), 2 for
every error (a bad option or file, a service that cannot be asked): CI can tell a failure to
look from a finding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spoke.app.audit import AuditOutcome, AuditReport, Fix
from spoke.cli.common import make_context
from spoke.cli.render import Printer
from spoke.errors import SpokeError, UsageError


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Carry out ``spoke audit``; return 0 (clean), 1 (vulnerable) or 2 (an error)."""
    try:
        return _run(settings, positional, printer, environ)
    except SpokeError as exc:
        exc.exit_code = 2  # pip-audit's status for "could not audit"
        raise


def _run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    from spoke.app.audit import run_audit

    request, extra = _request(settings, positional, environ)
    output = settings.get("output", None)
    ctx, reporter = make_context(settings, printer, environ, extra=extra,
                                 read_only=not (request.fix and not request.dry_run))
    try:
        outcome = run_audit(ctx, request)
    finally:
        reporter.close()
        ctx.close()
    for warning in outcome.warnings:
        printer.warning(warning)
    if outcome.database_updated and outcome.database is not None:
        printer.info(f"Updated the vulnerability database at {outcome.database}")
    _tell_fixes(outcome, printer)
    report = outcome.report
    strict = bool(settings.get("strict", None))
    if strict and report.skipped:
        first = report.skipped[0]
        raise SpokeError(
            f"{first.name}: {first.reason}"
            + (f" (and {len(report.skipped) - 1} more skipped)" if len(report.skipped) > 1 else ""),
            hint="Drop --strict to list skipped packages without failing, or make them auditable.",
        )
    fmt = settings.get("format", None) or "columns"
    text = render(report, fmt, outcome.fixes, desc=bool(settings.get("desc", None)),
                  aliases=bool(settings.get("aliases", None)))
    summary = _summary(report)
    manifest = fmt == "json" or fmt.startswith("cyclonedx-")  # a BOM lists every package, clean or not
    if report.vulnerable or report.skipped or manifest:
        _emit(text, output, printer)
    printer.info(summary)
    return 1 if report.vulnerable else 0


def _request(settings: Any, positional: Sequence[str], environ: Mapping[str, str]) -> tuple[Any, Any]:
    """The :class:`AuditRequest` and what the ``-r`` files said about indexes."""
    from spoke.app.requests import AuditRequest
    from spoke.audit.database import DEFAULT_DB_URL
    from spoke.cli.install import gather_requirements

    files = tuple(Path(p) for p in settings.get("requirements", None) or ())
    lock, project = _target_of(positional)
    if (lock or project) and (files or settings.get("path", None)):
        raise UsageError("A lock file or project folder is audited on its own",
                         hint="Drop -r/--path, or audit them in separate runs.")
    if (lock or project) and settings.get("fix", None):
        raise UsageError("--fix applies to the environment or to -r files",
                         hint="Fix the project's requirements (or make the lock again), then audit again.")
    paths = tuple(Path(p) for p in settings.get("path", None) or ())
    fix = bool(settings.get("fix", None))
    dry_run = bool(settings.get("dry_run", None))
    if files and paths:
        raise UsageError("Cannot combine -r/--requirement with --path",
                         hint="Audit either requirements files or an installed set.")
    if dry_run and not fix:
        raise UsageError("--dry-run only applies to --fix", hint="Add --fix, or drop --dry-run.")
    if fix and paths:
        raise UsageError("Cannot --fix an installed set chosen with --path",
                         hint="Fix the environment itself (--python), or drop --fix.")
    sources = audit_sources(settings)
    output = settings.get("output", None)
    if output and Path(output).is_dir():
        raise UsageError(f"`{output}` is a folder", hint="Give -o/--output a file name.")
    extra = None
    reqs: list[Any] = []
    constraints: list[Any] = []
    if project is not None:
        reqs, constraints, extra = gather_requirements((str(project),), settings, environ)
    if files:
        for path in files:
            if not path.is_file():
                raise UsageError(f"No such requirements file: `{path}`", hint="Check the path given to -r.")
        reqs, constraints, extra = gather_requirements((), settings, environ)
        if not reqs:
            raise UsageError(f"No requirements in {', '.join(f'`{p}`' for p in files)}",
                             hint="Name at least one package in the file.")
    pre = bool(extra is not None and extra.pre)
    request = AuditRequest(
        osv_url=sources.osv_url, service=sources.service, pypi_url=sources.pypi_url, db=sources.db,
        ignore=sources.ignore, update_db=bool(settings.get("update_db", None)),
        db_url=(settings.get("db_url", None) or DEFAULT_DB_URL).strip(),
        requirements=tuple(reqs), constraints=tuple(constraints), files=files, paths=paths, lock=lock, project=project,
        local=bool(settings.get("local", None)), skip_editable=bool(settings.get("skip_editable", None)),
        fix=fix, dry_run=dry_run, no_deps=bool(settings.get("no_deps", None)), pre=pre,
        require_hashes=bool(extra is not None and extra.require_hashes),
    )
    return request, extra


def audit_sources(settings: Any) -> Any:
    """Where advisories come from and which are accepted — ``-s``, ``--osv-url``, ``--pypi-url``,
    ``--db``, ``--ignore-vuln`` — checked (a URL that is not http(s) is a usage error); ``spoke
    audit`` and ``install --audit`` read them alike."""
    from spoke.app.requests import AuditCheck
    from spoke.audit.service import DEFAULT_OSV_URL, DEFAULT_PYPI_URL

    get = settings.get
    urls = {}
    for flag, key, default, what in (("--osv-url", "osv_url", DEFAULT_OSV_URL, "an OSV API, e.g. https://api.osv.dev"),
                                     ("--pypi-url", "pypi_url", DEFAULT_PYPI_URL,
                                      "PyPI's JSON API, e.g. https://pypi.org")):
        url = (get(key, None) or default).strip()
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"`{url}` is not an http(s) URL", hint=f"Give {flag} the base URL of {what}.")
        urls[key] = url
    return AuditCheck(
        service=get("vulnerability_service", None) or "osv", osv_url=urls["osv_url"], pypi_url=urls["pypi_url"],
        db=Path(get("db", None)).expanduser() if get("db", None) else None,
        ignore=frozenset(i.strip() for i in get("ignore_vulns", None) or () if i.strip()),
    )


def _target_of(positional: Sequence[str]) -> tuple[Path | None, Path | None]:
    """``(lock file, project folder)`` named by the one positional argument, if any: a
    ``pylock.toml`` (or ``pylock.NAME.toml``), or a project folder / its ``pyproject.toml``."""
    from packaging.pylock import is_valid_pylock_path

    if not positional:
        return None, None
    if len(positional) > 1:
        raise UsageError(f"Unexpected argument `{positional[1]}`", hint="Audit one lock file or project at a time.")
    path = Path(positional[0])
    if is_valid_pylock_path(path):
        if not path.is_file():
            raise UsageError(f"No such lock file: `{path}`", hint="Check the path of the pylock.toml to audit.")
        return path, None
    if path.name == "pyproject.toml":
        path = path.parent
    if path.is_dir() and ((path / "pyproject.toml").is_file() or (path / "setup.py").is_file()):
        return None, path.absolute()
    raise UsageError(f"`{positional[0]}` is neither a pylock.toml nor a Python project",
                     hint="Audit a lock file (pylock.toml), a project folder, requirements files with -r FILE, "
                          "or the environment with no argument.")


def _emit(text: str, output: str | None, printer: Printer) -> None:
    if not output:
        printer.stdout(text + "\n")
        return
    from spoke.cli.compile import write_whole

    write_whole(Path(output), text + "\n")


def _plural(count: int, word: str, many: str) -> str:
    return f"{count} {word if count == 1 else many}"


def _summary(report: AuditReport) -> str:
    """pip-audit's last line."""
    if report.vulnerable:
        ignored = f", ignored {report.ignored}" if report.ignored else ""
        return (f"Found {_plural(report.count, 'known vulnerability', 'known vulnerabilities')}{ignored} "
                f"in {_plural(len(report.vulnerable), 'package', 'packages')}")
    return "No known vulnerabilities found" + (f", {report.ignored} ignored" if report.ignored else "")


def _tell_fixes(outcome: AuditOutcome, printer: Printer) -> None:
    """What --fix did (or, with --dry-run, would do), on standard error."""
    if outcome.before is None:
        return
    moved = [f for f in outcome.fixes if f.new is not None]
    failed = [f for f in outcome.fixes if f.new is None]
    verb = "Would upgrade" if outcome.dry_run else "Upgraded"
    if moved:
        printer.info(f"{verb} in one resolution:")
        for fix in moved:
            why = "" if fix.vulnerable else (" (new dependency)" if fix.reason else " (so that the fixes fit)")
            old = "" if fix.reason == "new dependency" else f"{fix.old} -> "
            printer.info(f"  {fix.name} {old}{fix.new}{why}")
    for fix in failed:
        printer.warning(f"cannot fix {fix.name} {fix.old}: {fix.reason}")
    for path in outcome.rewritten:
        printer.info(f"Rewrote the pins in {path}")
    if not outcome.dry_run and moved:
        before = outcome.before
        fixed = [a for a in before.vulnerable if a.name not in {v.name for v in outcome.report.vulnerable}]
        printer.info(f"Fixed {_plural(sum(len(a.advisories) for a in fixed), 'vulnerability', 'vulnerabilities')} "
                     f"in {_plural(len(fixed), 'package', 'packages')}; auditing again:")


# -- formats --------------------------------------------------------------------------------


def render(report: AuditReport, fmt: str, fixes: Sequence[Fix] = (), *, desc: bool = False,
           aliases: bool = False) -> str:
    """``report`` in ``fmt`` (columns, json, markdown, cyclonedx-json or cyclonedx-xml)."""
    if fmt.startswith("cyclonedx-"):
        return as_cyclonedx(report, xml=fmt == "cyclonedx-xml")
    if fmt == "json":
        return as_json(report, fixes, desc=desc, aliases=aliases)
    if fmt == "markdown":
        return as_markdown(report, desc=desc, aliases=aliases)
    return as_columns(report, desc=desc, aliases=aliases)


def _rows(report: AuditReport, *, desc: bool, aliases: bool, link: Any = None) -> list[list[str]]:
    show = link or (lambda text, _url: text)
    rows = []
    for item in report.vulnerable:
        for adv in item.advisories:
            row = [show(item.name, f"https://pypi.org/project/{item.name}/"), str(item.version),
                   show(adv.id, f"https://osv.dev/vulnerability/{adv.id}"),
                   ",".join(str(v) for v in adv.fix_versions)]
            if aliases:
                row.append(", ".join(show(a, f"https://osv.dev/vulnerability/{a}") for a in adv.aliases))
            if desc:
                row.append(adv.description)
            rows.append(row)
    return rows


def _header(*, desc: bool, aliases: bool) -> list[str]:
    return ["Name", "Version", "ID", "Fix Versions", *(["Aliases"] if aliases else []),
            *(["Description"] if desc else [])]


def _tabulate(rows: Sequence[Sequence[str]]) -> list[str]:
    """pip-audit's columns: padded to the widest cell, one space apart, a dashed rule under
    the header, trailing spaces trimmed."""
    sizes = [max(len(row[i]) if i < len(row) else 0 for row in rows) for i in range(max(len(r) for r in rows))]
    lines = [" ".join(cell.ljust(size) for cell, size in zip(row, sizes, strict=False)).rstrip() for row in rows]
    lines.insert(1, " ".join("-" * size for size in sizes))
    return lines


def as_columns(report: AuditReport, *, desc: bool = False, aliases: bool = False) -> str:
    """The vulnerability table, then the skipped packages' table."""
    parts = []
    rows = _rows(report, desc=desc, aliases=aliases)
    if rows:
        parts.append("\n".join(_tabulate([_header(desc=desc, aliases=aliases), *rows])))
    if report.skipped:
        parts.append("\n".join(_tabulate([["Name", "Skip Reason"], *([s.name, s.reason] for s in report.skipped)])))
    return "\n\n".join(parts)


def as_markdown(report: AuditReport, *, desc: bool = False, aliases: bool = False) -> str:
    """pip-audit's Markdown tables."""
    parts = []
    rows = _rows(report, desc=desc, aliases=aliases, link=lambda text, url: f"[{text}]({url})")
    if rows:
        header = _header(desc=desc, aliases=aliases)
        lines = [" | ".join(header), " | ".join("---" for _ in header), *(" | ".join(r) for r in rows)]
        parts.append("\n" + "\n".join(lines))
    if report.skipped:
        lines = ["Name | Skip Reason", "--- | ---", *(f"{s.name} | {s.reason}" for s in report.skipped)]
        parts.append("\n" + "\n".join(lines))
    return "\n".join(parts)


def as_json(report: AuditReport, fixes: Sequence[Fix] = (), *, desc: bool = False, aliases: bool = False) -> str:
    """pip-audit's JSON document."""
    dependencies: list[dict[str, Any]] = []
    for item in report.audited:
        vulns = []
        for adv in item.advisories:
            vuln: dict[str, Any] = {"id": adv.id, "fix_versions": [str(v) for v in adv.fix_versions]}
            if aliases:
                vuln["aliases"] = list(adv.aliases)
            if desc:
                vuln["description"] = adv.description
            vulns.append(vuln)
        dependencies.append({"name": item.name, "version": str(item.version), "vulns": vulns})
    dependencies += [{"name": s.name, "skip_reason": s.reason} for s in report.skipped]
    out_fixes: list[dict[str, Any]] = []
    for fix in fixes:
        if fix.new is not None and fix.reason is None:
            out_fixes.append({"name": fix.name, "old_version": str(fix.old), "new_version": str(fix.new)})
        elif fix.new is None:
            out_fixes.append({"name": fix.name, "version": str(fix.old), "skip_reason": fix.reason})
    return json.dumps({"dependencies": dependencies, "fixes": out_fixes})


def as_cyclonedx(report: AuditReport, *, xml: bool = False) -> str:
    """A CycloneDX 1.6 BOM (JSON or XML) written by the CycloneDX project's library: every
    audited package a component (``pkg:pypi`` purl), every advisory a vulnerability naming the
    component it affects, with its aliases as references, its description and the fix."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.vulnerability import (
        BomTarget,
        Vulnerability,
        VulnerabilityReference,
        VulnerabilitySource,
    )
    from cyclonedx.output import make_outputter
    from cyclonedx.schema import OutputFormat, SchemaVersion
    from packageurl import PackageURL

    bom = Bom()
    for item in report.audited:
        purl = PackageURL(type="pypi", name=item.name, version=str(item.version))
        component = Component(type=ComponentType.LIBRARY, name=item.name, version=str(item.version), purl=purl,
                              bom_ref=purl.to_string())
        bom.components.add(component)
        for adv in item.advisories:
            fixes = ", ".join(str(v) for v in adv.fix_versions)
            bom.vulnerabilities.add(Vulnerability(
                bom_ref=f"{adv.id}/{purl.to_string()}",
                id=adv.id,
                source=VulnerabilitySource(name="OSV"),
                references=[VulnerabilityReference(id=alias, source=VulnerabilitySource(name="OSV"))
                            for alias in adv.aliases],
                description=adv.description,
                recommendation=f"Upgrade to {fixes}" if fixes else "No fixed version is known",
                affects=[BomTarget(ref=purl.to_string())],
            ))
    outputter = make_outputter(bom, OutputFormat.XML if xml else OutputFormat.JSON, SchemaVersion.V1_6)
    return outputter.output_as_string(indent=2)

