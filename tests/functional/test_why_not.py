"""``spoke why-not`` through the CLI (issue 18): what keeps a package below its newest release."""

from __future__ import annotations

from tests.support.packages import Pkg


def test_the_installed_requirement_python_and_platform_are_named(spoke, index, venv) -> None:
    server = index(
        Pkg("web", "1.0", deps=("tool<2",)), Pkg("tool", "1.5"), Pkg("tool", "2.0"),
        Pkg("tool", "3.0", requires_python=">=3.99"),
        Pkg("native", "1.0"), Pkg("native", "2.0", tag="cp312-cp312-win_amd64"),
        Pkg("free", "1.0"), Pkg("free", "1.1"),
    )
    env = venv()
    py = ("--python", str(env.python), "-i", server.simple_url)
    spoke("install", *py, "web", "native==1.0", "free==1.0")
    held = spoke("why-not", *py, "tool").stdout
    assert held.startswith("tool 1.5 is installed; tool 3.0 is not, because:\n"), held
    assert "  - tool 3.0 requires Python >=3.99 (the target runs Python 3." in held
    assert "  - web 1.0 (installed) requires tool<2\n" in held
    assert "The newest version usable here is 2.0." in held
    two = spoke("why-not", *py, "tool==2.0").stdout
    assert two == "tool 1.5 is installed; tool 2.0 is not, because:\n  - web 1.0 (installed) requires tool<2\n"
    platform = spoke("why-not", *py, "native").stdout
    assert "native 2.0 has no wheel for this platform or Python" in platform
    free = spoke("why-not", *py, "free").stdout
    assert free == ("free 1.0 is installed; nothing here keeps out free 1.1.\n"
                    "  `spoke install -U 'free==1.1'` would install it.\n")
    missing = spoke("why-not", *py, "tool==9.9").stdout
    assert "tool 9.9 does not exist" in missing
    wildcard = spoke("why-not", *py, "tool==1.*", check=False)
    assert wildcard.returncode == 1 and "names no single version" in wildcard.stderr
    assert "Traceback" not in wildcard.stderr
    bad = spoke("why-not", *py, check=False)
    assert bad.returncode != 0 and "Name one package" in bad.stderr


def test_no_matching_distribution_names_the_target_and_the_platforms_offered(spoke, index, venv) -> None:
    server = index(Pkg("native", "2.0", tag="cp312-cp312-win_amd64"),
                   Pkg("native", "2.0", tag="cp312-cp312-macosx_11_0_arm64"))
    env = venv()
    result = spoke("install", "--python", str(env.python), "-i", server.simple_url, "native", check=False)
    assert result.returncode == 1
    text = " ".join(result.stderr.split())
    assert "native 2.0 has no wheel for this platform or Python" in text, result.describe()
    assert "(it has wheels for other targets, such as cp312-" in text
    assert "and takes cp3" in text and "wheels and older" in text and "-bit)" in text


def test_against_a_requirements_file(spoke, index, venv, tmp_path) -> None:
    server = index(Pkg("flask", "3.0", deps=("werkzeug<3",)), Pkg("werkzeug", "2.3"), Pkg("werkzeug", "3.1"),
                   Pkg("other", "1.0"))
    env = venv()
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("flask\n")
    held = spoke("why-not", "werkzeug", "-r", str(reqs), "--python", str(env.python), "-i", server.simple_url)
    assert f"{reqs} and werkzeug 3.1 do not resolve together, because:" in held.stdout, held.describe()
    assert "flask" in held.stdout and "werkzeug<3" in held.stdout
    reqs.write_text("other\n")
    free = spoke("why-not", "werkzeug", "-r", str(reqs), "--python", str(env.python), "-i", server.simple_url)
    assert f"Nothing in {reqs} keeps out werkzeug 3.1." in free.stdout, free.describe()
