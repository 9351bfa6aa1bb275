"""float32 data far from zero: the `coarse_float32` notice says when and by how much float32 results (NormLens'
and PyTorch's alike) lose digits, and every disagreement with PyTorch beyond the 1e-5 parity rule comes with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import normlens
from normlens.trace import COARSE_RATIO
from tests.core.oracle import close

LAYERS = {
    "batch_norm": (lambda x: nn.BatchNorm2d(x.shape[1]), {}),
    "layer_norm": (lambda x: nn.LayerNorm(list(x.shape[1:])), None),
    "group_norm": (lambda x: nn.GroupNorm(2, x.shape[1]), {"num_groups": 2}),
    "instance_norm": (lambda x: nn.InstanceNorm2d(x.shape[1]), {}),
}


def torch_forward(layer: str, x: np.ndarray) -> np.ndarray:
    module = LAYERS[layer][0](x)
    module.train()
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


def trace(layer: str, x: np.ndarray) -> normlens.Trace:
    params = LAYERS[layer][1]
    return normlens.trace(layer, x, **({"normalized_shape": list(x.shape[1:])} if params is None else params))


def data(offset: float, spread: float, seed: int, dtype: type = np.float32) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (offset + spread * rng.standard_normal((4, 4, 5, 5))).astype(dtype)


def notice(tr: normlens.Trace) -> normlens.Notice | None:
    return next((n for n in tr.notices if n.code == "coarse_float32"), None)


@pytest.mark.parametrize("layer", LAYERS)
def test_data_near_zero_has_no_notice_and_matches_torch(layer):
    x = data(0.5, 2.0, 0)
    tr = trace(layer, x)
    assert notice(tr) is None
    close(tr.output, torch_forward(layer, x), what=layer)


@pytest.mark.parametrize("layer", LAYERS)
def test_values_near_10000_name_the_ratio_the_group_and_the_error(layer):
    x = data(1e4, 0.2, 1)
    tr = trace(layer, x)
    found = notice(tr)
    assert found is not None
    v = found.values
    mean, std = tr.stats["mean"].astype(np.float64), np.sqrt(tr.stats["var"].astype(np.float64) + 1e-5)
    ratios = np.abs(mean) / std
    assert v["ratio"] == pytest.approx(ratios.max()) and 3e4 < v["ratio"] < 1e5
    assert v["group"] == [int(i) for i in np.unravel_index(int(np.argmax(ratios)), ratios.shape)]
    assert v["mean"] == pytest.approx(mean.flat[np.argmax(ratios)]) and v["lost"] == 5
    assert v["error"] == pytest.approx(v["ratio"] * 2.0**-24)
    # the claim of the words: PyTorch and these steps differ by a few times the stated error, not more
    diff = np.abs(tr.output - torch_forward(layer, x)).max()
    assert 0 < diff <= 8 * v["error"]


@pytest.mark.parametrize("layer", LAYERS)
def test_float64_and_evaluation_with_running_statistics_never_warn(layer):
    assert notice(trace(layer, data(1e4, 0.2, 2, np.float64))) is None
    if layer == "batch_norm":
        x = data(1e4, 0.2, 2)
        tr = normlens.trace(layer, x, training=False, running_mean=[1e4] * 4, running_var=[0.04] * 4)
        assert notice(tr) is None


def test_constant_groups_and_single_values_cancel_exactly():
    """x - mean is exactly 0 in a constant group (or a group of one value): nothing is lost there."""
    x = np.full((3, 2, 4), 1e4, np.float32)
    assert notice(normlens.trace("layer_norm", x, normalized_shape=[2, 4])) is None
    assert notice(normlens.trace("batch_norm", np.array([[1e4, 2e4]], np.float32))) is None


def test_rms_norm_does_not_center_so_it_never_warns():
    x = data(1e4, 0.2, 3)
    assert notice(normlens.trace("rms_norm", x, normalized_shape=[4, 5, 5])) is None


@settings(max_examples=40, deadline=None)
@given(
    layer=st.sampled_from(sorted(LAYERS)),
    log_offset=st.floats(-1, 5),
    log_spread=st.floats(-2, 1),
    seed=st.integers(0, 2**16),
)
def test_every_disagreement_with_torch_beyond_parity_comes_with_the_notice(layer, log_offset, log_spread, seed):
    x = data(10.0**log_offset, 10.0**log_spread, seed)
    tr = trace(layer, x)
    found = notice(tr)
    expected = torch_forward(layer, x)
    if found is None:
        close(tr.output, expected, what=f"{layer}: no notice, so within parity")
    else:
        assert found.values["ratio"] >= COARSE_RATIO
        assert np.abs(tr.output - expected).max() <= 8 * found.values["error"] + 1e-5 * np.abs(expected).max()


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize(("ratio", "warns"), [(99.9, False), (100.1, True), (1e4, True)])
def test_the_line_at_a_ratio_of_100_is_drawn_exactly(layer, ratio, warns):
    """One group at |mean| / std = `ratio` (values mean ± std, every other group centred at 0): the common case
    is found from float64 statistics before any float32 look, and must not hide a group just over the line."""
    x = np.tile(np.array([1.0, -1.0], np.float32), 160).reshape(4, 4, 4, 5)  # mean 0, std 1 in every group
    x[0] += np.float32(ratio)  # sample 0 (a LayerNorm group), channel 0 ... 3 of it
    x[:, 0] = x[0, 0]  # channel 0 in every sample (a BatchNorm group), and InstanceNorm's (0, 0)
    found = notice(trace(layer, x))
    assert (found is not None) == warns
    if found is not None:
        assert found.values["ratio"] >= COARSE_RATIO
