"""The running update from constants prepared with the arguments: PyTorch's formula, rounded as it rounds."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from normlens import running


def test_the_module_examples_hold():
    assert doctest.testmod(running, extraglobs={"np": np}).failed == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [1, 2, 37])
def test_prepared_constants_give_the_formula_s_numbers(dtype, m):
    rng = np.random.default_rng(m)
    old = rng.random(5).astype(dtype), rng.random(5).astype(dtype) + 1
    stats = {"mean": rng.standard_normal(5).astype(dtype), "var": rng.random(5).astype(dtype)}
    run = running.running_setup(old, m, (0.3, ""), 4, True)
    after, steps = running.running_update(run, stats)
    f = dtype(0.3)
    want_mean = (1 - f) * old[0] + f * stats["mean"]
    want_var = (1 - f) * old[1] + f * (stats["var"] * dtype(m / (m - 1))) if m > 1 else old[1]
    assert after["mean"].tobytes() == want_mean.tobytes() and after["var"].tobytes() == want_var.tobytes()
    assert after["num_batches_tracked"] == 5 and [s.id for s in steps] == ["running_mean", "running_var"]
    assert steps[1].variant == ("single" if m == 1 else "") and not after["var"].flags.writeable
    assert steps[0].scalars is not steps[1].scalars  # each step its own numbers


def test_evaluation_and_untracked_buffers_are_left_as_they_are():
    old = np.zeros(3), np.ones(3)
    assert running.running_update(running.running_setup(old, 4, (0.1, ""), 2, False), {}) == (
        {"mean": old[0], "var": old[1], "num_batches_tracked": 2},
        [],
    )
    assert running.running_update(running.running_setup((None, None), 4, (0.1, ""), 0, True), {}) == (None, [])
