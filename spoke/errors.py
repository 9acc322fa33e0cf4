"""The one error hierarchy of spoke.

Every error a user can cause or meet derives from :class:`SpokeError`. An error carries
data — a one-line ``message`` naming the cause, an optional ``hint`` naming the fix,
optional ``notes`` with detail — and the CLI renders it as::

    error: <message>
      note: <note>
    hint: <hint>

with the error's ``exit_code`` (1, or 2 for usage errors) and no traceback unless ``-v``.
Layers below the CLI raise these and never print.
"""

from __future__ import annotations

import errno
import os


class SpokeError(Exception):
    """Base of every error spoke reports to a user."""

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        notes: tuple[str, ...] | list[str] = (),
        reference: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.notes = tuple(notes)
        self.reference = reference

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled whole, whatever the subclass's constructor takes (errors cross from the
        # process that downloads and unpacks wheels, see spoke.prepare.offload).
        return (_restore, (type(self), self.args, self.__dict__))


class UsageError(SpokeError):
    """The command line itself is wrong (unknown option, missing argument)."""

    exit_code = 2


class ConfigurationError(SpokeError):
    """A configuration file, environment variable or option value is invalid."""


class RequirementError(SpokeError):
    """A requirement string or requirements file cannot be parsed."""


class EnvironmentNotFound(SpokeError):
    """No target environment could be found (no venv, no ``--python``)."""


class InterpreterError(SpokeError):
    """The target interpreter cannot be run or inspected."""


class ExternallyManagedError(SpokeError):
    """The target is marked externally managed (PEP 668)."""


class NetworkError(SpokeError):
    """A request failed after every retry: connection refused, timeout, TLS, 5xx."""


class HTTPStatusError(NetworkError):
    """A server answered with an error status that retrying does not cure."""

    def __init__(self, message: str, *, status: int, url: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.status = status
        self.url = url


class AuditServiceError(SpokeError):
    """A vulnerability service could not be asked, or answered what spoke cannot read. Exit
    status 2, as pip-audit's: an audit that could not look never reads as "no vulnerabilities"
    (1) or as a clean audit (0)."""

    exit_code = 2


class VulnerableError(SpokeError):
    """``install --audit`` found a known vulnerability in a version it was about to install."""


class NotCachedError(NetworkError):
    """``--offline``, and something spoke needs is not in its cache: nothing was requested."""


def not_cached(subject: str, what: str, *, project: str | None = "") -> NotCachedError:
    """The error for ``--offline`` when ``what`` of ``subject`` is not in spoke's cache.

    ``subject`` is a project, or a project and version (``flask 3.0``); ``what`` says which
    piece is missing ("its page on … was never fetched"). The hint offers ``spoke download``
    for ``project`` (by default the subject's first word; ``None``: no project to name).
    """
    project = subject.split()[0] if project == "" else project
    elsewhere = f" (or `spoke download {project} -d DIR`, then add `--find-links DIR`)" if project else ""
    return NotCachedError(
        f"{subject} is not in spoke's cache: {what}",
        hint=f"run the command once without `--offline` to fill the cache{elsewhere}, then retry with `--offline`",
    )


class PackageNotFoundError(SpokeError):
    """No index knows the requested project."""


class NoMatchingDistribution(SpokeError):
    """The project exists but no version satisfies the request."""


class ResolutionImpossible(SpokeError):
    """The requirements contradict each other; ``message`` explains the chain of reasons."""


class HashMismatchError(SpokeError):
    """A downloaded file's digest differs from the one the index or user gave."""


class MetadataError(SpokeError):
    """A distribution's core metadata is missing, unreadable or inconsistent."""


class UnsafeArchiveError(SpokeError):
    """An archive would write outside its target, or is malformed in a way that could."""


class BuildRequiredError(SpokeError):
    """Only a source distribution fits, and this operation cannot build it."""


class InstallError(SpokeError):
    """Writing into or removing from the target environment failed."""


#: The ``errno`` values of a write refused for want of room: the disk is full (``ENOSPC``), a
#: quota is used up (``EDQUOT``), the file outgrew a size limit (``EFBIG``: ``ulimit -f``, or
#: what the file system holds).
DISK_FULL_ERRNOS = frozenset(
    code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EFBIG) if code is not None
)

_ELSEWHERE = (
    "choose a folder on another disk (`-d`/`--dest` for download and wheel, `--cache-dir` for "
    "spoke's cache)"
)


class WriteError(SpokeError):
    """A file could not be written (its folder is ``folder``): the disk refused it, or the
    folder cannot be written to. Made from the ``OSError`` by :func:`write_error`."""

    def __init__(self, message: str, *, folder: str | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.folder = folder


class DiskFullError(WriteError):
    """A write refused for want of room (one of :data:`DISK_FULL_ERRNOS`)."""


def write_error(exc: OSError, folder: str | os.PathLike[str] | None, name: str | None = None) -> WriteError:
    """The error for ``exc``, raised while writing ``name`` (a file name, optional) into
    ``folder``: a :class:`DiskFullError` naming the cause and the fix when the disk refused
    for want of room, else a :class:`WriteError` with the system's reason."""
    what = f"Could not write {name or 'a file'}"
    if folder is not None:
        what = f"{what} into `{folder}`" if name else f"Could not write into `{folder}`"
    shown = os.fspath(folder) if folder is not None else None
    if exc.errno == errno.ENOSPC:
        return DiskFullError(
            f"{what}: no space left on the device (the disk is full)",
            hint=f"Free some disk space, or {_ELSEWHERE}.", folder=shown,
        )
    if exc.errno == getattr(errno, "EDQUOT", None):
        return DiskFullError(
            f"{what}: the disk quota is exceeded",
            hint=f"Free some space within your quota (or have it raised), or {_ELSEWHERE}.",
            folder=shown,
        )
    if exc.errno == errno.EFBIG:
        return DiskFullError(
            f"{what}: the file is too large (beyond the file-size limit or what the file system holds)",
            hint=f"Raise the file-size limit (`ulimit -f`), or {_ELSEWHERE}.", folder=shown,
        )
    return WriteError(
        f"{what}: {exc.strerror or exc}",
        hint=f"Check that the folder exists and can be written to, or {_ELSEWHERE}.", folder=shown,
    )


class UninstallError(SpokeError):
    """A distribution cannot be removed (no RECORD, outside the environment, ...)."""


class VenvError(SpokeError):
    """A virtual environment cannot be created."""


class BuildError(SpokeError):
    """A PEP 517 build of a source tree failed, or its build configuration is invalid.

    ``label`` names what was built (the sdist's file name or the project folder), ``hook``
    the backend hook that failed (``build_wheel``...) when one ran; ``notes`` hold the last
    lines of the backend's output.
    """

    def __init__(
        self,
        message: str,
        *,
        label: str | None = None,
        hook: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.label = label
        self.hook = hook


class EditableUnsupported(BuildError):
    """The build backend has no PEP 660 ``build_editable`` hook (setuptools before 64...).

    ``has_setup_py`` tells the caller whether the legacy ``setup.py develop`` style fallback
    is possible at all.
    """

    def __init__(self, message: str, *, backend: str, has_setup_py: bool, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.backend = backend
        self.has_setup_py = has_setup_py


class PublishError(SpokeError):
    """An upload to a package repository failed, or could not start (credentials, checks)."""


class VcsError(SpokeError):
    """A VCS requirement URL is malformed, or its repository cannot be checked out (git
    missing, repository unreachable, no such revision, no such subdirectory)."""


def _restore(cls: type[SpokeError], args: tuple[object, ...], state: dict[str, object]) -> SpokeError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error
