"""uv's resolver scenarios (packse's ``fork``, ``tag_and_markers`` and ``requires_python``
families, ``tests/data/packse``) through spoke's CLI against a local index.

Universal scenarios run ``spoke compile --universal`` with the root's ``requires-python`` (packse's
default ``>=3.8`` when it names none); the others ``spoke compile --python-version`` for the
scenario's Python. An unsatisfiable scenario must end with exit code 1 and a readable error; a
satisfiable one must give the scenario's expected versions when it names them, and a universal
one must be right in every environment of a grid (see :func:`tests.support.packse.check_universal`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.packse import Scenario, check_universal, packages, pins_of, scenarios

#: Where spoke follows the PEP and uv does not, the outcome spoke gives (and why).
DEVIATIONS = {
    # uv ignores the upper bound of Requires-Python; spoke, like pip, follows the core metadata spec:
    # `a` requires Python <=3.8, so it cannot be installed on 3.9.
    "python-less-than-current": False,
    # uv fails here because a fork made for cleaver 2's dependencies is not kept once cleaver 2
    # is rejected; spoke keeps the forks and finds the resolution the scenario's description
    # calls the fresh run's (cleaver 1, foo 1 and 2, bar 1 and 2), checked in every environment.
    "preferences-dependent-forking-conflicting": True,
}

ALL = scenarios()


@pytest.mark.parametrize("scenario", ALL, ids=[f"{s.family}/{s.name}" for s in ALL])
def test_scenario(scenario: Scenario, spoke, index, tmp_path: Path) -> None:
    server = index(*packages(scenario))
    (tmp_path / "requirements.in").write_text("\n".join(scenario.requires) + "\n")
    args = ["compile", "requirements.in", "-o", "out.txt", "-i", server.simple_url, "--no-header"]
    requires_python = scenario.requires_python or ">=3.8"
    if scenario.universal:
        args += ["--universal", "--python-requirement", requires_python]
    else:
        args += ["--python-version", scenario.target_python]
    satisfiable = DEVIATIONS.get(scenario.name, scenario.satisfiable)
    result = spoke(*args, cwd=tmp_path, check=False)
    assert "Traceback" not in result.stderr, result.describe()
    if not satisfiable:
        assert result.returncode == 1, result.describe()
        assert result.stderr.strip(), result.describe()
        return
    assert result.returncode == 0, result.describe()
    pins = pins_of((tmp_path / "out.txt").read_text())
    for name, version in scenario.expected_packages.items():
        assert (name, version, "") in pins or any(p[:2] == (name, version) for p in pins), (name, version, pins)
    if scenario.universal:
        problems = check_universal(scenario, pins, requires_python)
        assert not problems, "\n".join([*problems[:20], (tmp_path / "out.txt").read_text()])
