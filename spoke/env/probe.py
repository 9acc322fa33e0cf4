"""The probe: a stdlib-only script run *inside* a target interpreter, printing one JSON object.

spoke never imports this module to use it; :func:`probe_source` reads this file's text and
runs it as ``[python, "-I", "-c", source]``, so everything spoke knows about a target comes
from the target itself (its ``sysconfig``, ``site``, ``platform``), not from spoke's own
interpreter. The script therefore has to run on every Python spoke supports as a target,
3.8 and later, CPython and PyPy: no f-strings, no walrus, no ``match``, no annotations.
It even parses on Python 2.7 so that an old interpreter gets a clear "unsupported" answer
instead of a traceback.

It stays cheap (``-I``, imports only what it needs) because every uncached inspection pays
for it. Scheme paths are reported both resolved (the default and user schemes) and as
*templates*: the prefix and venv schemes expanded with the sentinel ``PREFIX_SENTINEL`` for
every base variable, so spoke can substitute any ``--prefix`` or new venv folder later
without running the target again.
"""

import json
import os
import sys

PROBE_FORMAT = 1
PREFIX_SENTINEL = "\x00B"
_BASE_VARS = ("base", "platbase", "installed_base", "installed_platbase", "prefix", "exec_prefix")


def _full_version(info):
    # Same as packaging.markers' format_full_version: "3.13.0b1", "3.11.7".
    version = "%d.%d.%d" % (info[0], info[1], info[2])
    kind = info[3]
    if kind != "final":
        version += kind[0] + str(info[4])
    return version


def _markers():
    # Mirrors packaging.markers.default_environment(), computed by the target itself.
    import platform

    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": _full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def _read_pyvenv_cfg(prefix):
    path = os.path.join(prefix, "pyvenv.cfg")
    values = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, sep, value = line.partition("=")
                if sep:
                    values[key.strip().lower()] = value.strip()
    except (OSError, UnicodeDecodeError):
        return None, {}
    return path, values


def _base_executable(is_venv, cfg):
    # venv links to sys._base_executable; inside a venv before 3.11 that attribute is the
    # venv's own python on POSIX, so look for the real one beside pyvenv.cfg's "home".
    exe = getattr(sys, "_base_executable", None) or sys.executable
    if not is_venv:
        return exe
    home = cfg.get("home")
    if home:
        names = [os.path.basename(sys.executable), "python%d.%d" % sys.version_info[:2], "python3"]
        for name in names:
            candidate = os.path.join(home, name)
            if os.path.isfile(candidate):
                return candidate
    if exe and os.path.dirname(os.path.abspath(exe)) != os.path.dirname(os.path.abspath(sys.executable)):
        return exe
    return None


def _default_scheme_name(sysconfig, is_venv):
    # What pip uses (pip/_internal/locations/_sysconfig.py: _infer_prefix). On Debian's
    # system Python this is "posix_local" (/usr/local/lib/pythonX.Y/dist-packages).
    preferred = getattr(sysconfig, "get_preferred_scheme", None)
    if preferred is not None:
        return preferred("prefix")
    names = sysconfig.get_scheme_names()
    impl = sys.implementation.name
    for candidate in (impl + "_" + os.name, impl, os.name + "_prefix", os.name):
        if candidate in names:
            return candidate
    return "posix_prefix"


def _user_scheme_name(sysconfig):
    preferred = getattr(sysconfig, "get_preferred_scheme", None)
    if preferred is not None:
        try:
            return preferred("user")
        except KeyError:
            return None
    names = sysconfig.get_scheme_names()
    if sysconfig.get_config_var("PYTHONFRAMEWORK") and "osx_framework_user" in names:
        return "osx_framework_user"
    for candidate in (os.name + "_user", "posix_user"):
        if candidate in names:
            return candidate
    return None


def _paths(sysconfig, scheme, variables=None):
    if scheme is None or scheme not in sysconfig.get_scheme_names():
        return None
    if variables is None:
        raw = sysconfig.get_paths(scheme=scheme)
    else:
        raw = sysconfig.get_paths(scheme=scheme, vars=variables)
    keys = ("purelib", "platlib", "scripts", "data", "include", "stdlib")
    out = {"name": scheme}
    for key in keys:
        if key in raw:
            out[key] = raw[key]
    return out


