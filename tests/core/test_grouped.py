"""The engine on large inputs: the scan for inf and NaN folded into the statistics, group ids written in one pass,
and statistics of groups of tens of thousands of values still equal to PyTorch's.

Small inputs are scanned up front by normlens.args (their errors are tested with each layer); above
`grouped.SCAN_MAX` values the layer's statistics find them (an inf or NaN makes its group's std one), and must
name the same value and index.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import normlens
from normlens import grouped, rows
from normlens.args import ArgumentError
from normlens.trace import Grouping
from tests.core.oracle import close

SHAPE = (4, 8, 48, 48)  # 73,728 values: above SCAN_MAX
CASES = [
    ("batch_norm", {}),
    ("batch_norm", {"training": False, "running_mean": [0.5] * 8, "running_var": [2.0] * 8}),  # no sum over x
    ("batch_norm", {"layout": "channels_last"}),
    ("layer_norm", {"normalized_shape": [8, 48, 48]}),
    ("layer_norm", {"normalized_shape": [48]}),
    ("group_norm", {"num_groups": 2}),
    ("instance_norm", {}),
    ("instance_norm", {"track_running_stats": True, "training": False}),
    ("rms_norm", {"normalized_shape": [48, 48]}),
    ("min_max", {"dim": 0}),
    ("min_max", {"dim": [1, 3]}),
]


def test_the_shape_is_above_the_scan_threshold():
    assert np.prod(SHAPE) > grouped.SCAN_MAX


@pytest.mark.parametrize(("layer", "params"), CASES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_large_input_with_inf_or_nan_is_refused_as_a_small_one_is(layer, params, bad):
    rng = np.random.default_rng(abs(hash((layer, str(params), str(bad)))) % 2**32)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    index = tuple(int(rng.integers(0, n)) for n in SHAPE)
    x[index] = bad
    with pytest.raises(ArgumentError) as info:
        normlens.trace(layer, x, **params)
    e = info.value
    assert (e.param, e.code) == ("input", "not_finite")
    assert e.values == {"value": str(np.float32(bad)), "index": list(index)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_two_bad_values_name_the_first_in_memory_order(dtype):
    x = np.ones(SHAPE, dtype)
    x[3, 1, 2, 3], x[0, 7, 47, 1] = np.inf, np.nan
    with pytest.raises(ArgumentError) as info:
        normlens.trace("group_norm", x, num_groups=4)
    assert info.value.values == {"value": "nan", "index": [0, 7, 47, 1]}


def test_finite_values_whose_sum_overflows_are_an_overflow_not_a_bad_input():
    """float32 values near its maximum: every value is finite, their sum and squares are not."""
    x = np.full(SHAPE, 3e38, np.float32)
    x[:, :, 0] = -3e38
    for layer, params, what in [
        ("layer_norm", {"normalized_shape": [8, 48, 48]}, "variance"),
        ("batch_norm", {}, "variance"),
        ("rms_norm", {"normalized_shape": [48]}, "x^2"),
    ]:
        with pytest.raises(ArgumentError) as info:
            normlens.trace(layer, x, **params)
        assert (info.value.code, info.value.values["what"]) == ("overflow", what), layer


def test_small_inputs_are_scanned_before_the_arguments_are_read():
    """Up to SCAN_MAX values the order of errors is args' own: the input first."""
    x = np.ones((2, 3), np.float32)
    x[1, 2] = np.nan
    with pytest.raises(ArgumentError) as info:
        normlens.trace("batch_norm", x, eps=-1)
    assert info.value.code == "not_finite"


@pytest.mark.parametrize(
    ("value", "code"),
    [(np.ones((300, 300), np.int64), "bad_dtype"), (np.ones(5_000_000, np.float32), "too_many_elements")],
)
def test_other_bad_large_inputs_are_args_own_errors(value, code):
    with pytest.raises(ArgumentError) as info:
        grouped.input_array(value)
    assert (info.value.param, info.value.code) == ("input", code)


def test_a_good_large_input_is_returned_as_it_is():
    x = np.zeros(SHAPE, np.float64)
    assert grouped.input_array(x) is x
    assert grouped.input_array([[1.0, 2.0]]).tolist() == [[1.0, 2.0]]


@pytest.mark.parametrize(
    "g",
    [
        Grouping((4, 8, 48, 48), (8,), (None, (0, 1), None, None)),  # BatchNorm2d
        Grouping((4, 8, 48, 48), (4, 2), ((0, 1), (1, 4), None, None)),  # GroupNorm, G = 2
        Grouping((4, 8, 48, 48), (8, 48), (None, (0, 1), None, (1, 1))),  # min-max over (0, 2)
        Grouping((4, 8, 48, 48), (1,), (None, None, None, None)),  # every axis reduced
        Grouping((4, 8, 48, 48), (4,), ((0, 1), None, None, None)),  # LayerNorm over (C, H, W)
        Grouping((4, 8, 48, 48), (4, 8), ((0, 1), (1, 1), None, None)),  # InstanceNorm2d
        Grouping((4, 8, 48, 48), (8, 48, 48), (None, (0, 1), (1, 1), (2, 1))),  # min-max over the batch: Q = 1
        Grouping((4, 8, 48, 48), (4, 48), ((0, 1), None, (1, 1), None)),  # min-max over (1, 3): not in view order
        Grouping((4, 8, 48, 48), (4, 24, 48), ((0, 1), None, (1, 2), (2, 1))),  # a divisor before the last kept axis
    ],
)
def test_group_ids_written_in_one_pass_equal_the_index_arithmetic(g):
    ids = g.group_ids()
    grids = np.indices(g.input_shape)
    want = np.zeros(g.input_shape, np.int64)
    for axis, m in enumerate(g.axis_map):
        if m is not None:
            want += grids[axis] // m[1] * int(np.prod(g.stat_shape[m[0] + 1 :]))
    assert ids.dtype == np.int32 and ids.flags.c_contiguous
    np.testing.assert_array_equal(ids, want)


