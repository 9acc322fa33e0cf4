"""Uploading distributions to a package repository (``spoke publish``).

The protocol is the one every repository accepts — PyPI, TestPyPI, pypiserver, devpi,
Artifactory, Nexus, GitLab: warehouse's "legacy" upload API, the form twine sends. One
``multipart/form-data`` POST per file to the repository URL, with

* ``:action=file_upload`` and ``protocol_version=1``;
* the core metadata as form fields (warehouse's names: ``platforms`` is sent as ``platform``,
  ``license_files`` as ``license_file``; a list is the field repeated, ``keywords`` joined with
  ``", "``, each project URL as ``"label, url"``);
* ``name`` (non-alphanumerics other than ``.`` run together into ``-``, as warehouse expects),
  ``version``, ``filetype`` (``bdist_wheel`` or ``sdist``) and ``pyversion`` (the wheel's
  Python tag, ``source`` for an sdist);
* ``sha256_digest`` and ``blake2_256_digest`` of the file;
* ``attestations``: the PEP 740 attestation files beside it, as one JSON list;
* ``content``: the file itself (``application/octet-stream``).

The body is streamed from disk (a file is never held in memory) with its length known up
front, so servers that refuse chunked bodies accept it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from packaging.utils import canonicalize_name

from spoke.errors import SpokeError
from spoke.net.auth import Credentials
from spoke.net.client import HttpClient
from spoke.net.settings import Response

#: Core-metadata keys (``packaging.metadata.RawMetadata``) → the upload form's field names.
_FIELDS: Mapping[str, str] = {
    "metadata_version": "metadata_version", "name": "name", "version": "version",
    "platforms": "platform", "summary": "summary", "description": "description",
    "keywords": "keywords", "home_page": "home_page", "author": "author",
    "author_email": "author_email", "license": "license", "supported_platforms": "supported_platform",
    "download_url": "download_url", "classifiers": "classifiers", "requires": "requires",
    "provides": "provides", "obsoletes": "obsoletes", "maintainer": "maintainer",
    "maintainer_email": "maintainer_email", "requires_dist": "requires_dist",
    "provides_dist": "provides_dist", "obsoletes_dist": "obsoletes_dist",
    "requires_python": "requires_python", "requires_external": "requires_external",
    "project_urls": "project_urls", "description_content_type": "description_content_type",
    "provides_extra": "provides_extra", "dynamic": "dynamic",
    "license_expression": "license_expression", "license_files": "license_file",
}
#: The suffix of a PEP 740 attestation beside the distribution it attests.
ATTESTATION_SUFFIX = ".publish.attestation"
_CHUNK = 256 * 1024
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9.]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """One file ready to send: its form fields (metadata, digests, attestations) and its path."""

    path: Path
    name: str
    version: str
    fields: tuple[tuple[str, str], ...]

    @property
    def filename(self) -> str:
        """The file's name as the repository will store it."""
        return self.path.name


def prepare_upload(path: Path, metadata_text: str, attestations: Sequence[Path] = ()) -> Upload:
    """The upload of ``path``, whose core metadata is ``metadata_text`` (``PKG-INFO``/``METADATA``).

    Attestation files must be JSON (an error names the one that is not). Digests are computed
    by reading the file once.
    """
    from packaging.metadata import parse_email

    raw, _unparsed = parse_email(metadata_text)
    name = str(raw.get("name") or "")
    version = str(raw.get("version") or "")
    fields: list[tuple[str, str]] = []
    for key, value in raw.items():
        field = _FIELDS.get(key)
        if field is None or key == "name":
            continue
        fields += _form_values(field, value)
    filetype, pyversion = _file_kind(path.name)
    sha256, blake2 = hashlib.sha256(), hashlib.blake2b(digest_size=32)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha256.update(chunk)
            blake2.update(chunk)
    fields = [("name", _UNSAFE_NAME.sub("-", name)), *fields, ("filetype", filetype), ("pyversion", pyversion),
              ("sha256_digest", sha256.hexdigest()), ("blake2_256_digest", blake2.hexdigest())]
    if attestations:
        fields.append(("attestations", json.dumps([_read_attestation(p) for p in attestations])))
    return Upload(path=path, name=name, version=version, fields=tuple(fields))


def _form_values(field: str, value: Any) -> list[tuple[str, str]]:
    if field == "project_urls":
        return [(field, f"{label}, {url}") for label, url in dict(value).items()]
    if field == "keywords":
        return [(field, ", ".join(value))]
    if isinstance(value, (list, tuple)):
        return [(field, str(item)) for item in value]
    return [(field, str(value))]


