"""Scripts: entry points → launcher scripts, and ``#!python`` shebangs → the target interpreter.

Pure functions over text and bytes; the installer writes what they return. POSIX launchers
only: Windows ``.exe`` launchers are not built yet.
"""

from __future__ import annotations

import configparser
import re
import shlex
from dataclasses import dataclass

from spoke.errors import MetadataError, UnsafeArchiveError

#: Longest shebang line (with ``#!`` and the newline) that every POSIX kernel accepts.
_MAX_SHEBANG = 127
_OBJECT_REF = re.compile(
    r"^\s*(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+))?\s*(?P<extras>\[.*\])?\s*$"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryPointScript:
    """One ``console_scripts`` or ``gui_scripts`` entry: ``name = module:attr``."""

    name: str
    module: str
    attr: str
    gui: bool = False


def parse_entry_points(text: str, *, source: str = "entry_points.txt") -> tuple[EntryPointScript, ...]:
    """The console and GUI scripts declared in an ``entry_points.txt``.

    A script name that is not a single file name (``../x``, ``a/b``) raises
    :class:`UnsafeArchiveError`: it would write outside the scripts folder. A reference without
    a callable (``name = module``) raises :class:`MetadataError`, as in pip.
    """
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # script names keep their case
    try:
        parser.read_string(text, source=source)
    except configparser.Error as exc:
        raise MetadataError(f"Cannot parse {source}: {exc}") from None
    scripts: dict[str, EntryPointScript] = {}
    for section, gui in (("console_scripts", False), ("gui_scripts", True)):
        if not parser.has_section(section):
            continue
        for name, value in parser.items(section):
            name = name.strip()
            if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
                raise UnsafeArchiveError(
                    f"Refusing script name `{name}` in {source}: it is not a plain file name"
                )
            match = _OBJECT_REF.match(value)
            if match is None:
                raise MetadataError(f"Invalid entry point `{name} = {value}` in {source}")
            if not match["attr"]:
                raise MetadataError(
                    f"Invalid script entry point `{name} = {value}` in {source}: "
                    "a callable (`module:function`) is required"
                )
            scripts[name] = EntryPointScript(name=name, module=match["module"], attr=match["attr"], gui=gui)
    return tuple(scripts.values())


def shebang(interpreter: str) -> bytes:
    """The first line(s) of a script that the target interpreter runs.

    A path with spaces, or too long for the kernel's shebang limit, goes through ``/bin/sh``:
    the file is then valid both as a shell script (which ``exec``s the interpreter on itself)
    and as Python (where the shell line is a string expression).
    """
    if " " not in interpreter and len(interpreter) + 3 <= _MAX_SHEBANG:
        return f"#!{interpreter}\n".encode()
    quoted = shlex.quote(interpreter)
    return f"#!/bin/sh\n'''exec' {quoted} \"$0\" \"$@\"\n' '''\n".encode()


def launcher_script(entry: EntryPointScript, interpreter: str) -> bytes:
    """The text of a launcher script for ``entry`` (shebang included)."""
    root = entry.attr.split(".", 1)[0]
    body = (
        "# -*- coding: utf-8 -*-\n"
        "import re\n"
        "import sys\n"
        f"from {entry.module} import {root}\n"
        'if __name__ == "__main__":\n'
        '    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])\n'
        f"    sys.exit({entry.attr}())\n"
    )
    return shebang(interpreter) + body.encode()


def needs_shebang_rewrite(first_bytes: bytes) -> bool:
    """True for a script whose first line is ``#!python`` or ``#!pythonw`` (PEP 427)."""
    return first_bytes.startswith(b"#!python")


def rewrite_shebang(content: bytes, interpreter: str) -> bytes:
    """``content`` with its ``#!python…`` first line replaced by the target's shebang.

    As pip does, anything after ``#!python`` on that line (``w``, arguments) is dropped.
    """
    if not needs_shebang_rewrite(content):
        return content
    newline = content.find(b"\n")
    rest = b"" if newline < 0 else content[newline + 1 :]
    return shebang(interpreter) + rest
