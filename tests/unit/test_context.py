"""spoke.app.context: a build environment's context shares its parent's services."""

from __future__ import annotations

from pathlib import Path

import pytest

from spoke.app.context import Context, IndexSettings, TargetSettings


def test_a_build_environment_shares_every_service_and_closes_none(tmp_path: Path) -> None:
    parent = Context(index=IndexSettings(), target=TargetSettings(cwd=tmp_path), cache_dir=tmp_path / "cache")
    child = parent.for_build_env(tmp_path / "env" / "bin" / "python", build_stack=("a",))
    grandchild = child.for_build_env(tmp_path / "env2" / "bin" / "python", build_stack=("a", "b"))
    for name in ("cache", "executor", "preparer", "http"):
        assert getattr(child, name) is getattr(parent, name), name
        assert getattr(grandchild, name) is getattr(parent, name), name
    # one offload process and one set of download and unpack pools per command
    assert child.preparer.downloads is parent.preparer.downloads
    assert child.target_settings.python == str(tmp_path / "env" / "bin" / "python")
    assert grandchild.build_stack == ("a", "b")
    grandchild.close()
    child.close()
    assert parent.executor.submit(lambda: 42).result() == 42  # the parent's pools still work
    parent.close()
    with pytest.raises(RuntimeError):  # and are shut down with the parent
        parent.executor.submit(lambda: 42)
