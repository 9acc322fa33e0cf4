"""spoke.installer.transaction: the journal, rollback on failure, recovery after a kill.

The steps are called directly, as the installer calls them. A process killed mid-transaction
is a real one: a child runs the steps and ``SPOKE_TEST_KILL_AT`` sends it SIGKILL at the
named point (:func:`spoke.installer.transaction.checkpoint`); the next transaction opened on
the environment must settle what it left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from spoke.installer.transaction import Change, Transaction, pending, read_history, recover, state_dir

#: One upgrade of ``demo`` 1.0 → 2.0 as the installer drives it: the old files removed, the new
#: ones announced then written, a script in the way set aside and replaced, then the commit.
UPGRADE = """
import sys
from pathlib import Path
from spoke.installer.transaction import Change, Transaction

root = Path(sys.argv[1])
site, bin_ = root / "site", root / "bin"
txn = Transaction(root=root, command="spoke install demo==2.0").begin()
txn.removed.append(Change(name="demo", version="1.0"))
txn.remove_files([site / "demo/__init__.py", site / "demo/old.py", site / "demo-1.0.dist-info/METADATA"],
                 [site / "demo", site / "demo-1.0.dist-info"])
new = [site / "demo/__init__.py", site / "demo/new.py", site / "demo-2.0.dist-info/METADATA", bin_ / "demo"]
txn.before_install(site, site / "demo-2.0.dist-info", new)
for path in new:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        txn.set_aside(path)
    path.write_text("2.0\\n")
