"""Everything spoke shows a person: messages, changes, errors, progress.

The only module family that writes to the terminal. Human output goes to stderr (as uv does),
so stdout stays clean for what a machine reads (``--report -``, JSON, freeze lines).
Colour and progress bars appear only on a terminal, never when piped or with ``NO_COLOR``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from spoke.errors import SpokeError


class Printer:
    """Writes human messages honouring ``-q``/``-v`` and colour settings."""

    def __init__(
        self, *, verbosity: int = 0, color: bool | None = None, err: IO[str] | None = None,
        out: IO[str] | None = None, environ: Mapping[str, str] | None = None, progress: str = "on",
    ) -> None:
        self.verbosity = verbosity
        self.progress = progress  # --progress-bar: on (a bar on a terminal), off, raw
        self.err = err or sys.stderr
        self.out = out or sys.stdout
        env = environ or {}
        if color is None:
            if env.get("NO_COLOR"):
                color = False
            elif env.get("FORCE_COLOR"):
                color = True
            else:
                color = hasattr(self.err, "isatty") and self.err.isatty()
        self.color = color
        self._lock = threading.Lock()

    @property
    def interactive(self) -> bool:
        """True when stderr is a terminal and output is not quieted."""
        return self.verbosity >= 0 and hasattr(self.err, "isatty") and self.err.isatty()

    def _style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def info(self, message: str) -> None:
        """A normal message (hidden by ``-q``)."""
        if self.verbosity >= 0:
            with self._lock:
                print(message, file=self.err, flush=True)

    def detail(self, message: str) -> None:
        """A message shown only with ``-v``."""
        if self.verbosity >= 1:
            with self._lock:
                print(self._style(message, "2"), file=self.err, flush=True)

    def warning(self, message: str) -> None:
        """A warning (hidden by ``-qq``)."""
        if self.verbosity >= -1:
            with self._lock:
                print(f"{self._style('warning', '33;1')}: {message}", file=self.err, flush=True)

    def stdout(self, text: str) -> None:
        """Machine-readable output to stdout, never hidden."""
        self.out.write(text)
        self.out.flush()

    def change(self, sign: str, name: str, version: object) -> None:
        """`` + name==version`` / `` - name==version``."""
        code = "32" if sign == "+" else "31"
        self.info(f" {self._style(sign, code)} {self._style(str(name), '1')}=={version}")

    def error(self, exc: SpokeError) -> None:
        """Render an error: the cause, notes, and the fix."""
        lines = [f"{self._style('error', '31;1')}: {exc.message}"]
        for note in exc.notes:
            lines.append(f"  {self._style('note', '36')}: {note}")
        if exc.hint:
            lines.append(f"{self._style('hint', '32')}: {exc.hint}")
        with self._lock:
            print("\n".join(lines), file=self.err, flush=True)


def shown_path(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it (as a person would type it)."""
    try:
        rel = path.absolute().relative_to(Path.cwd())
    except ValueError:
        return str(path)
    return str(rel) if str(rel) != "." else str(path)


def format_size(n: int) -> str:
    """A file size as build and twine print it: ``812 B``, ``14.2 kB``, ``3.1 MB``."""
    if n < 1000:
        return f"{n} B"
    return f"{n / 1000:.1f} kB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"


def format_duration(seconds: float) -> str:
    """``0.42s``, ``12ms``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    return f"{seconds:.2f}s"


_BAR_FROM = 1_000_000  # bytes: a smaller file shows in the total only


def _for_transfers(column: Any, *, build_text: bool = False) -> Any:
    """``column`` shown for transfers only: a build's row has no bytes to count, and (with
    ``build_text``) shows the backend's latest line in its place (rich is imported only when a
    bar is drawn)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class ForTransfers(ProgressColumn):
        def render(self, task: Any) -> Any:
            if not task.fields.get("build"):
                return column.render(task)
            if not build_text:
                return Text("")
            return Text(str(task.fields.get("line", "")), no_wrap=True, overflow="ellipsis", style="dim")

    return ForTransfers(table_column=column.get_table_column())


def _flexible(ratio: int) -> Any:
    """A progress column that takes its share of what the sizes and speed leave."""
    from rich.table import Column

    return Column(ratio=ratio, no_wrap=True, overflow="ellipsis", min_width=10)


