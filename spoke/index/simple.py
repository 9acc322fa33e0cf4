"""Simple Repository API pages → :class:`~spoke.models.IndexFile` values (pure, no I/O).

An index describes a project as one page listing its files, in one of two encodings:

* **JSON** (PEP 691, ``application/vnd.pypi.simple.v1+json``): a ``files`` list of objects with
  ``filename``, ``url``, ``hashes``, ``requires-python``, ``yanked`` (PEP 592: ``true`` or a
  reason string), ``core-metadata`` (PEP 714; the older spelling ``dist-info-metadata`` is read
  when the new one is absent) and, with PEP 700, ``size`` and ``upload-time``.
* **HTML** (PEP 503): one ``<a href>`` per file, the digest in the URL fragment
  (``#sha256=…``), the other facts in ``data-requires-python`` (HTML-escaped),
  ``data-yanked`` and ``data-core-metadata`` / ``data-dist-info-metadata`` attributes. A
  ``<base href>`` changes what relative links are relative to.

Both parsers keep wheels and sdists (``.tar.gz``, ``.zip``) whose filename names the project
being listed, and silently drop the rest: eggs, installers, ``.tar.bz2`` archives and
filenames or versions that do not parse — PyPI still serves plenty of legacy junk, and one
bad file must not hide a project's good ones.

Speed matters here: the pages of ``boto3`` or ``botocore`` hold thousands of files. So the
HTML scanner is a pair of precompiled regular expressions (measured about twice as fast as
``html.parser`` on a 5,000-anchor page), versions and names are parsed once per page, and a
wheel's tag triple (``cp312-cp312-manylinux_2_17_x86_64``) is parsed once per process:
:func:`packaging.utils.parse_wheel_filename` would reparse it for every file. The filename
checks mirror ``parse_wheel_filename`` / ``parse_sdist_filename`` exactly, with the names and
versions memoized per page.
"""

from __future__ import annotations

import functools
import html
import json
import re
import sys
from collections.abc import Callable
from urllib.parse import unquote, urljoin

from packaging.tags import Tag, parse_tag
from packaging.utils import (
    NormalizedName,
    canonicalize_name,
)
from packaging.version import InvalidVersion, Version

from spoke.errors import SpokeError
from spoke.models import IndexFile, Yanked
from spoke.net.redact import redact_url as redact

try:  # orjson decodes the big pages (numpy's: 7 MB) about three times as fast as json
    import orjson

    _loads: Callable[[bytes], object] = orjson.loads

    def _dumps(value: object) -> bytes:
        return orjson.dumps(value)
except ImportError:  # pragma: no cover - a platform it has no wheel for
    _loads = json.loads

    def _dumps(value: object) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()

__all__ = [
    "ParsedFilename",
    "parse_filename",
    "parse_html_page",
    "parse_json_page",
    "thinned_page",
]

# The same rules as packaging.utils.parse_wheel_filename (PEP 427 name escaping, build tag).
_WHEEL_NAME = re.compile(r"^[\w._]+\Z", re.UNICODE)
_BUILD_TAG = re.compile(r"(\d+)(.*)\Z", re.ASCII)

