"""uv's resolver scenarios (packse's ``fork``, ``tag_and_markers`` and ``requires_python``
families, ``tests/data/packse``) through spoke's CLI against a local index, each compared with
the answer uv itself gives (``tests/data/packse/uv-expectations.json``, extracted from uv's
generated scenario tests by ``tests/data/packse/extract_uv_expectations.py``).

* Universal scenarios: ``spoke compile --universal --python-requirement <root requires_python>``
  (packse's default ``>=3.12`` when the root names none, as uv's tests write it). When uv locks
  the scenario, the pins must be the locked (name, version) pairs exactly, and each pin's marker
  must mean what the package's marker in uv's lock means (derived from the lock's dependency
  graph) on every environment of a grid inside the Requires-Python
  (:func:`tests.support.packse_uv.marker_difference`). When uv fails, spoke must exit 1 with a
  readable error. Scenarios whose lock leaves some published wheels out also run ``spoke lock``
  and compare the locked files with uv's.
* The others: ``environment.python`` is the interpreter the scenario runs on and
  ``resolver_options.python`` the version resolved for (uv's ``--python-version``). Without an
  override, and when this machine has that interpreter (its exact release when the scenario
  names one), ``spoke install -r requirements.in --python <venv>`` into a fresh venv of it and
  the installed distributions must be uv's; otherwise ``spoke compile --python-version`` (with
  ``--python`` pointing at a venv of the scenario's interpreter when there is one, for builds)
  and the pins must be uv's. Unsatisfiable: exit code 1, a message, no traceback.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support.packse_uv import (
    Scenario,
    build_packages,
    consistency_problems,
    describe_env,
    holds,
    load_expectations,
    load_scenarios,
    marker_difference,
    parse_pins,
)
from tests.support.pythons import find_python

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

SCENARIOS = load_scenarios()
UV = load_expectations()
UNIVERSAL = [s for s in SCENARIOS if s.universal]
PINNED = [s for s in SCENARIOS if not s.universal]


def _serve(scenario: Scenario, index: Callable[..., object], tmp_path: Path) -> str:
    server = index(*build_packages(scenario))
    (tmp_path / "requirements.in").write_text("".join(f"{r}\n" for r in scenario.root.requires))
    return server.simple_url  # type: ignore[attr-defined]


def _refused(result) -> None:  # noqa: ANN001
    """An unsatisfiable scenario: exit code 1 and a message a person can read."""
    assert result.returncode == 1, result.describe()
    assert "Traceback" not in result.output, result.describe()
    assert result.stderr.strip(), result.describe()


# ----------------------------------------------------------------------------- universal


#: Where spoke's answer differs from uv's on purpose: the scenario, and why. spoke's answer is
#: then checked on its own (:func:`tests.support.packse_uv.consistency_problems`).
DEVIATIONS = {
    # uv does not know that linux machines are posix (it keeps `sys_platform == 'linux'` and
    # `os_name != 'posix'` possible), so cleaver 2's requirements conflict for uv on linux and it
    # falls back to cleaver 1 everywhere; spoke's platforms are real machines, where cleaver 2
    # works on linux: a different, valid resolution.
    "preferences-dependent-forking-bistable": "spoke knows linux is posix",
    "preferences-dependent-forking-tristable": "spoke knows linux is posix",
    # uv ignores the upper bound of Requires-Python; spoke follows the core metadata spec, as pip
    # does: `a` (Requires-Python <=3.8) cannot be installed on 3.9.
    "python-less-than-current": "spoke honours Requires-Python upper bounds",
}


@pytest.mark.parametrize("scenario", UNIVERSAL, ids=[s.id for s in UNIVERSAL])
def test_universal(scenario: Scenario, spoke, index, tmp_path: Path) -> None:
    uv = UV["lock"][scenario.name]
    url = _serve(scenario, index, tmp_path)
    args = ["compile", "--universal", "requirements.in", "-o", "requirements.txt", "-i", url,
            "--python-requirement", scenario.root.requires_python]
    for environment in scenario.resolver_options.required_environments or ():
        args += ["--environment", environment]
    result = spoke(*args, cwd=tmp_path, check=False)
    assert "Traceback" not in result.output, result.describe()
    if uv["exit_code"] != 0:
        _refused(result)
        return
    assert result.returncode == 0, result.describe()
    text = (tmp_path / "requirements.txt").read_text()
    problems = consistency_problems(scenario, parse_pins(text), scenario.root.requires_python)
    assert not problems, "\n".join([*problems[:20], text])
    if scenario.name in DEVIATIONS:
        return  # a different valid answer than uv's (see DEVIATIONS)
    got: dict[tuple[str, Version], list[str]] = {}
    for pin in parse_pins(text):
        got.setdefault((pin.name, Version(pin.version)), []).append(pin.marker)
    if "packages" not in uv:
        # uv resolves it but its tests keep no lock: only the number of pins can be compared.
        assert len(got) == uv["resolved"], f"uv resolves {uv['resolved']} packages ({uv.get('note', '')})\n{text}"
        return
    wanted = {(str(canonicalize_name(p["name"])), Version(p["version"])): p["marker"] for p in uv["packages"]}
    missing = sorted(set(wanted) - set(got))
    extra = sorted(set(got) - set(wanted))
    assert not missing and not extra, (
        f"pins differ from uv's lock\n  missing: {_names(missing, wanted)}\n  "
        f"not in uv's lock: {_names(extra, {k: ' or '.join(v) for k, v in got.items()})}\n{text}")
    problems = []
    for key, uv_marker in sorted(wanted.items()):
        markers = got[key]
        mine = "" if "" in markers else " or ".join(f"({m})" for m in markers) if len(markers) > 1 else markers[0]
        env = marker_difference(mine, uv_marker, uv["requires_python"], scenario.literal_markers())
        if env is not None:
            problems.append(
                f"{key[0]}=={key[1]}: spoke `{mine or '(always)'}`, uv `{uv_marker or '(always)'}`; they differ at "
                f"{describe_env(env, [mine, uv_marker])} (spoke {'installs' if holds(mine, env) else 'skips'} it)")
    assert not problems, "markers differ from uv's lock:\n  " + "\n  ".join(problems) + "\n" + text


def _names(keys: list[tuple[str, Version]], markers: dict[tuple[str, Version], str]) -> str:
    return ", ".join(f"{n}=={v}" + (f" ; {markers[(n, v)]}" if markers.get((n, v)) else "") for n, v in keys) or "-"


def _trimmed_files(scenario: Scenario) -> bool:
    """Whether uv's lock leaves out some file the index publishes (a wheel it cannot use)."""
    uv = UV["lock"][scenario.name]
    locked = {(canonicalize_name(p["name"]), Version(p["version"])): set(p["files"]) for p in uv.get("packages", ())}
    for pkg in build_packages(scenario):
        files = locked.get((canonicalize_name(pkg.name), Version(pkg.version)))
        if files is not None and set(pkg.filenames) - files:
            return True
    return False


