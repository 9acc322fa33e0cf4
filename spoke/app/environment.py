"""The installed set a read-only command looks at (``list``, ``show``, ``freeze``, ``check``…).

Read-only commands act on any environment: spoke's, pip's or a mix. They never write, so a
system interpreter needs no ``--system`` here, and PEP 668 does not apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spoke.app.context import Context
from spoke.models import InstalledDist, Interpreter


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledSet:
    """The target interpreter and the distributions visible in the chosen folders."""

    interpreter: Interpreter
    paths: tuple[Path, ...]
    dists: dict[str, InstalledDist]


def installed_set(
    ctx: Context, *, paths: Sequence[Path] = (), user: bool = False, local: bool = False,
    exact_names: bool = True,
) -> InstalledSet:
    """Distributions of the target: ``paths`` when given, else its site-packages folders.

    ``user`` keeps only the user site; ``local`` drops global site-packages that a venv with
    system site access would also see (pip's ``--local``).
    """
    from spoke.env.installed import installed_distributions

    interp: Interpreter = ctx.interpreter
    if not paths:
        _recover(ctx, interp)
    if paths:
        folders = [Path(p) for p in paths]
    elif user:
        folders = [interp.user_site] if interp.user_site is not None else []
    else:
        folders = [interp.scheme.purelib, interp.scheme.platlib]
        if not local:
            if interp.is_venv and interp.include_system_site_packages:
                folders += [p for p in interp.site_packages if p not in folders]
            if not interp.is_venv and interp.user_site is not None:
                folders.append(interp.user_site)
    unique: list[Path] = []
    for folder in folders:
        if folder not in unique:
            unique.append(folder)
    dists = installed_distributions(unique, exact_names=exact_names)
    return InstalledSet(interpreter=interp, paths=tuple(unique), dists=dists)


def _recover(ctx: Context, interp: Interpreter) -> None:
    """Read-only commands too finish or undo a transaction a killed spoke left behind, so they
    never show a half-made change (a target this user cannot write is left for its owner)."""
    from spoke.app.target import recover_interrupted

    try:
        recover_interrupted(ctx, interp)
    except OSError:
        pass
