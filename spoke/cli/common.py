"""What every command shares: turning settings into a :class:`~spoke.app.context.Context`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

from spoke.app.context import DEFAULT_INDEX, Context, IndexSettings, TargetSettings
from spoke.cli.render import CliReporter, Printer
from spoke.net.settings import DEFAULT_RETRIES, DEFAULT_TIMEOUT


def index_settings(settings: Any, extra: Any = None) -> IndexSettings:
    """Index and network settings, with a requirements file's option lines folded in."""
    index_url = settings.get("index_url", None) or DEFAULT_INDEX
    extra_urls = tuple(settings.get("extra_index_urls", None) or ())
    find_links = tuple(settings.get("find_links", None) or ())
    no_index = bool(settings.get("no_index", None))
    trusted = tuple(settings.get("trusted_hosts", None) or ())
    if extra is not None:
        # pip: an --index-url in a requirements file applies unless the command line set one.
        if extra.index_url and settings.source("index_url") in ("default", None):
            index_url = extra.index_url
        extra_urls += tuple(u for u in extra.extra_index_urls if u not in extra_urls)
        find_links += tuple(u for u in extra.find_links if u not in find_links)
        no_index = no_index or extra.no_index
        trusted += tuple(extra.trusted_hosts)
    return IndexSettings(
        index_url=index_url,
        extra_index_urls=extra_urls,
        find_links=find_links,
        no_index=no_index,
        strategy=settings.get("index_strategy", None) or "first-index",
        timeout=float(settings.get("timeout", None) or DEFAULT_TIMEOUT),
        retries=int(settings.get("retries", None) if settings.get("retries", None) is not None else DEFAULT_RETRIES),
        cert=settings.get("cert", None) or _env(settings, "requests_ca_bundle") or _env(settings, "ssl_cert_file"),
        client_cert=settings.get("client_cert", None),
        trusted_hosts=trusted,
        proxy=settings.get("proxy", None),
        proxy_env=tuple(
            (name, value) for name in ("https_proxy", "http_proxy", "all_proxy", "no_proxy")
            if (value := _env(settings, name))
        ),
        netrc=_env(settings, "netrc"),
        offline=bool(settings.get("offline", None)),
        exclude_newer=upload_cutoff(settings),
        system_certs_only=bool(settings.get("use_system_certs", None))
        or "truststore" in (settings.get("use_features", None) or ()),
    )


def upload_cutoff(settings: Any, *, now: datetime | None = None, local: tzinfo | None = None) -> datetime | None:
    """The upload cut-off of ``--exclude-newer`` / ``--uploaded-prior-to`` (the earlier of the
    two when both are set), as an aware UTC time; ``None`` when neither is.

    A malformed value is a :class:`~spoke.errors.UsageError` when typed on the command line
    (as any bad option value), a :class:`~spoke.errors.ConfigurationError` naming the file or
    variable otherwise.
    """
    from spoke.config.cutoff import ACCEPTED_FORMS, parse_cutoff
    from spoke.errors import ConfigurationError, UsageError

    now = now or datetime.now(timezone.utc)
    local = local or now.astimezone().tzinfo or timezone.utc
    found: list[datetime] = []
    for dest, flag, date_means in (("exclude_newer", "--exclude-newer", "end"),
                                   ("uploaded_prior_to", "--uploaded-prior-to", "start")):
        text = settings.get(dest, None)
        if not text:
            continue
        try:
            found.append(parse_cutoff(text, now=now, local=local, date_means=date_means))  # type: ignore[arg-type]
        except ValueError as exc:
            source = settings.source(dest)
            if source == "command line":
                raise UsageError(f"invalid value for `{flag}`: {exc}",
                                 hint=f"`{flag}` takes {ACCEPTED_FORMS}") from None
            raise ConfigurationError(f"invalid value {text!r} for `{flag[2:]}` in {source}: {exc}",
                                     hint=f"`{flag[2:]}` takes {ACCEPTED_FORMS}") from None
    return min(found) if found else None


def _env(settings: Any, name: str) -> Any:
    """A fact from the environment, as the configuration layer read it."""
    facts = getattr(settings, "environment", None)
    return getattr(facts, name, None) if facts is not None else None


def target_settings(settings: Any, environ: Mapping[str, str], *, python: str | None = None) -> TargetSettings:
    """Which interpreter and scheme the command acts on."""
    target = settings.get("target", None)
    prefix = settings.get("prefix", None)
    root = settings.get("root", None)
    return TargetSettings(
        python=python if python is not None else settings.get("python", None),
        virtual_env=environ.get("VIRTUAL_ENV") or None,
        system=bool(settings.get("system", None)),
        break_system_packages=bool(settings.get("break_system_packages", None)),
        cwd=Path.cwd(),
        path_env=environ.get("PATH", os.defpath),
        user=bool(settings.get("user", None)),
        prefix=Path(prefix).absolute() if prefix else None,
        target=Path(target).absolute() if target else None,
        root=Path(root).absolute() if root else None,
    )


def make_context(
    settings: Any, printer: Printer, environ: Mapping[str, str], *, extra: Any = None,
    read_only: bool = False, any_platform: bool = False, python: str | None = None,
) -> tuple[Context, CliReporter]:
    """A context for one command, with a reporter drawing on ``printer``.

    ``read_only`` commands (list, show, freeze…) may look at a system interpreter without
    ``--system``: with no virtual environment found they inspect ``python3`` on PATH, as pip
    inspects the interpreter it runs on. ``python`` names the target instead of ``--python``
    (``spoke self update``: spoke's own interpreter).
    """
    from dataclasses import replace

    reporter = CliReporter(printer)
    cache_dir = settings.get("cache_dir", None)
    target = target_settings(settings, environ, python=python)
    if read_only:
        target = replace(target, system=True)
    ctx = Context(
        index=index_settings(settings, extra),
        target=target,
        cache_dir=Path(cache_dir).expanduser() if cache_dir else None,
        no_cache=bool(settings.get("no_cache_dir", None)),
        reporter=reporter,
        environ=environ,
        any_platform=any_platform,
    )
    return ctx, reporter