TRIMMED = [s for s in UNIVERSAL if _trimmed_files(s)]


@pytest.mark.parametrize("scenario", TRIMMED, ids=[s.id for s in TRIMMED])
def test_universal_lock_files(scenario: Scenario, spoke, index, tmp_path: Path) -> None:
    """The files of each locked package: uv keeps only the wheels some environment of the
    package's marker can install (``spoke lock``'s pylock.toml has the same information)."""
    uv = UV["lock"][scenario.name]
    url = _serve(scenario, index, tmp_path)
    spoke("lock", "requirements.in", "-i", url, "--python-requirement", scenario.root.requires_python,
          cwd=tmp_path)
    lock = tomllib.loads((tmp_path / "pylock.toml").read_text())
    got = {}
    for package in lock["packages"]:
        files = [w["name"] for w in package.get("wheels", ())]
        if "sdist" in package:
            files.append(package["sdist"]["name"])
        got[(str(canonicalize_name(package["name"])), Version(package["version"]))] = sorted(files)
    wanted = {(str(canonicalize_name(p["name"])), Version(p["version"])): sorted(p["files"]) for p in uv["packages"]}
    problems = [f"{n}=={v}: not locked by uv" for n, v in sorted(set(got) - set(wanted))]
    problems += [f"{n}=={v}: locked by uv, not by spoke" for n, v in sorted(set(wanted) - set(got))]
    for key in sorted(set(got) & set(wanted)):
        extra, missing = sorted(set(got[key]) - set(wanted[key])), sorted(set(wanted[key]) - set(got[key]))
        if extra or missing:
            problems.append(f"{key[0]}=={key[1]}: files uv leaves out: {extra or '-'}; "
                            f"files only uv locks: {missing or '-'}")
    assert not problems, "locked files differ from uv's lock:\n  " + "\n  ".join(problems)


# ----------------------------------------------------------------------------- one target


@functools.cache
def _interpreter(version: str, exact: bool) -> str | None:
    """An interpreter of ``version`` (``3.9`` or ``3.13.0``); with ``exact``, of that release."""
    major_minor = ".".join(version.split(".")[:2])
    found = find_python(major_minor)
    if found is None or not exact or version.count(".") < 2:
        return found
    full = subprocess.run([found, "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return found if full == version else None


def _installed(site_packages: Path) -> dict[str, str]:
    out = {}
    for info in site_packages.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        out[str(canonicalize_name(name))] = version
    return out


@pytest.mark.parametrize("scenario", PINNED, ids=[s.id for s in PINNED])
def test_one_target(scenario: Scenario, spoke, index, venv, tmp_path: Path) -> None:
    uv = UV["pip"].get(scenario.name)
    satisfiable = uv["exit_code"] == 0 if uv else scenario.expected.satisfiable
    if scenario.name in DEVIATIONS:
        satisfiable = False  # the one here: spoke refuses what only an ignored upper bound allows
    expected = dict(scenario.expected.packages) or dict((uv or {}).get("packages", {}))
    expected = {str(canonicalize_name(k)): v for k, v in expected.items()}
    url = _serve(scenario, index, tmp_path)
    override = scenario.resolver_options.python
    here = scenario.environment.python
    if override is None and _interpreter(here, exact=True):
        env = venv(_interpreter(here, exact=True))
        result = spoke("install", "-r", "requirements.in", "--python", env.python, "-i", url,
                       cwd=tmp_path, check=False)
        if not satisfiable:
            _refused(result)
            assert _installed(env.site_packages) == {}, result.describe()
            return
        assert result.returncode == 0, result.describe()
        got = _installed(env.site_packages)
    else:
        args = ["compile", "requirements.in", "-o", "requirements.txt", "-i", url,
                "--python-version", override or here]
        builder = _interpreter(here, exact=False)
        if builder is not None:
            args += ["--python", str(venv(builder).python)]
        result = spoke(*args, cwd=tmp_path, check=False)
        if not satisfiable:
            _refused(result)
            return
        assert result.returncode == 0, result.describe()
        got = {p.name: p.version for p in parse_pins((tmp_path / "requirements.txt").read_text())}
    assert {k: Version(v) for k, v in got.items()} == {k: Version(v) for k, v in expected.items()}, result.describe()
