"""Every option spoke accepts, declared once, as data.

The CLI builds its argument parser from :data:`OPTIONS`; the configuration loader maps file keys
and environment variables onto the same table. pip's rules, which this table encodes:

* An option's *keys* are its long flags without the dashes (``index-url``), its negative flag
  (``no-compile``) and any extra ``config_keys``. A key is what a configuration file may set
  (``index-url = …`` in ``[global]``) and what an environment variable names:
  ``PIP_INDEX_URL`` / ``SPOKE_INDEX_URL`` (upper case, dashes as underscores). That is why
  ``PIP_DEFAULT_TIMEOUT`` works: ``--default-timeout`` is an alias flag of ``--timeout``.
* An option applies to the commands in ``commands`` (or to all of them: :data:`GLOBAL`). A key
  in ``[global]`` for an option the running command does not have is ignored, as pip does.
* ``pip_quirk`` records how pip reads a boolean written in a file or a ``PIP_*`` variable when
  that differs from what the name says (see :class:`Option`). spoke's own sources
  (``spoke.toml``, ``SPOKE_*``) have no quirks: a value means what its key says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from spoke.net.settings import DEFAULT_RETRIES, DEFAULT_TIMEOUT

OptionKind = Literal["str", "path", "bool", "count", "int", "float", "list", "choice"]
"""How an option's value is typed: ``list`` options append and are multi-valued."""

PipQuirk = Literal["", "inverted", "presence"]
"""How pip reads a boolean ``no-*`` option from a file or a ``PIP_*`` variable (see Option)."""

GLOBAL: Final[frozenset[str]] = frozenset({"*"})
"""The ``commands`` of an option every command accepts."""

DEFAULT_INDEX_URL: Final = "https://pypi.org/simple"
"""pip's default index (PEP 503 / 691 Simple API)."""

