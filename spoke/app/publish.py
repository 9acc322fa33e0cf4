"""``spoke publish [DIST…]``: upload distributions to a package repository, as ``twine upload``.

The steps, in order, so that a failure costs as little as it can:

1. the files: those named (folders expanded), else ``dist/``; their PEP 740 attestations
   (``NAME.publish.attestation`` beside them) go with them;
2. the checks of ``spoke check DIST`` (:mod:`spoke.app.distcheck`): one failing file and nothing
   is uploaded (``--no-check`` skips them; the metadata is read either way);
3. the repository: ``--repository-url``, else the ``--repository`` section of ``.pypirc``
   (default ``pypi``) — :mod:`spoke.config.pypirc`;
4. the credentials, first found wins (twine's order): the command line and ``TWINE_*`` /
   ``SPOKE_PUBLISH_*`` variables, ``.pypirc``, the URL's ``user:password@``, keyring (service:
   the repository URL, as twine), trusted publishing (GitHub Actions' OIDC identity exchanged
   for a token, :mod:`spoke.index.oidc`), a prompt on a terminal. PyPI and TestPyPI take API
   tokens: their user name defaults to ``__token__``;
5. one upload per file (:mod:`spoke.index.upload`), in order. ``--skip-existing`` first asks
   the repository's simple page and also accepts its "already exists" refusal. A failure stops
   the run with an error that names what was uploaded and what was not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from spoke.app.context import Context
from spoke.app.requests import PublishRequest
from spoke.config.pypirc import Repository, read_pypirc
from spoke.errors import ConfigurationError, PublishError, SpokeError, UsageError
from spoke.index.upload import Upload
from spoke.net.auth import Credentials
from spoke.net.redact import redact_url
from spoke.net.settings import Response

TOKEN_USER = "__token__"
_WAREHOUSES = {"upload.pypi.org": "https://pypi.org", "test.pypi.org": "https://test.pypi.org"}
_TOKEN_PAGES = {"upload.pypi.org": "https://pypi.org/manage/account/token/",
                "test.pypi.org": "https://test.pypi.org/manage/account/token/"}

#: Asks the user for a value: ``prompt(label, secret)``; only called on a terminal.
Prompt = Callable[[str, bool], str]
#: Told of each file as its turn comes: ``event(what, path)``, ``what`` one of ``"upload"``,
#: ``"skip"`` (the repository has it) and ``"would-upload"`` (``--dry-run``).
FileEvent = Callable[[str, Path], None]


@dataclass(slots=True, kw_only=True)
class PublishOutcome:
    """What a publish did: the files uploaded, skipped (already there) and the pages to view."""

    repository_url: str
    uploaded: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    would_upload: list[Path] = field(default_factory=list)
    release_pages: list[str] = field(default_factory=list)


def distributions(paths: tuple[Path, ...]) -> list[Path]:
    """The files to upload: those named, each folder's distributions; ``dist/`` by default."""
    from spoke.app.distcheck import distribution_files

    named = paths or (Path("dist"),)
    for path in named:
        if not path.exists():
            raise UsageError(f"`{path}` does not exist",
                             hint="Build the distributions first (`spoke build`), or name existing files.")
    files = [p for p in distribution_files(named) if not p.name.endswith((".asc", ".attestation"))]
    if not files:
        shown = ", ".join(str(p) for p in named)
        raise UsageError(f"No distribution files in {shown}",
                         hint="Build them first (`spoke build`), or name .whl/.tar.gz files.")
    return files


def repository_for(request: PublishRequest, home: Path) -> Repository:
    """The repository to upload to, with what ``.pypirc`` (and the URL) say of its credentials."""
    config_file = request.config_file or home / ".pypirc"
    if request.config_file is not None and not request.config_file.is_file():
        raise ConfigurationError(f"The configuration file {request.config_file} does not exist",
                                 hint="Name an existing .pypirc file with --config-file.")
    repositories = read_pypirc(config_file)
    if request.repository_url:
        url = request.repository_url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"`{redact_url(url)}` is not an http(s) URL of a repository",
                             hint="Give the repository's upload URL, e.g. https://upload.pypi.org/legacy/.")
        clean = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, ""))
        # A .pypirc section for the same URL lends its credentials and certificates.
        known = next((r for r in repositories.values() if r.url and r.url.rstrip("/") == clean.rstrip("/")), None)
        found = known or Repository(name="")
        if parts.username is not None:
            found = replace(found, username=unquote(parts.username),
                            password=unquote(parts.password) if parts.password is not None else found.password)
        return replace(found, url=clean)
    name = request.repository or "pypi"
    named = repositories.get(name)
    if named is None:
        raise ConfigurationError(
            f"There is no repository named `{name}` in {config_file}",
            hint=f"Add a [{name}] section with `repository = URL` (and list it in [distutils] index-servers), "
                 "or give the URL with --repository-url.",
        )
    if not named.url:
        raise ConfigurationError(f"The [{name}] section of {config_file} has no `repository = URL`",
                                 hint="Add the repository's upload URL to that section.")
    return named


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_warehouse(url: str) -> bool:
    """Whether ``url`` is PyPI's or TestPyPI's upload URL (API tokens only, user ``__token__``)."""
    return _host(url) in _WAREHOUSES


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishPlan:
    """The checked files, ready to send, and where to: :func:`prepare_publish`'s answer."""

    repository: Repository
    uploads: tuple[Upload, ...]

    @property
    def url(self) -> str:
        """The repository's upload URL."""
        return self.repository.url or ""