def _file_kind(filename: str) -> tuple[str, str]:
    """``(filetype, pyversion)`` of a distribution's file name."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return "bdist_wheel", parts[-3] if len(parts) >= 5 else "py3"
    return "sdist", "source"


def _read_attestation(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SpokeError(f"The attestation {path} cannot be read as JSON: {exc}",
                         hint="Make it again (a PEP 740 attestation is a JSON document), or remove it.") from None


def attestations_of(path: Path) -> list[Path]:
    """The PEP 740 attestation files beside ``path`` (``NAME.whl.publish.attestation`` …), sorted."""
    prefix = path.name + "."
    return sorted(p for p in path.parent.iterdir()
                  if p.name.startswith(prefix) and p.name.endswith(ATTESTATION_SUFFIX))


# -- the request --------------------------------------------------------------------------


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _form(upload: Upload) -> tuple[str, bytes, bytes, int]:
    """(content type, the bytes before the file, the bytes after it, the whole length)."""
    boundary = secrets.token_hex(16)
    parts: list[bytes] = []
    for key, value in (*upload.fields, (":action", "file_upload"), ("protocol_version", "1")):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(key)}"\r\n\r\n'.encode())
        parts.append(value.encode("utf-8") + b"\r\n")
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{_quoted(upload.filename)}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    head = b"".join(parts)
    tail = f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", head, tail, len(head) + upload.path.stat().st_size + len(tail)


def send_upload(http: HttpClient, url: str, upload: Upload, credentials: Credentials | None) -> Response:
    """POST ``upload`` to the repository at ``url``; the answer whatever its status (see
    :meth:`HttpClient.upload`: 5xx and broken connections are retried, redirects not followed)."""
    content_type, head, tail, length = _form(upload)

    def body() -> Iterator[bytes]:
        yield head
        with upload.path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                yield chunk
        yield tail

    return http.upload(url, body, length=length, headers={"Content-Type": content_type, "Accept": "*/*"},
                       credentials=credentials, progress_name=f"Uploading {upload.filename}")


# -- what the repository already has ---------------------------------------------------------

_WAREHOUSE_PAGES = {"upload.pypi.org": "https://pypi.org/simple/", "test.pypi.org": "https://test.pypi.org/simple/"}


def simple_page_url(repository_url: str, name: str) -> str:
    """Where the repository lists ``name``'s files: PyPI's and TestPyPI's simple pages for
    theirs, else ``simple/NAME/`` under the upload URL (pypiserver, Artifactory, Nexus, GitLab
    keep it there; elsewhere the page is missing and the upload's answer decides)."""
    parts = urlsplit(repository_url)
    project = quote(str(canonicalize_name(name)))
    known = _WAREHOUSE_PAGES.get((parts.hostname or "").lower())
    if known is not None:
        return f"{known}{project}/"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, f"{path}simple/{project}/", "", ""))


def already_uploaded(http: HttpClient, repository_url: str, upload: Upload, credentials: Credentials | None) -> bool:
    """Whether the repository's simple page for the project already lists this file.

    Any failure to read the page (none there, refused, unreachable) answers ``False``: the
    upload is then tried, and the repository's own answer says whether the file exists.
    """
    from spoke.index.simple import parse_html_page, parse_json_page

    url = simple_page_url(repository_url, upload.name)
    headers = {"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"}
    if credentials is not None:
        headers["Authorization"] = credentials.header()
    try:
        page = http.get(url, headers=headers)
    except SpokeError:
        return False
    name = canonicalize_name(upload.name)
    try:
        if "json" in page.headers.get("Content-Type", ""):
            files = parse_json_page(page.content, page.url, name=name, index_url=url)
        else:
            files = parse_html_page(page.text, page.url, name=name, index_url=url)
    except SpokeError:
        return False
    return any(f.filename == upload.filename for f in files)


def says_already_exists(answer: Response) -> bool:
    """Whether a refused upload was refused because the file is there already (twine's rule:
    409, as pypiserver answers, or 400 saying "already exist(s)", as PyPI does)."""
    if answer.status == 409:
        return True
    if answer.status != 400:
        return False
    return "already exist" in (_reason(answer) + " " + answer.text).lower()


def _reason(answer: Response) -> str:
    return answer.reason


def server_reason(answer: Response) -> str:
    """The server's one-line reason for refusing an upload, at most 300 characters: PyPI puts it
    in the status line, others in the body — often an HTML error page, whose ``<pre>`` holds the
    message (bottle, which pypiserver runs on) or else whose first line of text does."""
    import html

    text = answer.text
    if "<" in text:
        pre = re.search(r"(?is)<pre>(.*?)</pre>", text)
        text = pre.group(1) if pre else re.sub(r"(?s)<(script|style|title).*?</\1>", " ", text)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    found = next((line for line in lines if line and not line.lower().startswith("error")), "")
    return (found or _reason(answer))[:300]
