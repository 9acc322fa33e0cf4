"""Every environment variable spoke reads, declared once, and the facts read from them.

Nothing outside :mod:`spoke.config` looks at ``os.environ``: the CLI passes the environment in
as a mapping, :func:`~spoke.config.settings.load_settings` reads it here, and the rest of spoke
receives values (:class:`EnvironmentFacts`, :class:`~spoke.config.settings.Settings`).

Options have their own variables, derived from their keys: ``PIP_<KEY>`` and ``SPOKE_<KEY>``
(see :mod:`spoke.config.options`); they are not repeated in :data:`ENVIRONMENT_VARIABLES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvVar:
    """A variable spoke reads: its name, what it means, and whether its case may vary."""

    name: str
    """The variable's name, in its usual case."""
    doc: str
    """What spoke does with it."""
    any_case: bool = False
    """Whether ``https_proxy`` counts as ``HTTPS_PROXY`` (lower case winning, as in urllib)."""


ENVIRONMENT_VARIABLES: Final[tuple[EnvVar, ...]] = (
    EnvVar(name="PIP_CONFIG_FILE", doc="A pip configuration file loaded after all others; "
           "os.devnull disables every configuration file."),
    EnvVar(name="SPOKE_CONFIG_FILE", doc="spoke's own configuration file instead of the "
           "user's spoke.toml; os.devnull disables it."),
    EnvVar(name="PIP_ISOLATED_MODE", doc="Like --isolated: ignore environment variables and "
           "user configuration."),
    EnvVar(name="SPOKE_CACHE_DIR", doc="The cache folder (the cache-dir option's variable, "
           "listed here for visibility)."),
    EnvVar(name="XDG_CONFIG_HOME", doc="Base of the user's configuration folders (Linux)."),
    EnvVar(name="XDG_CONFIG_DIRS", doc="Colon-separated system configuration folders (Linux)."),
    EnvVar(name="APPDATA", doc="The roaming application data folder (Windows): pip's user file."),
    EnvVar(name="LOCALAPPDATA", doc="The local application data folder (Windows): spoke.toml."),
    EnvVar(name="PROGRAMDATA", doc="The machine-wide data folder (Windows): pip's global file."),
    EnvVar(name="HOME", doc="The user's home folder (POSIX): ~ in paths, legacy ~/.pip."),
    EnvVar(name="USERPROFILE", doc="The user's home folder (Windows)."),
    EnvVar(name="VIRTUAL_ENV", doc="The active virtual environment: the default target."),
    EnvVar(name="PATH", doc="Where interpreters and scripts are looked for."),
    EnvVar(name="NETRC", doc="A .netrc file with index credentials (default ~/.netrc)."),
    EnvVar(name="HTTPS_PROXY", doc="Proxy for https:// URLs.", any_case=True),
    EnvVar(name="HTTP_PROXY", doc="Proxy for http:// URLs.", any_case=True),
    EnvVar(name="ALL_PROXY", doc="Proxy for any URL without a more specific one.", any_case=True),
    EnvVar(name="NO_PROXY", doc="Comma-separated hosts reached without a proxy.", any_case=True),
    EnvVar(name="REQUESTS_CA_BUNDLE", doc="CA bundle for TLS verification (as requests reads "
           "it), unless --cert is given."),
    EnvVar(name="SSL_CERT_FILE", doc="CA bundle for TLS verification (OpenSSL's variable)."),
    EnvVar(name="NO_COLOR", doc="Any non-empty value disables colored output (no-color.org)."),
    EnvVar(name="FORCE_COLOR", doc="Any non-empty value forces colored output."),
    EnvVar(name="VISUAL", doc="The editor `spoke config edit` opens (before EDITOR)."),
    EnvVar(name="EDITOR", doc="The editor `spoke config edit` opens."),
)
"""Every non-option variable spoke reads, with its meaning."""

_DECLARED: Final = {var.name: var for var in ENVIRONMENT_VARIABLES}


def read_env(environ: Mapping[str, str], name: str) -> str | None:
    """The value of declared variable ``name`` in ``environ``; ``None`` if unset or empty.

    ``any_case`` variables are looked up in both cases, the lower-case one winning as in
    :func:`urllib.request.getproxies`. Reading an undeclared name is a programming error.
    """
    var = _DECLARED[name]  # KeyError: declare the variable in ENVIRONMENT_VARIABLES first
    value = environ.get(name)
    if var.any_case:
        value = environ.get(name.lower()) or value
    return value or None


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvironmentFacts:
    """What the environment says beyond options: the active venv, proxies, TLS, colors, PATH."""

    virtual_env: str | None = None
    """``VIRTUAL_ENV``: the active virtual environment."""
    path: str = ""
    """``PATH``."""
    home: str | None = None
    """``HOME`` (or ``USERPROFILE`` on Windows)."""
    netrc: str | None = None
    """``NETRC``: a .netrc file to read instead of ``~/.netrc``."""
    https_proxy: str | None = None
    """``HTTPS_PROXY`` / ``https_proxy``."""
    http_proxy: str | None = None
    """``HTTP_PROXY`` / ``http_proxy``."""
    all_proxy: str | None = None
    """``ALL_PROXY`` / ``all_proxy``."""
    no_proxy: str | None = None
    """``NO_PROXY`` / ``no_proxy``."""
    requests_ca_bundle: str | None = None
    """``REQUESTS_CA_BUNDLE``."""
    ssl_cert_file: str | None = None
    """``SSL_CERT_FILE``."""
    no_color: bool = False
    """``NO_COLOR`` is set to a non-empty value."""
    force_color: bool = False
    """``FORCE_COLOR`` is set to a non-empty value."""
    editor: str | None = None
    """``VISUAL``, else ``EDITOR``."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, platform: str = "") -> EnvironmentFacts:
        """Read the facts from ``environ`` (``platform`` picks ``USERPROFILE`` on Windows)."""
        return cls(
            virtual_env=read_env(environ, "VIRTUAL_ENV"),
            path=read_env(environ, "PATH") or "",
            home=home_from(environ, platform=platform),
            netrc=read_env(environ, "NETRC"),
            https_proxy=read_env(environ, "HTTPS_PROXY"),
            http_proxy=read_env(environ, "HTTP_PROXY"),
            all_proxy=read_env(environ, "ALL_PROXY"),
            no_proxy=read_env(environ, "NO_PROXY"),
            requests_ca_bundle=read_env(environ, "REQUESTS_CA_BUNDLE"),
            ssl_cert_file=read_env(environ, "SSL_CERT_FILE"),
            no_color=read_env(environ, "NO_COLOR") is not None,
            force_color=read_env(environ, "FORCE_COLOR") is not None,
            editor=read_env(environ, "VISUAL") or read_env(environ, "EDITOR"),
        )


def home_from(environ: Mapping[str, str], *, platform: str = "") -> str | None:
    """The user's home folder as ``environ`` names it (``USERPROFILE`` first on Windows)."""
    if platform == "win32":
        return read_env(environ, "USERPROFILE") or read_env(environ, "HOME")
    return read_env(environ, "HOME")
