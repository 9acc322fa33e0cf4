"""What a failed build's output says the user should do.

A backend's failure is usually a wall of compiler output, and the useful fact in it is one
line: ``fatal error: Python.h: No such file or directory``, ``unable to execute 'gcc'``, ``No
module named 'numpy'``. :class:`OutputScanner` reads every line as it streams past (the line
may be far above the last lines spoke keeps for the error) and remembers the first line of each
kind; :meth:`OutputScanner.hint` turns the most specific finding into one sentence naming the
fix. Pure: no I/O, tested on captured output.
"""

from __future__ import annotations

import re

__all__ = ["OutputScanner", "requirement_for_module"]

# What a missing header is called by gcc, clang and MSVC.
_HEADER = re.compile(
    r"fatal error: (?:'(?P<q>[^']+\.h(?:pp)?)' file not found"
    r"|(?P<gcc>[\w./+-]+\.h(?:pp)?): No such file or directory)"
    r"|fatal error C1083: Cannot open include file: '(?P<msvc>[^']+)'",
)
# A compiler that could not be started at all.
_NO_COMPILER = re.compile(
    r"unable to execute '?(?P<a>[^':\s]+)'?: No such file or directory"
    r"|command '(?P<b>[^']+)' failed: No such file or directory"
    r"|No such file or directory: '(?P<c>(?:[^']*/)?(?:gcc|cc|clang|g\+\+|c\+\+|x86_64-linux-gnu-gcc))'"
    r"|(?:^|[\s/:])(?P<d>gcc|cc|clang|g\+\+|c\+\+|x86_64-linux-gnu-gcc):(?: command)? not found",
)
_MSVC = re.compile(r"Microsoft Visual C\+\+ [\d.]+ or greater is required|error: Microsoft Visual C\+\+")
_RUST = re.compile(
    r"can't find Rust compiler|cargo: (?:command )?not found|Cargo, the Rust package manager, is not installed"
)
_MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '(?P<module>[\w.]+)'")
# A compiler that ran and failed: the cause is in its output, usually just above.
_COMPILE_FAILED = re.compile(r"error: command '[^']+' failed with exit (?:code|status) \d+")

#: Packages that provide headers builds often miss (the first path part counts), as
#: (Debian/Ubuntu apt, Fedora/RHEL dnf, Alpine apk, macOS Homebrew); ``None`` where there is none.
_HEADER_PACKAGES: dict[str, tuple[str, str, str | None, str | None]] = {
    "ffi.h": ("libffi-dev", "libffi-devel", "libffi-dev", "libffi"),
    "openssl": ("libssl-dev", "openssl-devel", "openssl-dev", "openssl"),
    "zlib.h": ("zlib1g-dev", "zlib-devel", "zlib-dev", "zlib"),
    "bzlib.h": ("libbz2-dev", "bzip2-devel", "bzip2-dev", "bzip2"),
    "lzma.h": ("liblzma-dev", "xz-devel", "xz-dev", "xz"),
    "sqlite3.h": ("libsqlite3-dev", "sqlite-devel", "sqlite-dev", "sqlite"),
    "libxml": ("libxml2-dev", "libxml2-devel", "libxml2-dev", "libxml2"),
    "libxslt": ("libxslt1-dev", "libxslt-devel", "libxslt-dev", "libxslt"),
    "yaml.h": ("libyaml-dev", "libyaml-devel", "yaml-dev", "libyaml"),
    "jpeglib.h": ("libjpeg-dev", "libjpeg-turbo-devel", "libjpeg-turbo-dev", "jpeg"),
    "png.h": ("libpng-dev", "libpng-devel", "libpng-dev", "libpng"),
    "ft2build.h": ("libfreetype-dev", "freetype-devel", "freetype-dev", "freetype"),
    "libpq-fe.h": ("libpq-dev", "libpq-devel", "postgresql-dev", "libpq"),
    "pg_config.h": ("libpq-dev", "libpq-devel", "postgresql-dev", "libpq"),
    "mysql.h": ("default-libmysqlclient-dev", "mariadb-connector-c-devel", "mariadb-dev", "mysql-client"),
    "krb5.h": ("libkrb5-dev", "krb5-devel", "krb5-dev", "krb5"),
    "gssapi": ("libkrb5-dev", "krb5-devel", "krb5-dev", "krb5"),
    "curl": ("libcurl4-openssl-dev", "libcurl-devel", "curl-dev", "curl"),
    "readline": ("libreadline-dev", "readline-devel", "readline-dev", "readline"),
    "ncurses.h": ("libncurses-dev", "ncurses-devel", "ncurses-dev", "ncurses"),
    "cairo.h": ("libcairo2-dev", "cairo-devel", "cairo-dev", "cairo"),
    "cairo": ("libcairo2-dev", "cairo-devel", "cairo-dev", "cairo"),
    "gmp.h": ("libgmp-dev", "gmp-devel", "gmp-dev", "gmp"),
    "hdf5.h": ("libhdf5-dev", "hdf5-devel", "hdf5-dev", "hdf5"),
    "lber.h": ("libldap2-dev", "openldap-devel", "openldap-dev", "openldap"),
    "ldap.h": ("libldap2-dev", "openldap-devel", "openldap-dev", "openldap"),
    "sasl": ("libsasl2-dev", "cyrus-sasl-devel", "cyrus-sasl-dev", "cyrus-sasl"),
    "libusb-1.0": ("libusb-1.0-0-dev", "libusb1-devel", "libusb-dev", "libusb"),
    "systemd": ("libsystemd-dev", "systemd-devel", None, None),
    "dbus": ("libdbus-1-dev", "dbus-devel", "dbus-dev", "dbus"),
}


