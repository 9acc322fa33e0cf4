"""A stand-in ``keyring`` package for functional tests: put on ``PYTHONPATH``, it answers every
lookup with fixed credentials and logs each ``(service, username)`` asked, one line each."""

from __future__ import annotations

from pathlib import Path


def fake_keyring(root: Path, asked: Path, *, password: str, username: str | None = None) -> Path:
    """Write the package under ``root`` and return the folder to put on ``PYTHONPATH``.

    ``username``: the user name it answers (``None``: the one asked for)."""
    package = root / "keyring"
    package.mkdir(parents=True)
    user = repr(username) if username is not None else "username"
    (package / "__init__.py").write_text(
        "from types import SimpleNamespace\n"
        f"_ASKED = {str(asked)!r}\n"
        "def get_credential(service, username):\n"
        "    with open(_ASKED, 'a') as f:\n"
        "        f.write(f'{service} {username}\\n')\n"
        f"    return SimpleNamespace(username={user}, password={password!r})\n"
        "def get_password(service, username):\n"
        f"    return {password!r}\n"
    )
    return root
