"""Which proxy a URL goes through, from the proxy variables the config layer read.

Follows the conventions curl and requests share: ``https_proxy`` for https URLs, ``http_proxy``
for http URLs, ``all_proxy`` for either; lowercase names win over uppercase ones. ``no_proxy``
is a comma-separated list of hosts that bypass the proxy: ``*`` (everything), a host name (it
and its subdomains: ``example.com`` and ``.example.com`` both match ``a.example.com``), a
``host:port``, an IP address or a CIDR network. Pure: nothing here reads ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit


def _lookup(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name.lower())
    if value is None:
        value = environ.get(name.upper())
    if value is None:
        return None
    return value.strip() or None


def bypasses_proxy(url: str, no_proxy: str | None) -> bool:
    """Whether ``url``'s host is listed in a ``no_proxy`` value."""
    if not no_proxy:
        return False
    import ipaddress  # only when a no_proxy list is given

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return False
    try:
        port = parts.port
    except ValueError:
        port = None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in no_proxy.replace(" ", ",").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
        entry_host, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and (not entry_port.isdigit() or int(entry_port) != port):
            continue
        entry_host = entry_host.lstrip(".")
        if host == entry_host or host.endswith("." + entry_host):
            return True
    return False


def proxy_for(url: str, environ: Mapping[str, str]) -> str | None:
    """The proxy URL for ``url`` given proxy variables, or ``None`` for a direct connection."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        return None
    if bypasses_proxy(url, _lookup(environ, "no_proxy")):
        return None
    proxy = _lookup(environ, f"{scheme}_proxy") or _lookup(environ, "all_proxy")
    if proxy and "://" not in proxy:
        # "proxy.corp:3128" is common in the wild and means an http proxy.
        proxy = "http://" + proxy
    return proxy