class CliReporter:
    """A :class:`spoke.protocols.Reporter` that draws download progress with rich on a terminal."""

    def __init__(self, printer: Printer) -> None:
        self.printer = printer
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        self._raw: dict[str, list[Any]] = {}  # --progress-bar raw: name → [bytes so far, total]
        self._running: dict[str, int | None] = {}  # every transfer started, with its size
        self._total_task: Any = None
        self._moved = 0  # bytes transferred in all
        self._lock = threading.Lock()

    def _bar(self) -> Any:
        if self._progress is None and self.printer.interactive and self.printer.progress == "on":
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

            console = Console(file=self.printer.err, no_color=not self.printer.color)
            # The label gets what the numbers leave: a bar never shrinks to nothing on 80 columns.
            self._progress = Progress(
                TextColumn("{task.description}", table_column=_flexible(2)),
                _for_transfers(BarColumn(bar_width=None, table_column=_flexible(3)), build_text=True),
                _for_transfers(DownloadColumn()), _for_transfers(TransferSpeedColumn()), console=console,
                transient=True, expand=True,
            )
            self._progress.start()
        return self._progress

    @property
    def draws_progress(self) -> bool:
        """Whether download progress is shown (a bar on a terminal, or ``raw`` lines)."""
        return self.printer.progress == "raw" or (bool(self.printer.interactive) and self.printer.progress == "on")

    def phase(self, name: str, detail: str = "") -> None:
        self.printer.detail(f"{name}…{(' ' + detail) if detail else ''}")

    def phase_done(self, name: str, summary: str) -> None:
        self.printer.detail(summary)

    def download_start(self, name: str, total: int | None) -> None:
        """One bar per file of a megabyte or more (or of unknown size), and one for the total
        once two transfers run (``name`` is ``project version``, or a file's name)."""
        if self.printer.progress == "raw":
            with self._lock:
                self._raw[name] = [0, total]
            return
        with self._lock:
            bar = self._bar()
            if bar is not None:
                if total is None or total >= _BAR_FROM:
                    self._tasks[name] = bar.add_task(name, total=total)
                self._running[name] = total
                self._update_total(bar)
        if not name.startswith("Uploading "):  # an upload's command says so itself
            self.printer.detail(f"Downloading {name}")

    def download_progress(self, name: str, nbytes: int) -> None:
        if self.printer.progress == "raw":
            with self._lock:
                seen = self._raw.setdefault(name, [0, None])
                seen[0] += nbytes
                done, total = seen
            self.printer.err.write(f"Progress {done} of {total if total is not None else '?'}\n")
            return
        with self._lock:
            self._moved += nbytes
            if self._progress is not None:
                if name in self._tasks:
                    self._progress.advance(self._tasks[name], nbytes)
                if self._total_task is not None:
                    self._progress.advance(self._total_task, nbytes)

    def download_done(self, name: str) -> None:
        with self._lock:
            if self._progress is not None and name in self._tasks:
                self._progress.remove_task(self._tasks.pop(name))

    def build_output(self, label: str, line: str) -> None:
        """A build shows as a pulsing row: what is built and the backend's latest line."""
        with self._lock:
            bar = self._bar()
            if bar is None:
                return
            key = f"build:{label}"
            if key in self._tasks:
                bar.update(self._tasks[key], line=line)
            else:
                name = label.split(" (", 1)[0]  # "cext 1.0 (cext-1.0.tar.gz)": the file is detail
                self._tasks[key] = bar.add_task(f"Building {name}", total=None, build=True, line=line)

    def build_done(self, label: str) -> None:
        with self._lock:
            key = f"build:{label}"
            if self._progress is not None and key in self._tasks:
                self._progress.remove_task(self._tasks.pop(key))

    def _update_total(self, bar: Any) -> None:
        """The total row: every transfer started so far, once there are two."""
        if len(self._running) < 2:
            return
        sizes = list(self._running.values())
        total = sum(s for s in sizes if s is not None) if all(s is not None for s in sizes) else None
        label = f"{len(sizes)} files"
        if self._total_task is None:
            self._total_task = bar.add_task(label, total=total, completed=self._moved)
        else:
            bar.update(self._total_task, description=label, total=total)

    def warning(self, message: str) -> None:
        self.printer.warning(message)

    def debug(self, message: str) -> None:
        self.printer.detail(message)

    def close(self) -> None:
        """Stop the progress display."""
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
