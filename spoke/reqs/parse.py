"""pip's requirement syntax: single requirement strings and requirements files.

A requirements file is read as pip reads it:

1. lines ending in ``\\`` are joined with the next (a *logical line* keeps its first line number);
2. comments are removed: ``#`` at the start of a line or after whitespace;
3. ``${VAR}`` (upper case, digits, ``_``) is replaced by the environment's value;
4. a line starting with ``-`` is an option line (``-r``, ``-c``, ``-e``, ``-i``, ``--pre``...);
   any other line is a requirement, optionally followed by per-requirement options
   (``--hash=sha256:…``, ``--config-settings``).

Nested ``-r``/``-c`` paths are relative to the including file. Every error names the file and
the line. Values are immutable; the environment mapping is passed in, never read here.

Input may be hostile (a file from the internet, a line pasted from a web page): every pattern
here runs in linear time, a line or requirement longer than ``_MAX_LINE`` characters is refused
before it is parsed, and an error shows at most ``_MAX_SHOWN`` characters of the input, with
invisible and control characters escaped. A name with a look-alike or invisible character
(Cyrillic ``а`` for Latin ``a``, a zero-width space) is named by its code point.
"""  # noqa: RUF002 - the Cyrillic letter is the example

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from spoke.errors import RequirementError
from spoke.reqs.links import _URL_SCHEME, _VCS_PREFIXES, looks_like_path_or_url

_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
# pip's pattern is r"(^|\s+)#.*$", which backtracks quadratically over a long run of spaces
# without a "#" (minutes for a 100 kB line); one whitespace character is enough to anchor on,
# and the rest is stripped with the line.
_COMMENT = re.compile(r"(?:^|\s)#.*$")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
#: Where a PEP 508 name ends (extras, a specifier, a marker, a URL, or whitespace).
_NAME_END = re.compile(r"[\s\[\]<>=!~;@(),]")
_MAX_SHOWN = 80
#: The longest logical line or requirement read; real ones, URLs included, are far shorter.
_MAX_LINE = 10_000


def _shown(text: str) -> str:
    """``text`` cut to a readable length, invisible and control characters escaped: hostile
    input is never echoed whole, nor allowed to hide characters or drive the terminal."""
    text = text.strip()
    if len(text) <= _MAX_SHOWN and text.isprintable():
        return text
    shown: list[str] = []
    width = 0
    for char in text[:_MAX_SHOWN]:
        piece = char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        if width + len(piece) > _MAX_SHOWN - 1:
            break
        shown.append(piece)
        width += len(piece)
    else:  # every character fit
        if len(text) <= _MAX_SHOWN:
            return "".join(shown)
    return "".join(shown) + "…"


