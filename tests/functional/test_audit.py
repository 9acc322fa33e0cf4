"""``spoke audit``: the real CLI against a local index, a local OSV service and real venvs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.functional.test_sources import build_index, wheels_of_backends  # noqa: F401
from tests.support.osv_server import osv_record
from tests.support.packages import Pkg
from tests.support.projects import write_project

# Two vulnerable packages, as in the seed: "jinja-lite" with one flaw published twice (PYSEC and
# GHSA, aliases of each other), "yamlish" with two flaws; "clean" has none.
PACKAGES = [
    Pkg("jinja-lite", "2.10"),
    Pkg("jinja-lite", "2.11.3"),
    Pkg("yamlish", "5.3"),
    Pkg("yamlish", "5.4"),
    Pkg("yamlish", "5.4.1"),
    Pkg("clean", "1.0"),
]
RECORDS = [
    osv_record("PYSEC-2021-66", "jinja-lite", fixed="2.11.3", aliases=["CVE-2020-28493", "GHSA-g3rq-g295-4j3m"],
               summary="ReDoS in the urlize filter"),
    osv_record("GHSA-g3rq-g295-4j3m", "jinja-lite", fixed="2.11.3", aliases=["CVE-2020-28493"],
               summary="Regular Expression Denial of Service in jinja-lite"),
    osv_record("PYSEC-2021-142", "yamlish", fixed="5.4", aliases=["CVE-2020-14343"],
               summary="Arbitrary code execution through full_load"),
    osv_record("GHSA-8q59-q68h-6hv4", "yamlish", fixed="5.4.1", aliases=["CVE-2020-1747"],
               summary="Improper input validation"),
    osv_record("PYSEC-2000-1", "clean", fixed="0.9", summary="Long fixed"),
    osv_record("PYSEC-2099-9", "clean", fixed="2.0", withdrawn="2099-01-01T00:00:00Z", summary="Withdrawn"),
]


#: The seed's pip-audit table for jinja-lite 2.10, yamlish 5.3 and clean 1.0.
SEED_TABLE = (
    "Name       Version ID                  Fix Versions\n"
    "---------- ------- ------------------- ------------\n"
    "jinja-lite 2.10    PYSEC-2021-66       2.11.3\n"
    "yamlish    5.3     PYSEC-2021-142      5.4\n"
    "yamlish    5.3     GHSA-8q59-q68h-6hv4 5.4.1\n"
)


def _env(spoke, index, venv, *pins: str, packages=PACKAGES):
    server = index(*packages)
    env = venv()
    spoke("install", *pins, "--python", str(env.python), "-i", server.simple_url)
    return server, env


def _audit(spoke, env, server, osv, *args: str, check: int | bool = 1):
    return spoke("audit", "--python", str(env.python), "-i", server.simple_url, "--osv-url", osv.url, *args,
                 check=check)


def test_seed_run_table_and_count(spoke, index, venv, osv) -> None:
    server, env = _env(spoke, index, venv, "jinja-lite==2.10", "yamlish==5.3", "clean==1.0")
    service = osv(*RECORDS)
    result = _audit(spoke, env, server, service)
    assert result.stdout == SEED_TABLE, result.describe()
    assert result.stderr.strip().endswith("Found 3 known vulnerabilities in 2 packages"), result.describe()
    # One batch for every package, then each record found once.
    assert service.paths("POST") == ["/v1/querybatch"]
    # (The withdrawn record is served, as OSV serves it, and left out of the table.)
    assert sorted(service.paths("GET")) == sorted(
        f"/v1/vulns/{i}" for i in ("PYSEC-2021-66", "GHSA-g3rq-g295-4j3m", "PYSEC-2021-142", "GHSA-8q59-q68h-6hv4",
                                   "PYSEC-2099-9"))
    queried = {q["package"]["name"]: q["version"] for q in service.requests()[0].body["queries"]}
    assert queried == {"jinja-lite": "2.10", "yamlish": "5.3", "clean": "1.0"}


def test_clean_environment_exits_zero(spoke, index, venv, osv) -> None:
    server, env = _env(spoke, index, venv, "jinja-lite==2.11.3", "clean==1.0")
    result = _audit(spoke, env, server, osv(*RECORDS), check=0)
    assert result.stdout == ""
    assert "No known vulnerabilities found" in result.stderr


def test_aliases_desc_and_ignore_by_alias(spoke, index, venv, osv) -> None:
    server, env = _env(spoke, index, venv, "jinja-lite==2.10", "yamlish==5.3")
    service = osv(*RECORDS)
    result = _audit(spoke, env, server, service, "--aliases", "--desc")
    header, _rule, *rows = result.stdout.splitlines()
    assert header.split() == ["Name", "Version", "ID", "Fix", "Versions", "Aliases", "Description"]
    jinja = next(r for r in rows if r.startswith("jinja-lite"))
    assert "CVE-2020-28493" in jinja and "GHSA-g3rq-g295-4j3m" in jinja
    assert "Regular Expression Denial of Service" in jinja or "ReDoS in the urlize filter" in jinja
    # Ignoring by a CVE alias hides the PYSEC row; the count says so.
    ignored = _audit(spoke, env, server, service, "--ignore-vuln", "CVE-2020-28493", "--ignore-vuln", "CVE-2020-1747")
    assert [line.split()[2] for line in ignored.stdout.splitlines()[2:]] == ["PYSEC-2021-142"]
    assert "Found 1 known vulnerability, ignored 2 in 1 package" in ignored.stderr
    every = _audit(spoke, env, server, service, "--ignore-vuln", "PYSEC-2021-66", "--ignore-vuln",
                   "PYSEC-2021-142", "--ignore-vuln", "GHSA-8q59-q68h-6hv4", check=0)
    assert "No known vulnerabilities found, 3 ignored" in every.stderr


def test_json_and_markdown_parse_back(spoke, index, venv, osv, tmp_path: Path) -> None:
    server, env = _env(spoke, index, venv, "jinja-lite==2.10", "yamlish==5.3", "clean==1.0")
    service = osv(*RECORDS)
    result = _audit(spoke, env, server, service, "--format", "json", "--aliases", "--desc")
    document = json.loads(result.stdout)
    deps = {d["name"]: d for d in document["dependencies"]}
    assert deps["clean"] == {"name": "clean", "version": "1.0", "vulns": []}
    assert [v["id"] for v in deps["yamlish"]["vulns"]] == ["PYSEC-2021-142", "GHSA-8q59-q68h-6hv4"]
    jinja = deps["jinja-lite"]["vulns"][0]
    assert jinja["fix_versions"] == ["2.11.3"] and set(jinja["aliases"]) == {"CVE-2020-28493", "GHSA-g3rq-g295-4j3m"}
    assert jinja["description"]
    assert document["fixes"] == []
    # -o FILE: the document goes there, the summary still to stderr.
    out = tmp_path / "audit.md"
    result = _audit(spoke, env, server, service, "-f", "markdown", "-o", str(out))
    assert result.stdout == "" and "Found 3 known vulnerabilities in 2 packages" in result.stderr
    lines = [line for line in out.read_text().splitlines() if line]
    assert lines[0] == "Name | Version | ID | Fix Versions" and lines[1] == "--- | --- | --- | ---"
    cells = [[c.strip() for c in line.split(" | ")] for line in lines[2:]]
    assert cells[0] == ["[jinja-lite](https://pypi.org/project/jinja-lite/)", "2.10",
                        "[PYSEC-2021-66](https://osv.dev/vulnerability/PYSEC-2021-66)", "2.11.3"]
    assert len(cells) == 3


def _fake_dist(env, name: str, version: str, direct_url: dict | None = None) -> None:
    """A distribution as another installer leaves it (a local or editable install)."""
    info = env.site_packages / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text("")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))


def test_skipped_packages_and_strict(spoke, index, venv, osv, tmp_path: Path) -> None:
    server, env = _env(spoke, index, venv, "yamlish==5.3")
    service = osv(*RECORDS, osv_record("PYSEC-2024-5", "mylib", fixed="9.0"))
    _fake_dist(env, "orphan", "1.0")  # the index does not know it
    _fake_dist(env, "localthing", "0.1", {"url": (tmp_path / "localthing").as_uri(), "dir_info": {}})
    _fake_dist(env, "mylib", "1.0", {"url": (tmp_path / "mylib").as_uri(), "dir_info": {"editable": True}})
    server.add(Pkg("mylib", "1.0"))
    result = _audit(spoke, env, server, service)
    skipped = result.stdout.split("\n\n")[1].splitlines()
    assert skipped[0].split() == ["Name", "Skip", "Reason"]
    assert re.match(r"localthing +installed from a local path \(file://.*\), not a release from an index$", skipped[2])
    assert re.match(r"orphan +Dependency not found on the package index and could not be audited: orphan \(1.0\)$",
                    skipped[3])
    assert len(skipped) == 4, result.describe()
    # An editable install of a project the index knows is audited by name and version (pip-audit's
    # default) — unless --skip-editable.
    assert re.search(r"^mylib +1.0 +PYSEC-2024-5 +9.0$", result.stdout, re.MULTILINE)
    result = _audit(spoke, env, server, service, "--skip-editable")
    assert "PYSEC-2024-5" not in result.stdout
    assert re.search(r"^mylib +distribution marked as editable$", result.stdout, re.MULTILINE)
    strict = _audit(spoke, env, server, service, "--strict", check=2)
    assert "error: localthing: installed from a local path" in strict.stderr
    assert "(and 1 more skipped)" in strict.stderr and strict.stdout == ""


def test_unreachable_service_is_exit_2(spoke, index, venv, osv) -> None:
    server, env = _env(spoke, index, venv, "yamlish==5.3")
    service = osv(*RECORDS)
    url = service.url
    service.close()
    result = spoke("audit", "--python", str(env.python), "-i", server.simple_url, "--osv-url", url,
                   "--retries", "0", check=2)
    assert result.stdout == ""
    assert f"error: Cannot ask the vulnerability service at {url}" in result.stderr
    assert "No known vulnerabilities" not in result.output
    # The variable and the failing status say the same.
    down = osv(*RECORDS)
    down.fail(503)
    result = spoke("audit", "--python", str(env.python), "-i", server.simple_url, "--retries", "0",
                   env={"SPOKE_OSV_URL": down.url}, check=2)
    assert "503" in result.stderr and down.paths("POST") == ["/v1/querybatch"]


def test_bad_input_is_exit_2(spoke, index, venv, osv, tmp_path: Path) -> None:
    server, env = _env(spoke, index, venv, "yamlish==5.3")
    service = osv(*RECORDS)
    missing = _audit(spoke, env, server, service, "-r", str(tmp_path / "nope.txt"), check=2)
    assert "No such requirements file" in missing.stderr
    bad_format = _audit(spoke, env, server, service, "--format", "yaml", check=2)
    assert "invalid choice" in bad_format.stderr
    bad_url = _audit(spoke, env, server, service, "--osv-url", "ftp://example", check=2)
    assert "is not an http(s) URL" in bad_url.stderr
    dry = _audit(spoke, env, server, service, "--dry-run", check=2)
    assert "--dry-run only applies to --fix" in dry.stderr
    broken = tmp_path / "broken.txt"
    broken.write_text("yamlish[fast==5.3\n")
    bad_file = _audit(spoke, env, server, service, "-r", str(broken), check=2)
    assert "broken.txt" in bad_file.stderr
    assert service.requests() == []  # nothing was asked


# -- requirements files ---------------------------------------------------------------------------


def test_requirements_resolved_without_installing(spoke, index, venv, osv, tmp_path: Path) -> None:
    server = index(*PACKAGES, Pkg("app", "1.0", deps=("yamlish>=5,<5.4", "clean")))
    env = venv()
    service = osv(*RECORDS)
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("app\njinja-lite>=2.11\n")
    result = _audit(spoke, env, server, service, "-r", str(reqs))
    assert [line.split()[:3] for line in result.stdout.splitlines()[2:]] == [
        ["yamlish", "5.3", "PYSEC-2021-142"], ["yamlish", "5.3", "GHSA-8q59-q68h-6hv4"]]
    queried = {q["package"]["name"]: q["version"] for q in service.requests()[0].body["queries"]}
    assert queried == {"app": "1.0", "clean": "1.0", "jinja-lite": "2.11.3", "yamlish": "5.3"}
    assert not list(env.site_packages.glob("*.dist-info"))  # nothing installed


def test_pinned_file_with_no_deps_is_audited_as_written(spoke, index, venv, osv, tmp_path: Path) -> None:
    server = index(*PACKAGES)
    env = venv()
    service = osv(*RECORDS)
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("# locked\nyamlish==5.4  # via app\njinja-lite==2.10\n")
    result = _audit(spoke, env, server, service, "-r", str(reqs), "--no-deps")
    assert [line.split()[:3] for line in result.stdout.splitlines()[2:]] == [
        ["jinja-lite", "2.10", "PYSEC-2021-66"], ["yamlish", "5.4", "GHSA-8q59-q68h-6hv4"]]
    assert "Found 2 known vulnerabilities in 2 packages" in result.stderr
    assert not [p for p in server.paths() if p.startswith("/simple/")]  # no index was asked


# -- --fix ----------------------------------------------------------------------------------------

# a 1.0 is vulnerable (fixed in 2.0); b 1.0 needs a<2, b 2.0 allows a 2.x. Upgrading a alone (what
# pip-audit's per-package `pip install a==2.0` does) breaks b 1.0; the joint fix moves both.
JOINT = [
    Pkg("a", "1.0"), Pkg("a", "2.0"), Pkg("a", "3.0"),
    Pkg("b", "1.0", deps=("a<2",)), Pkg("b", "2.0", deps=("a>=1",)),
    Pkg("x", "1.0"), Pkg("x", "2.0"),
]
JOINT_RECORDS = [
    osv_record("PYSEC-2024-100", "a", fixed="2.0", aliases=["CVE-2024-100"], summary="a leaks"),
    osv_record("GHSA-aaaa-bbbb-0001", "a", introduced="3.0", summary="a 3.0 regressed"),
    osv_record("GHSA-xxxx-yyyy-0002", "x", summary="x has no fix"),
]


def _dists(env) -> set[str]:
    return {p.name for p in env.site_packages.glob("*.dist-info")}


def test_fix_resolves_jointly_in_one_transaction(spoke, index, venv, osv, pip_in) -> None:
    server, env = _env(spoke, index, venv, "a==1.0", "b==1.0", "x==1.0", packages=JOINT)
    service = osv(*JOINT_RECORDS)
    planned = _audit(spoke, env, server, service, "--fix", "--dry-run")
    assert _dists(env) == {"a-1.0.dist-info", "b-1.0.dist-info", "x-1.0.dist-info"}
    assert "Would upgrade in one resolution:\n  a 1.0 -> 2.0\n  b 1.0 -> 2.0 (so that the fixes fit)" \
        in planned.stderr, planned.describe()
    assert "warning: cannot fix x 1.0: no release of x fixes GHSA-xxxx-yyyy-0002" in planned.stderr
    result = _audit(spoke, env, server, service, "--fix")
    # a 2.0, the lowest safe release (3.0 has a flaw of its own); b moved with it; x left alone.
    assert _dists(env) == {"a-2.0.dist-info", "b-2.0.dist-info", "x-1.0.dist-info"}, result.describe()
    assert pip_in(env.python, "check").returncode == 0
    assert "Upgraded in one resolution:\n  a 1.0 -> 2.0\n  b 1.0 -> 2.0" in result.stderr
    assert "Fixed 1 vulnerability in 1 package; auditing again:" in result.stderr
    # What is left is audited again and printed.
    assert [line.split()[:3] for line in result.stdout.splitlines()[2:]] == [["x", "1.0", "GHSA-xxxx-yyyy-0002"]]
    assert result.stderr.strip().endswith("Found 1 known vulnerability in 1 package")
    # One transaction: rolling it back puts both back.
    history = spoke("history", "--python", str(env.python))
    assert "audit" in history.stdout, history.describe()
    spoke("rollback", "--python", str(env.python), "-i", server.simple_url)
    assert _dists(env) == {"a-1.0.dist-info", "b-1.0.dist-info", "x-1.0.dist-info"}


def test_fix_everything_exits_zero_and_json_lists_fixes(spoke, index, venv, osv) -> None:
    server, env = _env(spoke, index, venv, "a==1.0", "b==1.0", packages=JOINT)
    service = osv(*JOINT_RECORDS)
    result = _audit(spoke, env, server, service, "--fix", "--format", "json", check=0)
    document = json.loads(result.stdout)
    assert {"name": "a", "old_version": "1.0", "new_version": "2.0"} in document["fixes"]
    assert {d["name"]: d["version"] for d in document["dependencies"]} == {"a": "2.0", "b": "2.0"}
    assert "No known vulnerabilities found" in result.stderr


def test_fix_blocked_by_a_conflict_says_why(spoke, index, venv, osv) -> None:
    server, env = _env(spoke, index, venv, "a==1.0", "c==1.0",
                       packages=[*JOINT, Pkg("c", "1.0", deps=("a<2",))])
    service = osv(*JOINT_RECORDS)
    result = _audit(spoke, env, server, service, "--fix")
    assert "warning: cannot fix a 1.0: the fixed versions conflict with other requirements: Because" \
        in result.stderr, result.describe()
    assert _dists(env) == {"a-1.0.dist-info", "c-1.0.dist-info"}
    assert "Found 1 known vulnerability in 1 package" in result.stderr


def test_fix_rewrites_the_pins_of_a_file_in_place(spoke, index, venv, osv, tmp_path: Path) -> None:
    server = index(*JOINT)
    env = venv()
    service = osv(*JOINT_RECORDS[:2])
    reqs = tmp_path / "requirements.txt"
    text = "# pinned for production\na==1.0  # the app's core\n\nb==1.0 ; python_version >= '3'\nx==1.0\n"
    reqs.write_text(text)
    dry = _audit(spoke, env, server, service, "-r", str(reqs), "--fix", "--dry-run")
    assert reqs.read_text() == text and "Would upgrade" in dry.stderr
    result = _audit(spoke, env, server, service, "-r", str(reqs), "--fix", check=0)
    assert reqs.read_text() == (
        "# pinned for production\na==2.0  # the app's core\n\nb==2.0 ; python_version >= '3'\nx==1.0\n"
    ), result.describe()
    assert f"Rewrote the pins in {reqs}" in result.stderr
    assert "No known vulnerabilities found" in result.stderr
    assert not list(env.site_packages.glob("*.dist-info"))


# -- offline ---------------------------------------------------------------------------------------


def test_offline_db_zip_and_folder(spoke, index, venv, osv, tmp_path: Path) -> None:
    server, env = _env(spoke, index, venv, "jinja-lite==2.10", "yamlish==5.3", "clean==1.0")
    service = osv(*RECORDS)
    online = _audit(spoke, env, server, service)
    export = tmp_path / "all.zip"
    export.write_bytes(service.export_zip())
    asked = len(service.requests())
    offline = _audit(spoke, env, server, service, "--db", str(export))
    assert offline.stdout == online.stdout, offline.describe()
    assert "Found 3 known vulnerabilities in 2 packages" in offline.stderr
    folder = tmp_path / "advisories" / "nested"
    folder.mkdir(parents=True)
    for record in service.records():
        (folder / f"{record['id']}.json").write_text(json.dumps(record))
    assert _audit(spoke, env, server, service, "--db", str(folder.parent)).stdout == online.stdout
    assert len(service.requests()) == asked  # the service was never asked offline
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    result = _audit(spoke, env, server, service, "--db", str(bad), check=2)
    assert "is neither a zip nor a folder" in result.stderr
    result = _audit(spoke, env, server, service, "--db", str(tmp_path / "missing.zip"), check=2)
    assert "No vulnerability database at" in result.stderr


def test_cyclonedx_boms_validate(spoke, index, venv, osv, tmp_path: Path) -> None:
    from xml.etree import ElementTree

    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from cyclonedx.validation.xml import XmlValidator

    server, env = _env(spoke, index, venv, "jinja-lite==2.10", "yamlish==5.3", "clean==1.0")
    service = osv(*RECORDS)
    as_json = _audit(spoke, env, server, service, "-f", "cyclonedx-json")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(as_json.stdout) is None
    bom = json.loads(as_json.stdout)
    assert {c["purl"] for c in bom["components"]} == {"pkg:pypi/clean@1.0", "pkg:pypi/jinja-lite@2.10",
                                                      "pkg:pypi/yamlish@5.3"}
    vulns = {v["id"]: v for v in bom["vulnerabilities"]}
    assert set(vulns) == {"PYSEC-2021-66", "PYSEC-2021-142", "GHSA-8q59-q68h-6hv4"}
    assert vulns["PYSEC-2021-66"]["affects"] == [{"ref": "pkg:pypi/jinja-lite@2.10"}]
    assert {r["id"] for r in vulns["PYSEC-2021-66"]["references"]} == {"CVE-2020-28493", "GHSA-g3rq-g295-4j3m"}
    assert vulns["PYSEC-2021-66"]["recommendation"] == "Upgrade to 2.11.3"
    out = tmp_path / "bom.xml"
    _audit(spoke, env, server, service, "-f", "cyclonedx-xml", "-o", str(out))
    text = out.read_text()
    assert XmlValidator(SchemaVersion.V1_6).validate_str(text) is None
    ns = {"c": "http://cyclonedx.org/schema/bom/1.6"}
    ids = {v.findtext("c:id", namespaces=ns) for v in ElementTree.fromstring(text).iterfind(".//c:vulnerability", ns)}
    assert ids == set(vulns)
    # A clean environment is still a complete BOM (its components, no vulnerabilities).
    clean_env = venv(name="clean-env")
    spoke("install", "clean==1.0", "--python", str(clean_env.python), "-i", server.simple_url)
    clean = _audit(spoke, clean_env, server, service, "-f", "cyclonedx-json", check=0)
    assert [c["name"] for c in json.loads(clean.stdout)["components"]] == ["clean"]


def test_update_db_then_offline(spoke, index, venv, osv, tmp_path: Path) -> None:
    server, env = _env(spoke, index, venv, "jinja-lite==2.10", "yamlish==5.3", "clean==1.0")
    service = osv(*RECORDS)
    online = _audit(spoke, env, server, service)
    # Offline with no database yet: exit 2 and the command that makes one.
    missing = spoke("audit", "--python", str(env.python), "--offline", check=2)
    assert "spoke audit --update-db" in missing.stderr, missing.describe()
    updated = _audit(spoke, env, server, service, "--update-db", "--db-url", service.export_url)
    assert "Updated the vulnerability database at " in updated.stderr and updated.stdout == online.stdout
    assert service.paths("GET")[-1] == "/PyPI/all.zip"
    asked = len(service.requests())
    # Later, offline (no index either): the cached database answers the same.
    offline = spoke("audit", "--python", str(env.python), "--offline", check=1)
    assert offline.stdout == online.stdout, offline.describe()
    assert len(service.requests()) == asked
    # --update-db into a named file; a failed download leaves the old copy alone.
    named = tmp_path / "osv.zip"
    _audit(spoke, env, server, service, "--update-db", "--db", str(named), "--db-url", service.export_url)
    before = named.read_bytes()
    service.fail(503)
    failed = _audit(spoke, env, server, service, "--update-db", "--db", str(named), "--db-url", service.export_url,
                    "--retries", "0", check=2)
    assert "Cannot download the vulnerability database" in failed.stderr, failed.describe()
    assert named.read_bytes() == before


def test_pypi_json_api_as_the_service(spoke, index, venv) -> None:
    server, env = _env(spoke, index, venv, "jinja-lite==2.10", "yamlish==5.3", "clean==1.0")
    # PyPI derives a release's `vulnerabilities` from OSV's records; the index serves them so.
    for record in RECORDS:
        name = record["affected"][0]["package"]["name"]
        server.vulnerabilities.setdefault(name, []).append(record)
    base = server.url
    result = spoke("audit", "--python", str(env.python), "-i", server.simple_url, "-s", "pypi", "--pypi-url", base,
                   check=1)
    assert result.stdout == SEED_TABLE, result.describe()
    assert result.stderr.strip().endswith("Found 3 known vulnerabilities in 2 packages")
    asked = sorted(p for p in server.paths("GET") if p.startswith("/pypi/"))
    assert asked == ["/pypi/clean/1.0/json", "/pypi/jinja-lite/2.10/json", "/pypi/yamlish/5.3/json"]
    # A release PyPI does not have is skipped with the reason, never reported clean.
    only_jinja = index(Pkg("jinja-lite", "2.10"))
    unknown = spoke("audit", "--python", str(env.python), "-i", server.simple_url, "-s", "pypi",
                    "--pypi-url", only_jinja.url, "-f", "json", check=0)
    deps = {d["name"]: d for d in json.loads(unknown.stdout)["dependencies"]}
    assert deps["jinja-lite"] == {"name": "jinja-lite", "version": "2.10", "vulns": []}, unknown.describe()
    assert deps["yamlish"] == {"name": "yamlish", "skip_reason": "Dependency not found on PyPI and could not be "
                                                                 "audited: yamlish (5.3)"}
    # The JSON API unreachable: exit 2 naming the setting.
    down = spoke("audit", "--python", str(env.python), "-i", server.simple_url, "-s", "pypi",
                 "--pypi-url", "http://127.0.0.1:9", "--retries", "0", check=2)
    assert "--pypi-url" in down.stderr and "nothing is known to be safe" in down.stderr, down.describe()


def test_a_lock_file_and_a_project(spoke, build_index, venv, osv, tmp_path: Path) -> None:  # noqa: F811
    server = build_index(*PACKAGES, Pkg("app-dep", "1.0", deps=("yamlish<5.4",)))
    service = osv(*RECORDS)
    lock = tmp_path / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "test"\n\n'
        '[[packages]]\nname = "jinja-lite"\nversion = "2.10"\nmarker = "sys_platform == \'win32\'"\n'
        '[[packages.wheels]]\nname = "jinja_lite-2.10-py3-none-any.whl"\n'
        'url = "https://example.org/jinja_lite-2.10-py3-none-any.whl"\nhashes = {sha256 = "' + "0" * 64 + '"}\n\n'
        '[[packages]]\nname = "clean"\nversion = "1.0"\n'
        '[[packages.wheels]]\nname = "clean-1.0-py3-none-any.whl"\n'
        'url = "https://example.org/clean-1.0-py3-none-any.whl"\nhashes = {sha256 = "' + "1" * 64 + '"}\n\n'
        '[[packages]]\nname = "local-thing"\n[packages.directory]\npath = "./local"\n'
    )
    # Every locked package is audited whatever its marker; nothing is resolved or installed.
    audited = spoke("audit", str(lock), "--osv-url", service.url, "-f", "json", check=1)
    deps = {d["name"]: d for d in json.loads(audited.stdout)["dependencies"]}
    assert [v["id"] for v in deps["jinja-lite"]["vulns"]] == ["PYSEC-2021-66"], audited.describe()
    assert deps["clean"]["vulns"] == [] and "folder" in deps["local-thing"]["skip_reason"]
    assert server.paths() == []
    broken = tmp_path / "pylock.bad.toml"
    broken.write_text('lock-version = "1.0"\n[[packages]]\nversion = "1"\n')
    refused = spoke("audit", str(broken), "--osv-url", service.url, check=2)
    assert "is not a valid PEP 751 lock file" in refused.stderr, refused.describe()

    # A project folder: its dependencies resolved for the target; the project itself not listed.
    project = write_project(tmp_path / "app", "app", "0.1", backend="hatchling", deps=["app-dep", "jinja-lite>=2.11"])
    env = venv()
    result = spoke("audit", "--python", str(env.python), str(project), "-i", server.simple_url,
                   "--osv-url", service.url, check=1)
    assert result.stdout == (
        "Name    Version ID                  Fix Versions\n"
        "------- ------- ------------------- ------------\n"
        "yamlish 5.3     PYSEC-2021-142      5.4\n"
        "yamlish 5.3     GHSA-8q59-q68h-6hv4 5.4.1\n"
    ), result.describe()
    fix = spoke("audit", str(project), "--fix", check=2)
    assert "--fix applies to the environment or to -r files" in fix.stderr
    nothing = spoke("audit", str(tmp_path / "nowhere"), check=2)
    assert "neither a pylock.toml nor a Python project" in nothing.stderr


def test_install_audit_refuses_vulnerable_versions_before_downloading(spoke, index, venv, osv) -> None:
    server = index(*PACKAGES)
    service = osv(*RECORDS)
    env = venv()
    install = ("install", "--python", str(env.python), "-i", server.simple_url, "--osv-url", service.url)
    refused = spoke(*install, "--audit", "jinja-lite==2.10", "clean", check=1)
    assert "Refusing to install 1 package with known vulnerabilities: jinja-lite 2.10" in refused.stderr
    assert "jinja-lite 2.10: PYSEC-2021-66 (fixed in 2.11.3): " in refused.stderr, refused.describe()
    assert "jinja-lite>=2.11.3" in refused.stderr and "--ignore-vuln PYSEC-2021-66" in refused.stderr
    assert not [p for p in server.paths() if p.startswith("/files/") and not p.endswith(".metadata")]
    assert not list(env.site_packages.glob("*.dist-info"))
    # The configuration key (here its variable) turns it on; an alias of the advisory accepts it.
    by_config = spoke(*install, "yamlish==5.3", check=1, env={"SPOKE_AUDIT": "1"})
    assert "yamlish 5.3" in by_config.stderr and "yamlish>=5.4.1" in by_config.stderr, by_config.describe()
    spoke(*install, "--audit", "jinja-lite==2.10", "--ignore-vuln", "CVE-2020-28493")
    assert {p.name for p in env.site_packages.glob("*.dist-info")} == {"jinja_lite-2.10.dist-info"}
    # The service options are checked as `spoke audit` checks them.
    bad = spoke("install", "--python", str(env.python), "-i", server.simple_url, "--audit", "--osv-url", "ftp://x",
                "clean", check=2)
    assert "is not an http(s) URL" in bad.stderr and "--osv-url" in bad.stderr
    # The newest versions are clean: nothing is refused.
    spoke(*install, "--audit", "--upgrade", "jinja-lite", "yamlish")
    assert {p.name for p in env.site_packages.glob("*.dist-info")} == {"jinja_lite-2.11.3.dist-info",
                                                                       "yamlish-5.4.1.dist-info"}