def _installs(apt: str, dnf: str, apk: str | None, brew: str | None) -> str:
    """How each system installs it: ``apt install X`` (Debian/Ubuntu), ``dnf install Y`` …"""
    ways = [f"`apt install {apt}` (Debian/Ubuntu)", f"`dnf install {dnf}` (Fedora/RHEL)"]
    if apk:
        ways.append(f"`apk add {apk}` (Alpine)")
    if brew:
        ways.append(f"`brew install {brew}` (macOS)")
    return ", ".join(ways)


#: Import names of build backends (and common build-time imports) whose distribution is
#: named differently.
_MODULE_REQUIREMENTS = {
    "flit_core": "flit-core",
    "pdm": "pdm-backend",
    "poetry": "poetry-core",
    "mesonpy": "meson-python",
    "scikit_build_core": "scikit-build-core",
    "skbuild": "scikit-build",
    "sipbuild": "sip",
    "setuptools_scm": "setuptools-scm",
    "setuptools_rust": "setuptools-rust",
    "Cython": "Cython",
    "pkgconfig": "pkgconfig",
    "pybind11": "pybind11",
    "yaml": "PyYAML",
    "PIL": "Pillow",
    "sklearn": "scikit-learn",
    "attr": "attrs",
    "dateutil": "python-dateutil",
    "google": "protobuf",
    "jupyter_packaging": "jupyter-packaging",
    "hatch_vcs": "hatch-vcs",
    "hatch_fancy_pypi_readme": "hatch-fancy-pypi-readme",
}

_WHEEL_INSTEAD = "or use a version of the package that has a wheel for this platform"


def requirement_for_module(module: str) -> str:
    """The distribution that most likely provides the import name ``module`` (``pdm.backend`` →
    ``pdm-backend``); the top-level name itself when spoke knows no better."""
    top = module.split(".", 1)[0]
    return _MODULE_REQUIREMENTS.get(top, top.replace("_", "-"))


