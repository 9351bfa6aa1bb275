"""The lock files pin the whole closure that pyproject.toml asks for, and every install path uses them."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def lock(name: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / name).read_text().splitlines():
        if line and not line.startswith("#"):
            m = re.fullmatch(r"([a-z0-9][a-z0-9.-]*)==(\S+)", line)
            assert m, f"{name}: not a pin: {line!r}"
            assert m[1] not in pins, f"{name}: {m[1]} pinned twice"
            pins[m[1]] = m[2]
    assert list(pins) == sorted(pins), f"{name} is not sorted"
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize(("name", "extra"), [("requirements.lock", "digits"), ("requirements-test.lock", "test")])
def test_every_direct_dependency_is_locked_at_a_version_it_allows(name: str, extra: str | None) -> None:
    pins = lock(name)
    wanted = project()["dependencies"] + (project()["optional-dependencies"][extra] if extra else [])
    for text in wanted:
        req = Requirement(text)
        if canonical(req.name) == "normlens":  # the test extra names the digits extra: its packages are listed too
            continue
        version = pins.get(canonical(req.name))
        assert version is not None, f"{req.name} is missing from {name}: run `make lock`"
        assert req.specifier.contains(version, prereleases=True), f"{name}: {req.name}=={version} vs {req.specifier}"


def test_the_runtime_lock_is_the_test_lock_minus_test_tools() -> None:
    runtime, full = lock("requirements.lock"), lock("requirements-test.lock")
    assert runtime.items() <= full.items(), "the two lock files disagree on a runtime package: run `make lock`"
    assert "torch" in full and "torch" not in runtime  # the oracle is a test dependency only


def test_this_environment_was_installed_from_the_test_lock() -> None:
    """What the tests run on is what the lock says (a drifted venv would test something else)."""
    drift = []
    for pkg, version in lock("requirements-test.lock").items():
        try:
            installed = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            drift.append(f"{pkg}: not installed")
            continue
        if installed != version:
            drift.append(f"{pkg}: {installed} installed, {version} locked")
    assert not drift, drift


def test_make_and_the_image_install_through_the_locks() -> None:
    makefile, dockerfile = (ROOT / "Makefile").read_text(), (ROOT / "Dockerfile").read_text()
    assert "pip install -q -c requirements.lock -e '.[digits]'" in makefile
    assert makefile.count("pip install -q -c requirements-test.lock -e '.[test]'") == 2
    assert "pip install -c requirements.lock '.[digits]'" in dockerfile
    assert re.search(r"COPY [^\n]*requirements\.lock", dockerfile)