def _code_point(char: str) -> str:
    """``U+0430 (CYRILLIC SMALL LETTER A)``."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def _non_ascii_problem(text: str) -> str | None:
    """Which non-ASCII characters ``text`` has, and whether they are in its name, or ``None``."""
    found = [m.start() for m in _NON_ASCII.finditer(text)]  # text is at most _MAX_LINE long
    if not found:
        return None
    first: dict[str, int] = {}
    for at in found:
        first.setdefault(text[at], at)
    shown = list(first.items())[:3]
    listed = ", ".join(f"{_code_point(char)} at position {at + 1}" for char, at in shown)
    more = f" and {len(found) - len(shown)} more" if len(found) > len(shown) else ""
    end = _NAME_END.search(text)
    what = "the name contains" if found[0] < (end.start() if end else len(text)) else "it contains"
    plural = "a non-ASCII character" if len(found) == 1 else "non-ASCII characters"
    return f"{what} {plural}: {listed}{more}"


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRequirement:
    """One requirement the user asked for, and where it was written.

    ``requirement`` is set for a PEP 508 requirement (``name[extras] spec ; marker`` or
    ``name @ url``). ``link`` is set for a bare URL or local path (a later stage finds its name).
    """

    text: str
    source: str
    requirement: Requirement | None = None
    link: str | None = None
    editable: bool = False
    constraint: bool = False
    hashes: tuple[str, ...] = ()
    config_settings: tuple[str, ...] = ()

    @property
    def name(self) -> str | None:
        """The project name when known before any download."""
        return self.requirement.name if self.requirement is not None else None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequirementsFile:
    """Everything a requirements file (and the files it includes) said."""

    requirements: tuple[UserRequirement, ...] = ()
    constraints: tuple[UserRequirement, ...] = ()
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    pre: bool = False
    prefer_binary: bool = False
    require_hashes: bool = False
    no_binary: tuple[str, ...] = ()
    only_binary: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    files: tuple[str, ...] = field(default=())
    #: ``-r pylock.toml`` files: installed as locked (:mod:`spoke.reqs.pylock`), once the target is known.
    locks: tuple[str, ...] = ()


def parse_requirement(
    text: str, *, source: str = "command line", editable: bool = False, constraint: bool = False,
    hashes: tuple[str, ...] = (),
) -> UserRequirement:
    """Parse one requirement string (PEP 508, a URL or a path) into a :class:`UserRequirement`."""
    stripped = text.strip()
    if not stripped:
        raise RequirementError(f"Empty requirement ({source})")
    if len(stripped) > _MAX_LINE:
        where = "" if source == "command line" else f" ({source})"
        raise RequirementError(
            f"Requirement too long ({len(stripped)} characters){where}: `{_shown(stripped)}`",
            hint=f"A requirement is a name, extras, a version specifier and a marker, or a URL or "
            f"path; spoke reads at most {_MAX_LINE} characters of one.",
        )
    where = "" if source == "command line" else f" ({source})"
    if editable and constraint:
        raise RequirementError(
            f"An editable requirement cannot be a constraint: `{_shown(stripped)}`{where}",
            hint="Constraints only limit versions; put `-e …` in a requirements file (`-r`).",
        )
    if editable and not looks_like_path_or_url(stripped):
        # pip's second editable form: `name[extras] @ url ; marker` (PEP 508 with a URL).
        try:
            req = Requirement(stripped)
        except InvalidRequirement:
            req = None
        if req is not None and req.url:
            _check_url(req, stripped, where)
            return UserRequirement(
                text=stripped, source=source, requirement=req, editable=True, hashes=hashes,
            )
    if editable or looks_like_path_or_url(stripped):
        return UserRequirement(
            text=stripped, source=source, link=stripped, editable=editable,
            constraint=constraint, hashes=hashes,
        )
    try:
        req = Requirement(stripped)
    except InvalidRequirement as exc:
        non_ascii = _non_ascii_problem(stripped)
        if non_ascii is not None:
            raise RequirementError(
                f"Invalid requirement `{_shown(stripped)}`{where}: {non_ascii}",
                hint="Project names use only ASCII letters, digits, `.`, `-` and `_`, and a "
                "requirement's operators and quotes are ASCII too. A look-alike or invisible "
                "character usually comes from text copied from a web page or a chat, or from a "
                "name made to impersonate a real project; type the requirement again by hand.",
            ) from None
        detail = str(exc).splitlines()[0] if str(exc) else "invalid syntax"
        raise RequirementError(
            f"Invalid requirement `{_shown(stripped)}`{where}: {_shown(detail)}",
            hint=_invalid_hint(stripped),
        ) from None
    _check_url(req, stripped, where)
    return UserRequirement(
        text=stripped, source=source, requirement=req, constraint=constraint, hashes=hashes,
    )


#: ``-e X``, ``-eX``, ``-e=X``, ``--editable X``, ``--editable=X``.
_EDITABLE_LINE = re.compile(r"^(?:-e|--editable(?=[\s=]))\s*=?\s*(?P<rest>\S.*)$")
_OPERATORS = ("~=", "==", "!=", "<=", ">=", "<", ">", "===")


def _invalid_hint(text: str) -> str:
    """What to write instead of an invalid requirement (pip's two hints, and the general one)."""
    body = text.split(";", 1)[0]
    if "=" in body and not any(op in body for op in _OPERATORS):
        return "`=` is not a version operator: did you mean `==`?"
    try:
        is_file = Path(text).is_file()
    except (OSError, ValueError):  # too long a name, a NUL byte
        is_file = False
    if is_file:
        return (f"`{_shown(text)}` is a file here; to install the requirements listed in it, "
                f"use `-r {_shown(text)}`.")
    return ("Requirements look like `name`, `name>=1.0,<2`, `name[extra]==1.2`, "
            "`name; python_version < \"3.12\"` (PEP 508), or a path or URL (`./proj[extra]`).")


def _check_url(req: Requirement, text: str, where: str) -> None:
    """Refuse ``name @ ./path``: PEP 508 wants a URL after ``@``."""
    if req.url and not (_URL_SCHEME.match(req.url) or req.url.startswith(_VCS_PREFIXES)):
        raise RequirementError(
            f"Invalid URL in requirement `{_shown(text)}`{where}",
            hint="A direct reference looks like `name @ https://host/path/name-1.0.tar.gz` or "
            "`name @ file:///abs/path`; a local path can also be given alone (`./path[extra]`).",
        )


# Options accepted on their own line, mapped to (canonical name, takes a value).
_LINE_OPTIONS: dict[str, tuple[str, bool]] = {
    "-r": ("requirement", True), "--requirement": ("requirement", True),
    "-c": ("constraint", True), "--constraint": ("constraint", True),
    "-e": ("editable", True), "--editable": ("editable", True),
    "-i": ("index-url", True), "--index-url": ("index-url", True),
    "--extra-index-url": ("extra-index-url", True),
    "-f": ("find-links", True), "--find-links": ("find-links", True),
    "--no-index": ("no-index", False),
    "--pre": ("pre", False),
    "--prefer-binary": ("prefer-binary", False),
    "--require-hashes": ("require-hashes", False),
    "--no-binary": ("no-binary", True),
    "--only-binary": ("only-binary", True),
    "--trusted-host": ("trusted-host", True),
    "--use-feature": ("use-feature", True),
}
# Options accepted after a requirement on the same line.
_REQ_OPTIONS: dict[str, str] = {
    "--hash": "hash",
    "-C": "config-settings", "--config-settings": "config-settings",
    "--global-option": "global-option", "--install-option": "install-option",
}


def _split_options(tokens: list[str], table: Mapping[str, object], where: str) -> list[tuple[str, str]]:
    """Split ``--opt=value``/``--opt value`` tokens into pairs of (flag, value)."""
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        flag, eq, value = tok.partition("=")
        if not eq and flag.startswith("-") and not flag.startswith("--") and len(flag) > 2:
            flag, value, eq = flag[:2], flag[2:], "="  # -rfile.txt, -ihttps://...
        if flag not in table:
            raise RequirementError(
                f"Unknown option `{_shown(flag)}` ({where})",
                hint="See `spoke install --help` for the options a requirements file may use.",
            )
        takes_value = table[flag][1] if isinstance(table[flag], tuple) else True  # type: ignore[index]
        if takes_value and not eq:
            i += 1
            if i >= len(tokens):
                raise RequirementError(f"Option `{flag}` needs a value ({where})")
            value = tokens[i]
        pairs.append((flag, value))
        i += 1
    return pairs


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Join continuation lines and drop comments, keeping each logical line's first number."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buf:
            start = number
        if raw.endswith("\\") and not _COMMENT.search(raw):
            buf.append(raw[:-1])
            continue
        buf.append(raw)
        line = _COMMENT.sub("", "".join(buf)).strip()
        buf = []
        if line:
            out.append((start, line))
    if buf:
        line = _COMMENT.sub("", "".join(buf)).strip()
        if line:
            out.append((start, line))
    return out


def parse_requirements_file(
    path: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    constraint: bool = False,
    _stack: tuple[Path, ...] = (),
    _included_from: str | None = None,
) -> RequirementsFile:
    """Read a requirements (or, with ``constraint``, constraints) file and those it includes."""
    file = Path(path).expanduser()
    shown = str(path)
    try:
        resolved = file.resolve()
    except OSError:
        resolved = file
    if resolved in _stack:
        raise RequirementError(
            f"Requirements file `{shown}` includes itself ({_included_from})",
            hint="Remove the `-r`/`-c` line that loops back.",
        )
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        origin = f" (from {_included_from})" if _included_from else ""
        raise RequirementError(
            f"Requirements file `{shown}` does not exist{origin}",
            hint="Check the path; `-r` paths inside a file are relative to that file.",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RequirementError(f"Cannot read requirements file `{shown}`: {exc}") from None

    env = environ or {}
    acc: dict[str, object] = {
        "requirements": [], "constraints": [], "extra_index_urls": [], "find_links": [],
        "no_binary": [], "only_binary": [], "trusted_hosts": [], "files": [shown],
    }
    scalars: dict[str, object] = {}
    for number, line in _logical_lines(text):
        where = f"{shown}:{number}"
        if len(line) <= _MAX_LINE:
            line = _ENV_VAR.sub(lambda m: env.get(m.group(1), m.group(0)), line)
        if len(line) > _MAX_LINE:
            raise RequirementError(
                f"Line too long ({len(line)} characters, {where}): `{_shown(line)}`",
                hint=f"spoke reads at most {_MAX_LINE} characters of one logical line "
                "(lines ending in `\\` are joined with the next).",
            )
        editable = _EDITABLE_LINE.match(line)
        if editable is not None:
            # The rest of the line is the editable (`-e .[a, b]`, `-e name @ git+…; marker`),
            # then its own options (`--config-settings`), as on a requirement line.
            line = editable.group("rest")
        elif line.startswith("-"):
            try:
                tokens = shlex.split(line)
            except ValueError as exc:
                raise RequirementError(f"Cannot parse `{_shown(line)}` ({where}): {exc}") from None
            for flag, value in _split_options(tokens, _LINE_OPTIONS, where):
                _apply_line_option(_LINE_OPTIONS[flag][0], value, where, file, env, acc,
                                   scalars, constraint, (*_stack, resolved))
            continue
        key = "constraints" if constraint else "requirements"
        acc[key].append(_requirement_line(line, where, constraint=constraint, editable=editable is not None))  # type: ignore[union-attr]
    return RequirementsFile(
        **{k: tuple(v) for k, v in acc.items()},  # type: ignore[arg-type]
        **scalars,  # type: ignore[arg-type]
    )


def _requirement_line(line: str, where: str, *, constraint: bool, editable: bool) -> UserRequirement:
    """A requirement line: the requirement, then its own options (``--hash``, ``-C``)."""
    req_text, opts = _split_requirement_options(line)
    if editable:
        req_text = _unquoted(req_text, where)
    hashes: list[str] = []
    settings: list[str] = []
    if opts:
        try:
            tokens = shlex.split(opts)
        except ValueError as exc:
            raise RequirementError(f"Cannot parse `{_shown(line)}` ({where}): {exc}") from None
        for flag, value in _split_options(tokens, {k: (v, True) for k, v in _REQ_OPTIONS.items()}, where):
            kind = _REQ_OPTIONS[flag]
            if kind == "hash":
                hashes.append(_check_hash(value, where))
            elif kind == "config-settings":
                settings.append(value)
    req = parse_requirement(req_text, source=where, constraint=constraint, hashes=tuple(hashes), editable=editable)
    return _replace(req, config_settings=tuple(settings)) if settings else req


def _unquoted(text: str, where: str) -> str:
    """``".[a, b]"`` → ``.[a, b]``: an editable written in quotes, as in a shell."""
    if text[:1] not in ("'", '"'):
        return text
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise RequirementError(f"Cannot parse `{_shown(text)}` ({where}): {exc}") from None
    return tokens[0] if len(tokens) == 1 else text


def _replace(req: UserRequirement, **changes: object) -> UserRequirement:
    from dataclasses import replace

    return replace(req, **changes)  # type: ignore[arg-type]


def _split_requirement_options(line: str) -> tuple[str, str]:
    """Split ``name>=1 --hash=sha256:…`` into the requirement and its option text."""
    match = re.search(r"\s(-{1,2}[A-Za-z])", line)
    if not match:
        return line, ""
    return line[: match.start()].strip(), line[match.start():].strip()


def _check_hash(value: str, where: str) -> str:
    algo, sep, digest = value.partition(":")
    if not sep or algo not in ("sha256", "sha384", "sha512") or not re.fullmatch(r"[0-9a-fA-F]+", digest):
        raise RequirementError(
            f"Invalid hash `{_shown(value)}` ({where})",
            hint="Write hashes as `--hash=sha256:<64 hex digits>`.",
        )
    return f"{algo}:{digest.lower()}"


def _apply_line_option(
    name: str, value: str, where: str, file: Path, env: Mapping[str, str],
    acc: dict[str, object], scalars: dict[str, object], constraint: bool,
    stack: tuple[Path, ...],
) -> None:
    """Fold one option line into the accumulated file value."""
    lists = acc
    if name in ("requirement", "constraint"):
        target = value if _URL_SCHEME.match(value) else str(file.parent / Path(value).expanduser())
        nested = parse_requirements_file(
            target, environ=env, constraint=constraint or name == "constraint",
            _stack=stack, _included_from=where,
        )
        for key in ("requirements", "constraints", "extra_index_urls", "find_links",
                    "no_binary", "only_binary", "trusted_hosts", "files"):
            lists[key].extend(getattr(nested, key))  # type: ignore[union-attr]
        for key in ("index_url", "no_index", "pre", "prefer_binary", "require_hashes"):
            val = getattr(nested, key)
            if val:
                scalars[key] = val
    elif name == "editable":
        lists["constraints" if constraint else "requirements"].append(  # type: ignore[union-attr]
            parse_requirement(value, source=where, editable=True, constraint=constraint))
    elif name == "index-url":
        scalars["index_url"] = value
    elif name == "extra-index-url":
        lists["extra_index_urls"].append(value)  # type: ignore[union-attr]
    elif name == "find-links":
        # A relative find-links path is relative to the requirements file, as in pip.
        if not _URL_SCHEME.match(value) and not Path(value).is_absolute():
            candidate = file.parent / value
            value = str(candidate) if candidate.exists() else value
        lists["find_links"].append(value)  # type: ignore[union-attr]
    elif name in ("no-index", "pre", "prefer-binary", "require-hashes"):
        scalars[name.replace("-", "_")] = True
    elif name in ("no-binary", "only-binary"):
        lists[name.replace("-", "_")].extend(v for v in value.split(",") if v)  # type: ignore[union-attr]
    elif name == "trusted-host":
        lists["trusted_hosts"].append(value)  # type: ignore[union-attr]
    # use-feature: accepted and ignored, as pip ignores unknown feature names.
