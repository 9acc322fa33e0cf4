"""Which files exist for a project: Simple API pages (PEP 503/691), find-links, the policy.

:class:`~spoke.index.client.IndexClient` is the entry point; :mod:`spoke.index.simple` holds
the pure page parsers and :mod:`spoke.index.find_links` the local folders and pages.
"""

from __future__ import annotations

from spoke.index.client import ACCEPT, STRATEGIES, IndexClient
from spoke.index.find_links import FindLinks, scan_folder
from spoke.index.simple import parse_filename, parse_html_page, parse_json_page

__all__ = [
    "ACCEPT",
    "STRATEGIES",
    "FindLinks",
    "IndexClient",
    "parse_filename",
    "parse_html_page",
    "parse_json_page",
    "scan_folder",
]
