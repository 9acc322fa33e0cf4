"""The RECORD file of an installed distribution (PEP 376 / 627): reading and writing.

Paths in RECORD are relative to the folder holding the ``.dist-info`` (site-packages), with
``/`` separators; files installed elsewhere (scripts, headers, data) are written as
``../../../bin/x``, as pip does, so the RECORD stays valid if the whole prefix moves.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordEntry:
    """One RECORD row: ``path`` as written, ``hash`` (``"sha256=…"`` or ``""``), ``size``."""

    path: str
    hash: str = ""
    size: int | None = None


def record_path(path: str | os.PathLike[str], base: str | os.PathLike[str]) -> str:
    """``path`` as RECORD writes it, relative to ``base`` (the dist-info's parent)."""
    rel = os.path.relpath(path, base)
    return rel.replace(os.sep, "/")


def format_record(entries: Iterable[RecordEntry]) -> bytes:
    """RECORD's bytes: CSV rows ``path,hash,size`` sorted by path, ``\\n`` line ends."""
    return format_record_rows((e.path, e.hash, e.size) for e in entries)


def format_record_rows(rows: Iterable[tuple[str, str, int | None]]) -> bytes:
    """:func:`format_record` for plain ``(path, hash, size)`` tuples (the installer's form)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=",", quotechar='"', lineterminator="\n")
    table: list[tuple[str, str, int | str]] = [(p, h, "" if s is None else s) for p, h, s in rows]
    table.sort(key=lambda row: row[0])
    writer.writerows(table)
    return buf.getvalue().encode("utf-8")


def parse_record(text: str) -> tuple[RecordEntry, ...]:
    """RECORD rows as values; blank rows are skipped, a bad size reads as unknown."""
    out = []
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0]:
            continue
        size: int | None
        try:
            size = int(row[2]) if len(row) > 2 and row[2] else None
        except ValueError:
            size = None
        out.append(RecordEntry(path=row[0], hash=row[1] if len(row) > 1 else "", size=size))
    return tuple(out)
