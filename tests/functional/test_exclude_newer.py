"""``--exclude-newer`` / ``--uploaded-prior-to`` (issue 14) through the CLI, by PEP 700 upload times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.support.packages import Pkg


def dists(env) -> set[str]:  # noqa: ANN001
    return {p.name for p in env.site_packages.glob("*.dist-info")}


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


OLD_AND_NEW = (
    Pkg("beta", "1.0", upload_time="2024-01-10T08:00:00.000000Z"),
    Pkg("beta", "2.0", upload_time="2024-06-01T08:00:00.000000Z"),
)


@pytest.mark.parametrize("option", [
    ("--exclude-newer", "2024-03-01T12:00:00Z"),
    ("--exclude-newer", "2024-03-01"),
    ("--uploaded-prior-to", "2024-03-01"),
    ("--uploaded-prior-to", "2024-03-01T12:00:00+02:00"),
])
def test_the_newer_version_is_left_out_and_the_older_chosen(spoke, index, venv, option) -> None:
    server = index(*OLD_AND_NEW)
    env = venv()
    spoke("install", "--python", str(env.python), *option, "beta", "-i", server.simple_url)
    assert dists(env) == {"beta-1.0.dist-info"}


def test_a_duration_counts_back_from_now(spoke, index, venv, tmp_path) -> None:
    now = datetime.now(timezone.utc)
    server = index(Pkg("beta", "1.0", upload_time=stamp(now - timedelta(days=30))),
                   Pkg("beta", "2.0", upload_time=stamp(now - timedelta(days=1))))
    dest = tmp_path / "d"
    spoke("download", "beta", "-d", str(dest), "-i", server.simple_url, "--exclude-newer", "3 days")
    assert [p.name for p in dest.iterdir()] == ["beta-1.0-py3-none-any.whl"]
    again = tmp_path / "again"
    spoke("download", "beta", "-d", str(again), "-i", server.simple_url, env={"PIP_UPLOADED_PRIOR_TO": "P2D"})
    assert [p.name for p in again.iterdir()] == ["beta-1.0-py3-none-any.whl"]
    recent = tmp_path / "recent"
    spoke("download", "beta", "-d", str(recent), "-i", server.simple_url, "--exclude-newer", "12 hours")
    assert [p.name for p in recent.iterdir()] == ["beta-2.0-py3-none-any.whl"]


def test_a_pin_to_a_version_uploaded_after_the_cutoff_finds_nothing(spoke, index, venv) -> None:
    server = index(*OLD_AND_NEW)
    env = venv()
    result = spoke("install", "--python", str(env.python), "--exclude-newer", "2024-03-01", "beta==2.0",
                   "-i", server.simple_url, env={"TZ": "UTC"}, check=1)
    assert "beta 2.0 was uploaded after the upload cut-off 2024-03-02T00:00:00Z" in result.stderr, result.describe()
    assert "Traceback" not in result.output
    assert dists(env) == set()


def test_an_index_without_upload_times_is_a_clear_error(spoke, index, venv) -> None:
    html_only = index(*OLD_AND_NEW, json=False)
    env = venv()
    result = spoke("install", "--python", str(env.python), "--exclude-newer", "2024-03-01", "beta",
                   "-i", html_only.simple_url, check=1)
    assert f"error: The index {html_only.simple_url.rstrip('/')}" in result.stderr, result.describe()
    assert "does not publish upload times (PEP 700)" in result.stderr
    assert "Traceback" not in result.output and dists(env) == set()


def test_a_single_file_without_an_upload_time_is_left_out_with_a_warning(spoke, index, venv) -> None:
    server = index(Pkg("beta", "1.0", upload_time="2024-01-10T08:00:00Z"), Pkg("beta", "1.5"))
    env = venv()
    result = spoke("install", "--python", str(env.python), "--exclude-newer", "2030-01-01", "beta",
                   "-i", server.simple_url)
    assert dists(env) == {"beta-1.0.dist-info"}
    assert "beta-1.5-py3-none-any.whl" in result.stderr and "no valid upload time" in result.stderr


def test_local_find_links_are_not_held_to_the_cutoff(spoke, index, venv, tmp_path) -> None:
    server = index(*OLD_AND_NEW)
    spoke("download", "beta==2.0", "-d", str(tmp_path / "wheels"), "-i", server.simple_url)
    env = venv()
    spoke("install", "--python", str(env.python), "--no-index", "-f", str(tmp_path / "wheels"),
          "--exclude-newer", "2020-01-01", "beta")
    assert dists(env) == {"beta-2.0.dist-info"}


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "3 months", "P1Y", "2024-03-01T25:00Z", ""])
def test_a_malformed_time_on_the_command_line_is_a_usage_error(spoke, index, value, tmp_path) -> None:
    server = index(*OLD_AND_NEW)
    dest = tmp_path / "d"
    result = spoke("download", "beta", "-d", str(dest), "-i", server.simple_url, "--exclude-newer", value, check=False)
    if value == "":  # an empty value means the option is not set, as pip reads empty values
        assert result.returncode == 0, result.describe()
        return
    assert result.returncode == 2, result.describe()
    assert "error: invalid value for `--exclude-newer`" in result.stderr
    assert "hint: `--exclude-newer` takes a timestamp like `2024-03-01T12:00:00Z`, a date like" in result.stderr
    assert "Traceback" not in result.output and not dest.exists()
    assert server.requests == []


def test_a_malformed_time_in_the_environment_names_the_variable(spoke, index, tmp_path) -> None:
    server = index(*OLD_AND_NEW)
    result = spoke("wheel", "beta", "-w", str(tmp_path / "w"), "-i", server.simple_url,
                   env={"SPOKE_EXCLUDE_NEWER": "soon"}, check=1)
    assert "in environment variable SPOKE_EXCLUDE_NEWER" in result.stderr, result.describe()
    assert "Traceback" not in result.output
