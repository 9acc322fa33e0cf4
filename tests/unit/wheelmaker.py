"""Build small wheels with zipfile, good and deliberately broken, for unpack/install tests."""

from __future__ import annotations

import base64
import hashlib
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

Member = tuple[zipfile.ZipInfo, bytes]


def record_hash(data: bytes) -> str:
    """``sha256=<urlsafe b64 no padding>`` of ``data``."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def info(name: str, *, mode: int = 0o100644, compress: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    """A ZipInfo with Unix permissions ``mode`` (file type bits included)."""
    zi = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    zi.external_attr = (mode & 0xFFFF) << 16
    zi.create_system = 3
    zi.compress_type = compress
    return zi


def make_wheel(
    folder: Path,
    *,
    name: str = "demo",
    version: str = "1.0",
    files: Mapping[str, bytes | str] | None = None,
    executable: Sequence[str] = (),
    entry_points: str | None = None,
    purelib: bool = True,
    wheel_version: str = "1.0",
    dist_info: str | None = None,
    filename: str | None = None,
    record: str | bytes | None = None,
    mutate_record: Callable[[list[list[str]]], None] | None = None,
    extra: Sequence[Member] = (),
    metadata: str | None = None,
) -> Path:
    """Write a wheel into ``folder`` and return its path.

    ``files`` are members outside the dist-info (``{data_dir}`` in a name is replaced by the
    ``.data`` folder's name). RECORD is computed unless ``record`` gives its text;
    ``mutate_record`` may edit its rows first. ``extra`` members are appended after RECORD,
    unlisted (that is how the unsafe ones get in).
    """
    files = dict(files or {"demo/__init__.py": "VALUE = 1\n"})
    dist_info = dist_info or f"{name}-{version}.dist-info"
    data_dir = f"{name}-{version}.data"
    members: list[Member] = []
    for path, content in files.items():
        path = path.replace("{data_dir}", data_dir)
        data = content.encode() if isinstance(content, str) else content
        mode = 0o100755 if path in executable or path.replace(data_dir, "{data_dir}") in executable else 0o100644
        members.append((info(path, mode=mode), data))
    meta = metadata or f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test\n"
    members.append((info(f"{dist_info}/METADATA"), meta.encode()))
    wheel = (
        f"Wheel-Version: {wheel_version}\nGenerator: wheelmaker\n"
        f"Root-Is-Purelib: {'true' if purelib else 'false'}\nTag: py3-none-any\n"
    )
    members.append((info(f"{dist_info}/WHEEL"), wheel.encode()))
    if entry_points is not None:
        members.append((info(f"{dist_info}/entry_points.txt"), entry_points.encode()))
    if record is None:
        rows = [[zi.filename, record_hash(data), str(len(data))] for zi, data in members]
        rows.append([f"{dist_info}/RECORD", "", ""])
        if mutate_record is not None:
            mutate_record(rows)
        record = "".join(",".join(r) + "\n" for r in rows)
    members.append((info(f"{dist_info}/RECORD"), record if isinstance(record, bytes) else record.encode()))
    members.extend(extra)
    path = Path(folder) / (filename or f"{name}-{version}-py3-none-any.whl")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are written on purpose
        with zipfile.ZipFile(path, "w") as zf:
            for zi, data in members:
                zf.writestr(zi, data)
    return path
