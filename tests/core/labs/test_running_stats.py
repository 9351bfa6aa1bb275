"""Lab running-stats against torch 2.13 (nn.BatchNorm1d with each convention's momentum) and the laws of the
conventions: Keras m = 1 - PyTorch m round-trips, d2l-zh 0.9 is PyTorch 0.1, momentum=None is the plain average."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normlens.args import ArgumentError
from normlens.labs import LABS
from normlens.labs.running_stats import LAB, ema, keras_from_torch, running_stats, stream, torch_from_keras
from tests.core.labs.torch_run import assert_matches, run_torch

RANDOM_KNOBS = [
    {},
    {"mean": -4.5, "std": 0.1, "drift": 0.5, "batches": 7, "batch_size": 2, "momentum": 1.0, "sample": -10, "seed": 9},
    {"mean": 0.3, "std": 5.0, "drift": -0.25, "batches": 100, "batch_size": 64, "momentum": 0.0, "seed": 123},
]


def test_registered() -> None:
    assert LABS["running-stats"] is LAB


@pytest.mark.parametrize("knobs", RANDOM_KNOBS)
def test_torch_recomputes_every_number(knobs: dict[str, float]) -> None:
    result = LAB.run(**LAB.resolve(knobs))
    assert_matches(result.torch_expect, run_torch(result.torch_code), rtol=1e-10, atol=1e-12)


def test_torch_on_random_knobs() -> None:
    draw = np.random.default_rng(2026)
    for _ in range(1):
        knobs = {
            "mean": float(draw.uniform(-5, 5)),
            "std": float(draw.uniform(0.1, 5)),
            "drift": float(draw.uniform(-0.5, 0.5)),
            "batches": int(draw.integers(2, 60)),
            "batch_size": int(draw.integers(2, 64)),
            "momentum": float(draw.uniform(0, 1)),
            "sample": float(draw.uniform(-10, 10)),
            "seed": int(draw.integers(0, 9999)),
        }
        result = LAB.run(**LAB.resolve(knobs))
        assert_matches(result.torch_expect, run_torch(result.torch_code), rtol=1e-10, atol=1e-12)


@given(st.floats(0, 1))
def test_momentum_conversion_round_trips(m: float) -> None:
    # 1 - (1 - m) is m up to one rounding of a number in [0, 1]: half an ulp of 1
    assert abs(torch_from_keras(keras_from_torch(m)) - m) <= 2**-53
    assert abs(keras_from_torch(torch_from_keras(m)) - m) <= 2**-53


@settings(max_examples=30)
@given(st.floats(0.001, 0.999), st.integers(0, 1000))
def test_keras_update_is_pytorch_update_with_one_minus_m(keras_m: float, seed: int) -> None:
    stats = np.random.default_rng(seed).normal(size=20)
    keras, running = [], 0.0
    for s in stats:  # Keras writes moving = m * moving + (1 - m) * batch
        running = keras_m * running + (1 - keras_m) * s
        keras.append(running)
    torch_sense = ema(stats, np.full(20, torch_from_keras(keras_m)), 0.0)
    np.testing.assert_allclose(torch_sense, keras, rtol=1e-12, atol=1e-12)


def test_d2l_09_is_pytorch_01_and_none_is_the_plain_average() -> None:
    x = stream(1.0, 2.0, 0.1, 30, 8, 5)
    stats = running_stats(x, 0.1)
    np.testing.assert_allclose(stats["d2l"][0], stats["pytorch"][0], rtol=1e-13)
    np.testing.assert_allclose(stats["custom"][0], stats["pytorch"][0], rtol=1e-13)
    running_means = np.cumsum(x.mean(axis=1)) / np.arange(1, 31)
    np.testing.assert_allclose(stats["cumulative"][0], running_means, rtol=1e-12)
    # equal batches: the average of batch means is the whole stream's mean
    assert stats["cumulative"][0][-1] == pytest.approx(x.mean(), rel=1e-12)


def test_unbiased_against_biased_variance() -> None:
    x = stream(0.0, 1.0, 0.0, 10, 4, 1)
    stats = running_stats(x, 0.1)
    # same momentum (d2l 0.9 = PyTorch 0.1), the variance kept unbiased (n/(n-1)) or biased: start 1 decays away
    decay = 0.9**10
    ratio = (stats["pytorch"][1][-1] - decay) / (stats["d2l"][1][-1] - decay)
    assert ratio == pytest.approx(4 / 3, rel=1e-12)


def test_drift_leaves_the_ema_behind_the_stream() -> None:
    r = LAB.run(**LAB.resolve({"drift": 0.5, "batches": 50, "std": 0.1}))
    last_batch = r.series["batch_mean"][-1]
    # PyTorch 0.1 lags the drift by about (1 - f) / f batches; Keras 0.99 lags far more
    assert r.numbers["mean_pytorch"] < last_batch
    assert r.numbers["mean_keras"] < r.numbers["mean_pytorch"]
    assert r.numbers["mean_pytorch"] == pytest.approx(last_batch - 0.5 * 9, abs=0.3)


def test_series_shapes() -> None:
    d = LAB.defaults()
    r = LAB.run(**d)
    b = d["batches"]
    assert np.shape(r.series["stream"]) == (b, d["batch_size"])
    assert all(np.shape(r.series[f"{k}_{c}"]) == (b,) for k in ("mean", "var", "eval") for c in ("pytorch", "keras"))
    assert len(r.series["final_eval"]) == 6
    assert r.numbers["keras_momentum"] == pytest.approx(1 - d["momentum"])


@pytest.mark.parametrize(
    ("knobs", "param"),
    [({"batches": 101}, "batches"), ({"std": 0.0}, "std"), ({"momentum": 1.5}, "momentum"), ({"nope": 1}, "nope")],
)
def test_bad_knobs_name_the_knob(knobs: dict[str, float], param: str) -> None:
    with pytest.raises(ArgumentError) as e:
        LAB.resolve(knobs)
    assert e.value.param == param
