"""Typing one configured value for its option, with pip's rules for pip's sources.

Values arrive as text (pip files, environment variables), as TOML values (``spoke.toml``) or as
already-typed values (the command line). :func:`convert` turns any of them into the option's
type — a tuple for lists, a :class:`~pathlib.Path` for paths — or raises a
:class:`~spoke.errors.ConfigurationError` naming the key and where it was written.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from spoke.config.options import Option
from spoke.errors import ConfigurationError

_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})

_EXPECTED = {
    "bool": "a boolean like yes/no, true/false, on/off or 1/0",
    "count": "a non-negative integer, or a boolean like yes/no (equivalent to 1/0)",
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "path": "a path",
    "list": "a list of strings (separated by whitespace or newlines in a pip file)",
}


def strtobool(text: str) -> bool:
    """pip's boolean words (``yes``/``no``, ``true``/``false``, ``on``/``off``, ``1``/``0``…).

    Raises :class:`ValueError` for anything else.
    """
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"invalid truth value {text!r}")


def is_empty(raw: object) -> bool:
    """Whether a configured value is empty; pip ignores empty values rather than using them."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def convert(
    option: Option,
    raw: object,
    *,
    key: str,
    where: str,
    pip_rules: bool = False,
    home: str | None = None,
) -> Any:
    """``raw`` typed for ``option``, as set through ``key`` in ``where``.

    ``pip_rules`` applies pip's reading of ``no-*`` booleans (see
    :class:`~spoke.config.options.Option`); it is true for pip files and ``PIP_*`` variables.
    ``home`` expands a leading ``~`` in paths (pip expands it too).
    """
    try:
        return _convert(option, raw, key=key, pip_rules=pip_rules, home=home)
    except (ValueError, TypeError) as exc:
        expected = (
            "one of " + ", ".join(option.choices)
            if option.kind == "choice"
            else _EXPECTED[option.kind]
        )
        raise ConfigurationError(
            f"invalid value {raw!r} for `{key}` in {where}",
            hint=f"`{key}` takes {expected}",
            notes=(str(exc),) if str(exc) else (),
        ) from None


def _convert(option: Option, raw: object, *, key: str, pip_rules: bool, home: str | None) -> Any:
    kind = option.kind
    if kind == "bool":
        return _convert_bool(option, raw, key=key, pip_rules=pip_rules)
    if kind == "count":
        return _convert_count(raw)
    if kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise TypeError("")
        return int(raw)
    if kind == "float":
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise TypeError("")
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return value
    if kind == "list":
        if isinstance(raw, str):
            return tuple(raw.split())
        if isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw):
            return tuple(raw)
        raise TypeError("")
    if kind == "path":
        if isinstance(raw, Path):
            return raw
        if not isinstance(raw, str):
            raise TypeError("")
        return expand_home(raw.strip(), home)
    # str and choice
    if not isinstance(raw, str):
        raise TypeError("")
    text = raw.strip()
    if kind == "choice" and text not in option.choices:
        raise ValueError("")
    return text


def _convert_bool(option: Option, raw: object, *, key: str, pip_rules: bool) -> bool:
    if isinstance(raw, bool):
        value = raw
    elif isinstance(raw, int) and raw in (0, 1):
        value = bool(raw)
    elif isinstance(raw, str):
        value = strtobool(raw)
    else:
        raise TypeError("")
    if option.is_negative_key(key):
        # pip stores a ``--no-x`` key's value into ``x`` as given; spoke's sources mean "no".
        return value if pip_rules else not value
    if pip_rules and option.pip_quirk == "inverted":
        return not value
    if pip_rules and option.pip_quirk == "presence":
        return True
    return value


def _convert_count(raw: object) -> int:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str):
        # pip: a boolean word counts as 1/0, otherwise an integer.
        try:
            value = int(strtobool(raw))
        except ValueError:
            value = int(raw)
    else:
        raise TypeError("")
    if value < 0:
        raise ValueError("must not be negative")
    return value


def expand_home(text: str, home: str | None) -> Path:
    """``text`` as a path, with a leading ``~`` replaced by ``home`` (when known)."""
    if home and (text == "~" or text.startswith(("~/", "~\\"))):
        return Path(home + text[1:])
    if text.startswith("~") and not home:
        return Path(text).expanduser()
    return Path(text)