_INSTALL = frozenset({"install", "upgrade"})
#: Options of every command that resolves requirements (install's stages up to *prepared*).
_RESOLVING = _INSTALL | {"download", "wheel"}
#: Commands that resolve for another platform or Python when asked (spoke.env.foreign).
_FOREIGN = frozenset({"download", "wheel", "index", "install", "compile", "lock"})
_BUILD = frozenset({"build"})
#: ``spoke sync``: install's options that make sense for an exact set.
_SYNC = frozenset({"sync"})
#: ``spoke compile``, with pip-compile's options.
_COMPILE = frozenset({"compile"})
#: ``spoke lock``: compile's resolution, written as a PEP 751 lock.
_LOCK = frozenset({"lock"})
#: What ``compile`` shares with install, download and wheel (not ``-r``: its inputs are
#: positional, and pip-compile's ``-r`` means something else).
_RESOLVING_AND_COMPILE = _RESOLVING | _COMPILE | _LOCK
_UNINSTALL = frozenset({"uninstall"})
_VENV = frozenset({"venv"})
_LIST = frozenset({"list"})
_FREEZE = frozenset({"freeze"})
_INSPECT = frozenset({"list", "freeze"})
_AUDIT = frozenset({"audit"})
_PUBLISH = frozenset({"publish"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One option: its flags, its type, where it applies and how it is configured.

    For ``bool`` options the ``flags`` set ``dest`` to ``True`` and ``negative_flag`` (if any)
    sets it to ``False``. ``pip_quirk`` describes pip's reading of the boolean in a pip file or a
    ``PIP_*`` variable:

    * ``""``: the value is the option's value (``no-deps = yes`` means ``--no-deps``).
    * ``"inverted"``: pip stores the value into the *positive* option behind a ``no-*`` flag,
      so a false value turns the ``no-*`` flag on (``no-warn-script-location = false`` means
      ``--no-warn-script-location``; pip documents that "falsy values have to be used").
    * ``"presence"``: any valid boolean turns the flag on (``PIP_NO_CACHE_DIR=false`` still
      disables the cache, kept by pip for backwards compatibility).

    A ``negative_flag`` key read from a pip source sets ``dest`` to the value as given (pip
    stores it into the same destination): ``no-compile = no`` means do not compile.
    """

    name: str
    """pip's long name without dashes (``index-url``); unique per command."""
    flags: tuple[str, ...]
    """Command-line spellings (``("-i", "--index-url")``)."""
    kind: OptionKind
    """How the value is typed."""
    dest: str
    """The Python identifier the value is stored under (``index_url``)."""
    help: str
    """One line of help, in pip's words where pip has the option."""
    commands: frozenset[str] = GLOBAL
    """The commands the option applies to, or :data:`GLOBAL`."""
    default: Any = None
    """The value when nothing sets it (``()`` for lists, ``False`` for bools, ``0`` for counts)."""
    choices: tuple[str, ...] = ()
    """The allowed values of a ``choice`` option."""
    negative_flag: str | None = None
    """A flag that sets a ``bool`` option to ``False`` (``--no-compile``)."""
    config_keys: tuple[str, ...] = ()
    """Extra keys accepted in files and environment variables (beyond the flags)."""
    env: bool = True
    """Whether ``PIP_<KEY>`` / ``SPOKE_<KEY>`` variables set the option."""
    metavar: str | None = None
    """The placeholder shown in help (``URL``, ``PATH``)."""
    pip_quirk: PipQuirk = ""
    """pip's reading of this boolean in pip files and ``PIP_*`` variables (see above)."""

    def applies_to(self, command: str) -> bool:
        """Whether ``command`` accepts this option."""
        return "*" in self.commands or command in self.commands

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key naming this option in files and variables, primary first."""
        longs = [f[2:] for f in self.flags if f.startswith("--")]
        if self.negative_flag:
            longs.append(self.negative_flag[2:])
        longs.extend(self.config_keys)
        return tuple(dict.fromkeys(longs))

    def is_negative_key(self, key: str) -> bool:
        """Whether ``key`` is this option's negative flag (``no-compile`` for ``compile``)."""
        return self.negative_flag is not None and key == self.negative_flag[2:]

    def env_names(self, prefix: str) -> tuple[str, ...]:
        """The environment variables for this option with ``prefix`` (``"PIP_"``), primary first."""
        if not self.env:
            return ()
        return tuple(prefix + key.upper().replace("-", "_") for key in self.keys)


def _opt(name: str, *flags: str, kind: OptionKind = "bool", **kw: Any) -> Option:
    """Shorthand for the table: ``dest`` from the name, defaults by kind."""
    kw.setdefault("dest", name.replace("-", "_"))
    if "default" not in kw:
        kw["default"] = {"bool": False, "count": 0, "list": ()}.get(kind)
    return Option(name=name, flags=flags or (f"--{name}",), kind=kind, **kw)


OPTIONS: Final[tuple[Option, ...]] = (
    # -- every command ------------------------------------------------------------------------
    _opt("verbose", "-v", "--verbose", kind="count",
         help="Give more output. Option is additive, and can be used up to 3 times."),
    _opt("quiet", "-q", "--quiet", kind="count",
         help="Give less output. Option is additive, and can be used up to 3 times "
              "(corresponding to WARNING, ERROR, and CRITICAL logging levels)."),
    _opt("python", kind="str", metavar="PYTHON",
         help="Run against the given Python interpreter or environment."),
    _opt("system",
         help="Act on the first Python found on PATH, even outside a virtual environment."),
    _opt("break-system-packages",
         help="Allow modifying an EXTERNALLY-MANAGED Python installation."),
    _opt("cache-dir", kind="path", metavar="DIR", help="Store the cache data in <dir>."),
    _opt("no-cache-dir", pip_quirk="presence", help="Disable the cache."),
    _opt("index-url", "-i", "--index-url", kind="str", default=DEFAULT_INDEX_URL, metavar="URL",
         help="Base URL of the Python Package Index (default https://pypi.org/simple). This "
              "should point to a repository compliant with PEP 503 (the simple repository API) "
              "or a local directory laid out in the same format."),
    _opt("extra-index-url", kind="list", dest="extra_index_urls", metavar="URL",
         help="Extra URLs of package indexes to use in addition to --index-url. Should follow "
              "the same rules as --index-url."),
    # Every command but `show`, whose -f is pip's --files.
    _opt("find-links", "-f", "--find-links", kind="list", metavar="URL", commands=frozenset({
        "install", "upgrade", "uninstall", "venv", "list", "freeze", "check", "tree", "why", "why-not", "doctor",
        "sync", "autoremove", "history", "rollback", "index", "download", "wheel", "compile"}),
         help="If a URL or path to an html file, then parse for links to archives such as sdist "
              "(.tar.gz) or wheel (.whl) files. If a local path or file:// URL that's a "
              "directory, then look for archives in the directory listing."),
    _opt("no-index", help="Ignore package index (only looking at --find-links URLs instead)."),
    _opt("index-strategy", kind="choice", choices=("first-index", "unsafe-best-match"),
         default="first-index",
         help="How to pick among several indexes: only the first that knows a project "
              "(first-index), or the best version from any (unsafe-best-match)."),
    _opt("timeout", "--timeout", "--default-timeout", kind="float", default=DEFAULT_TIMEOUT, metavar="SEC",
         help=f"Set the socket timeout (default {DEFAULT_TIMEOUT:g} seconds)."),
    _opt("retries", kind="int", default=DEFAULT_RETRIES, metavar="N",
         help=f"Maximum attempts to establish a new HTTP connection. (default: {DEFAULT_RETRIES})"),
    _opt("proxy", kind="str", metavar="URL",
         help="Specify a proxy in the form scheme://[user:passwd@]proxy.server:port."),
    _opt("cert", kind="path", metavar="PATH",
         help="Path to PEM-encoded CA certificate bundle. If provided, overrides the default."),
    _opt("client-cert", kind="path", metavar="PATH",
         help="Path to SSL client certificate, a single file containing the private key and "
              "the certificate in PEM format."),
    _opt("trusted-host", kind="list", dest="trusted_hosts", metavar="HOSTNAME",
         help="Mark this host or host:port pair as trusted, even though it does not have valid "
              "or any HTTPS."),
    _opt("use-system-certs", "--use-system-certs", "--native-tls",
         help="Trust only the operating system's certificate store (by default spoke trusts it and "
              "certifi's bundle together)."),
    _opt("use-feature", kind="list", dest="use_features", metavar="FEATURE",
         help="pip's feature switches: `truststore` means --use-system-certs; others are accepted and "
              "ignored (spoke has no experimental features)."),
    _opt("no-color", help="Suppress colored output."),
    _opt("color", kind="choice", choices=("auto", "always", "never"), default="auto", metavar="WHEN",
         help="Colour the output: auto (on a terminal, unless NO_COLOR is set), always or never."),
    _opt("progress-bar", kind="choice", choices=("on", "off", "raw"), default="on", metavar="MODE",
         help="Download progress: on (a bar on a terminal), off, or raw (`Progress N of M` lines)."),
    _opt("isolated", config_keys=("isolated-mode",),
         help="Run in an isolated mode, ignoring environment variables and user configuration."),
    _opt("no-input", help="Disable prompting for input."),
    _opt("disable-pip-version-check",
         help="Don't periodically check PyPI to determine whether a new version of pip is "
              "available for download (accepted for compatibility; spoke never checks)."),
    _opt("require-virtualenv", "--require-virtualenv", "--require-venv",
         help="Only run in a virtual environment; exit with an error otherwise."),
    # -- install ------------------------------------------------------------------------------
    _opt("requirement", "-r", "--requirement", kind="list", dest="requirements",
         commands=_RESOLVING, metavar="FILE",
         help="Install from the given requirements file. This option can be used multiple "
              "times."),
    _opt("constraint", "-c", "--constraint", kind="list", dest="constraints",
         commands=_RESOLVING_AND_COMPILE, metavar="FILE",
         help="Constrain versions using the given constraints file. This option can be used "
              "multiple times."),
    _opt("yes", "-y", "--yes", commands=_INSTALL | _SYNC | {"build", "compile", "rollback", "audit", "self", "venv"},
         env=False,
         help="Don't ask for confirmation (accepted everywhere that changes something; spoke "
              "asks nothing there)."),
    _opt("upgrade", "-U", "--upgrade", commands=_INSTALL,
         help="Upgrade all specified packages to the newest available version."),
    _opt("upgrade-strategy", kind="choice", choices=("only-if-needed", "eager"),
         default="only-if-needed", commands=_INSTALL,
         help="Determines how dependency upgrading should be handled [default: only-if-needed]."),
    _opt("force-reinstall", commands=_INSTALL,
         help="Reinstall all packages even if they are already up-to-date."),
    _opt("ignore-installed", "-I", "--ignore-installed", commands=_INSTALL,
         help="Ignore the installed packages, overwriting them."),
    _opt("group", kind="list", dest="groups", commands=_RESOLVING_AND_COMPILE | _SYNC, metavar="[PATH:]GROUP",
         help="Install a dependency group (PEP 735) from a pyproject.toml (default: ./pyproject.toml); with a "
              "pylock.toml, a dependency group of the lock. Can be given several times."),
    _opt("no-deps", "--no-deps", "--no-dependencies", commands=_RESOLVING,
         help="Don't install package dependencies."),
    _opt("pre", commands=_RESOLVING_AND_COMPILE,
         help="Include pre-release and development versions. By default, only stable "
              "versions are considered."),
    _opt("dry-run", commands=_INSTALL | _SYNC | {"self"},
         help="Don't actually install anything, just print what would be."),
    _opt("target", "-t", "--target", kind="path", commands=_INSTALL, metavar="DIR",
         help="Install packages into <dir>."),
    _opt("prefix", kind="path", commands=_INSTALL, metavar="DIR",
         help="Installation prefix where lib, bin and other top-level folders are placed."),
    _opt("user", commands=_INSTALL,
         help="Install to the Python user install directory for your platform."),
    _opt("root", kind="path", commands=_INSTALL, metavar="DIR",
         help="Install everything relative to this alternate root directory."),
    _opt("report", kind="str", commands=_RESOLVING, metavar="FILE",
         help="Generate a JSON file describing what pip did to install the provided "
              "requirements ('-' for stdout)."),
    _opt("no-binary", kind="list", commands=_RESOLVING_AND_COMPILE | _SYNC, metavar="FORMAT_CONTROL",
         help="Do not use binary packages. Can be supplied multiple times; each time adds to "
              "the existing value. Accepts :all:, :none:, or package names."),
    _opt("only-binary", kind="list", commands=_RESOLVING_AND_COMPILE | _SYNC, metavar="FORMAT_CONTROL",
         help="Do not use source packages. Can be supplied multiple times; each time adds to "
              "the existing value. Accepts :all:, :none:, or package names."),
    _opt("prefer-binary", commands=_RESOLVING_AND_COMPILE,
         help="Prefer binary packages over source packages, even if the source packages are "
              "newer."),
    _opt("requirements-from-script", kind="list", dest="scripts", commands=_INSTALL, metavar="SCRIPT",
         help="Install the dependencies a script declares in its PEP 723 `# /// script` block."),
    _opt("overrides", kind="list", commands=_RESOLVING_AND_COMPILE, metavar="FILE",
         help="Requirements that replace every requirement's own on those projects (uv's "
              "overrides: for a wrong upper bound upstream). Can be given several times."),
    _opt("offline", commands=_RESOLVING_AND_COMPILE | _SYNC | _AUDIT,
         help="Disable network access: use only what spoke's cache holds (index pages, metadata, "
              "wheels, built wheels, whatever their age) and local files; anything missing is an "
              "error."),
    _opt("exclude-newer", kind="str", commands=_RESOLVING_AND_COMPILE | _SYNC, metavar="TIME",
         help="Only consider files uploaded before TIME (PEP 700 upload times): a timestamp "
              "(2024-03-01T12:00:00Z), a date (2024-03-01: files of that day count; local time "
              "zone) or a duration back from now (7 days, 24 hours, P7D)."),
    _opt("uploaded-prior-to", kind="str", commands=_RESOLVING_AND_COMPILE | _SYNC, metavar="TIME",
         help="Only consider files uploaded prior to TIME, as pip: a timestamp (local time zone "
              "if none is given), a date (its first midnight) or a duration (P3D: 3 days ago)."),
    _opt("require-hashes", commands=_RESOLVING | _SYNC,
         help="Require a hash to check each requirement against, for repeatable installs."),
    _opt("compile", negative_flag="--no-compile", commands=_INSTALL | _SYNC,
         help="Compile Python source files to bytecode (--no-compile, the default: do not)."),
    _opt("no-warn-script-location", pip_quirk="inverted", commands=_INSTALL | _SYNC,
         help="Do not warn when installing scripts outside PATH."),
    _opt("no-warn-conflicts", pip_quirk="inverted", commands=_INSTALL,
         help="Do not warn about broken dependencies."),
    _opt("link-mode", kind="choice", choices=("hardlink", "copy", "auto"), default="auto",
         commands=_INSTALL | _SYNC,
         help="How files get from the cache into the environment: hardlink, copy, or auto "
              "(hardlink, falling back to copy)."),
    _opt("editable", "-e", "--editable", kind="list", dest="editables", commands=_INSTALL | {"wheel"},
         metavar="PATH/URL",
         help="Install a project in editable mode (i.e. setuptools \"develop mode\") from a "
              "local project path or a VCS url."),
    _opt("no-build-isolation", pip_quirk="inverted", commands=_RESOLVING_AND_COMPILE | _SYNC,
         help="Disable isolation when building a modern source distribution. Build "
              "dependencies specified by PEP 518 must be already installed if this option is "
              "used."),
    _opt("config-settings", "-C", "--config-settings", kind="list", commands=_RESOLVING_AND_COMPILE,
         metavar="SETTINGS",
         help="Configuration settings to be passed to the PEP 517 build backend. Settings "
              "take the form KEY=VALUE."),
    _opt("src", kind="path", commands=_RESOLVING_AND_COMPILE, metavar="DIR",
         help="Directory to check out editable projects into. The default in a virtualenv is "
              "\"<venv path>/src\"."),
    _opt("dest", "-d", "--dest", "--destination-dir", "--destination-directory", kind="path",
         commands=frozenset({"download"}), metavar="DIR",
         help="Download packages into <dir> (default: the current folder)."),
    _opt("platform", kind="list", dest="platforms", commands=_FOREIGN, metavar="PLATFORM",
         help="Only use wheels compatible with <platform> (e.g. manylinux_2_28_x86_64, "
              "macosx_11_0_arm64, win_amd64). Can be given several times."),
    _opt("python-version", kind="list", dest="python_versions", commands=_FOREIGN, metavar="PYTHON_VERSION",
         help="The Python version to resolve for (3.11, 3.11.4 or 311); its Requires-Python, "
              "markers and wheel tags are used. Several only with --each-platform."),
    _opt("each-platform", commands=frozenset({"download", "wheel"}),
         help="Resolve each pair of a --platform and a --python-version as its own environment "
              "and keep the files of all (a wheelhouse for several systems in one call)."),
    _opt("implementation", kind="str", commands=_FOREIGN, metavar="IMPL",
         help="The Python implementation to resolve for: cp, pp, py, ip or jy."),
    _opt("abi", kind="list", dest="abis", commands=_FOREIGN, metavar="ABI",
         help="Only use wheels compatible with the Python ABI <abi> (e.g. cp311, abi3, none). "
              "Can be given several times."),
    _opt("wheel-dir", "-w", "--wheel-dir", kind="path", commands=frozenset({"wheel"}), metavar="DIR",
         help="Build wheels into <dir> (default: the current folder)."),
    # -- compile (pip-compile's options) ---------------------------------------------------------
    _opt("output-file", "-o", "--output-file", kind="str", commands=_COMPILE | _LOCK, env=False, metavar="FILE",
         help="Output file name ('-' for standard output). Default: the .in file with .txt, or "
              "requirements.txt beside a project file."),
    _opt("upgrade", "-U", "--upgrade", commands=_COMPILE | _LOCK, env=False,
         help="Try to upgrade all dependencies to their latest versions (ignore the output's pins)."),
    _opt("upgrade-package", "-P", "--upgrade-package", kind="list", dest="upgrade_packages",
         commands=_COMPILE | _LOCK, env=False, metavar="NAME[==VER]",
         help="Upgrade this package (to the given version, if any); other pins are kept."),
    _opt("dry-run", commands=_COMPILE | _LOCK, env=False,
         help="Only show what the file would hold; write nothing."),
    _opt("generate-hashes", commands=_COMPILE,
         help="Generate pip 8 style hashes: every file of each pinned version the index offers."),
    _opt("extra", kind="list", dest="extras", commands=_COMPILE | _LOCK | _INSTALL | _SYNC, metavar="EXTRA",
         help="Name an extra of the project files' dependencies to include (compile, lock), or of a "
              "pylock.toml to install (install, sync). Repeatable."),
    _opt("all-extras", commands=_COMPILE | _LOCK, help="Include every extra of the project files."),
    _opt("header", negative_flag="--no-header", default=True, commands=_COMPILE,
         help="Add header to generated file (--no-header: leave it out)."),
    _opt("annotate", negative_flag="--no-annotate", default=True, commands=_COMPILE,
         help="Annotate results, indicating where dependencies come from (--no-annotate: do not)."),
    _opt("annotation-style", kind="choice", choices=("split", "line"), default="split", commands=_COMPILE,
         help="Choose the format of annotation comments: split (default) or line."),
    _opt("strip-extras", negative_flag="--no-strip-extras", default=True, commands=_COMPILE,
         help="Leave extras out of the pins (the default, as pip-tools 7); --no-strip-extras keeps them."),
    _opt("allow-unsafe", negative_flag="--no-allow-unsafe", default=True, commands=_COMPILE,
         help="Pin pip, setuptools and distribute too (spoke's default); --no-allow-unsafe lists them "
              "as comments, as pip-tools did."),
    _opt("emit-index-url", negative_flag="--no-emit-index-url", default=True, commands=_COMPILE,
         help="Add index URL to generated file (--no-emit-index-url: do not)."),
    _opt("emit-find-links", negative_flag="--no-emit-find-links", default=True, commands=_COMPILE,
         help="Add the find-links option to generated file (--no-emit-find-links: do not)."),
    _opt("emit-trusted-host", negative_flag="--no-emit-trusted-host", default=True, commands=_COMPILE,
         help="Add trusted host option to generated file (--no-emit-trusted-host: do not)."),
    _opt("emit-options", negative_flag="--no-emit-options", default=True, commands=_COMPILE,
         help="Add options to generated file (--no-emit-options: none at all)."),
    _opt("universal", commands=_COMPILE,
         help="Resolve for every platform and every Python the --python-requirement allows (one pin "
              "per line with its marker, forking where requirements differ by marker), as `uv pip "
              "compile --universal`."),
    _opt("python-requirement", kind="str", commands=_COMPILE | _LOCK, metavar="SPECIFIER",
         help="The Pythons a universal resolution covers (e.g. '>=3.9'). Default: the project's "
              "requires-python, else this Python's minor version and newer."),
    _opt("environment", kind="list", dest="environments", commands=_COMPILE | _LOCK, metavar="MARKER",
         help="Limit a universal resolution to the environments where this marker holds (repeatable; "
              "uv's `environments`), e.g. \"sys_platform == 'linux'\"."),
    _opt("check", commands=_LOCK, env=False,
         help="Exit 1, showing the difference, when the lock file does not match what its inputs give now."),
    # -- sync -------------------------------------------------------------------------------------
    _opt("ask", "-a", "--ask", commands=_SYNC, env=False,
         help="Show what would change and ask before changing anything."),
    # -- doctor -------------------------------------------------------------------------------
    _opt("format", kind="choice", choices=("text", "json"), default="text",
         commands=frozenset({"doctor"}), metavar="FORMAT", env=False,
         help="Print the findings as text (default) or JSON."),
    _opt("no-network", commands=frozenset({"doctor"}), env=False,
         help="Skip the checks that reach the configured indexes."),
    # -- check DIST (twine check's options) --------------------------------------------------
    _opt("strict", commands=frozenset({"check"}), env=False,
         help="With distribution files: fail on warnings too (as twine check --strict)."),
    _opt("allow-private", commands=frozenset({"check"}), env=False,
         help="With distribution files: accept `Private ::` classifiers."),
    # -- audit (pip-audit's options) ------------------------------------------------------------
    _opt("requirement", "-r", "--requirement", kind="list", dest="requirements", commands=frozenset({"why-not"}),
         metavar="FILE",
         help="Explain against the requirements of this file (resolved with the version asked about) instead "
              "of the environment (repeatable)."),
    _opt("requirement", "-r", "--requirement", kind="list", dest="requirements", commands=_AUDIT,
         metavar="FILE",
         help="Audit the given requirements file, resolved for the target without installing "
              "(repeatable); --fix then rewrites its pins."),
    _opt("no-deps", "--no-deps", "--no-dependencies", commands=_AUDIT,
         help="With -r: audit a fully pinned file as written, without resolving dependencies."),
    _opt("skip-editable", commands=_AUDIT,
         help="Don't audit packages that are marked as editable (they are listed as skipped)."),
    _opt("osv-url", kind="str", commands=_AUDIT | _INSTALL, metavar="URL",
         help="Base URL of the OSV API to ask (default https://api.osv.dev; a mirror works)."),
    _opt("update-db", commands=_AUDIT, env=False,
         help="Download OSV's database of PyPI advisories (to --db PATH, default spoke's cache), then "
              "audit against it; later audits use it with --offline."),
    _opt("db-url", kind="str", commands=_AUDIT, metavar="URL",
         help="Where --update-db downloads the database from (default OSV's PyPI/all.zip export)."),
    _opt("vulnerability-service", "-s", "--vulnerability-service", kind="choice", choices=("osv", "pypi"),
         default="osv", commands=_AUDIT | _INSTALL, metavar="SERVICE",
         help="The vulnerability service to ask: osv (default) or pypi (PyPI's JSON API)."),
    _opt("pypi-url", kind="str", commands=_AUDIT | _INSTALL, metavar="URL",
         help="Base URL of PyPI's JSON API for -s pypi (default https://pypi.org; a mirror works)."),
    _opt("db", kind="path", commands=_AUDIT | _INSTALL, metavar="PATH",
         help="Audit offline against OSV's export zip (PyPI/all.zip) or a folder of OSV JSON files."),
    _opt("format", "-f", "--format", kind="choice",
         choices=("columns", "json", "markdown", "cyclonedx-json", "cyclonedx-xml"),
         default="columns", commands=_AUDIT, metavar="FORMAT",
         help="The format to emit audit results in: columns (default), json, markdown, cyclonedx-json or "
              "cyclonedx-xml (a CycloneDX 1.6 BOM with the vulnerabilities)."),
    _opt("output", "-o", "--output", kind="str", commands=_AUDIT, env=False, metavar="FILE",
         help="Write the results to FILE instead of standard output."),
    _opt("desc", commands=_AUDIT,
         help="Include a description for each vulnerability."),
    _opt("aliases", commands=_AUDIT,
         help="Include alias IDs (CVE, GHSA…) for each vulnerability."),
    _opt("ignore-vuln", kind="list", dest="ignore_vulns", commands=_AUDIT | _INSTALL, metavar="ID",
         help="Ignore a specific vulnerability by its ID or any alias (repeatable)."),
    _opt("strict", commands=_AUDIT, env=False,
         help="Fail the audit if any package could not be audited (it is skipped otherwise)."),
    _opt("fix", commands=_AUDIT, env=False,
         help="Upgrade vulnerable packages to the lowest safe versions, in one joint resolution "
              "of the environment (with -r: rewrite the file's pins)."),
    _opt("dry-run", commands=_AUDIT, env=False,
         help="With --fix: only show what would change."),
    # -- build (python -m build's options) ----------------------------------------------------
    _opt("sdist", "-s", "--sdist", dest="build_sdist", commands=_BUILD, env=False,
         help="Build a source distribution (with --wheel too: both, the wheel from the tree)."),
    _opt("wheel", "-w", "--wheel", dest="build_wheel", commands=_BUILD, env=False,
         help="Build a wheel (alone: straight from the tree)."),
    _opt("outdir", "-o", "--outdir", kind="path", commands=_BUILD, env=False, metavar="DIR",
         help="Output directory (default: DIR/dist)."),
    _opt("config-setting", "-C", "--config-setting", "--config-settings", kind="list", dest="config_settings",
         commands=_BUILD, env=False, metavar="KEY[=VALUE]",
         help="Settings to pass to the backend (repeatable)."),
    _opt("no-isolation", "-n", "--no-isolation", commands=_BUILD, env=False,
         help="Build in the current environment: the build requirements must be installed there."),
    _opt("skip-dependency-check", "-x", "--skip-dependency-check", commands=_BUILD, env=False,
         help="With --no-isolation, do not check that the build requirements are installed."),
    # -- publish (twine upload's options; TWINE_* / SPOKE_PUBLISH_* are read by the command) ----
    _opt("repository", "-r", "--repository", kind="str", commands=_PUBLISH, env=False, metavar="NAME",
         help="The repository (a section of .pypirc) to upload to (default: pypi)."),
    _opt("repository-url", kind="str", commands=_PUBLISH, env=False, metavar="URL",
         help="The repository's upload URL; overrides --repository."),
    _opt("username", "-u", "--username", kind="str", commands=_PUBLISH, env=False, metavar="USER",
         help="The user name to authenticate with (PyPI and TestPyPI: __token__)."),
    _opt("password", "-p", "--password", kind="str", commands=_PUBLISH, env=False, metavar="PASSWORD",
         help="The password or API token to authenticate with."),
    _opt("config-file", kind="path", dest="pypirc", commands=_PUBLISH, env=False, metavar="PATH",
         help="The .pypirc file naming the repositories (default: ~/.pypirc)."),
    _opt("skip-existing", commands=_PUBLISH, env=False,
         help="Skip files the repository already has instead of failing."),
    _opt("dry-run", commands=_PUBLISH, env=False,
         help="Check, resolve the repository and credentials, but upload nothing."),
    _opt("no-check", commands=_PUBLISH, env=False,
         help="Upload without the checks of `spoke check DIST` first."),
    _opt("allow-private", commands=_PUBLISH, env=False,
         help="Accept `Private ::` classifiers in the checks."),
    _opt("trusted-publishing", kind="choice", choices=("auto", "always", "never"), default="auto",
         commands=_PUBLISH, env=False, metavar="WHEN",
         help="Mint an upload token from the CI job's OIDC identity (GitHub Actions): auto (when no "
              "password is given), always or never."),
    _opt("non-interactive", commands=_PUBLISH, env=False,
         help="Never prompt for credentials (as --no-input)."),
    _opt("disable-progress-bar", commands=_PUBLISH, env=False,
         help="Show no upload progress bar (as --progress-bar off)."),
    _opt("audit", commands=_INSTALL,
         help="Before downloading anything, look the resolved versions up in the vulnerability service "
              "(--osv-url, -s pypi, --db) and refuse any with a known vulnerability (--ignore-vuln ID to "
              "accept one)."),
    _opt("upgrade-all", commands=_INSTALL,
         help="Upgrade every package in the environment to the newest allowed version."),
    # -- uninstall ----------------------------------------------------------------------------
    _opt("requirement", "-r", "--requirement", kind="list", dest="requirements",
         commands=_UNINSTALL, metavar="FILE",
         help="Uninstall all the packages listed in the given requirements file. This option "
              "can be used multiple times."),
    _opt("yes", "-y", "--yes", commands=_UNINSTALL,
         help="Don't ask for confirmation of uninstall deletions."),
    _opt("dry-run", commands=_UNINSTALL | {"autoremove", "rollback"},
         help="Don't actually uninstall anything, just print what would be."),
    _opt("with-unused-deps", commands=_UNINSTALL,
         help="Also remove the dependencies of the named packages that nothing else needs "
              "and that were not requested themselves."),
    _opt("yes", "-y", "--yes", commands=frozenset({"autoremove"}),
         help="Don't ask for confirmation of uninstall deletions."),
    # -- list, freeze, show, tree ---------------------------------------------------------------
    _opt("outdated", "-o", "--outdated", commands=_LIST, help="List outdated packages."),
    _opt("uptodate", "-u", "--uptodate", commands=_LIST, help="List uptodate packages."),
    _opt("not-required", commands=_LIST,
         help="List packages that are not dependencies of installed packages."),
    _opt("editable", "-e", "--editable", commands=_LIST, help="List editable projects."),
    _opt("format", kind="choice", choices=("columns", "freeze", "json"), default="columns",
         commands=_LIST, metavar="FORMAT",
         help="Select the output format among: columns (default), freeze, or json."),
    _opt("format", kind="choice", choices=("columns", "json"), default="columns",
         commands=frozenset({"history"}), metavar="FORMAT",
         help="Select the output format: columns (default) or json."),
    _opt("pre", commands=_LIST | {"index"},
         help="Include pre-release and development versions. By default, only stable "
              "versions are considered."),
    _opt("json", commands=frozenset({"index"}), env=False,
         help="Print the versions as JSON (pip's shape: name, versions, latest, installed_version)."),
    _opt("exclude-editable", commands=_INSPECT, help="Exclude editable package from output."),
    _opt("local", "-l", "--local", commands=_INSPECT | {"inspect", "audit"},
         help="If in a virtualenv that has global access, do not list globally-installed "
              "packages."),
    _opt("user", commands=_INSPECT | {"show", "check", "tree", "why", "inspect"},
         help="Only output packages installed in user-site."),
    _opt("path", kind="list", commands=_INSPECT | {"show", "check", "tree", "why", "inspect", "audit"},
         metavar="PATH",
         help="Restrict to the specified installation path for listing packages (can be "
              "used multiple times)."),
    _opt("exclude", kind="list", commands=_INSPECT, metavar="PACKAGE",
         help="Exclude specified package from the output."),
    _opt("requirement", "-r", "--requirement", kind="list", dest="requirements",
         commands=_FREEZE, metavar="FILE",
         help="Use the order in the given requirements file and its comments when generating "
              "output. This option can be used multiple times."),
    _opt("all", commands=_FREEZE,
         help="Do not skip these packages in the output: pip, setuptools, wheel, distribute."),
    _opt("files", "-f", "--files", dest="show_files", commands=frozenset({"show"}),
         help="Show the full list of installed files for each package."),
    _opt("reverse", commands=frozenset({"tree"}),
         help="Show what requires each package instead of what it requires."),
    _opt("depth", kind="int", commands=frozenset({"tree"}), metavar="N",
         help="Show the tree down to this depth (default: all)."),
    # -- config -------------------------------------------------------------------------------
    _opt("global", dest="scope_global", commands=frozenset({"config"}), env=False,
         help="Use the system-wide configuration file only."),
    _opt("user", dest="scope_user", commands=frozenset({"config"}), env=False,
         help="Use the user configuration file only."),
    _opt("site", dest="scope_site", commands=frozenset({"config"}), env=False,
         help="Use the current environment configuration file only."),
    _opt("editor", kind="str", commands=frozenset({"config"}), env=False, metavar="EDITOR",
         help="Editor to use to edit the file. Uses VISUAL or EDITOR environment variables if "
              "not provided."),
    # -- venv ---------------------------------------------------------------------------------
    _opt("seed", commands=_VENV,
         help="Install seed packages (pip) into the virtual environment."),
    _opt("prompt", kind="str", commands=_VENV, env=False, metavar="PROMPT",
         help="Provides an alternative prompt prefix for this environment."),
    _opt("system-site-packages", commands=_VENV,
         help="Give the virtual environment access to the system site-packages dir."),
    _opt("clear", commands=_VENV, env=False,
         help="Delete the contents of the environment directory if it already exists."),
)
"""Every option, in the order help lists them."""


def options_for(command: str) -> tuple[Option, ...]:
    """The options ``command`` accepts, in table order."""
    return tuple(option for option in OPTIONS if option.applies_to(command))


def option_for_key(key: str, command: str) -> Option | None:
    """The option of ``command`` that file/variable key ``key`` names, or ``None``.

    ``key`` is normalized as pip does (:func:`normalize_key`) before the lookup.
    """
    key = normalize_key(key)
    for option in OPTIONS:
        if option.applies_to(command) and key in option.keys:
            return option
    return None


def option_for_dest(dest: str, command: str) -> Option | None:
    """The option of ``command`` stored under ``dest``, or ``None``."""
    for option in OPTIONS:
        if option.dest == dest and option.applies_to(command):
            return option
    return None


def normalize_key(key: str) -> str:
    """A key as pip compares it: lower case, ``_`` as ``-``, no leading ``--``."""
    key = key.strip().lower().replace("_", "-")
    return key[2:] if key.startswith("--") else key


def iter_env_names(command: str, prefix: str) -> Iterator[tuple[str, Option]]:
    """Every ``(variable, option)`` pair ``command`` reads with ``prefix``, primary names first."""
    for option in options_for(command):
        for name in option.env_names(prefix):
            yield name, option
