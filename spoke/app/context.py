"""One :class:`Context` per command: settings and the services built from them, lazily.

Nothing is built before it is needed: an install that the installed set already satisfies
never creates an HTTP client, never opens a connection and never starts a thread pool.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from spoke.cache import Cache
from spoke.config.options import DEFAULT_INDEX_URL
from spoke.net.settings import DEFAULT_RETRIES, DEFAULT_TIMEOUT
from spoke.protocols import NullReporter, Reporter

if TYPE_CHECKING:
    from spoke.index.client import IndexClient
    from spoke.metadata import MetadataFetcher
    from spoke.models import Interpreter
    from spoke.net.client import HttpClient
    from spoke.net.settings import NetSettings
    from spoke.prepare.offload import Setup
    from spoke.prepare.preparer import Preparer

#: PyPI's Simple API (declared once, in spoke.config.options), as the index client joins it.
DEFAULT_INDEX = DEFAULT_INDEX_URL + "/"


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexSettings:
    """Where packages come from and how to reach them."""

    index_url: str = DEFAULT_INDEX
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    strategy: str = "first-index"
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    cert: str | None = None
    client_cert: str | None = None
    trusted_hosts: tuple[str, ...] = ()
    proxy: str | None = None
    proxy_env: tuple[tuple[str, str], ...] = ()
    netrc: str | None = None
    #: ``--offline``: no request at all; index pages, metadata and wheels come from the cache
    #: whatever their age, and what it lacks is an error (:class:`~spoke.errors.NotCachedError`).
    offline: bool = False
    system_certs_only: bool = False  # --use-system-certs / --use-feature truststore
    #: ``--exclude-newer`` / ``--uploaded-prior-to``: only index files uploaded before this
    #: (aware, UTC) time count (:mod:`spoke.config.cutoff`, :class:`~spoke.index.client.IndexClient`).
    exclude_newer: datetime | None = None

    @property
    def index_urls(self) -> tuple[str, ...]:
        """Every index, primary first; none with ``--no-index``."""
        if self.no_index:
            return ()
        return (self.index_url, *self.extra_index_urls)


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetSettings:
    """Which interpreter and which install scheme to act on."""

    python: str | None = None
    virtual_env: str | None = None
    system: bool = False
    break_system_packages: bool = False
    cwd: Path = field(default_factory=Path.cwd)
    path_env: str = ""
    user: bool = False
    prefix: Path | None = None
    target: Path | None = None
    root: Path | None = None

    @property
    def elsewhere(self) -> bool:
        """True when the install goes somewhere of its own (``--user``, ``--target``,
        ``--prefix``, ``--root``): then, as with ``--system``, the interpreter on ``PATH`` is
        acceptable when no virtual environment is found (pip uses the one it runs on)."""
        return self.user or self.target is not None or self.prefix is not None or self.root is not None


def _command_line() -> str:
    """``spoke install …`` as typed (credentials in URLs redacted)."""
    import sys

    from spoke.net.redact import redact_url

    return " ".join(["spoke", *(redact_url(a) if "@" in a else a for a in sys.argv[1:])])


class Context:
    """Settings plus lazily built services for one command."""

    def __init__(
        self,
        *,
        index: IndexSettings,
        target: TargetSettings,
        cache_dir: Path | None,
        no_cache: bool = False,
        reporter: Reporter | None = None,
        environ: Mapping[str, str] | None = None,
        workers: int = 16,
        parent: Context | None = None,
        build_stack: tuple[str, ...] = (),
        any_platform: bool = False,
    ) -> None:
        self.index_settings = index
        self.target_settings = target
        self.reporter: Reporter = reporter or NullReporter()
        self.environ = dict(environ or {})
        # A build environment's context (see for_build_env) uses its parent's services.
        self._parent = parent
        #: The builds under way around this command, outermost first (a cycle is an error).
        self.build_stack = build_stack
        # Resolving for another environment (--platform…): index pages keep every platform's
        # wheels instead of only those the target interpreter can use.
        self._any_platform = any_platform
        self._cache_dir = cache_dir
        self._no_cache = no_cache
        self._workers = workers

    def for_build_env(self, python: Path, *, build_stack: tuple[str, ...]) -> Context:
        """A context installing into the build environment of ``python``: its own target, and
        this context's cache, HTTP client, index and metadata clients, pools and offload
        process (a build environment never starts its own). Closing it closes nothing shared."""
        t = self.target_settings
        return Context(
            index=self.index_settings,
            target=TargetSettings(python=str(python), cwd=t.cwd, path_env=t.path_env),
            cache_dir=None, environ=self.environ, reporter=self.reporter,
            parent=self._root(), build_stack=build_stack,
        )

    def _root(self) -> Context:
        return self._parent._root() if self._parent is not None else self

    @cached_property
    def command_line(self) -> str:
        """This command as typed (recorded in the environment's history)."""
        return _command_line()

    # -- local services ----------------------------------------------------------------------

    @cached_property
    def cache(self) -> Cache:
        """The cache (a temporary one with ``--no-cache-dir``)."""
        if self._parent is not None:
            return self._parent.cache
        return Cache.open(self._cache_dir, disabled=self._no_cache)

    @cached_property
    def executor(self) -> ThreadPoolExecutor:
        """Worker threads for index pages, metadata and other short jobs."""
        if self._parent is not None:
            return self._parent.executor
        return ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="spoke")

    @cached_property
    def preparer(self) -> Preparer:
        """The prepare stage's scheduler: pools, the offload process, early jobs
        (:class:`spoke.prepare.preparer.Preparer`)."""
        if self._parent is not None:
            return self._parent.preparer
        from spoke.prepare.preparer import Preparer

        return Preparer(cache=self.cache, http=lambda: self.http, reporter=self.reporter,
                        setup=self._offload_setup)

    def start_inspecting(self) -> None:
        """Find the target interpreter and start probing it in the background (see
        :func:`spoke.env.interpreter.start_probe`); errors are left for :attr:`interpreter`."""
        from spoke.env.interpreter import start_probe
        from spoke.errors import SpokeError

        try:
            exe = self._find_executable()
        except SpokeError:
            return
        start_probe(exe, cache=self.cache)

    def _find_executable(self) -> Path:
        from spoke.env.discovery import find_interpreter

        t = self.target_settings
        return find_interpreter(
            python=t.python, virtual_env=t.virtual_env, cwd=t.cwd, system=t.system or t.elsewhere,
            path_env=t.path_env,
        )

    @cached_property
    def interpreter(self) -> Interpreter:
        """The target :class:`~spoke.models.Interpreter`, inspected once and cached."""
        from spoke.env.discovery import check_version_request
        from spoke.env.interpreter import inspect_interpreter

        t = self.target_settings
        exe = self._find_executable()
        interp = inspect_interpreter(exe, cache=self.cache)
        check_version_request(interp, t.python)
        return interp

    # -- network services --------------------------------------------------------------------

    @cached_property
    def http(self) -> HttpClient:
        """The HTTP client."""
        if self._parent is not None:
            return self._parent.http
        from spoke.net.auth import UrlAndNetrcAuth
        from spoke.net.client import HttpClient

        settings, netrc, auth_urls = self._net_setup()
        auth = UrlAndNetrcAuth(netrc, auth_urls)
        return HttpClient(settings, cache_dir=self.cache.bucket("http"), reporter=self.reporter, auth=auth)

    def _net_setup(self) -> tuple[NetSettings, Path | None, tuple[str, ...]]:
        """The network settings, the ``.netrc`` file (if any) and the URLs carrying credentials."""
        from spoke.net.client import NetSettings

        s = self.index_settings
        settings = NetSettings(
            timeout=s.timeout, retries=s.retries, cert=s.cert, client_cert=s.client_cert,
            trusted_hosts=s.trusted_hosts, proxy=s.proxy, proxy_env=s.proxy_env, offline=s.offline,
            system_certs_only=s.system_certs_only,
        )
        netrc = Path(s.netrc) if s.netrc else Path(os.path.expanduser("~/.netrc"))
        return settings, netrc if netrc.exists() else None, (*s.index_urls, *s.find_links)

    @cached_property
    def index(self) -> IndexClient:
        """The index client (indexes and find-links, with the multi-index policy)."""
        if self._parent is not None:
            return self._parent.index
        from spoke.index.client import IndexClient

        s = self.index_settings
        # When the target is known, the client skips other platforms' wheels while parsing.
        known = "interpreter" in self.__dict__ and not self._any_platform
        tags = frozenset(self.interpreter.tags) if known else None
        return IndexClient(
            self.http, index_urls=list(s.index_urls), find_links=list(s.find_links),
            no_index=s.no_index, strategy=s.strategy, executor=self.executor,
            reporter=self.reporter, supported_tags=tags,
            pages_dir=None if self.cache.temporary else self.cache.bucket("pages"),
            exclude_newer=s.exclude_newer,
        )

    @cached_property
    def metadata(self) -> MetadataFetcher:
        """The metadata fetcher (PEP 658, range reads, whole wheels; cached by hash)."""
        if self._parent is not None:
            return self._parent.metadata
        from spoke.metadata import MetadataFetcher

        return MetadataFetcher(
            self.http, cache=self.cache, executor=self.executor, reporter=self.reporter, wheels=self.preparer,
        )

    def _offload_setup(self) -> Setup:
        """What the offload process needs to work as this process would (:mod:`spoke.prepare.offload`)."""
        from spoke.prepare.offload import Setup

        settings, netrc, auth_urls = self._net_setup()
        return Setup(
            settings=settings, netrc=netrc, auth_urls=auth_urls, cache_root=self.cache.root,
            http_cache=self.cache.bucket("http"), progress=getattr(self.reporter, "draws_progress", True),
        )

    def close(self) -> None:
        """Release threads, connections and a temporary cache (a build environment's context
        releases nothing: its services are its parent's)."""
        if self._parent is not None:
            return
        if "preparer" in self.__dict__:
            self.preparer.close()
        if "executor" in self.__dict__:
            self.executor.shutdown(wait=True, cancel_futures=True)
        if "http" in self.__dict__:
            self.http.close()
        if "cache" in self.__dict__:
            self.cache.close()
