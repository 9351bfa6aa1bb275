"""Lab bias-before-bn: the torch script agrees with NormLens' numbers; the bias changes nothing after BN and its
gradient is zero up to rounding; knobs are validated."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import normlens
from normlens.labs.base import LabResult
from normlens.labs.bias_before_bn import LAB, batch_norm
from tests.core.labs.checks import assert_fast, assert_refused
from tests.core.labs.torch_run import assert_matches, run_torch_many

FLOAT64_KEYS = ("y_with", "y_without", "grad_weight_with", "grad_weight_without", "params_with", "params_without")


def _spread(z: np.ndarray) -> float:
    """The smallest per-feature batch standard deviation of z (N, out[, L]) -> scalar: rounding of z + b is
    divided by it when BN normalizes."""
    return float(z.std(axis=(0, *range(2, z.ndim))).min())


def _rounding_scale(r: LabResult) -> float:
    """How large rounding of z + b can get after normalization: 2 |z + b| / sigma, at least 1."""
    s = r.series
    z1, z0 = np.asarray(s["z_with"], np.float64), np.asarray(s["z_without"], np.float64)
    return max(1.0, float(np.abs(z1).max()) / max(_spread(z0), 1e-300)) * 2


def _check(knobs: dict[str, object], r: LabResult, got: dict[str, Any]) -> None:
    assert sorted(got) == sorted(r.torch_expect)
    eps = np.finfo(np.dtype(str(knobs.get("dtype", "float64")))).eps
    # outputs: within eps times the rounding scale (z + b rounds to ulp(|b|), BN divides it by sigma)
    atol = 64 * eps * _rounding_scale(r)
    keys = FLOAT64_KEYS if eps < 1e-10 else ("params_with", "params_without")
    assert_matches({k: r.torch_expect[k] for k in keys}, {k: got[k] for k in keys}, rtol=1e-10 if eps < 1e-10 else 1e-5)
    for key in ("y_with", "y_without"):
        np.testing.assert_allclose(got[key], r.torch_expect[key], rtol=0, atol=atol, err_msg=key)
    gw_scale = float(np.abs(np.asarray(r.torch_expect["grad_weight_without"])).max())
    for key in ("grad_weight_with", "grad_weight_without"):
        np.testing.assert_allclose(got[key], r.torch_expect[key], rtol=0, atol=atol * gw_scale, err_msg=key)
    # the bias gradient is rounding noise on both sides: each within the same bound, not equal to each other
    bound = 64 * eps * _rounding_scale(r) * r.numbers["grad_terms"]
    assert np.abs(np.asarray(got["grad_bias"])).max() <= bound
    assert r.numbers["max_grad_bias"] <= bound


def test_torch_agrees() -> None:
    """Two randomized float64 Linear settings, a float64 conv1x1 and the largest float32 conv1x1 one, each
    script in a fresh namespace of one interpreter (importing torch once)."""
    cases: list[dict[str, object]] = [{"dtype": "float32", "batch": 64, "in_features": 16, "out_features": 16}]
    cases[0] |= {"bias": 50.0, "seed": 4, "layer": "conv1x1"}
    cases.append({"layer": "conv1x1", "batch": 5, "in_features": 3, "out_features": 6, "bias": -7.5, "seed": 8})
    for seed in range(2):
        g = np.random.default_rng(100 + seed)
        knobs = {"batch": int(g.integers(2, 65)), "in_features": int(g.integers(1, 17)), "seed": seed}
        cases.append(knobs | {"out_features": int(g.integers(1, 17)), "bias": float(g.uniform(-100, 100))})
    results = [LAB.run(**LAB.resolve(k)) for k in cases]
    for knobs, r, got in zip(cases, results, run_torch_many([r.torch_code for r in results]), strict=True):
        _check(knobs, r, got)


def test_defaults_and_counts() -> None:
    r = LAB.run(**LAB.defaults())
    n = r.numbers
    assert (n["params_with"], n["params_without"], n["saved"], n["params_bn"]) == (36, 32, 4, 8)
    assert n["max_output_diff"] < 1e-12 and n["max_grad_bias"] < 1e-12
    assert np.asarray(r.series["y_with"]).shape == (64,)  # (N, out) = (16, 4), flattened for the scatter


@settings(max_examples=40, deadline=None)
@given(
    batch=st.integers(2, 64),
    in_features=st.integers(1, 16),
    out_features=st.integers(1, 16),
    bias=st.floats(-100, 100),
    layer=st.sampled_from(["linear", "conv1x1"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_bias_cancels(batch: int, in_features: int, out_features: int, bias: float, layer: str, seed: int) -> None:
    """In float64 the outputs agree to 1e-12 times the rounding scale (1 unless a feature's batch spread is tiny
    beside |z + b|: z + b then rounds to ulp(|b|), which BN divides by sigma); the bias gradient, zero
    analytically because BN's input gradient sums to zero over the batch, is within 1e-12 of sum_n |dL/dz|."""
    knobs = {"batch": batch, "in_features": in_features, "out_features": out_features, "bias": bias, "seed": seed}
    knobs["layer"] = layer
    r = LAB.run(**LAB.resolve(knobs))
    scale = _rounding_scale(r)
    assert r.numbers["max_output_diff"] <= 1e-12 * scale
    assert r.numbers["max_grad_bias"] <= 1e-12 * scale * r.numbers["grad_terms"]
    assert r.numbers["grad_bias_relative"] <= 1e-12 * scale
    assert r.numbers["max_mean_shift_error"] <= 1e-12 * (1 + abs(bias)) * scale
    assert r.numbers["saved"] == out_features
    assert r.numbers["params_with"] - r.numbers["params_without"] == out_features


