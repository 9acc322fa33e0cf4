"""Which interpreter scheme an install writes to, and whether it may write there at all.

Kept apart from the install operation so the no-op fast path can use it without importing
the resolver.
"""

from __future__ import annotations

from pathlib import Path

from spoke.app.context import Context
from spoke.errors import InstallError, SpokeError
from spoke.models import Interpreter, Scheme


def select_scheme(ctx: Context, interp: Interpreter) -> Scheme:
    """The scheme for ``--target``, ``--prefix``, ``--user`` or the environment itself.

    ``--root DIR`` re-roots whichever scheme applies under DIR, as pip does (for building
    system packages); scripts still name the target interpreter.
    """
    scheme = _base_scheme(ctx, interp)
    root = ctx.target_settings.root
    if root is None:
        return scheme
    from dataclasses import replace

    def rebase(path: Path) -> Path:
        return root / path.relative_to(path.anchor)

    return replace(
        scheme, purelib=rebase(scheme.purelib), platlib=rebase(scheme.platlib),
        scripts=rebase(scheme.scripts), data=rebase(scheme.data), headers=rebase(scheme.headers),
    )


def _base_scheme(ctx: Context, interp: Interpreter) -> Scheme:
    from spoke.env.interpreter import prefix_scheme, target_scheme

    t = ctx.target_settings
    if t.target is not None:
        return target_scheme(t.target)
    if t.prefix is not None:
        return prefix_scheme(interp, t.prefix)
    if t.user:
        if interp.is_venv:
            raise InstallError(
                "Can not perform a '--user' install: user site-packages are not visible in this "
                "virtual environment",
                hint="Drop --user to install into the virtual environment itself.",
            )
        if interp.user_scheme is None:
            raise InstallError("This interpreter has no user scheme", hint="Drop --user.")
        return interp.user_scheme
    return interp.scheme


def check_target_allowed(ctx: Context, interp: Interpreter) -> None:
    """Refuse a system interpreter without ``--system``, and PEP 668 without the override."""
    from spoke.env.discovery import check_externally_managed

    t = ctx.target_settings
    if t.target is not None or t.prefix is not None or t.root is not None:
        return
    if not interp.is_venv and not (t.system or t.user or t.break_system_packages):
        raise SpokeError(
            f"{interp.executable} is not a virtual environment",
            hint="Create one with `spoke venv` and activate it, or pass --system to install "
            "into this interpreter anyway.",
        )
    if not interp.is_venv:
        check_externally_managed(interp, t.break_system_packages)


def check_writable(scheme: Scheme, *, user: bool = False) -> None:
    """Before anything is written: refuse a scheme whose folders this user cannot write (a
    system site-packages without sudo, a read-only target), naming the folder and the fix."""
    import os

    from spoke.errors import WriteError

    for folder in dict.fromkeys([scheme.purelib, scheme.platlib, scheme.scripts]):
        probe = Path(folder)
        while not probe.exists() and probe.parent != probe:
            probe = probe.parent  # what does not exist yet is created in the nearest folder that does
        if not os.access(probe, os.W_OK):
            raise WriteError(
                f"Permission denied: spoke cannot write to {probe}" + (f" (for {folder})" if probe != folder else ""),
                hint="Install into a virtual environment you own: `spoke venv && spoke install …`"
                     + ("" if user else ", or into your user site with --user")
                     + "; avoid running spoke with sudo.",
            )


def installed_paths(ctx: Context, interp: Interpreter, scheme: Scheme) -> list[Path]:
    """Where installed distributions that count for this install live."""
    paths = [scheme.purelib, scheme.platlib]
    if ctx.target_settings.user:
        paths += [interp.scheme.purelib, interp.scheme.platlib]
    seen: list[Path] = []
    for p in paths:
        if p not in seen:
            seen.append(p)
    return seen




def state_root(ctx: Context, interp: Interpreter) -> Path:
    """The folder whose ``.spoke/`` holds the journal, history and lock of this target."""
    t = ctx.target_settings
    if t.target is not None:
        return Path(t.target)
    if t.prefix is not None:
        return Path(t.prefix)
    if t.root is not None:
        return Path(t.root)
    if t.user and interp.user_scheme is not None:
        return interp.user_scheme.data
    return Path(interp.sys_prefix)


def recover_interrupted(ctx: Context, interp: Interpreter, *, locked: bool = False) -> str | None:
    """Finish or undo a transaction a killed spoke left behind on this target (cheap when none).

    ``locked``: the caller already holds the environment's lock (taking it again would wait
    on itself).
    """
    from spoke.installer.transaction import pending, recover

    root = state_root(ctx, interp)
    if not pending(root):
        return None
    outcome = recover(root, locked=locked)
    if outcome is not None:
        ctx.reporter.warning(f"An interrupted spoke command on {root} was found and {outcome}")
    return outcome