def _modules():
    return {
        "batch_norm": (nn.BatchNorm2d(8), {}),
        "layer_norm": (nn.LayerNorm([8, 48, 48]), {"normalized_shape": [8, 48, 48]}),
        "group_norm": (nn.GroupNorm(2, 8), {"num_groups": 2}),
        "instance_norm": (nn.InstanceNorm2d(8), {}),
        "rms_norm": (nn.RMSNorm([8, 48, 48]), {"normalized_shape": [8, 48, 48]}),
    }


@pytest.mark.parametrize("layer", ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_groups_of_tens_of_thousands_of_values_match_torch(layer, dtype):
    """LayerNorm here sums 18,432 values per group, BatchNorm 9,216 per channel: float32 row sums by BLAS dots,
    added up in float64, stay within the parity policy."""
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(SHAPE) * 2 + 0.5).astype(dtype)
    module, params = _modules()[layer]
    module = module.to(torch.float64 if dtype == np.float64 else torch.float32).train()
    with torch.no_grad():
        want = module(torch.from_numpy(x))
    tr = normlens.trace(layer, x, **params)
    close(tr.output, want, what=f"{layer} output")
    if "mean" in tr.stats:  # (P, K, Q) -> (K,)
        want_mean = torch.from_numpy(x.reshape(tr.grouping.stat_view)).mean((0, 2))
        close(tr.stats["mean"].reshape(-1), want_mean, what="mean")


def test_min_max_on_a_large_input_matches_torch():
    x = np.random.default_rng(3).standard_normal(SHAPE).astype(np.float32)
    xt = torch.from_numpy(x)
    lo, hi = xt.amin(0, keepdim=True), xt.amax(0, keepdim=True)
    close(normlens.trace("min_max", x, dim=0).output, (xt - lo) / (hi - lo), what="min-max output")


def test_rms_norm_shows_the_squares_it_averaged():
    x = np.random.default_rng(4).standard_normal(SHAPE)
    tr = normlens.trace("rms_norm", x, normalized_shape=[48, 48])
    np.testing.assert_array_equal(tr.step("squares").values, x * x)
    np.testing.assert_allclose(tr.stats["ms"], (x * x).mean(axis=(2, 3)), rtol=1e-12)
    assert not tr.step("squares").values.flags.writeable


@pytest.mark.parametrize("layer", ["layer_norm", "rms_norm"])
def test_gamma_and_beta_not_given_share_x_hat_as_given_ones_do(layer):
    """Not given, gamma and beta are PyTorch's initial 1 and 0 (not compared again); given as 1 and 0, they are
    compared, with the same result: the steps share the normalized array and the snippet copies nothing in."""
    x = np.random.default_rng(5).standard_normal((4, 6, 8))
    ones = np.ones((6, 8)).tolist()
    for params in ({}, {"gamma": ones} | ({} if layer == "rms_norm" else {"beta": np.zeros(48).tolist()})):
        tr = normlens.trace(layer, x, normalized_shape=[6, 8], **params)
        out = tr.step("scaled" if layer == "layer_norm" else "output")
        assert out.variant == "identity" and out.values is tr.step("normalized").values
        assert "layer.weight" not in tr.torch_code and "layer.bias" not in tr.torch_code
    tr = normlens.trace(layer, x, normalized_shape=[6, 8], gamma=(2 * np.ones((6, 8))).tolist())
    assert "layer.weight.copy_" in tr.torch_code
    np.testing.assert_allclose(tr.output, 2 * tr.step("normalized").values)


PREPARE = {
    "batch_norm": normlens.batch_norm._batch_norm,
    "layer_norm": normlens.layer_norm._layer_norm,
    "group_norm": normlens.layer_norm._group_norm,
    "instance_norm": normlens.layer_norm._instance_norm,
    "rms_norm": normlens.rms_norm._rms_norm,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layer, params", [c for c in CASES if c[0] != "min_max"] + [("group_norm", {"num_groups": 8})])
def test_the_buffer_size_changes_no_number_and_is_given_back(layer, params, dtype):
    """Every array of a trace run with its layout's buffer size (Plan.bufsize), forward and backward, has the
    bytes of the same computation at NumPy's default size; the caller's size is as it was, after."""
    rng = np.random.default_rng(11)
    x, dy = (rng.standard_normal(SHAPE).astype(dtype) for _ in range(2))
    tr = normlens.trace(layer, x, dy, **params)
    assert np.getbufsize() == 8192
    setup = PREPARE[layer](x.shape, x.dtype, dict(params))
    assert setup.plan.bufsize == rows.row_bufsize(tr.grouping.stat_view[2])
    assert setup.plan.bufsize == (2304 if tr.grouping.stat_view[2] == 2304 else 0)  # rows of H * W = 2,304 values
    with np.errstate(all="ignore"):  # as the layer functions run it (args.quiet)
        default = grouped._normalize(x, setup.plan, setup.call, dy)
    for step in default.forward + default.backward:
        assert tr.step(step.id).values.tobytes() == step.values.tobytes(), step.id


def test_the_buffer_size_is_given_back_when_a_trace_fails():
    x = np.ones((2, 8, 48, 48), np.float32)
    with pytest.raises(ArgumentError):
        normlens.trace("group_norm", x, num_groups=2, eps=0.0)  # constant groups, eps 0: std = 0
    assert np.getbufsize() == 8192
