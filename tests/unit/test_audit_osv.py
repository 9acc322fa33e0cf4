"""OSV matching (spoke.audit.osv) on records shaped as OSV publishes them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from packaging.version import Version

from spoke.audit.osv import Advisory, advisories_for, advisory, affects, earliest_fix, fix_versions, fold, in_range

# As https://api.osv.dev/v1/vulns/PYSEC-2023-74 publishes it (trimmed of references).
PYSEC_REQUESTS: dict[str, Any] = {
    "id": "PYSEC-2023-74",
    "details": "Requests is a HTTP library. Since Requests 2.3.0, Requests has been leaking "
               "Proxy-Authorization headers\nto destination servers when redirected to an HTTPS endpoint.",
    "aliases": ["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"],
    "modified": "2023-06-05T01:13:00.502779Z",
    "published": "2023-05-26T18:15:00Z",
    "affected": [{
        "package": {"name": "requests", "ecosystem": "PyPI", "purl": "pkg:pypi/requests"},
        "ranges": [
            {"type": "GIT", "repo": "https://github.com/psf/requests",
             "events": [{"introduced": "0"}, {"fixed": "74ea7cf7a6a27a4eeb2ae24e162bcc942a6706d5"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]},
        ],
        "versions": ["2.3.0", "2.30.0", "2.4.0"],
    }],
    "schema_version": "1.6.0",
}

# The GitHub advisory of the same flaw: its own id, the others as aliases.
GHSA_REQUESTS: dict[str, Any] = {
    "id": "GHSA-j8r2-6x86-q33q",
    "summary": "Unintended leak of Proxy-Authorization header in requests",
    "details": "### Impact\n\nSince requests v2.3.0 ...",
    "aliases": ["CVE-2023-32681"],
    "modified": "2024-11-18T16:26:11Z",
    "published": "2023-05-22T20:36:32Z",
    "affected": [{
        "package": {"ecosystem": "PyPI", "name": "requests", "purl": "pkg:pypi/requests"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]}],
        "database_specific": {"source": "https://github.com/github/advisory-database/blob/main/..."},
    }],
    "schema_version": "1.6.0",
}

# Two release lines fixed apart, as Django's advisories are written.
PYSEC_DJANGO: dict[str, Any] = {
    "id": "PYSEC-2024-47",
    "summary": "Django has a potential denial-of-service",
    "aliases": ["CVE-2024-24680", "GHSA-xxj9-f6rv-m3x4"],
    "modified": "2024-02-10T00:00:00Z",
    "published": "2024-02-06T22:15:00Z",
    "affected": [{
        "package": {"name": "django", "ecosystem": "PyPI"},
        "ranges": [{"type": "ECOSYSTEM", "events": [
            {"introduced": "3.2"}, {"fixed": "3.2.24"}, {"introduced": "4.2"}, {"fixed": "4.2.10"},
            {"introduced": "5.0"}, {"fixed": "5.0.2"},
        ]}],
    }],
    "schema_version": "1.6.0",
}

# No fix yet: affected up to and including 1.4 (GHSA's last_affected).
GHSA_UNFIXED: dict[str, Any] = {
    "id": "GHSA-aaaa-bbbb-cccc",
    "summary": "Everything up to 1.4",
    "aliases": [],
    "modified": "2024-01-01T00:00:00Z",
    "affected": [{
        "package": {"name": "Some_Lib", "ecosystem": "PyPI"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "1.4"}]}],
    }],
    "schema_version": "1.6.0",
}


@pytest.mark.parametrize(("version", "expected"), [
    ("2.2.1", False), ("2.3.0", True), ("2.28.2", True), ("2.30.0", True), ("2.31.0", False), ("2.32.3", False),
])
def test_ecosystem_range(version: str, expected: bool) -> None:
    assert affects(PYSEC_REQUESTS, "requests", version) is expected
    assert affects(GHSA_REQUESTS, "Requests", Version(version)) is expected


@pytest.mark.parametrize(("version", "expected"), [
    ("3.1", False), ("3.2.23", True), ("3.2.24", False), ("4.1", False), ("4.2.9", True),
    ("4.2.10", False), ("5.0", True), ("5.0.2", False), ("5.1", False),
])
def test_several_ranges_in_one_event_list(version: str, expected: bool) -> None:
    assert affects(PYSEC_DJANGO, "Django", version) is expected


@pytest.mark.parametrize(("version", "expected"), [("0.1", True), ("1.4", True), ("1.4.post1", False), ("2.0", False)])
def test_last_affected_includes_itself(version: str, expected: bool) -> None:
    assert affects(GHSA_UNFIXED, "some-lib", version) is expected


def test_limit_caps_a_range() -> None:
    events = [{"introduced": "1.0"}, {"limit": "1.5"}]
    assert in_range(Version("1.2"), events)
    assert not in_range(Version("1.5"), events)
    assert not in_range(Version("0.9"), events)
    assert in_range(Version("9.0"), [{"introduced": "1.0"}, {"limit": "*"}])


def test_explicit_versions_list_only() -> None:
    record = copy.deepcopy(PYSEC_REQUESTS)
    record["affected"][0]["ranges"] = [r for r in record["affected"][0]["ranges"] if r["type"] == "GIT"]
    assert affects(record, "requests", "2.4.0")
    assert affects(record, "requests", "2.4")  # the same PEP 440 version
    assert not affects(record, "requests", "2.28.2")  # a GIT range names commits, not versions


def test_withdrawn_is_never_reported() -> None:
    record = {**PYSEC_REQUESTS, "withdrawn": "2023-07-01T00:00:00Z"}
    assert not affects(record, "requests", "2.28.2")
    assert advisories_for([record], "requests", "2.28.2") == []


def test_other_package_or_ecosystem_does_not_match() -> None:
    assert not affects(PYSEC_REQUESTS, "requests-toolbelt", "2.28.2")
    record = copy.deepcopy(PYSEC_REQUESTS)
    record["affected"][0]["package"]["ecosystem"] = "npm"
    assert not affects(record, "requests", "2.28.2")


def test_unreadable_versions_are_skipped() -> None:
    record = copy.deepcopy(GHSA_REQUESTS)
    record["affected"][0]["ranges"][0]["events"] = [{"introduced": "not a version"}, {"fixed": "2.31.0"}]
    assert not affects(record, "requests", "2.28.2")
    assert not affects(GHSA_REQUESTS, "requests", "not-pep440")


def test_advisory_prefers_pysec_then_ghsa_and_one_line_description() -> None:
    found = advisory(PYSEC_REQUESTS, "requests")
    assert found.id == "PYSEC-2023-74"
    assert found.aliases == ("GHSA-j8r2-6x86-q33q", "CVE-2023-32681")
    assert "\n" not in found.description and found.description.startswith("Requests is a HTTP library.")
    assert found.fix_versions == (Version("2.31.0"),)
    ghsa = advisory(GHSA_REQUESTS, "requests")
    assert ghsa.id == "GHSA-j8r2-6x86-q33q" and ghsa.aliases == ("CVE-2023-32681",)
    assert ghsa.description == "Unintended leak of Proxy-Authorization header in requests"  # summary first
    cve_only = advisory({"id": "CVE-2020-1", "aliases": ["BIT-x-1"], "affected": []}, "x")
    assert cve_only.id == "CVE-2020-1" and cve_only.description == "N/A"


def test_aliases_fold_into_one_row() -> None:
    rows = advisories_for([GHSA_REQUESTS, PYSEC_REQUESTS], "requests", "2.28.2")
    assert len(rows) == 1
    assert rows[0].id == "PYSEC-2023-74"
    assert set(rows[0].aliases) == {"GHSA-j8r2-6x86-q33q", "CVE-2023-32681"}
    assert rows[0].description == "Unintended leak of Proxy-Authorization header in requests"


def test_fold_joins_chains_and_keeps_first_seen_order() -> None:
    a = Advisory(id="GHSA-1", aliases=("CVE-1",))
    b = Advisory(id="OTHER-9")
    c = Advisory(id="PYSEC-1", aliases=("CVE-2",))
    d = Advisory(id="CVE-2", aliases=("CVE-1",), fix_versions=(Version("3"),))  # links a and c
    assert [x.id for x in fold([a, b])] == ["GHSA-1", "OTHER-9"]
    rows = fold([a, b, c, d])
    assert [x.id for x in rows] == ["PYSEC-1", "OTHER-9"]
    assert set(rows[0].aliases) == {"GHSA-1", "CVE-1", "CVE-2"}
    assert rows[0].fix_versions == (Version("3"),)


def test_fix_versions_are_the_fixed_events_sorted() -> None:
    assert fix_versions(PYSEC_DJANGO, "django") == (Version("3.2.24"), Version("4.2.10"), Version("5.0.2"))
    assert fix_versions(GHSA_UNFIXED, "some-lib") == ()


def test_earliest_fix_covers_every_advisory() -> None:
    django = advisory(PYSEC_DJANGO, "django")
    other = Advisory(id="X", fix_versions=(Version("4.2.12"),))
    assert earliest_fix([django], Version("4.2.3")) == Version("4.2.10")
    assert earliest_fix([django, other], Version("4.2.3")) == Version("4.2.12")
    assert earliest_fix([advisory(GHSA_UNFIXED, "some-lib")], Version("1.0")) is None
    assert earliest_fix([], Version("1.0")) is None
