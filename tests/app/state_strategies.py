"""Hypothesis strategies for random, schema-valid ViewStates, generated from core's layer specs.

Importable from tests under tests/app (`from state_strategies import view_states`). The states are valid
for the schema (any argument of the right type and range), not necessarily traceable (a rank the layer
refuses is fine): the codec and the store must carry any valid state exactly.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

import normlens
from normlens.app.state import ViewState

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
STEP_IDS = ["input", "grouping", "mean", "variance", "x_hat", "output", "running_mean", "dinput"]


def _param(p: Any) -> st.SearchStrategy[Any]:
    lo = -1e6 if p.minimum is None else p.minimum
    hi = 1e6 if p.maximum is None else p.maximum
    if p.type == "bool":
        return st.booleans()
    if p.type in ("int", "int_or_null"):
        s: st.SearchStrategy[Any] = st.integers(int(lo), int(min(hi, 2**32)))
    elif p.type in ("float", "float_or_null"):
        s = st.floats(lo, hi, exclude_min=p.exclusive_minimum, exclude_max=p.exclusive_maximum, allow_nan=False)
    elif p.type == "enum":
        s = st.sampled_from(p.choices)
    elif p.type == "int_list":
        s = st.lists(st.integers(1, 8), min_size=1, max_size=3)
    elif p.type == "int_or_list":
        s = st.integers(-8, 8) | st.lists(st.integers(-8, 8), max_size=3)
    elif p.type == "float_array":
        s = st.lists(finite, min_size=1, max_size=4)
    else:  # a new ParamType in normlens.args must be taught here too
        raise TypeError(f"no strategy for parameter type {p.type!r} of {p.name}")
    if p.type.endswith("_or_null") or p.default is None:
        s = st.none() | s
    return s


def _params(layer: str) -> st.SearchStrategy[dict[str, Any]]:
    spec = normlens.LAYERS[layer]
    return st.fixed_dictionaries({}, optional={p.name: _param(p) for p in spec.params})


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4)


@st.composite
def nested(draw: st.DrawFn, shape: list[int] | None = None) -> list[Any]:
    shape = shape or draw(shapes)
    numbers = st.one_of(finite, st.integers(-(2**53), 2**53))

    def build(dims: list[int]) -> list[Any]:
        if len(dims) == 1:
            return [draw(numbers) for _ in range(dims[0])]
        return [build(dims[1:]) for _ in range(dims[0])]

    return build(shape)


def _text(values: list[Any]) -> str:
    return repr(values)


random_draws = st.one_of(
    st.fixed_dictionaries(
        {"shape": shapes},
        optional={
            "seed": st.integers(0, 2**53),
            "distribution": st.just("normal"),
            "mean": st.floats(-1e3, 1e3),
            "std": st.floats(0, 1e3),
        },
    ),
    st.fixed_dictionaries(
        {"shape": shapes, "distribution": st.just("uniform")},
        optional={"seed": st.integers(0, 2**32), "low": st.just(-2.0), "high": st.floats(0.5, 10.0)},
    ),
    st.fixed_dictionaries(
        {"shape": shapes, "distribution": st.just("integers")},
        optional={"seed": st.integers(0, 2**32), "low": st.integers(-9, -1), "high": st.integers(0, 9)},
    ),
)

inputs = st.one_of(
    nested().map(lambda v: {"values": v}),
    st.lists(st.integers(-99, 99), min_size=1, max_size=12).map(lambda v: {"text": _text(v)}),
    random_draws.map(lambda r: {"random": r}),
)

views = st.fixed_dictionaries(
    {},
    optional={
        "step": st.none() | st.sampled_from(STEP_IDS),
        "group": st.none() | st.integers(0, 2**31 - 1),
        "lang": st.sampled_from(["en", "zh"]),
    },
)


@st.composite
def view_state_data(draw: st.DrawFn) -> dict[str, Any]:
    """The JSON of a random valid ViewState."""
    layer = draw(st.sampled_from(sorted(normlens.LAYERS)))
    data: dict[str, Any] = {"layer": layer, "input": draw(inputs), "params": draw(_params(layer))}
    optional = {
        "dtype": st.sampled_from(["float32", "float64"]),
        "detail": st.sampled_from(["auto", "full", "summary"]),
        "shape": st.just([-1]),
        "grad_output": st.none()
        | finite.map(lambda f: {"fill": f})
        | st.integers(0, 2**32).map(lambda s: {"random": {"seed": s}}),
        "view": views,
        "v": st.just(1),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            data[name] = draw(strategy)
    return data


view_states = view_state_data().map(ViewState.model_validate)