def _schemes(sysconfig, is_venv):
    default_name = _default_scheme_name(sysconfig, is_venv)
    # A custom --prefix never goes under "local/" (Debian) or into a framework.
    prefix_name = default_name
    if prefix_name in ("posix_local", "osx_framework_library", "deb_system"):
        prefix_name = "posix_prefix"
    names = sysconfig.get_scheme_names()
    venv_name = "venv" if "venv" in names else ("nt" if os.name == "nt" else "posix_prefix")
    template_vars = dict.fromkeys(_BASE_VARS, PREFIX_SENTINEL)
    py_xy = "python%d.%d" % sys.version_info[:2]
    default = _paths(sysconfig, default_name)
    if is_venv:
        # pip's historical header location inside a virtual environment.
        default["include"] = os.path.join(sys.prefix, "include", "site", py_xy)
    prefix_template = _paths(sysconfig, prefix_name, template_vars)
    if is_venv:
        prefix_template["include"] = os.path.join(PREFIX_SENTINEL, "include", "site", py_xy)
    venv_template = _paths(sysconfig, venv_name, template_vars)
    venv_template["site_include"] = os.path.join(PREFIX_SENTINEL, "include", "site", py_xy)
    user = None
    try:
        user = _paths(sysconfig, _user_scheme_name(sysconfig))
    except Exception:  # noqa: BLE001 - a broken HOME or an exotic platform: no --user then
        user = None
    return {"default": default, "user": user, "prefix_template": prefix_template, "venv_template": venv_template}


def _libc():
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, OSError, ValueError):
        text = None
    if text:
        parts = text.split()
        if len(parts) == 2:
            return {"name": parts[0], "version": parts[1]}
    if sys.platform.startswith("linux"):
        import glob

        if glob.glob("/lib/ld-musl-*.so.1"):
            return {"name": "musl", "version": None}
    return None


def _user_site(site, is_venv, include_system):
    if is_venv and not include_system:
        return None, False
    try:
        path = site.getusersitepackages()
    except Exception:  # noqa: BLE001 - whatever breaks it, there is no user site
        return None, False
    enabled = not os.environ.get("PYTHONNOUSERSITE")
    if (hasattr(os, "getuid") and hasattr(os, "geteuid")
            and (os.getuid() != os.geteuid() or os.getgid() != os.getegid())):
        enabled = False
    return path, enabled


def probe():
    """Everything spoke needs to know about the running interpreter, as a JSON-ready dict."""
    if sys.version_info < (3, 8):
        return {"format": PROBE_FORMAT, "unsupported": True, "version_info": list(sys.version_info[:3])}
    import site
    import sysconfig
    from importlib.machinery import EXTENSION_SUFFIXES

    base_prefix = getattr(sys, "base_prefix", sys.prefix)
    cfg_path, cfg = _read_pyvenv_cfg(sys.prefix)
    is_venv = sys.prefix != base_prefix or hasattr(sys, "real_prefix")
    include_system = cfg.get("include-system-site-packages", "false").lower() == "true"
    py_debug = sysconfig.get_config_var("Py_DEBUG")
    if py_debug is None:
        # Windows does not set Py_DEBUG (same fallback as packaging.tags).
        py_debug = hasattr(sys, "gettotalrefcount") or "_d.pyd" in EXTENSION_SUFFIXES
    stdlib = sysconfig.get_path("stdlib")
    managed = None
    if not is_venv and stdlib:
        candidate = os.path.join(stdlib, "EXTERNALLY-MANAGED")
        if os.path.isfile(candidate):
            managed = candidate
    user_site, user_site_enabled = _user_site(site, is_venv, include_system)
    mac_version = None
    if sys.platform == "darwin":
        import platform

        mac_version = platform.mac_ver()[0] or None
    info = sys.version_info
    return {
        "format": PROBE_FORMAT,
        "unsupported": False,
        "version_info": [info[0], info[1], info[2], info[3], info[4]],
        "implementation": {
            "name": sys.implementation.name,
            "version": _full_version(sys.implementation.version),
            "cache_tag": sys.implementation.cache_tag,
        },
        "executable": sys.executable,
        "base_executable": _base_executable(is_venv, cfg),
        "prefix": sys.prefix,
        "base_prefix": base_prefix,
        "exec_prefix": sys.exec_prefix,
        "is_venv": is_venv,
        "pyvenv_cfg": cfg_path,
        "include_system_site_packages": include_system,
        "markers": _markers(),
        "platform": sysconfig.get_platform(),
        "soabi": sysconfig.get_config_var("SOABI"),
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
        "py_version_nodot": sysconfig.get_config_var("py_version_nodot"),
        "py_debug": bool(py_debug),
        "gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "is_64bit": sys.maxsize > 2 ** 32,
        "libc": _libc(),
        "mac_version": mac_version,
        "framework": sysconfig.get_config_var("PYTHONFRAMEWORK") or None,
        "schemes": _schemes(sysconfig, is_venv),
        "stdlib": stdlib,
        "site_packages": list(site.getsitepackages()) if hasattr(site, "getsitepackages") else [],
        "user_site": user_site,
        "user_site_enabled": user_site_enabled,
        "externally_managed": managed,
    }


def main():
    """Print the probe's result as one line of JSON on stdout."""
    sys.stdout.write(json.dumps(probe(), sort_keys=True))
    sys.stdout.write("\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
