"""Lab precision: torch runs the same loops bit for bit, and torch.var on each stored type is what the lab says
it is (measured: half types exactly, float32 within the square of its mean's rounding); two-pass is never
negative; naive float32 collapses at offset 1e4; knobs are validated."""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from normlens.labs.base import LabResult
from normlens.labs.precision import ALGORITHMS, DTYPES, LAB, stored, sums, welford
from tests.core.labs.checks import assert_fast, assert_refused
from tests.core.labs.torch_run import run_torch_many

EPS32 = float(np.finfo(np.float32).eps)


CASES = [{"n": 4096, "offset": 3e4, "seed": 11}, {"n": 2, "offset": 0.01, "seed": 3}]
_g = np.random.default_rng(400)
CASES += [{"n": int(_g.integers(2, 1500)), "offset": float(10 ** _g.uniform(-2, 4.4)), "seed": s} for s in range(2)]
LN_CASES = [(int(_g.integers(2, 4097)), float(10 ** _g.uniform(-2, 4.4)), s) for s in range(4)] + [(1000, 1e4, 0)]


@pytest.fixture(scope="module")
def torch_results() -> tuple[list[LabResult], list[dict[str, Any]], list[dict[str, Any]]]:
    """The lab's scripts at CASES and the LayerNorm measurement at LN_CASES, in one interpreter."""
    results = [LAB.run(**LAB.resolve(k)) for k in CASES]
    xs = [offset + np.clip(np.random.default_rng(s).standard_normal(n), -8, 8) for n, offset, s in LN_CASES]
    ln_code = LAYER_NORM.replace("DATA", repr([x.tolist() for x in xs]))
    got = run_torch_many([r.torch_code for r in results] + [ln_code])
    return results, got[:-1], got[-1]["rows"]


def test_torch_agrees(torch_results: tuple) -> None:
    """The loops: identical bits (one rounding per operation on both sides). torch.var: float64 within 1e-10;
    float16 and bfloat16 equal to the exact variance of the stored values rounded once to the type (PyTorch
    2.13 on CPU accumulates them in a wider type); float32 within (log2(n) eps |mean|)^2 + eps var of the
    exact variance: what a mean rounded in float32, then squared deviations summed wider, can be off by."""
    for knobs, r, got in zip(CASES, *torch_results[:2], strict=True):
        assert sorted(got) == sorted(r.torch_expect)
        for algo in ALGORITHMS:
            assert got[algo] == r.torch_expect[algo], (knobs, algo)
        want, have = r.torch_expect["torch_var"], got["torch_var"]
        assert have[0] == pytest.approx(want[0], rel=1e-10)
        assert have[2:] == want[2:], knobs  # half types: exactly the rounded exact variance
        tol = (np.log2(knobs["n"]) * EPS32 * knobs["offset"]) ** 2 + EPS32 * want[1]
        assert abs(have[1] - want[1]) <= tol, (knobs, have[1], want[1], tol)


HALF_EPS = {"float32": EPS32, "float16": 2.0**-10, "bfloat16": 2.0**-7}
LAYER_NORM = """
import json
import torch
from torch import nn

rows = []
for values in DATA:
    x32 = torch.tensor(values, dtype=torch.float64).to(torch.float32)
    row = {}
    for name, dt in (("float32", torch.float32), ("float16", torch.float16), ("bfloat16", torch.bfloat16)):
        row[name] = nn.LayerNorm(x32.numel(), elementwise_affine=False, dtype=dt)(x32.to(dt)).tolist()
    rows.append(row)
print(json.dumps({"rows": rows}))
"""


def test_layer_norm_in_half_types(torch_results: tuple) -> None:
    """What nn.LayerNorm computes on CPU for float16 / bfloat16 (the lab's note states it): measured against the
    exact normalization of the same stored values, it is within one rounding of the type at |y| (its spacing
    there, at least that at 2^-14) plus what statistics held in float32 can be off by, eps32 (|mean| + sigma) /
    sigma (1 + |y|). Worst seen: 0.73 of that bound for float32, 0.50 for the half types, i.e. half a unit in
    the last place: the half output is one rounding of a float32 result."""
    for (n, offset, seed), got in zip(LN_CASES, torch_results[2], strict=True):
        x = offset + np.clip(np.random.default_rng(seed).standard_normal(n), -8, 8)
        for name, values in stored(x).items():
            if name == "float64":
                continue
            s = values.astype(np.float64)
            centered = s - s.mean()
            sigma = np.sqrt((centered**2).mean() + 1e-5)
            y = centered / sigma  # the exact LayerNorm of the stored values
            stats = EPS32 * (offset + 8 + sigma) / sigma * (1 + np.abs(y))  # |mean| <= offset + 8 (clipped)
            allowed = HALF_EPS[name] * np.maximum(np.abs(y), 2.0**-14) + stats
            err = np.abs(np.asarray(got[name]) - y)
            assert np.all(err <= allowed), (name, n, offset, float(np.max(err / allowed)))


