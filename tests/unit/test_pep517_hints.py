"""spoke.pep517.hints: the fix named from a failed build's output (captured from real builds)."""

from __future__ import annotations

import pytest

from spoke.pep517.hints import OutputScanner, requirement_for_module


def hint_for(output: str, *, isolated: bool = True, python_version: str | None = None) -> str:
    scanner = OutputScanner()
    scanner.feed_text(output)
    return scanner.hint(isolated=isolated, python_version=python_version)


GCC_MISSING_HEADER = """\
running build_ext
building 'cext' extension
gcc -pthread -fPIC -I/usr/include/python3.11 -c cext.c -o build/temp/cext.o
cext.c:2:10: fatal error: spoke_no_such_header.h: No such file or directory
    2 | #include "spoke_no_such_header.h"
      |          ^~~~~~~~~~~~~~~~~~~~~~~~
compilation terminated.
error: command '/usr/bin/gcc' failed with exit code 1
"""


def test_missing_header_names_the_header_over_the_failed_compiler() -> None:
    hint = hint_for(GCC_MISSING_HEADER)
    assert "`spoke_no_such_header.h`" in hint and "apt-file search spoke_no_such_header.h" in hint


@pytest.mark.parametrize("line,package", [
    ("src/_cffi.c:2:10: fatal error: ffi.h: No such file or directory", "libffi-dev"),
    ("x.c:1:10: fatal error: 'openssl/ssl.h' file not found", "libssl-dev"),
    ("x.c(1): fatal error C1083: Cannot open include file: 'zlib.h': No such file or directory", "zlib1g-dev"),
    ("lxml.c:12:10: fatal error: libxml/xmlversion.h: No such file or directory", "libxml2-dev"),
])
def test_known_headers_name_their_debian_package(line: str, package: str) -> None:
    assert f"`apt install {package}`" in hint_for(line)


def test_python_headers_name_the_versioned_dev_package() -> None:
    line = "psutil/_psutil_common.c:9:10: fatal error: Python.h: No such file or directory"
    assert "`apt install python3-dev`" in hint_for(line)
    assert "`apt install python3.12-dev`" in hint_for(line, python_version="3.12")
    assert "`dnf install python3.12-devel`" in hint_for(line, python_version="3.12")


@pytest.mark.parametrize("line,compiler", [
    ("error: command 'gcc' failed: No such file or directory", "gcc"),
    ("unable to execute 'x86_64-linux-gnu-gcc': No such file or directory", "x86_64-linux-gnu-gcc"),
    ("/bin/sh: 1: gcc: not found", "gcc"),
    ("sh: cc: command not found", "cc"),
    ("FileNotFoundError: [Errno 2] No such file or directory: 'clang'", "clang"),
])
def test_missing_compiler(line: str, compiler: str) -> None:
    hint = hint_for(line)
    assert f"(`{compiler}`)" in hint and "build-essential" in hint


def test_msvc_and_rust() -> None:
    assert "Microsoft C++ Build Tools" in hint_for(
        "error: Microsoft Visual C++ 14.0 or greater is required. Get it with \"Microsoft C++ Build Tools\""
    )
    assert "rustup" in hint_for("error: can't find Rust compiler")


def test_missing_module_depends_on_isolation() -> None:
    traceback = 'File "setup.py", line 1, in <module>\nModuleNotFoundError: No module named \'yaml\'\n'
    isolated = hint_for(traceback)
    assert "`yaml`" in isolated and "add `PyYAML` to `[build-system] requires`" in isolated
    assert "--no-build-isolation" in isolated
    plain = hint_for(traceback, isolated=False)
    assert "install `PyYAML` into it" in plain


def test_a_compile_failure_without_a_known_cause_and_the_general_case() -> None:
    assert "failed to compile" in hint_for(
        "x.c:3:1: error: expected ';'\nerror: command '/usr/bin/gcc' failed with exit code 1"
    )
    assert "build failed" in hint_for("Traceback (most recent call last):\nRuntimeError: boom")


def test_requirement_for_module() -> None:
    assert requirement_for_module("pdm.backend") == "pdm-backend"
    assert requirement_for_module("flit_core.buildapi") == "flit-core"
    assert requirement_for_module("poetry.core.masonry.api") == "poetry-core"
    assert requirement_for_module("some_backend.api") == "some-backend"
