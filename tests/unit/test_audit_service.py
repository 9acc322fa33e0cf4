"""OsvService against the OSV-compatible test server, through the real HttpClient."""

from __future__ import annotations

import json
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import pytest
from packaging.version import Version

from spoke.audit.service import OsvService, Package
from spoke.errors import AuditServiceError
from spoke.net import HttpClient, NetSettings
from tests.support.osv_server import OsvServer, osv_record

RECORDS = [
    osv_record("PYSEC-2023-74", "requests", introduced="2.3.0", fixed="2.31.0",
               aliases=["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"], summary="Proxy-Authorization leak"),
    osv_record("GHSA-j8r2-6x86-q33q", "requests", introduced="2.3.0", fixed="2.31.0", aliases=["CVE-2023-32681"]),
    osv_record("GHSA-9wx4-h78v-vm56", "requests", fixed="2.32.0", summary="verify=False sticks"),
    osv_record("PYSEC-2099-1", "requests", fixed="2.32.0", withdrawn="2099-01-01T00:00:00Z"),
    osv_record("PYSEC-2022-42969", "py", last_affected="1.11.0", summary="ReDoS in py"),
]


@pytest.fixture
def http():
    with HttpClient(NetSettings(timeout=3.0, retries=1, backoff_base=0.01), sleep=lambda _s: None) as client:
        yield client


def test_server_speaks_osv_endpoints() -> None:
    with OsvServer(RECORDS) as server:
        request = urllib.request.Request(
            f"{server.url}/v1/query", method="POST",
            data=json.dumps({"package": {"name": "Requests", "ecosystem": "PyPI"}, "version": "2.30.0"}).encode(),
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            ids = [v["id"] for v in json.load(answer)["vulns"]]
        assert ids == ["GHSA-9wx4-h78v-vm56", "GHSA-j8r2-6x86-q33q", "PYSEC-2023-74", "PYSEC-2099-1"]
        with urllib.request.urlopen(f"{server.url}/v1/vulns/PYSEC-2022-42969", timeout=5) as answer:
            assert json.load(answer)["affected"][0]["package"] == {
                "ecosystem": "PyPI", "name": "py", "purl": "pkg:pypi/py"}
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{server.url}/v1/vulns/NOPE-1", timeout=5)
        assert missing.value.code == 404
        with urllib.request.urlopen(server.export_url, timeout=5) as answer:
            names = zipfile.ZipFile(BytesIO(answer.read())).namelist()
        assert sorted(names) == sorted(f"{r['id']}.json" for r in RECORDS)


def test_advisories_batch_then_records_folded(http: HttpClient) -> None:
    with OsvServer(RECORDS) as server, ThreadPoolExecutor(4) as pool:
        service = OsvService(http, server.url, executor=pool)
        requests_old = Package(name="requests", version=Version("2.30.0"))
        requests_mid = Package(name="requests", version=Version("2.31.0"))
        clean = Package(name="flask", version=Version("3.0.0"))
        py = Package(name="py", version=Version("1.11.0"))
        found = service.advisories([requests_old, requests_mid, clean, py])
        assert server.paths("POST") == ["/v1/querybatch"]
        gets = server.paths("GET")
        assert sorted(gets) == sorted(set(gets))  # each record fetched once
    assert [(a.id, a.fix_versions) for a in found[requests_old]] == [
        ("GHSA-9wx4-h78v-vm56", (Version("2.32.0"),)),
        ("PYSEC-2023-74", (Version("2.31.0"),)),
    ]
    assert set(found[requests_old][1].aliases) == {"GHSA-j8r2-6x86-q33q", "CVE-2023-32681"}
    assert [a.id for a in found[requests_mid]] == ["GHSA-9wx4-h78v-vm56"]
    assert found[clean] == []
    assert [(a.id, a.fix_versions) for a in found[py]] == [("PYSEC-2022-42969", ())]


def test_pages_are_followed(http: HttpClient) -> None:
    with OsvServer(RECORDS, page_size=1) as server:
        found = OsvService(http, server.url).advisories([Package(name="requests", version=Version("2.30.0"))])
        assert len(server.paths("POST")) == 4  # four records, one per page
    assert len(found[Package(name="requests", version=Version("2.30.0"))]) == 2


def test_unreachable_service_is_an_error_not_a_clean_audit(http: HttpClient, tmp_path: Path) -> None:
    server = OsvServer(RECORDS)
    url = server.url
    server.close()
    with pytest.raises(AuditServiceError) as caught:
        OsvService(http, url).advisories([Package(name="requests", version=Version("2.30.0"))])
    assert caught.value.exit_code == 2
    assert url in caught.value.message


def test_error_status_and_garbage_are_errors(http: HttpClient) -> None:
    with OsvServer(RECORDS) as server:
        server.fail(403)
        with pytest.raises(AuditServiceError, match="403"):
            OsvService(http, server.url).advisories([Package(name="py", version=Version("1.0"))])
    with OsvServer(RECORDS) as server:
        server.garbage = True  # a captive portal's page is not an OSV answer
        with pytest.raises(AuditServiceError, match="cannot read") as caught:
            OsvService(http, server.url).advisories([Package(name="py", version=Version("1.0"))])
        assert caught.value.exit_code == 2