def test_float32_rounding_grows_with_the_bias() -> None:
    """The answer's claim: in float32, z + b rounds to the spacing of |b|, so a larger bias leaves a larger (still
    tiny) output difference; the bias gradient stays rounding-sized relative to the terms BN adds up."""
    small, large = (
        LAB.run(**LAB.resolve({"dtype": "float32", "bias": b, "batch": 64, "out_features": 16, "seed": 1}))
        for b in (0.5, 100.0)
    )
    assert small.numbers["max_output_diff"] < large.numbers["max_output_diff"] < 1e-2
    for r in (small, large):
        assert r.numbers["grad_bias_relative"] < 64 * np.finfo(np.float32).eps * _rounding_scale(r)
        assert r.numbers["eps"] == np.finfo(np.float32).eps


def test_figure_series_fit() -> None:
    r = LAB.run(**LAB.resolve({"batch": 10, "out_features": 3}))
    assert len(r.series["feature"]) == len(r.series["bias"]) == len(r.series["mean_shift"]) == 3
    np.testing.assert_allclose(r.series["mean_shift"], r.series["bias"], atol=1e-12)
    assert np.min(r.series["grad_bias_abs"]) > 0  # drawn on a log axis


def test_conv1x1_is_a_linear_per_position() -> None:
    """The same parameter saving for a 1x1 convolution; BN's statistics are over N and the positions L."""
    r = LAB.run(**LAB.resolve({"layer": "conv1x1", "batch": 6, "in_features": 3, "out_features": 5, "seed": 2}))
    assert np.shape(r.series["z_with"]) == (6, 5, 4) and np.shape(r.torch_expect["y_with"]) == (6, 5, 4)
    assert (r.numbers["saved"], r.numbers["params_with"], r.numbers["params_without"]) == (5, 20, 15)
    assert r.numbers["max_output_diff"] < 1e-12 and r.numbers["max_grad_bias"] < 1e-12 * r.numbers["grad_terms"]
    assert "nn.Conv1d(in_features, out_features, kernel_size=1, bias=with_bias" in r.torch_code


@pytest.mark.parametrize("shape", [(9, 4), (7, 3, 4), (2, 1)])
def test_engine_call_is_normlens_batch_norm(shape: tuple[int, ...]) -> None:
    """The lab calls the engine directly (no torch program written): bit for bit normlens.trace's BatchNorm."""
    g = np.random.default_rng(len(shape))
    z, dy = g.standard_normal(shape), g.standard_normal(shape)
    gamma, beta = g.standard_normal(shape[1]), g.standard_normal(shape[1])
    r = batch_norm(z, gamma, beta, dy)
    t = normlens.trace("batch_norm", z, grad_output=dy, gamma=gamma, beta=beta)
    assert r.grads is not None and t.grads is not None and t.stats is not None
    assert np.array_equal(r.output, t.output) and np.array_equal(r.stats["var"], t.stats["var"])
    assert np.array_equal(r.grads["input"], t.grads["input"])


def test_zero_bias_is_exactly_the_same() -> None:
    r = LAB.run(**LAB.resolve({"bias": 0.0}))
    assert r.numbers["max_output_diff"] == 0 and r.numbers["max_grad_weight_diff"] == 0


@pytest.mark.parametrize(
    ("knob", "value"),
    [("batch", 1), ("batch", 65), ("in_features", 0), ("out_features", 17), ("bias", 101.0), ("bias", "x"),
     ("dtype", "float16"), ("layer", "conv2d"), ("seed", -1), ("seed", 1.5), ("nope", 1)],
)  # fmt: skip
def test_bad_knobs(knob: str, value: object) -> None:
    assert_refused(LAB, knob, value)


@pytest.mark.parametrize("layer", ["linear", "conv1x1"])
def test_largest_setting_is_fast(layer: str) -> None:
    assert_fast(LAB, {"batch": 64, "in_features": 16, "out_features": 16, "dtype": "float64", "layer": layer})
