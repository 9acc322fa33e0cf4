"""``spoke completion``: the script loaded by a real bash completes commands, options and names."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from spoke.cli.completion import candidates


def test_candidates() -> None:
    assert candidates(["spoke", "un"], 1) == ["uninstall"]
    assert "--no-deps" in candidates(["spoke", "install", "--no-d"], 2)
    assert candidates(["spoke", "-v", "uninstall", "re"], 3, ["requests", "rich", "six"]) == ["requests"]
    assert candidates(["spoke", "uninstall", "rich", "r"], 3, ["requests", "rich"]) == ["requests"]
    assert candidates(["spoke", "install", "re"], 2, ["requests"]) == []  # file names: the shell's default


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_loads_the_script_and_completes(spoke, venv, hermetic, tmp_path) -> None:
    script = spoke("completion", "bash").stdout
    assert "complete -o default -F _spoke_completion spoke" in script
    env = venv()
    program = (
        f"spoke() {{ {sys.executable} -m spoke \"$@\"; }}\n"
        f"source {tmp_path / 'c.bash'}\n"
        "COMP_WORDS=(spoke fre); COMP_CWORD=1; _spoke_completion spoke; echo \"A ${COMPREPLY[*]}\"\n"
        "COMP_WORDS=(spoke uninstall p); COMP_CWORD=2; _spoke_completion spoke; echo \"B ${COMPREPLY[*]}\"\n"
    )
    (tmp_path / "c.bash").write_text(script.replace("$1 2>/dev/null", f"{sys.executable} -m spoke 2>/dev/null"))
    spoke("install", "--python", str(env.python), str(_wheel(tmp_path)))
    done = subprocess.run(["bash", "-c", program], env={**hermetic, "VIRTUAL_ENV": str(env.path)},
                          capture_output=True, text=True, timeout=60, check=True, cwd=tmp_path)
    assert "A freeze" in done.stdout, done.stderr
    assert "B pkgcomp" in done.stdout, done.stdout
    bad = spoke("completion", "tcsh", check=False)
    assert bad.returncode != 0 and "Name one shell" in bad.stderr


def _wheel(folder):  # noqa: ANN001, ANN202
    from tests.support.packages import Pkg, build_wheel

    return build_wheel(Pkg("pkgcomp", "1.0"), folder / "wheels")