txn.added.append(Change(name="demo", version="2.0"))
txn.commit()
"""


def snapshot(root: Path) -> dict[str, str | None]:
    """Every path under ``root`` but spoke's state folder: file contents, ``None`` for a folder."""
    out: dict[str, str | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == ".spoke" or rel.startswith(".spoke/"):
            continue
        out[rel] = None if path.is_dir() else path.read_text()
    return out


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An environment with ``demo`` 1.0 installed and a ``bin/demo`` script of someone else's."""
    env = tmp_path / "env"
    files = {
        "site/demo/__init__.py": "1.0\n", "site/demo/old.py": "old\n",
        "site/demo-1.0.dist-info/METADATA": "Name: demo\nVersion: 1.0\n",
        "site/other.py": "a neighbour\n", "bin/demo": "someone else's script\n",
    }
    for rel, text in files.items():
        (env / rel).parent.mkdir(parents=True, exist_ok=True)
        (env / rel).write_text(text)
    return env


def journal(root: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (state_dir(root) / "journal.jsonl").read_text().splitlines()]


def run_killed_at(point: str, root: Path) -> None:
    """Run :data:`UPGRADE` in a child killed the first time it reaches ``point``."""
    env = {**os.environ, "SPOKE_TEST_KILL_AT": f"{point}:1"}
    done = subprocess.run([sys.executable, "-c", UPGRADE, str(root)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_each_step_is_journaled_and_a_removed_file_is_moved_aside_not_deleted(root: Path) -> None:
    site = root / "site"
    txn = Transaction(root=root, command="spoke uninstall demo").begin()
    try:
        (begin,) = journal(root)
        assert begin["op"] == "begin" and begin["command"] == "spoke uninstall demo" and begin["id"] == txn.id
        assert pending(root)
        txn.remove_files([site / "demo/__init__.py"], [site / "demo"])
        remove = journal(root)[-1]
        assert remove["op"] == "remove" and remove["dirs"] == [str(site / "demo")]
        ((src, dst),) = remove["moves"]  # type: ignore[misc]
        assert src == str(site / "demo/__init__.py") and not Path(src).exists()
        assert Path(dst).read_text() == "1.0\n"  # kept until the commit, for an undo
        txn.before_install(site, site / "x-1.dist-info", [site / "x.py"])
        assert journal(root)[-1] == {"op": "install", "site": str(site), "dist_info": str(site / "x-1.dist-info"),
                                     "paths": [str(site / "x.py")]}
        txn.set_aside(root / "bin/demo")
        aside = journal(root)[-1]
        assert aside["op"] == "aside" and aside["src"] == str(root / "bin/demo")
        assert Path(str(aside["dst"])).read_text() == "someone else's script\n"
    finally:
        txn.abort()


def test_a_commit_records_history_and_leaves_no_journal_or_files_aside(root: Path) -> None:
    site = root / "site"
    txn = Transaction(root=root, command="spoke uninstall demo").begin()
    txn.removed.append(Change(name="demo", version="1.0"))
    txn.remove_files([site / "demo/__init__.py", site / "demo/old.py"], [site / "demo"])
    txn.commit()
    assert not pending(root)
    assert sorted(p.name for p in state_dir(root).iterdir()) == ["history.jsonl"]  # the set-aside folder is gone
    (entry,) = read_history(root)
    assert entry["id"] == txn.id and entry["command"] == "spoke uninstall demo"
    assert entry["removed"] == [{"name": "demo", "version": "1.0"}] and entry["added"] == []
    assert not (site / "demo").exists()
    assert recover(root) is None  # nothing left to settle


def test_a_failure_midway_rolls_every_step_back(root: Path) -> None:
    site = root / "site"
    before = snapshot(root)
    txn = Transaction(root=root, command="spoke install demo==2.0").begin()
    txn.remove_files([site / "demo/__init__.py", site / "demo/old.py"], [site / "demo"])
    created = [site / "demo/__init__.py", site / "demo/sub/new.py", root / "bin/demo"]
    txn.before_install(site, site / "demo-2.0.dist-info", created)
    for path in created:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            txn.set_aside(path)
        path.write_text("2.0\n")
    (site / "demo-2.0.dist-info").mkdir()
    (site / "demo-2.0.dist-info/METADATA").write_text("Version: 2.0\n")
    assert snapshot(root) != before
    txn.abort()  # what apply_plan does when linking a wheel fails
    assert snapshot(root) == before
    assert not pending(root) and read_history(root) == []
    assert list(state_dir(root).iterdir()) == []


def test_a_transaction_killed_before_its_commit_is_undone_when_the_next_one_opens(root: Path) -> None:
    before = snapshot(root)
    run_killed_at("before-commit", root)
    assert pending(root)
    assert snapshot(root)["site/demo/new.py"] == "2.0\n"  # the killed change, half there
    txn = Transaction(root=root, command="spoke list").begin()  # the next command on this environment
    assert snapshot(root) == before
    assert [r["op"] for r in journal(root)] == ["begin"]  # its own journal, started afresh
    txn.commit()
    assert read_history(root) == []
    assert not [p for p in state_dir(root).iterdir() if p.name.startswith("txn-")]


@pytest.mark.parametrize("point", ["begin", "remove-file"])
def test_a_transaction_killed_at_an_earlier_step_is_undone_by_recover(root: Path, point: str) -> None:
    before = snapshot(root)
    run_killed_at(point, root)
    assert recover(root) == "rolled back"
    assert snapshot(root) == before and not pending(root)


def test_a_transaction_killed_after_its_commit_is_finished_not_undone(root: Path) -> None:
    run_killed_at("after-commit", root)
    assert pending(root) and read_history(root) == []  # killed before the history line was written
    after = snapshot(root)
    assert after["site/demo/new.py"] == "2.0\n" and "site/demo/old.py" not in after
    assert recover(root) == "completed"
    assert snapshot(root) == after
    (entry,) = read_history(root)
    assert entry["command"] == "spoke install demo==2.0"
    assert entry["added"] == [{"name": "demo", "version": "2.0"}]
    assert entry["removed"] == [{"name": "demo", "version": "1.0"}]
    assert list(state_dir(root).iterdir()) == [state_dir(root) / "history.jsonl"]
    assert recover(root) is None and len(read_history(root)) == 1  # recorded once


def test_a_journal_line_cut_short_by_the_kill_is_ignored(root: Path) -> None:
    before = snapshot(root)
    run_killed_at("before-commit", root)
    with open(state_dir(root) / "journal.jsonl", "a") as fh:
        fh.write('{"op":"remove","moves":[["/nowhere"')  # the step it announced never started
    assert recover(root) == "rolled back"
    assert snapshot(root) == before