def test_naive_float32_collapses_at_offset_1e4() -> None:
    """Mean 1e4, std 1: E[x^2] ~ 1e8 is held to float32's spacing 8 there, so E[x^2] - E[x]^2 is garbage:
    negative, zero or far off, for every seed tried; two-pass and Welford stay within 1e-3."""
    for seed in range(8):
        n = LAB.run(**LAB.resolve({"n": 1000, "offset": 1e4, "seed": seed})).numbers
        assert n["naive_float32"] <= 0 or abs(n["naive_float32"] - n["reference"]) > n["reference"]
        for algo in ("two_pass", "welford"):
            assert n[f"{algo}_float32"] == pytest.approx(n["reference"], rel=1e-3)


def test_half_storage_erases_the_spread() -> None:
    """float16's spacing at 1e4 is 8 and bfloat16's 64: N(1e4, 1) stores as (nearly) one value."""
    n = LAB.run(**LAB.resolve({"offset": 1e4})).numbers
    assert (n["spacing_float16"], n["spacing_bfloat16"], n["spacing_float32"]) == (8.0, 64.0, 2.0**-10)
    assert n["stored_bfloat16"] == 0 and n["stored_float16"] < 0.1 * n["reference"]


def test_at_small_offset_every_algorithm_agrees() -> None:
    n = LAB.run(**LAB.resolve({"offset": 0.5, "seed": 2})).numbers
    for algo in ALGORITHMS:
        assert n[f"{algo}_float64"] == pytest.approx(n["reference"], rel=1e-13)
        assert n[f"{algo}_float32"] == pytest.approx(n["reference"], rel=1e-5)
        assert n[f"{algo}_float16"] == pytest.approx(n["reference"], rel=1e-2)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 600), offset=st.floats(0.01, 3e4), seed=st.integers(0, 2**31 - 1))
def test_two_pass_never_negative(n: int, offset: float, seed: int) -> None:
    """A sum of squares is never negative in any rounding; Welford's m2 adds d * (x - new mean), whose factors
    share a sign, so it is not negative either. Naive may be (that is the point)."""
    r = LAB.run(**LAB.resolve({"n": n, "offset": offset, "seed": seed}))
    for name in DTYPES:
        assert r.numbers[f"two_pass_{name}"] >= 0
        assert r.numbers[f"welford_{name}"] >= 0


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float32, st.integers(2, 50), elements=st.floats(-1e6, 1e6, width=32)))
def test_two_pass_never_negative_on_any_float32_data(v: np.ndarray) -> None:
    two, _, _ = sums(v)
    assert two >= 0
    assert welford(list(v), np.float32(1)) >= 0


def test_cumsum_is_the_left_to_right_loop() -> None:
    """sums() relies on np.cumsum adding in order with one rounding each: compare with an explicit loop."""
    v = (np.random.default_rng(1).standard_normal((3, 300)) + 1e4).astype(np.float32)
    two, naive, mean = sums(v)
    for row in range(3):
        s = q = np.float32(0)
        for a in v[row]:
            s, q = s + a, q + a * a
        m = s / np.float32(300)
        assert mean[row] == m and naive[row] == q / np.float32(300) - m * m
        sq = np.float32(0)
        for a in v[row]:
            sq = sq + (a - m) * (a - m)
        assert two[row] == sq / np.float32(300)


def test_stored_types_round_from_float32() -> None:
    x = np.array([1e4 + 0.3, 1.0 / 3, 65000.0])
    values = stored(x)
    assert values["float16"].dtype == np.float16 and values["bfloat16"].dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(values["float16"], x.astype(np.float32).astype(np.float16))
    assert np.isfinite(values["float16"]).all()


def test_series_shapes_do_not_depend_on_offset() -> None:
    a, b = (LAB.run(**LAB.resolve({"offset": v})) for v in (0.01, 3e4))
    for key in a.series:
        assert np.shape(a.series[key]) == np.shape(b.series[key]), key
    assert all(np.isfinite(np.asarray(v, dtype=np.float64)).all() for v in b.series.values())
    assert min(np.min(v) for k, v in b.series.items() if k.startswith(("error", "sweep"))) > 0  # log axes


@pytest.mark.parametrize(
    ("knob", "value"),
    [("n", 1), ("n", 4097), ("offset", 0.0), ("offset", 3.1e4), ("offset", float("nan")), ("seed", -1),
     ("seed", "7"), ("dtype", "float16")],
)  # fmt: skip
def test_bad_knobs(knob: str, value: object) -> None:
    assert_refused(LAB, knob, value)


def test_largest_setting_is_fast() -> None:
    assert_fast(LAB, {"n": 4096, "offset": 3e4}, repeats=3)
