"""An environment's history of transactions, and rolling back to before one of them.

History lines are written by :class:`spoke.installer.transaction.Transaction` at commit. A
rollback is computed from them as values: walking from the newest transaction back to ``N``,
each one's additions are taken away and its removals put back; what differs from the
environment today becomes one install request (exact pins, no dependencies, plus removals),
itself a transaction that a later rollback can undo.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spoke.errors import SpokeError


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    """One committed transaction, numbered from 1 (oldest)."""

    number: int
    time: float
    command: str
    added: tuple[dict[str, Any], ...]
    removed: tuple[dict[str, Any], ...]


def read_entries(root: Path) -> list[HistoryEntry]:
    """Every committed transaction on the environment rooted at ``root``, oldest first."""
    from spoke.installer.transaction import read_history

    out = []
    for i, raw in enumerate(read_history(root), start=1):
        out.append(HistoryEntry(
            number=i, time=float(raw.get("time", 0)), command=str(raw.get("command", "")),
            added=tuple(raw.get("added", ())), removed=tuple(raw.get("removed", ())),
        ))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RollbackPlan:
    """What undoing transactions ``number``…latest takes: requirements to install, names to remove."""

    number: int
    install: tuple[str, ...]  # requirement lines (`name==1.0`, `name @ url`, `-e path`)
    remove: tuple[str, ...]


def plan_rollback(entries: list[HistoryEntry], installed: dict[str, Any], number: int | None) -> RollbackPlan:
    """The change that puts the environment back as it was before transaction ``number``."""
    if not entries:
        raise SpokeError("This environment has no history to roll back",
                         hint="Only changes made by spoke are recorded; see `spoke history`.")
    n = entries[-1].number if number is None else number
    if not 1 <= n <= entries[-1].number:
        raise SpokeError(f"There is no transaction {n} (this environment has 1 to {entries[-1].number})",
                         hint="See `spoke history` for the numbers.")
    want: dict[str, dict[str, Any] | None] = {}
    for entry in reversed(entries[n - 1:]):
        for change in entry.added:
            want[change["name"]] = None
        for change in entry.removed:
            want[change["name"]] = change
    install: list[str] = []
    remove: list[str] = []
    for name, wanted in sorted(want.items()):
        dist = installed.get(name)
        if wanted is None:
            if dist is not None:
                remove.append(name)
            continue
        if dist is not None and str(dist.version) == wanted["version"] and not wanted.get("direct_url"):
            continue
        install.append(_requirement_line(wanted))
    return RollbackPlan(number=n, install=tuple(install), remove=tuple(remove))


def _requirement_line(change: dict[str, Any]) -> str:
    from spoke.app.freeze import direct_reference, editable_location

    direct = change.get("direct_url")
    if isinstance(direct, dict):
        location = editable_location(direct)
        if location is not None:
            return f"-e {location}"
        ref = direct_reference(direct, change["name"])
        if ref is not None:
            return ref
    return f"{change['name']}=={change['version']}"
