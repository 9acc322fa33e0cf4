"""The seams between layers: observers and injectable sources of I/O."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


class Reporter(Protocol):
    """Observes long work. The CLI turns events into progress bars; tests record them.

    Every method is optional work for the implementer: :class:`NullReporter` does nothing.
    Methods may be called from worker threads.
    """

    def phase(self, name: str, detail: str = "") -> None:
        """A phase begins (``"resolve"``, ``"download"``, ``"install"``...)."""

    def phase_done(self, name: str, summary: str) -> None:
        """A phase ended; ``summary`` is a short line such as ``Resolved 12 packages in 0.3s``."""

    def download_start(self, name: str, total: int | None) -> None:
        """A file download began; ``total`` is its size in bytes when known."""

    def download_progress(self, name: str, nbytes: int) -> None:
        """``nbytes`` more bytes of ``name`` arrived."""

    def download_done(self, name: str) -> None:
        """The download of ``name`` finished (successfully or not)."""

    def build_output(self, label: str, line: str) -> None:
        """A line the build backend printed while building ``label`` (shown as it works)."""

    def build_done(self, label: str) -> None:
        """The build of ``label`` ended (successfully or not)."""

    def warning(self, message: str) -> None:
        """Something the user should know, that does not stop the work."""

    def debug(self, message: str) -> None:
        """Detail shown only with ``-v``."""


class NullReporter:
    """A reporter that ignores every event."""

    def phase(self, name: str, detail: str = "") -> None:
        pass

    def phase_done(self, name: str, summary: str) -> None:
        pass

    def download_start(self, name: str, total: int | None) -> None:
        pass

    def download_progress(self, name: str, nbytes: int) -> None:
        pass

    def download_done(self, name: str) -> None:
        pass

    def build_output(self, label: str, line: str) -> None:
        pass

    def build_done(self, label: str) -> None:
        pass

    def warning(self, message: str) -> None:
        pass

    def debug(self, message: str) -> None:
        pass


class RecordingReporter(NullReporter):
    """A reporter that keeps every event as a tuple, for tests."""

    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def phase(self, name: str, detail: str = "") -> None:
        self.events.append(("phase", name, detail))

    def phase_done(self, name: str, summary: str) -> None:
        self.events.append(("phase_done", name, summary))

    def download_start(self, name: str, total: int | None) -> None:
        self.events.append(("download_start", name))

    def download_done(self, name: str) -> None:
        self.events.append(("download_done", name))

    def warning(self, message: str) -> None:
        self.events.append(("warning", message))


class BuildContext(Protocol):
    """What building a source needs from the layers above it: an environment filled by
    spoke's own resolver and installer (the resolve ↔ build cycle of DESIGN.md, through
    one seam implemented once, in :mod:`spoke.app.install`)."""

    def install_build_requirements(
        self, python: Path, requirements: Sequence[str], *, label: str, stack: tuple[str, ...],
    ) -> None:
        """Install ``requirements`` (PEP 508 strings) into the environment of ``python``.

        ``label`` names whose build needs them (for messages); ``stack`` is the chain of
        builds under way, outermost first (a build inside a build environment carries it on,
        so a cycle is found). Raises :class:`~spoke.errors.BuildError` saying whose build
        needed what, and why it could not be had.
        """
