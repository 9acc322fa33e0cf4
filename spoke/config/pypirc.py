"""``.pypirc``: where ``spoke publish`` uploads, and with which credentials (twine's file).

The format is the one the packaging guide specifies
(https://packaging.python.org/specifications/pypirc/) and twine reads::

    [distutils]
    index-servers =
        pypi
        private

    [pypi]
    username = __token__
    password = pypi-…

    [private]
    repository = https://repo.example.com/legacy/
    username = me

``pypi`` always exists (PyPI's upload URL) and ``testpypi`` does when no ``index-servers``
line leaves it out; any section with a ``repository`` key is a named repository too, listed in
``index-servers`` or not. ``[server-login]`` (distutils' old section) gives default credentials,
as twine still honours. A missing file is an empty one; an unreadable one is an error naming it.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass, replace
from pathlib import Path

from spoke.errors import ConfigurationError

PYPI_UPLOAD_URL = "https://upload.pypi.org/legacy/"
TESTPYPI_UPLOAD_URL = "https://test.pypi.org/legacy/"
_KEYS = ("repository", "username", "password", "ca_cert", "client_cert")


@dataclass(frozen=True, slots=True, kw_only=True)
class Repository:
    """One upload target: its name (``""`` for a bare URL), URL and what ``.pypirc`` says of it."""

    name: str
    url: str | None = None
    username: str | None = None
    password: str | None = None
    ca_cert: str | None = None
    client_cert: str | None = None


def default_path(home: Path) -> Path:
    """``~/.pypirc``."""
    return home / ".pypirc"


def read_pypirc(path: Path) -> dict[str, Repository]:
    """Every repository ``path`` defines, by name, with ``pypi`` and ``testpypi`` filled in."""
    parser = configparser.RawConfigParser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"Cannot read {path}: {exc}", hint="Fix the file's permissions or encoding.") from None
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise ConfigurationError(f"{path} is not a valid .pypirc file: {first}",
                                 hint="It is an INI file: [section] lines, then `key = value` lines.") from None
    defaults = Repository(
        name="",
        username=parser.get("server-login", "username", fallback=None),
        password=parser.get("server-login", "password", fallback=None),
    )
    servers = parser.get("distutils", "index-servers", fallback="pypi testpypi").split()
    named = dict.fromkeys([*servers, *(s for s in parser.sections() if parser.has_option(s, "repository"))])
    out: dict[str, Repository] = {"pypi": replace(defaults, name="pypi", url=PYPI_UPLOAD_URL)}
    if "testpypi" in servers:
        out["testpypi"] = replace(defaults, name="testpypi", url=TESTPYPI_UPLOAD_URL)
    for name in named:
        if name in ("distutils", "server-login"):
            continue
        base = out.get(name) or replace(defaults, name=name)
        values = {key: parser.get(name, key) for key in _KEYS if parser.has_option(name, key)}
        if "repository" in values:
            values["url"] = values.pop("repository")
        out[name] = replace(base, **values)
    return out
