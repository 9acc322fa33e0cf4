"""Which files exist for a project: indexes, find-links, and the policy that merges them.

The policy matters for safety. With several indexes, pip merges every index's files and picks
the best version among them ("unsafe-best-match"): a project published under the same name on a
public index can then win over a private one — the *dependency confusion* attack. spoke's
default, "first-index" (uv's too), asks the indexes in order and takes the files of the first
one that knows the project; later indexes are never consulted for it. Find-links locations are
the user's own files and always count.

An index "knows" a project when its page answers 200 (even with no files); 404 and 410 mean it
does not. Any other error on an index is raised rather than skipped, because skipping a failed
primary index would silently fall through to the next one, the very hole the policy closes.

Each project is fetched once per :class:`IndexClient`, however many threads ask for it, and
:meth:`IndexClient.prefetch` starts fetches in the background as soon as the resolver learns a
name (see :mod:`spoke.net.singleflight`).

Upload cut-off (``exclude_newer``: ``--exclude-newer``, ``--uploaded-prior-to``): only files an
index says were uploaded before it count, by their PEP 700 ``upload-time``. It holds for the
files of indexes reached over the network; find-links locations and ``file://`` indexes are the
user's own files and are kept (pip exempts local files too). A project page where no file has
an upload time (every HTML page, and JSON pages of indexes that do not implement PEP 700) is
an error: the cut-off cannot be honoured there. A single file without one on a page that has
them is left out with a warning: nothing shows it is older than the cut-off.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from spoke.cache import write_later
from spoke.errors import ConfigurationError, NotCachedError, PackageNotFoundError, SpokeError, not_cached
from spoke.index.find_links import FindLinks, local_path, scan_folder
from spoke.index.simple import parse_html_page, parse_json_page, thinned_page
from spoke.models import IndexFile
from spoke.net.redact import redact_url as redact
from spoke.net.singleflight import Once
from spoke.protocols import NullReporter, Reporter

if TYPE_CHECKING:
    from datetime import datetime

    from packaging.tags import Tag
    from packaging.version import Version

__all__ = ["ACCEPT", "STRATEGIES", "IndexClient"]

#: Pages from this size up are parsed through a thinned copy (small ones are cheap anyway).
_THIN_FROM = 256 << 10

ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
"""The ``Accept`` header of project page requests: JSON preferred, HTML understood."""

STRATEGIES = ("first-index", "unsafe-best-match")
"""The multi-index policies :class:`IndexClient` implements (see the module docstring)."""

_NOT_FOUND = (404, 410)


class IndexClient:
    """The files of a project across ``index_urls`` (first = primary) and ``find_links``.

    ``http`` is a :class:`spoke.net.client.HttpClient`. ``executor`` runs :meth:`prefetch`
    work; without one, prefetching does nothing and :meth:`files` fetches on demand.
    Thread-safe.
    """

    def __init__(
        self,
        http: object,
        *,
        index_urls: Sequence[str],
        find_links: Sequence[str] = (),
        no_index: bool = False,
        strategy: str = "first-index",
        executor: Executor | None = None,
        reporter: Reporter | None = None,
        supported_tags: frozenset[Tag] | None = None,
        pages_dir: Path | None = None,
        exclude_newer: datetime | None = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ConfigurationError(
                f"Unknown index strategy `{strategy}`",
                hint="Use one of: " + ", ".join(f"`{s}`" for s in STRATEGIES),
            )
        self._http = http
        # With the target's tags known, wheels for other platforms are dropped while parsing.
        self._supported = supported_tags
        # Where thinned copies of big JSON pages are kept (see _parse_json), keyed by the
        # page's bytes, the project and the target's tags.
        self._pages_dir = pages_dir if supported_tags is not None else None
        self._tags_key = (
            hashlib.sha256("\0".join(sorted(str(t) for t in supported_tags)).encode()).hexdigest()[:16]
            if supported_tags is not None else ""
        )
        self.index_urls: tuple[str, ...] = () if no_index else tuple(index_urls)
        self.no_index = no_index
        self.strategy = strategy
        self._executor = executor
        self._reporter = reporter if reporter is not None else NullReporter()
        self._find_links = FindLinks(http, find_links, reporter=self._reporter)
        self._once: Once[list[IndexFile]] = Once()
        #: Only files uploaded before this (aware) time count (see the module docstring).
        self.exclude_newer = exclude_newer
        self._left_out: dict[NormalizedName, dict[Version, str]] = {}

    def files(self, name: str) -> list[IndexFile]:
        """Every file offered for project ``name`` under the strategy.

        Raises :class:`~spoke.errors.PackageNotFoundError` when no index and no find-links
        location knows the project, and the HTTP client's errors for failed requests.
        """
        key = canonicalize_name(name)
        return list(self._once.get(key, lambda: self._collect(key)))

    def prefetch(self, names: Iterable[str]) -> None:
        """Start fetching the files of ``names`` in the background; returns at once."""
        if self._executor is None:
            return
        for name in names:
            key = canonicalize_name(name)
            self._once.schedule(key, lambda key=key: self._collect(key), self._executor)

    def _collect(self, name: NormalizedName) -> list[IndexFile]:
        found = self._find_links.files(name)
        known = bool(found)
        for index_url in self.index_urls:
            files = self._index_files(index_url, name)
            if files is None:
                continue
            known = True
            found.extend(files)
            if self.strategy == "first-index":
                break
        if not known:
            raise self._not_found(name)
        return _unique(found)

    def _index_files(self, index_url: str, name: NormalizedName) -> list[IndexFile] | None:
        """The files of ``name`` on one index; ``None`` when the index does not know it."""
        path = local_path(index_url)
        if path is not None:
            return _local_index_files(path / name, name=name, index_url=index_url)
        url = index_url.rstrip("/") + f"/{name}/"
        self._reporter.debug(f"Fetching {redact(url)}")
        try:
            response = self._http.get(  # type: ignore[attr-defined]
                url,
                headers={"Accept": ACCEPT},
                cache=True,
                accept_status=(200, *_NOT_FOUND),
            )
        except NotCachedError:
            raise not_cached(name, f"its page on {redact(index_url)} was never fetched") from None
        if response.status in _NOT_FOUND:
            return None
        content_type = _header(response.headers, "content-type").split(";")[0].strip().lower()
        content: bytes = response.content
        if "json" in content_type or (not content_type and content.lstrip()[:1] == b"{"):
            files = self._parse_json(content, response.url, name, index_url)
        else:
            text = content.decode(_charset(response.headers), errors="replace")
            files = parse_html_page(text, response.url, name=name, index_url=index_url,
                                    supported=self._supported)
        if self.exclude_newer is not None:
            files = self._uploaded_before(files, name, index_url)
        return files

    def _uploaded_before(self, files: list[IndexFile], name: NormalizedName, index_url: str) -> list[IndexFile]:
        """The ``files`` of one index page uploaded before :attr:`exclude_newer`."""
        from spoke.config.cutoff import parse_timestamp

        assert self.exclude_newer is not None
        if files and all(f.upload_time is None for f in files):
            raise ConfigurationError(
                f"The index {redact(index_url)} does not publish upload times (PEP 700); "
                "`--exclude-newer`/`--uploaded-prior-to` needs them",
                notes=(f"its page for {name} names no file's upload time",),
                hint="drop the option for this index, or use an index that serves PEP 691 JSON "
                "pages with `upload-time` (PyPI does)",
            )
        kept: list[IndexFile] = []
        for file in files:
            try:
                uploaded = parse_timestamp(file.upload_time) if file.upload_time else None
            except ValueError:
                uploaded = None
            if uploaded is None:
                self._reporter.warning(
                    f"{file.filename} on {redact(index_url)} has no valid upload time: left out "
                    "under the upload cut-off"
                )
            elif uploaded < self.exclude_newer:
                kept.append(file)
        cutoff = self.exclude_newer.strftime("%Y-%m-%dT%H:%M:%SZ")
        gone = {f.version for f in files} - {f.version for f in kept}
        self._left_out.setdefault(name, {}).update(
            (v, f"was uploaded after the upload cut-off {cutoff} (`--exclude-newer`/`--uploaded-prior-to`)")
            for v in gone
        )
        return kept

    def left_out(self, name: str) -> dict[Version, str]:
        """Versions of ``name`` whose every file the upload cut-off left out, with why (for
        error messages; empty until :meth:`files` has read the project)."""
        return dict(self._left_out.get(canonicalize_name(name), {}))

    def _parse_json(self, content: bytes, page_url: str, name: NormalizedName, index_url: str) -> list[IndexFile]:
        """Parse a JSON page, through its thinned copy when one is cached.

        Indexes without validators (and proxies that strip them) send the same big pages on
        every run; most of a big page is other platforms' wheels. The files this target can
        use (and one witness per version) are kept as a small page, found again by the whole
        page's digest, and parsed instead: the same files for a quarter of the work.
        """
        if self._pages_dir is None or len(content) < _THIN_FROM:
            return parse_json_page(content, page_url, name=name, index_url=index_url, supported=self._supported)
        digest = hashlib.sha256(content).hexdigest()
        path = self._pages_dir / digest[:2] / f"{digest}-{name}-{self._tags_key}.json"
        try:
            thinned = path.read_bytes()
        except OSError:
            pass
        else:
            try:
                return parse_json_page(thinned, page_url, name=name, index_url=index_url, supported=self._supported)
            except SpokeError:
                pass  # a damaged copy: parse the page itself (and write the copy again)
        kept: list[dict[str, object]] = []
        files = parse_json_page(content, page_url, name=name, index_url=index_url, supported=self._supported,
                                kept=kept)
        write_later(path, lambda: thinned_page(kept))  # a read-only cache only costs speed
        return files

    def _not_found(self, name: NormalizedName) -> PackageNotFoundError:
        if self.index_urls:
            where = "on " + ", ".join(redact(u) for u in self.index_urls)
            if self._find_links.locations:
                where += " or in the find-links locations"
        elif self._find_links.locations:
            where = "in the find-links locations (indexes are off: `--no-index`)"
        else:
            where = "anywhere: no index and no find-links location is configured"
        return PackageNotFoundError(
            f"No package named '{name}' {where}",
            hint=(
                "Check the spelling; if the package lives on another index, name it with "
                "`--index-url` or `--extra-index-url`"
            ),
        )


def _local_index_files(
    folder: Path, *, name: NormalizedName, index_url: str
) -> list[IndexFile] | None:
    """A ``file://`` index: ``<root>/<name>/index.html``, or the folder's archives."""
    page = folder / "index.html"
    if page.is_file():
        text = page.read_text(encoding="utf-8", errors="replace")
        page_url = folder.resolve().as_uri() + "/"
        return parse_html_page(text, page_url, name=name, index_url=index_url)
    if folder.is_dir():
        return [f for f in scan_folder(folder, index_url=index_url) if f.name == name]
    return None


def _unique(files: list[IndexFile]) -> list[IndexFile]:
    """``files`` without repeats of one URL (two indexes mirroring one file host)."""
    seen: set[str] = set()
    out: list[IndexFile] = []
    for file in files:
        if file.url not in seen:
            seen.add(file.url)
            out.append(file)
    return out


def _header(headers: object, name: str) -> str:
    """A response header, whatever mapping the client uses (case-insensitive or not)."""
    if headers is None:
        return ""
    getter = getattr(headers, "get", None)
    if getter is not None:
        for candidate in (name, name.title()):
            value = getter(candidate)
            if value is not None:
                return str(value)
    items = headers.items() if hasattr(headers, "items") else headers  # type: ignore[union-attr]
    for key, value in items:  # type: ignore[misc]
        if str(key).lower() == name:
            return str(value)
    return ""


def _charset(headers: object) -> str:
    """The ``charset`` parameter of the Content-Type, UTF-8 when absent or unknown."""
    import codecs

    for param in _header(headers, "content-type").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"')
            try:
                codecs.lookup(charset)
            except LookupError:
                break
            return charset
    return "utf-8"