def prepare_publish(ctx: Context, request: PublishRequest, *, home: Path | None = None) -> PublishPlan:
    """The files, checked (a :class:`~spoke.errors.PublishError` names every failing one and
    nothing is uploaded), and the repository they go to."""
    from spoke.app.distcheck import check_file
    from spoke.index.upload import attestations_of, prepare_upload

    files = distributions(request.paths)
    repository = repository_for(request, home or Path.home())
    if repository.ca_cert and not ctx.index_settings.cert:
        ctx.index_settings = replace(ctx.index_settings, cert=repository.ca_cert)
    if repository.client_cert and not ctx.index_settings.client_cert:
        ctx.index_settings = replace(ctx.index_settings, client_cert=repository.client_cert)
    uploads: list[Upload] = []
    failed: list[str] = []
    for path in files:
        report = check_file(path, allow_private=request.allow_private)
        if request.check and not report.ok:
            failed += [f"{path.name}: {error}" for error in report.errors]
        elif report.metadata is None:
            failed += [f"{path.name}: {error}" for error in report.errors or ("has no readable core metadata",)]
        else:
            for warning in report.warnings if request.check else ():
                ctx.reporter.warning(f"{path.name}: {warning}")
            uploads.append(prepare_upload(path, report.metadata, attestations_of(path)))
    if failed:
        raise PublishError(
            "Some files fail the checks PyPI applies; nothing was uploaded",
            notes=failed,
            hint="Fix what is named and build again (`spoke check DIST` shows the same), or pass "
                 "--no-check to upload anyway.",
        )
    return PublishPlan(repository=repository, uploads=tuple(uploads))


def publish(ctx: Context, request: PublishRequest, plan: PublishPlan, *, on_file: FileEvent,
            prompt: Prompt | None = None) -> PublishOutcome:
    """Upload each file of ``plan`` in turn; a :class:`~spoke.errors.PublishError` stops at the
    first that fails, naming what was uploaded and what was not."""
    url = plan.url
    outcome = PublishOutcome(repository_url=url)
    credentials = _credentials(ctx, request, plan.repository, prompt)
    for upload in plan.uploads:
        _publish_one(ctx, request, url, upload, credentials, outcome, on_file)
    root = _WAREHOUSES.get(_host(url))
    if root is not None:
        outcome.release_pages = list(dict.fromkeys(
            f"{root}/project/{u.name}/{u.version}/" for u in plan.uploads if u.path in outcome.uploaded))
    return outcome


def _publish_one(ctx: Context, request: PublishRequest, url: str, upload: Upload, credentials: Credentials | None,
                 outcome: PublishOutcome, on_file: FileEvent) -> None:
    from spoke.index.upload import already_uploaded, says_already_exists, send_upload

    if request.skip_existing and already_uploaded(ctx.http, url, upload, credentials):
        on_file("skip", upload.path)
        outcome.skipped.append(upload.path)
        return
    if request.dry_run:
        on_file("would-upload", upload.path)
        outcome.would_upload.append(upload.path)
        return
    on_file("upload", upload.path)
    try:
        answer = send_upload(ctx.http, url, upload, credentials)
    except SpokeError as exc:
        raise _stopped(exc, upload.path, outcome) from None
    if 200 <= answer.status < 300:
        outcome.uploaded.append(upload.path)
        return
    if request.skip_existing and says_already_exists(answer):
        on_file("skip", upload.path)
        outcome.skipped.append(upload.path)
        return
    raise _stopped(_refusal(answer, url, upload, credentials), upload.path, outcome)