# An opening tag whose attribute values may contain ">" when quoted (servers do not always
# escape ``data-requires-python=">=3.8"``).
_ANCHOR = re.compile(r"""<a\s((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.IGNORECASE)
_BASE = re.compile(r"""<base\s((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.IGNORECASE)
_ATTRIBUTE = re.compile(
    r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?"""
)

ParsedFilename = tuple[NormalizedName, Version, tuple[()] | tuple[int, str], frozenset[Tag]]
"""``(name, version, build tag, tags)`` of a distribution filename; sdists have no tags."""


_NO_TAGS: frozenset[Tag] = frozenset()


@functools.lru_cache(maxsize=4096)
def _tags(triple: str) -> frozenset[Tag]:
    """Tags of a wheel tag triple. Cached: thousands of files share a few dozen triples."""
    return parse_tag(triple)


#: Versions parsed from file names, shared by every page of the process: version strings repeat
#: across projects (``1.0.0``, ``2.1.0`` …) and a Version is immutable, so each is parsed and
#: held once (50 pages of 1,000 files: 50,000 parses were a fifth of the time). Bounded.
_VERSIONS: dict[str, Version] = {}
_VERSIONS_KEPT = 200_000


class _Names:
    """Per-page memo of the parsed names (a release has many files), and the shared versions."""

    __slots__ = ("names",)

    def __init__(self) -> None:
        self.names: dict[str, NormalizedName] = {}

    def name(self, text: str) -> NormalizedName:
        found = self.names.get(text)
        if found is None:
            found = self.names[text] = canonicalize_name(text)
        return found

    @staticmethod
    def version(text: str) -> Version:
        found = _VERSIONS.get(text)
        if found is None:
            found = Version(text)
            if len(_VERSIONS) >= _VERSIONS_KEPT:
                _VERSIONS.clear()
            _VERSIONS[text] = found
        return found


class _Thinner:
    """Drops wheels the target cannot install, keeping one per version as a witness.

    Pages of projects with many platform builds (pydantic-core: 15,000 files) are mostly
    wheels for other platforms. Building a value for each costs more than fetching the page,
    so with a ``supported`` tag set only fitting wheels, sdists, and the first unfitting wheel
    of each version (so "no wheel for this platform" can still be said) are kept.
    :meth:`skip` turns the others away from their filename alone, before any parsing.
    """

    __slots__ = ("fits", "supported", "witnessed", "witnessed_text")

    def __init__(self, supported: frozenset[Tag] | None) -> None:
        self.supported = supported
        self.witnessed: set[Version] = set()
        self.witnessed_text: set[str] = set()  # version spellings whose witness is settled
        self.fits: dict[str, bool] = {}  # tag triple -> whether the target supports it

    def skip(self, filename: str) -> bool:
        """True for a wheel that fits no supported tag, of a version already witnessed.

        A cheap look at the filename: anything unusual is left to the full parse.
        """
        if self.supported is None or not filename.endswith(".whl"):
            return False
        head, triple = _split_wheel_stem(filename)
        if not triple:
            return False
        fit = self.fits.get(triple)
        if fit is None:
            try:
                fit = self.fits[triple] = not _tags(triple).isdisjoint(self.supported)
            except ValueError:
                return False
        return not fit and head.split("-", 2)[1] in self.witnessed_text

    def keep(self, parsed: ParsedFilename, filename: str = "") -> bool:
        tags = parsed[3]
        if self.supported is None or not tags or not tags.isdisjoint(self.supported):
            return True
        if filename:
            head, _ = _split_wheel_stem(filename)
            self.witnessed_text.add(head.split("-", 2)[1])  # from now on, witnessed
        if parsed[1] in self.witnessed:
            return False
        self.witnessed.add(parsed[1])
        return True


def _split_wheel_stem(filename: str) -> tuple[str, str]:
    """``name-version[-build]`` and the tag triple of a wheel filename (``""`` if malformed)."""
    parts = filename[:-4].rsplit("-", 3)
    if len(parts) != 4 or "-" not in parts[0]:
        return parts[0], ""
    return parts[0], f"{parts[1]}-{parts[2]}-{parts[3]}"


def parse_filename(filename: str, *, _memo: _Names | None = None) -> ParsedFilename | None:
    """Parse a wheel or sdist filename; ``None`` for any other file or an invalid name.

    Sdists are ``.tar.gz`` and ``.zip`` archives (what :func:`parse_sdist_filename` accepts);
    their tag set is empty.
    """
    if "/" in filename or "\\" in filename:
        return None  # a name that is a path can only be hostile
    memo = _memo if _memo is not None else _Names()
    try:
        if filename.endswith(".whl"):
            return _parse_wheel(filename, memo)
        if filename.endswith((".tar.gz", ".zip")):
            # parse_sdist_filename's split, with the page's memo: it would parse the version
            # again for each file, and old projects list an sdist per release.
            stem = filename[: -len(".tar.gz")] if filename.endswith(".tar.gz") else filename[: -len(".zip")]
            name_part, sep, version_part = stem.rpartition("-")
            if not sep:
                return None
            return memo.name(name_part), memo.version(version_part), (), _NO_TAGS
    except (InvalidVersion, ValueError):
        return None
    return None


def _parse_wheel(filename: str, memo: _Names) -> ParsedFilename | None:
    stem = filename[:-4]
    parts = stem.split("-")
    if len(parts) not in (5, 6):
        return None
    name_part = parts[0]
    if "__" in name_part or _WHEEL_NAME.match(name_part) is None:
        return None
    build: tuple[()] | tuple[int, str] = ()
    if len(parts) == 6:
        match = _BUILD_TAG.match(parts[2])
        if match is None:
            return None
        build = (int(match.group(1)), match.group(2))
    tags = _tags(f"{parts[-3]}-{parts[-2]}-{parts[-1]}")  # InvalidTag is a ValueError
    return memo.name(name_part), memo.version(parts[1]), build, tags


def parse_json_page(
    data: bytes, page_url: str, *, name: NormalizedName | None, index_url: str,
    supported: frozenset[Tag] | None = None, kept: list[dict[str, object]] | None = None,
) -> list[IndexFile]:
    """The files of a PEP 691 JSON project page.

    ``page_url`` is the page's final URL (after redirects): relative file URLs are joined to
    it. Files not named after ``name`` are dropped (``None`` keeps every project's files).
    ``kept`` receives the JSON entries of the files returned: a page made of just those parses
    to the same files (see :func:`thinned_page`).
    Raises :class:`~spoke.errors.SpokeError` when ``data`` is not a Simple API JSON page.
    """
    try:
        page = _loads(data)
    except ValueError as exc:
        raise SpokeError(f"The index page {redact(page_url)} is not valid JSON: {exc}") from None
    if not isinstance(page, dict) or not isinstance(page.get("files", []), list):
        raise SpokeError(f"The index page {redact(page_url)} is not a Simple API JSON page")
    memo = _Names()
    thin = _Thinner(supported)
    out: list[IndexFile] = []
    join = _joiner(page_url)
    for entry in page.get("files", ()):
        if not isinstance(entry, dict):
            continue
        filename = entry.get("filename")
        url = entry.get("url")
        if not isinstance(filename, str) or not isinstance(url, str) or thin.skip(filename):
            continue
        parsed = parse_filename(filename, _memo=memo)
        if parsed is None or (name is not None and parsed[0] != name):
            continue
        if not thin.keep(parsed, filename):
            continue
        hashes = entry.get("hashes")
        requires_python = entry.get("requires-python") or None
        size = entry.get("size")
        upload_time = entry.get("upload-time")
        url, fragment_hashes = _split_fragment(join(url))
        out.append(
            IndexFile(
                name=parsed[0],
                version=parsed[1],
                filename=filename,
                url=url,
                hashes=(_str_dict(hashes) if isinstance(hashes, dict) else {}) or fragment_hashes,
                requires_python=requires_python if isinstance(requires_python, str) else None,
                yanked=_json_yanked(entry.get("yanked")),
                upload_time=upload_time if isinstance(upload_time, str) else None,
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                metadata_hashes=_json_metadata(entry),
                tags=parsed[3],
                build_tag=parsed[2],
                index_url=index_url,
            )
        )
        if kept is not None:
            kept.append(entry)
    return out


def thinned_page(kept: list[dict[str, object]]) -> bytes:
    """A JSON page holding only the ``kept`` entries of :func:`parse_json_page`.

    Parsed with the same name and tags, it gives the same files as the whole page, at a
    fraction of the cost: most of a big project's page is wheels for other platforms.
    """
    return _dumps({"meta": {"api-version": "1.0"}, "files": kept})


def parse_html_page(
    text: str, page_url: str, *, name: NormalizedName | None, index_url: str,
    supported: frozenset[Tag] | None = None,
) -> list[IndexFile]:
    """The files of a PEP 503 HTML page (an index's project page or a find-links page).

    ``page_url`` is the page's final URL; a ``<base href>`` in the page takes precedence for
    joining relative links. Files not named after ``name`` are dropped (``None`` keeps every
    project's files, as a find-links page may list many projects).
    """
    base_url = page_url
    base = _BASE.search(text)
    if base is not None:
        href = _attributes(base.group(1)).get("href")
        if href:
            base_url = urljoin(page_url, href)
    join = _joiner(base_url)
    memo = _Names()
    thin = _Thinner(supported)
    out: list[IndexFile] = []
    for match in _ANCHOR.finditer(text):
        attrs = _attributes(match.group(1))
        href = attrs.get("href")
        if not href:
            continue
        url, hashes = _split_fragment(join(href))
        filename = unquote(url.partition("?")[0].rpartition("/")[2])
        if thin.skip(filename):
            continue
        parsed = parse_filename(filename, _memo=memo)
        if parsed is None or (name is not None and parsed[0] != name):
            continue
        if not thin.keep(parsed, filename):
            continue
        yanked_reason = attrs.get("data-yanked")
        core = attrs.get("data-core-metadata")
        if core is None:
            core = attrs.get("data-dist-info-metadata")
        out.append(
            IndexFile(
                name=parsed[0],
                version=parsed[1],
                filename=filename,
                url=url,
                hashes=hashes,
                requires_python=attrs.get("data-requires-python") or None,
                yanked=None if yanked_reason is None else Yanked(reason=yanked_reason),
                metadata_hashes=_html_metadata(core),
                tags=parsed[3],
                build_tag=parsed[2],
                index_url=index_url,
            )
        )
    return out


def _attributes(text: str) -> dict[str, str]:
    """The attributes of one tag, names lowercased, values HTML-unescaped."""
    attrs: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        key, double, single, bare = match.groups()
        value = double if double is not None else single if single is not None else bare
        if value is None:
            value = ""
        elif "&" in value:
            value = html.unescape(value)
        attrs.setdefault(key.lower(), value)
    return attrs


def _joiner(base_url: str) -> Callable[[str], str]:
    """``urljoin`` against ``base_url``, skipped for links that are already absolute."""

    def join(url: str) -> str:
        if url.startswith(("https://", "http://")):
            return url
        return urljoin(base_url, url)

    return join


def _split_fragment(url: str) -> tuple[str, dict[str, str]]:
    """Split ``url#sha256=…`` into the bare URL and its hashes (other fragments dropped)."""
    url, sep, fragment = url.partition("#")
    if not sep:
        return url, {}
    algorithm, eq, digest = fragment.partition("=")
    if eq and algorithm and digest and algorithm.isalnum():
        return url, {algorithm.lower(): digest.lower()}
    return url, {}


def _str_dict(value: dict[object, object]) -> dict[str, str]:
    """The hashes of a JSON file entry, lowercased. The page's own strings are kept when they
    are lowercase already (as PyPI's are): a copy of each digest and each ``"sha256"`` was a
    third of the memory of 50 pages of 1,000 files."""
    return {_lower(str(k)): _lower(v) for k, v in value.items() if isinstance(v, str)}


def _lower(text: str) -> str:
    if not text.islower():
        text = text.lower()
    return sys.intern(text) if len(text) < 16 else text  # an algorithm's name: one object for all


def _json_yanked(value: object) -> Yanked | None:
    """PEP 592 in JSON: ``true``, or a string that is the reason."""
    if value is True:
        return Yanked()
    if isinstance(value, str):
        return Yanked(reason=value)
    return None


def _json_metadata(entry: dict[str, object]) -> dict[str, str] | None:
    """PEP 658/714: ``core-metadata`` (or the older ``dist-info-metadata``) as hashes."""
    value = entry.get("core-metadata")
    if value is None:
        value = entry.get("dist-info-metadata")
    if value is True:
        return {}
    if isinstance(value, dict):
        return _str_dict(value)
    return None


def _html_metadata(value: str | None) -> dict[str, str] | None:
    """PEP 658/714 in HTML: ``"true"`` or ``"<algorithm>=<digest>"``."""
    if value is None:
        return None
    if value.lower() == "true":
        return {}
    algorithm, eq, digest = value.partition("=")
    if eq and algorithm and digest:
        return {algorithm.lower(): digest.lower()}
    return None
