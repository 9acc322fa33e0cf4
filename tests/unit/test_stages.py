"""spoke.app.stages: the install pipeline's stages, each from plain values.

(The whole list runs through the CLI in tests/functional; here each stage is fed values and
its frozen output is checked.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from spoke.app.context import Context, IndexSettings, TargetSettings
from spoke.app.install import InstallRequest
from spoke.app.stages import Policy, TargetState, check_hash_mode, check_plan, make_policy, plan_changes
from spoke.errors import RequirementError
from spoke.models import IndexFile, InstalledDist, Interpreter, Scheme
from spoke.models.files import Yanked
from spoke.plan.candidates import FilePolicy
from spoke.plan.provider import ResolvePolicy
from spoke.plan.resolve import Resolution, ResolvedPackage
from spoke.reqs import parse_requirement
from tests.unit.test_plan import MARKERS


def scheme(root: Path) -> Scheme:
    return Scheme(purelib=root / "lib", platlib=root / "lib", scripts=root / "bin", data=root, headers=root / "inc")


def interpreter(root: Path) -> Interpreter:
    return Interpreter(
        executable=root / "bin" / "python", version=(3, 11, 7), implementation="cpython", markers=MARKERS,
        tags=tuple(parse_tag("py3-none-any")), sys_prefix=root, base_prefix=root, scheme=scheme(root),
        is_venv=True,
    )


def dist(name: str, version: str) -> InstalledDist:
    return InstalledDist(name=canonicalize_name(name), display_name=name, version=Version(version),
                         dist_info=Path(f"/site/{name}-{version}.dist-info"))


def file(name: str, version: str, *, yanked: str | None = None) -> IndexFile:
    filename = f"{name}-{version}-py3-none-any.whl"
    return IndexFile(name=canonicalize_name(name), version=Version(version), filename=filename,
                     url=f"https://files.example/{filename}", hashes={"sha256": "ab" * 32},
                     yanked=Yanked(reason=yanked) if yanked is not None else None)


def resolved(*pkgs: tuple[str, str]) -> Resolution:
    return Resolution(packages=tuple(
        ResolvedPackage(name=canonicalize_name(n), version=Version(v), file=file(n, v), metadata=None, requested=True)
        for n, v in pkgs
    ))


def request(*reqs: str, **options: object) -> InstallRequest:
    return InstallRequest(requirements=tuple(parse_requirement(r) for r in reqs), **options)  # type: ignore[arg-type]


def state(tmp_path: Path, installed: dict[str, InstalledDist], *, into_folder: bool = False,
          existing: dict[str, InstalledDist] | None = None) -> TargetState:
    return TargetState(interpreter=interpreter(tmp_path), scheme=scheme(tmp_path),
                       installed={} if into_folder else installed,
                       existing=existing if existing is not None else installed, into_folder=into_folder)


# -- plan_changes ---------------------------------------------------------------------------


def test_plan_keeps_what_is_installed_and_replaces_other_versions(tmp_path: Path) -> None:
    installed = {"a": dist("a", "1.0"), "b": dist("b", "1.0")}
    plan = plan_changes(request("a", "b"), state(tmp_path, installed), resolved(("a", "1.0"), ("b", "2.0")))
    assert [p.name for p in plan.install] == ["b"]
    assert [d.name for d in plan.remove] == ["b"] and [d.name for d in plan.keep] == ["a"]


def test_plan_into_a_folder_writes_everything_afresh_and_replaces_what_sits_there(tmp_path: Path) -> None:
    there = {"a": dist("a", "1.0")}
    plan = plan_changes(request("a", "b"), state(tmp_path, {}, into_folder=True, existing=there),
                        resolved(("a", "1.0"), ("b", "1.0")))
    assert [p.name for p in plan.install] == ["a", "b"]  # nothing counts as installed
    assert [d.name for d in plan.remove] == ["a"]  # but the old copy in the folder is replaced


def test_plan_with_ignore_installed_replaces_the_same_version(tmp_path: Path) -> None:
    installed = {"a": dist("a", "1.0")}
    target = TargetState(interpreter=interpreter(tmp_path), scheme=scheme(tmp_path), installed={},
                         existing=installed)
    plan = plan_changes(request("a", ignore_installed=True), target, resolved(("a", "1.0")))
    assert [p.name for p in plan.install] == ["a"] and [d.name for d in plan.remove] == ["a"]


def test_plan_folds_requested_removals_into_the_same_transaction(tmp_path: Path) -> None:
    installed = {"a": dist("a", "1.0"), "gone": dist("gone", "3.0")}
    plan = plan_changes(request("a", remove=("Gone",)), state(tmp_path, installed), resolved(("a", "1.0")))
    assert plan.install == () and [d.name for d in plan.remove] == ["gone"]
    assert [d.name for d in plan.keep] == ["a"]


# -- make_policy ----------------------------------------------------------------------------


class NoSources:
    """A SourceBuilder stand-in for requests without URL, path or VCS sources."""

    def materialize(self, source: object) -> object:
        raise AssertionError("no direct source to look at")


def test_policy_roots_pins_pre_releases_and_constraints(tmp_path: Path) -> None:
    ctx = Context(index=IndexSettings(), target=TargetSettings(cwd=tmp_path), cache_dir=tmp_path / "cache")
    req = InstallRequest(
        requirements=tuple(parse_requirement(r) for r in ("A==1.0", "b>=2.0rc1", "c")),
        constraints=tuple(parse_requirement(r, constraint=True) for r in ("c<3", "c>=1", "d!=2")),
        upgrade=True, upgrade_strategy="eager", pre=False, only_binary=frozenset({"a"}),
    )
    policy = make_policy(ctx, req, state(tmp_path, {}), NoSources())  # type: ignore[arg-type]
    assert isinstance(policy, Policy)
    assert [str(r) for r in policy.roots] == ["A==1.0", "b>=2.0rc1", "c"]
    assert policy.named == {"a", "b", "c"}
    assert policy.resolve.pinned == {"a"} and policy.resolve.allow_prerelease == {"b"}
    assert policy.resolve.upgrade == {"a", "b", "c"} and policy.resolve.upgrade_all
    assert policy.resolve.constraints["c"].contains(Version("2.5"))
    assert not policy.resolve.constraints["c"].contains(Version("3.0"))  # both constraints hold
    assert not policy.resolve.constraints["c"].contains(Version("0.9"))
    assert policy.files.only_binary == {"a"} and policy.files.python_version == Version("3.11.7")
    assert policy.direct == {}
    ctx.close()


# -- check_plan and hash-checking mode -------------------------------------------------------


def _policy() -> Policy:
    return Policy(roots=(), named=frozenset(), user_roots=(), direct={}, resolve=ResolvePolicy(),
                  files=FilePolicy(tags={}, python_version=Version("3.11")))


def test_a_yanked_file_in_the_plan_is_a_warning_with_its_reason(tmp_path: Path) -> None:
    res = Resolution(packages=(ResolvedPackage(name=canonicalize_name("y"), version=Version("1"),
                                               file=file("y", "1", yanked="broken"), metadata=None,
                                               requested=True, yanked=True),))
    plan = plan_changes(request("y==1"), state(tmp_path, {}), res)
    assert check_plan(request("y==1"), plan, _policy()) == ("y 1 was yanked (reason: broken)",)


def test_hash_mode_refuses_an_unhashed_dependency_and_names_its_hash(tmp_path: Path) -> None:
    req = InstallRequest(requirements=(parse_requirement("a==1.0", hashes=("sha256:" + "cd" * 32,)),),
                         require_hashes=True)
    plan = plan_changes(req, state(tmp_path, {}), resolved(("a", "1.0"), ("dep", "2.0")))
    with pytest.raises(RequirementError) as info:
        check_plan(req, plan, _policy())
    assert "dep 2.0" in info.value.message
    assert list(info.value.notes) == ["dep==2.0 --hash=sha256:" + "ab" * 32]


@pytest.mark.parametrize(("text", "words"), [("a>=1", "must be pinned"), ("a==1", "needs a --hash")])
def test_hash_mode_wants_pins_and_hashes(text: str, words: str) -> None:
    with pytest.raises(RequirementError, match=words):
        check_hash_mode(request(text, require_hashes=True), [])
