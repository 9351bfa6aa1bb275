"""The lab contract (normlens.labs.base): knobs resolved with defaults, each bad knob named, seeded draws, and the
registry holding every module under core/labs/."""

from __future__ import annotations

import pkgutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import normlens.labs
from normlens.args import ArgumentError, Param
from normlens.labs import LABS, MODULES, LabResult, LabSpec
from normlens.labs.base import rng

SPEC = LabSpec(
    "toy",
    (
        Param("p", "float", 0.5, minimum=0, maximum=1, exclusive_maximum=True),
        Param("n", "int", 4, minimum=2, maximum=64),
        Param("on", "bool", False),
        Param("kind", "enum", "a", choices=("a", "b")),
    ),
    lambda **k: LabResult({"n": k["n"]}, {}, "print('{}')", {}),
)


def test_defaults_fill_and_order() -> None:
    assert SPEC.resolve({"n": 8}) == {"p": 0.5, "n": 8, "on": False, "kind": "a"}
    assert SPEC.to_dict()["knobs"][0]["name"] == "p"


@pytest.mark.parametrize(
    ("given", "param", "code"),
    [
        ({"p": 1.0}, "p", "knob_range"),
        ({"p": -0.1}, "p", "knob_range"),
        ({"p": "x"}, "p", "not_number"),
        ({"p": float("nan")}, "p", "not_finite_number"),
        ({"n": 1}, "n", "below_minimum"),
        ({"n": 65}, "n", "out_of_range"),
        ({"n": 2.5}, "n", "not_integer"),
        ({"n": True}, "n", "not_integer"),
        ({"on": 1}, "on", "not_bool"),
        ({"kind": "c"}, "kind", "not_a_choice"),
        ({"zz": 1}, "zz", "unknown_argument"),
    ],
)
def test_bad_knobs(given: dict, param: str, code: str) -> None:
    with pytest.raises(ArgumentError) as e:
        SPEC.resolve(given)
    assert (e.value.param, e.value.code) == (param, code)


@given(st.floats(0, 1, exclude_max=True), st.integers(2, 64))
def test_in_bounds_always_resolves(p: float, n: int) -> None:
    assert SPEC.resolve({"p": p, "n": n})["n"] == n


def test_rng_is_seeded() -> None:
    assert np.array_equal(rng(3).normal(size=4), rng(3).normal(size=4))


def test_every_module_under_core_labs_is_registered() -> None:
    found = {m.name for m in pkgutil.iter_modules(normlens.labs.__path__)} - {"base"}
    assert found == set(MODULES), f"add to MODULES in core/labs/__init__.py: {found - set(MODULES)}"
    assert len(LABS) == len(MODULES)
    for slug, spec in LABS.items():
        assert spec.slug == slug and spec.knobs
        for k in spec.knobs:  # bounded: the 200 ms budget holds at the largest setting
            assert k.type in ("int", "float", "bool", "enum"), (slug, k.name)
            if k.type in ("int", "float"):
                assert k.minimum is not None and k.maximum is not None, (slug, k.name)
            spec.resolve({k.name: k.default})  # every default is valid
