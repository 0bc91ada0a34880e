"""Dependencies: no known-vulnerable server, every runtime major bounded, a lock to deploy."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    return {canonicalize_name(r.name): r for r in found}


def upper_bound(req: Requirement) -> Version | None:
    bounds = [Version(s.version) for s in req.specifier if s.operator in ("<", "<=")]
    return min(bounds) if bounds else None


def test_waitress_floor_has_the_denial_of_service_fix():
    waitress = requirements()["waitress"].specifier
    assert not waitress.contains("3.0.0") and waitress.contains("3.0.1")


def test_every_runtime_dependency_has_a_bounded_major():
    for name, req in requirements().items():
        assert upper_bound(req) is not None, f"{name} has no upper bound"
    assert upper_bound(requirements()["sqlite-utils"]) <= Version("5")
    assert upper_bound(requirements()["apscheduler"]) <= Version("4")  # 4 is a rewrite
    assert upper_bound(requirements()["pydantic"]) <= Version("3")


def test_the_lock_pins_every_dependency_within_the_bounds():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = version
    for name, req in requirements().items():
        assert name in pins, f"{name} is not in requirements.lock"
        assert req.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {req}"