def _refusal(answer: Response, url: str, upload: Upload, credentials: Credentials | None) -> PublishError:
    """The error for an upload the repository did not take, by its status."""
    from spoke.index.upload import says_already_exists, server_reason

    where = redact_url(url)
    reason = server_reason(answer)
    status = answer.status
    if 300 <= status < 400:
        location = answer.headers.get("Location", "")
        return PublishError(
            f"{where} redirected the upload of {upload.filename} to {redact_url(location) or 'somewhere else'}",
            hint=f"Upload to the URL it names: --repository-url {redact_url(location)} (an upload that follows a "
                 "redirect loses its file, so spoke does not follow one)." if location else
                 "Check the repository URL: it must be the upload URL, not the index's.",
        )
    if status == 401 or (status == 403 and credentials is None):
        return PublishError(
            f"{where} wants credentials to accept {upload.filename}" if credentials is None else
            f"{where} did not accept the credentials for {upload.filename}",
            hint="Give them with -u/-p, TWINE_USERNAME/TWINE_PASSWORD, a .pypirc section or keyring.",
        )
    if status == 403:
        token_page = _TOKEN_PAGES.get(_host(url))
        if token_page is not None or (credentials is not None and credentials.username == TOKEN_USER):
            return PublishError(
                f"{where} refused the token for {upload.filename} (403): it is wrong, expired, or not scoped "
                f"to project `{upload.name}`",
                notes=[reason] if reason else [],
                hint=f"Make an API token for this project at {token_page or 'the repository'} and pass it "
                     "with -p or TWINE_PASSWORD (user name `__token__`).",
            )
        return PublishError(
            f"{where} refused the credentials of `{credentials.username if credentials else ''}` for "
            f"{upload.filename} (403): a wrong password, or no permission to upload `{upload.name}`",
            notes=[reason] if reason else [],
            hint="Check the password, and that the user may upload this project.",
        )
    if says_already_exists(answer):
        return PublishError(f"{where} already has {upload.filename} ({status})",
                            notes=[reason] if reason else [],
                            hint="Build a new version, or pass --skip-existing to skip files already uploaded.")
    if status == 400:
        return PublishError(f"{where} refused {upload.filename}: {reason or 'bad request (400)'}",
                            hint="Fix what the repository names, build again and retry.")
    return PublishError(f"{where} answered {status} to the upload of {upload.filename}"
                        + (f": {reason}" if reason else ""),
                        hint="Retry later; if it persists, ask the repository's administrators.")


def _stopped(exc: SpokeError, failed: Path, outcome: PublishOutcome) -> PublishError:
    """``exc`` with notes naming what was uploaded before it and what was not."""
    notes = list(exc.notes)
    if outcome.uploaded:
        notes.append("uploaded: " + ", ".join(p.name for p in outcome.uploaded))
    if outcome.skipped:
        notes.append("skipped (already there): " + ", ".join(p.name for p in outcome.skipped))
    notes.append(f"not uploaded: {failed.name} and every file after it")
    return PublishError(exc.message, hint=exc.hint, notes=notes)


def _credentials(ctx: Context, request: PublishRequest, repository: Repository,
                 prompt: Prompt | None) -> Credentials | None:
    """The user name and password for the upload, first found wins (see the module's text)."""
    from spoke.index import oidc
    from spoke.net.auth import ask_keyring

    url = repository.url or ""
    warehouse = is_warehouse(url)
    mode = request.trusted_publishing
    if mode == "always":
        return Credentials(username=TOKEN_USER, password=_mint(ctx, url))
    username = request.username or repository.username or (TOKEN_USER if warehouse else None)
    password = request.password or repository.password
    if password is None:
        found = ask_keyring(url, username)
        if found is not None:
            username, password = username or found.username, found.password
    if password is None and mode == "auto" and oidc.available(ctx.environ) and username in (None, TOKEN_USER):
        if request.dry_run:
            ctx.reporter.warning("--dry-run: trusted publishing would mint an upload token here")
            return None
        try:
            return Credentials(username=TOKEN_USER, password=_mint(ctx, url))
        except PublishError as exc:
            if warehouse:
                raise
            ctx.reporter.warning(f"trusted publishing is not possible here: {exc.message}")
    interactive = request.interactive and prompt is not None and not request.dry_run
    if username is None and password is None and not interactive:
        return None  # an anonymous upload: the repository says whether it takes one
    if username is None:
        if not interactive:
            raise PublishError(f"No user name for {redact_url(url)}",
                               hint="Give it with -u, TWINE_USERNAME or a .pypirc section.")
        assert prompt is not None
        username = prompt("Enter your username: ", False)
    if password is None:
        what = "API token" if username == TOKEN_USER else "password"
        if not interactive:
            if request.dry_run:
                return Credentials(username=username, password="")
            raise PublishError(
                f"No {what} for {redact_url(url)}",
                hint="Give it with -p, TWINE_PASSWORD, a .pypirc section or keyring"
                     + (", or use trusted publishing from CI" if warehouse else "") + ".",
            )
        assert prompt is not None
        password = prompt(f"Enter your {what}: ", True)
    return Credentials(username=username, password=password)


def _mint(ctx: Context, url: str) -> str:
    from spoke.index import oidc

    token = oidc.mint_token(ctx.http, url, ctx.environ)
    ctx.reporter.debug("minted an upload token by trusted publishing")
    return token
