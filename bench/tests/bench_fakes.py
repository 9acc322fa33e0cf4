"""A fake :class:`~benchkit.process.Runner`: it makes venvs and "installs" without any process."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchkit.process import Completed

PACKAGES = ("Flask==3.1.0", "click==8.1.8", "MarkupSafe==3.0.2")


def site_packages(venv: Path) -> Path:
    """Where the fake puts a venv's distributions (the POSIX layout)."""
    return venv / "lib" / "python3.11" / "site-packages"


@dataclass
class Call:
    """One command the fake was asked to run."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    timeout: float


@dataclass
class FakeRunner:
    """Records every call; ``python -m venv X`` makes a venv skeleton at X, an install with
    ``--python T`` writes a ``.dist-info`` folder per package of ``packages`` next to T, a
    ``download ... -d DEST`` writes a wheel file per package into DEST, a ``pip install
    --force-reinstall FOLDER`` copies ``FOLDER/spoke`` into the venv of that pip, and
    ``--version`` answers ``"<tool> 1.0"``. ``script`` may answer a call first (return a
    :class:`Completed`) or let it through (return ``None``); ``seconds`` times each call.
    """

    packages: Sequence[str] = PACKAGES
    script: Callable[[list[str]], Completed | None] | None = None
    seconds: Callable[[int], float] = lambda n: 1.0 + n
    calls: list[Call] = field(default_factory=list)

    def __call__(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float) -> Completed:
        argv = list(argv)
        self.calls.append(Call(argv=argv, env=dict(env), cwd=cwd, timeout=timeout))
        seconds = self.seconds(len(self.calls))
        if self.script is not None:
            answer = self.script(argv)
            if answer is not None:
                return answer
        if argv[1:3] == ["-m", "venv"]:
            venv = Path(argv[-1])
            (venv / "bin").mkdir(parents=True, exist_ok=True)
            (venv / "bin" / "python").write_text("", encoding="utf-8")
            site_packages(venv).mkdir(parents=True, exist_ok=True)
        elif "--version" in argv:
            return Completed(returncode=0, stdout=f"{Path(argv[0]).name} 1.0\n", stderr="", seconds=seconds)
        elif "download" in argv and "-d" in argv:
            dest = Path(argv[argv.index("-d") + 1])
            dest.mkdir(parents=True, exist_ok=True)
            for item in self.packages:
                name, _, version = item.partition("==")
                (dest / f"{name.lower()}-{version}-py3-none-any.whl").write_bytes(b"PK")
        elif "install" in argv and "--force-reinstall" in argv and (Path(argv[-1]) / "spoke").is_dir():
            # pip installing spoke from a source folder into the tools venv: a copy of its package.
            site = site_packages(Path(argv[0]).parent.parent) / "spoke"
            shutil.rmtree(site, ignore_errors=True)
            shutil.copytree(Path(argv[-1]) / "spoke", site)
        elif "install" in argv and "--python" in argv:
            target = Path(argv[argv.index("--python") + 1])
            site = site_packages(target.parent.parent)
            for item in self.packages:
                name, _, version = item.partition("==")
                (site / f"{name}-{version}.dist-info").mkdir(parents=True, exist_ok=True)
        return Completed(returncode=0, stdout="ok\n", stderr="", seconds=seconds)

    def installs(self) -> list[Call]:
        """The calls that installed a requirement set into a target."""
        return [c for c in self.calls if "-r" in c.argv]


def failing(returncode: int = 1, stderr: str = "boom") -> Completed:
    """A finished command that failed with ``stderr``."""
    return Completed(returncode=returncode, stdout="", stderr=stderr, seconds=0.1)