class OutputScanner:
    """Remembers the telling lines of a build's output; feed it every line, then ask :meth:`hint`."""

    def __init__(self) -> None:
        self.header: str | None = None
        self.compiler: str | None = None
        self.msvc = False
        self.rust = False
        self.module: str | None = None
        self.compile_failed = False

    def feed(self, line: str) -> None:
        """Look at one line of output (without its line ending)."""
        # Only the first finding of each kind counts: the first error is the cause, what
        # follows is often its consequence.
        if self.header is None and (m := _HEADER.search(line)):
            self.header = m.group("q") or m.group("gcc") or m.group("msvc")
        if self.compiler is None and (m := _NO_COMPILER.search(line)):
            self.compiler = next(g for g in m.groups() if g)
        self.msvc = self.msvc or bool(_MSVC.search(line))
        self.rust = self.rust or bool(_RUST.search(line))
        if self.module is None and (m := _MISSING_MODULE.search(line)):
            self.module = m.group("module")
        self.compile_failed = self.compile_failed or bool(_COMPILE_FAILED.search(line))

    def feed_text(self, text: str) -> None:
        """Look at each line of ``text`` (a traceback, say)."""
        for line in text.splitlines():
            self.feed(line)

    def hint(self, *, isolated: bool, python_version: str | None = None) -> str:
        """The fix for the most specific problem seen, or a general one.

        ``isolated`` tells whether build requirements came from ``[build-system]`` (so a
        missing import is the project's omission) or from the target environment.
        ``python_version`` (``"3.12"``) makes the Python headers' package name exact.
        """
        if self.header is not None:
            return _header_hint(self.header, python_version)
        if self.compiler is not None:
            return (
                f"No C compiler could be run (`{self.compiler}`): install one (`apt install build-essential` "
                "(Debian/Ubuntu), `dnf install gcc gcc-c++` (Fedora/RHEL), `apk add build-base` (Alpine), "
                "`xcode-select --install` (macOS), the Microsoft C++ Build Tools (Windows)), "
                f"{_WHEEL_INSTEAD}."
            )
        if self.msvc:
            return (
                "Install the Microsoft C++ Build Tools "
                f"(https://visualstudio.microsoft.com/visual-cpp-build-tools/), {_WHEEL_INSTEAD}."
            )
        if self.rust:
            return (
                "This package is written partly in Rust: install a Rust toolchain (https://rustup.rs), "
                f"{_WHEEL_INSTEAD}."
            )
        if self.module is not None:
            requirement = requirement_for_module(self.module)
            if isolated:
                return (
                    f"The build imports `{self.module}`, which its build requirements do not provide. "
                    f"If you maintain the package, add `{requirement}` to `[build-system] requires` in pyproject.toml; "
                    f"otherwise install `{requirement}` and the other build requirements into the target and retry "
                    "with `--no-build-isolation`."
                )
            return (
                f"The build imports `{self.module}`, which the target environment lacks: install `{requirement}` "
                "into it, or drop `--no-build-isolation`."
            )
        if self.compile_failed:
            return (
                "A C extension failed to compile; the compiler's errors are in the output above. "
                f"Fix them, {_WHEEL_INSTEAD}."
            )
        return f"The package's build failed; the cause is in the backend's output above. Look there, {_WHEEL_INSTEAD}."


def _header_hint(header: str, python_version: str | None) -> str:
    if header == "Python.h" or header.startswith("python3"):
        debian = f"python{python_version}-dev" if python_version else "python3-dev"
        fedora = f"python{python_version}-devel" if python_version else "python3-devel"
        ways = _installs(debian, fedora, "python3-dev", None)
        return (
            f"The Python development headers (`{header}`) are missing: install them ({ways}; on macOS and "
            f"Windows they come with Python from python.org or Homebrew), {_WHEEL_INSTEAD}."
        )
    packages = _HEADER_PACKAGES.get(header) or _HEADER_PACKAGES.get(header.split("/", 1)[0])
    where = (
        _installs(*packages) + "; on Windows, a wheel is the way (or the library from vcpkg)"
        if packages
        else f"on Debian/Ubuntu `apt-file search {header}` names it, usually a `lib…-dev` package"
    )
    return (
        f"The C header `{header}` is missing: install the development package of the library that provides it "
        f"({where}), {_WHEEL_INSTEAD}."
    )
