"""Lab bn-relu-order: torch recomputes both orders and BN's statistics after ReLU; BN before ReLU never kills a
unit and ignores the input shift; the statistics after ReLU follow the rectified Gaussian; knobs validated."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import normlens
from normlens.labs.bn_relu_order import LAB, batch_norm, rectified
from tests.core.labs.checks import assert_fast, assert_refused
from tests.core.labs.torch_run import assert_matches, run_torch_many


def test_torch_agrees() -> None:
    """Three randomized settings and the largest one, each script in a fresh namespace of one interpreter."""
    results = [LAB.run(**LAB.resolve({"width": 32, "batch": 128, "shift": 3.0, "seed": 9}))]
    for seed in range(3):
        g = np.random.default_rng(300 + seed)
        knobs = {"width": int(g.integers(1, 33)), "batch": int(g.integers(2, 129)), "seed": seed}
        results.append(LAB.run(**LAB.resolve(knobs | {"shift": float(g.uniform(-3, 3))})))
    for r, got in zip(results, run_torch_many([r.torch_code for r in results]), strict=True):
        assert_matches(r.torch_expect, got, rtol=1e-10, atol=1e-12)


def test_half_gaussian_at_large_batch() -> None:
    """Shift 0, many samples per unit: BN's mean after ReLU is about s / sqrt(2 pi), its variance about
    s^2 (1/2 - 1/(2 pi)); BN -> ReLU outputs have that mean and variance with s = 1."""
    r = LAB.run(**LAB.resolve({"width": 32, "batch": 128, "shift": 0.0, "seed": 7}))
    n = r.numbers
    assert n["relu_mean_ratio"] == pytest.approx(1 / math.sqrt(2 * math.pi), abs=0.03)
    assert n["relu_var_ratio"] == pytest.approx(0.5 - 1 / (2 * math.pi), abs=0.04)
    assert n["out_mean_bn_relu"] == pytest.approx(n["half_gaussian_mean"], abs=0.03)
    assert n["out_var_bn_relu"] == pytest.approx(n["half_gaussian_var"], abs=0.04)
    assert n["zeros_bn_relu"] == pytest.approx(0.5, abs=0.05)


def test_rectified_gaussian_formula_by_sampling() -> None:
    g = np.random.default_rng(0)
    mu, s = np.array([-1.0, 0.0, 0.5, 2.0]), np.array([1.0, 2.0, 0.5, 1.5])
    z = mu + s * g.standard_normal((400_000, 4))
    mean, var = rectified(mu, s)
    np.testing.assert_allclose(np.maximum(z, 0).mean(axis=0), mean, atol=0.01)
    np.testing.assert_allclose(np.maximum(z, 0).var(axis=0), var, atol=0.01)
    assert mean[1] == pytest.approx(2 / math.sqrt(2 * math.pi), rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(width=st.integers(1, 32), batch=st.integers(2, 128), shift=st.floats(-3, 3), seed=st.integers(0, 2**31 - 1))
def test_bn_first_never_kills_a_unit(width: int, batch: int, shift: float, seed: int) -> None:
    """After BN every unit has z - mean of both signs (the batch is not constant), so ReLU keeps some of it; the
    shift is removed by BN, so BN -> ReLU is the same at every shift. ReLU first loses the units pushed below 0,
    and a unit dead before BN stays dead (a constant 0 normalizes to 0)."""
    r = LAB.run(**LAB.resolve({"width": width, "batch": batch, "shift": shift, "seed": seed}))
    assert r.numbers["dead_bn_relu"] == 0
    assert np.all(np.asarray(r.series["sweep_dead_bn_relu"]) == 0)
    y_b, relu = np.asarray(r.series["relu_bn"]), np.asarray(r.series["relu"])
    dead = np.all(relu == 0, axis=0)
    assert np.all(y_b[:, dead] == 0)
    assert r.numbers["dead_relu_bn"] == pytest.approx(dead.mean())
    same = LAB.run(**LAB.resolve({"width": width, "batch": batch, "shift": 0.0, "seed": seed}))
    np.testing.assert_allclose(r.series["bn_relu"], same.series["bn_relu"], atol=1e-9)


def test_shift_kills_units_after_relu() -> None:
    r = LAB.run(**LAB.resolve({"width": 32, "batch": 16, "shift": 3.0, "seed": 1}))
    dead = np.asarray(r.series["sweep_dead_relu_bn"])
    assert dead[0] > 0 and dead[-1] > 0 and dead[len(dead) // 2] == 0  # both ends, none at shift 0
    assert r.numbers["dead_relu_bn"] == dead[-1]


@settings(max_examples=20, deadline=None)
@given(width=st.integers(1, 32), batch=st.integers(2, 128), k=st.integers(0, 24), seed=st.integers(0, 2**31 - 1))
def test_sweep_matches_the_setting(width: int, batch: int, k: int, seed: int) -> None:
    """At a shift of the sweep's grid, the sweep's dead fraction (computed from z0 + shift * row sums of W) is the
    one the lab reports for that shift (computed from x = e + shift through the Linear layer)."""
    shifts = LAB.run(**LAB.defaults()).series["shifts"]
    r = LAB.run(**LAB.resolve({"width": width, "batch": batch, "shift": float(shifts[k]), "seed": seed}))
    assert r.series["sweep_dead_relu_bn"][k] == pytest.approx(r.numbers["dead_relu_bn"])
    assert r.series["here_dead"] == [r.numbers["dead_relu_bn"]]


def test_one_unit_batch_of_two() -> None:
    """The smallest setting: BN of two values is -1 and +1 (up to eps), so BN -> ReLU keeps exactly one of them."""
    r = LAB.run(**LAB.resolve({"width": 1, "batch": 2, "shift": 0.0, "seed": 4}))
    a = np.sort(np.asarray(r.series["bn"]).ravel())
    np.testing.assert_allclose(a, [-1, 1], atol=1e-4)
    assert r.numbers["zeros_bn_relu"] == 0.5 and r.numbers["dead_bn_relu"] == 0


def test_engine_call_is_normlens_batch_norm() -> None:
    """The lab calls the engine directly (no torch program written): bit for bit what normlens.trace gives,
    a constant (dead) column included."""
    z = np.random.default_rng(0).standard_normal((50, 7))
    z[:, 3] = 0
    out, mean, var = batch_norm(z)
    t = normlens.trace("batch_norm", z)
    assert t.stats is not None
    assert np.array_equal(out, t.output)
    assert np.array_equal(mean, t.stats["mean"]) and np.array_equal(var, t.stats["var"])
    assert np.all(out[:, 3] == 0)


def test_series_shapes_do_not_depend_on_shift() -> None:
    a, b = (LAB.run(**LAB.resolve({"shift": v})) for v in (-3.0, 2.5))
    for key in a.series:
        assert np.shape(a.series[key]) == np.shape(b.series[key]), key


@pytest.mark.parametrize(
    ("knob", "value"),
    [("width", 0), ("width", 33), ("batch", 1), ("batch", 129), ("shift", 3.5), ("shift", None),
     ("seed", 2**31), ("seed", False), ("depth", 2)],
)  # fmt: skip
def test_bad_knobs(knob: str, value: object) -> None:
    assert_refused(LAB, knob, value)


def test_largest_setting_is_fast() -> None:
    assert_fast(LAB, {"width": 32, "batch": 128, "shift": 3.0})
