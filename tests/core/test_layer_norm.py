"""layer_norm, group_norm and instance_norm against torch.nn.LayerNorm / GroupNorm / InstanceNorm{1,2,3}d."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
import torch
from torch import nn

import normlens
from normlens import rows
from normlens.args import ArgumentError
from tests.core.oracle import close, reference, run_snippet

DTYPES = (np.float32, np.float64)


def _data(shape, dtype, rng):
    x = (rng.standard_normal(shape) * rng.uniform(0.5, 3) + rng.uniform(-2, 2)).astype(dtype)
    return x, rng.standard_normal(shape).astype(dtype)


def _check(tr, ref, x, dy, p, affine_gamma: bool, affine_beta: bool, stat_axes, view=None):
    """Output, biased batch statistics, gradients, parameter counts and the snippet against PyTorch."""
    m = ref["module"]
    close(tr.output, ref["output"], what="output")
    xt = torch.tensor(x)
    if view is not None:
        xt = xt.reshape(view)
    if stat_axes is not None:
        shape = tr.grouping.stat_shape  # (1,) rather than () for a single statistic
        close(tr.stats["mean"], xt.mean(stat_axes).reshape(shape), what="mean")
        close(tr.stats["var"], xt.var(stat_axes, unbiased=False).reshape(shape), what="var")
    dx_scale = float(np.abs(dy).max() * np.abs(tr.step("normalized").values).max() / np.min(tr.step("std").values))
    if affine_gamma:
        dx_scale *= float(np.abs(tr.parameters["gamma"]).max())
    close(tr.grads["input"], ref["grad_input"], grad=True, what="grad input", scale=dx_scale)
    if affine_gamma:
        close(tr.grads["gamma"], ref["grad_gamma"], grad=True, what="grad gamma")
    else:
        assert tr.grads["gamma"] is None
    if affine_beta:
        close(tr.grads["beta"], ref["grad_beta"], grad=True, what="grad beta")
    else:
        assert tr.grads["beta"] is None
    assert tr.param_counts["learnable"] == sum(q.numel() for q in m.parameters())
    assert tr.param_counts["buffers"] == sum(b.numel() for b in m.buffers())
    ns = run_snippet(tr.torch_code)
    close(tr.output, ns["y"], what="snippet output")
    close(tr.grads["input"], ns["x"].grad, grad=True, what="snippet grad", scale=dx_scale)


LN_CASES = list(itertools.product((1, 2, 3, 4, 5), (1, 2, 3), DTYPES, (True, False), (True, False)))
LN_CASES = [c for c in LN_CASES if c[1] <= c[0] and not (not c[3] and not c[4])]


@pytest.mark.parametrize(("rank", "k", "dtype", "affine", "bias"), LN_CASES)
def test_layer_norm_matches_torch(rank, k, dtype, affine, bias):
    rng = np.random.default_rng(LN_CASES.index((rank, k, dtype, affine, bias)))
    shape = tuple(int(s) for s in rng.integers(1, 4, size=rank))
    shape = shape[: rank - 1] + (max(2, shape[-1]),)  # at least 2 values per group
    x, dy = _data(shape, dtype, rng)
    ns = list(shape[rank - k :])
    p = {
        "normalized_shape": ns,
        "eps": float(rng.choice([1e-5, 1e-2])),
        "elementwise_affine": affine,
        "bias": bias,
    }
    if affine:
        p["gamma"] = rng.uniform(0.5, 2, ns).tolist()  # nested lists are fine
        if bias:
            p["beta"] = rng.uniform(-1, 1, int(np.prod(ns))).tolist()  # a flat list is reshaped
    tr = normlens.trace("layer_norm", x, grad_output=dy, **p)
    ref = reference("layer_norm", x, {**p, "beta": p.get("beta") if bias else None}, dy)
    axes = tuple(range(rank - k, rank))
    _check(tr, ref, x, dy, p, affine, affine and bias, axes)
    assert tr.stats["mean"].shape == (shape[: rank - k] or (1,))
    assert tr.running is None
    assert tr.params == {"normalized_shape": ns, "eps": p["eps"], "elementwise_affine": affine, "bias": bias}


GN_CASES = list(itertools.product((2, 3, 4, 5), ("one", "some", "all"), DTYPES, (True, False)))


@pytest.mark.parametrize(("rank", "groups", "dtype", "affine"), GN_CASES)
def test_group_norm_matches_torch(rank, groups, dtype, affine):
    rng = np.random.default_rng(100 + GN_CASES.index((rank, groups, dtype, affine)))
    C = 6
    G = {"one": 1, "some": int(rng.choice([2, 3])), "all": 6}[groups]
    spatial = tuple(int(s) for s in rng.integers(1, 4, size=rank - 2))
    if groups == "all" and int(np.prod(spatial)) == 1:
        spatial = (2,) * (rank - 2) if rank > 2 else ()
    shape = (int(rng.integers(1, 4)), C, *spatial)
    if rank == 2 and groups == "all":
        G = 3  # (N, C) input with G = C would have one value per group
    x, dy = _data(shape, dtype, rng)
    p = {"num_groups": G, "eps": float(rng.choice([1e-5, 1e-2])), "affine": affine}
    if affine:
        p["gamma"] = rng.uniform(0.5, 2, C).tolist()
        p["beta"] = rng.uniform(-1, 1, C).tolist()
    tr = normlens.trace("group_norm", x, grad_output=dy, **p)
    ref = reference("group_norm", x, p, dy)
    _check(tr, ref, x, dy, p, affine, affine, (2,), view=(shape[0], G, -1))
    assert tr.stats["mean"].shape == (shape[0], G)
    assert tr.grouping.stat_shape == (shape[0], G)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layer", ["layer_norm", "group_norm"])
@pytest.mark.parametrize("length", [8200, 12291, 16384])  # rows in 4 to 17 parts (rows.row_parts)
def test_statistics_of_rows_longer_than_4096_values_match_torch(layer, dtype, length):
    """Rows of more than rows.PART values are summed in parts: statistics, output and gradients still match."""
    rng = np.random.default_rng(length + (layer == "group_norm"))
    shape, k = (2, 4, length // 2 if layer == "group_norm" else length), int(rng.integers(1, 3))
    x, dy = _data(shape, dtype, rng)
    p: dict = {"normalized_shape": list(shape[3 - k :])} if layer == "layer_norm" else {"num_groups": 2}
    p |= {"gamma": rng.uniform(0.5, 2, shape[3 - k :] if layer == "layer_norm" else 4).tolist()}
    tr = normlens.trace(layer, x, grad_output=dy, **p)
    ref = reference(layer, x, p, dy)
    xt = torch.tensor(x).reshape(2, 2, -1) if layer == "group_norm" else torch.tensor(x)
    axes, stat = (2,) if layer == "group_norm" else tuple(range(3 - k, 3)), tr.grouping.stat_shape
    close(tr.stats["mean"], xt.mean(axes).reshape(stat), what="mean")
    close(tr.stats["var"], xt.var(axes, unbiased=False).reshape(stat), what="var")
    close(tr.output, ref["output"], what="output")
    scale = float(np.abs(dy).max() * np.abs(tr.step("normalized").values).max() / np.min(tr.step("std").values))
    close(tr.grads["input"], ref["grad_input"], grad=True, what="grad input", scale=scale * 2)  # gamma <= 2
    for name in ("gamma", "beta"):
        close(tr.grads[name], ref[f"grad_{name}"], grad=True, what=f"grad {name}")
    assert rows.row_parts(tr.grouping.stat_view[2]) >= 4


IN_CASES = list(itertools.product((3, 4, 5), DTYPES, (True, False), (True, False), (True, False)))


@pytest.mark.parametrize(("rank", "dtype", "training", "affine", "track"), IN_CASES)
def test_instance_norm_matches_torch(rank, dtype, training, affine, track):
    seed = 200 + IN_CASES.index((rank, dtype, training, affine, track))
    rng = np.random.default_rng(seed)
    C = int(rng.integers(1, 4))
    spatial = tuple(int(s) for s in rng.integers(2, 4, size=rank - 2))
    shape = (int(rng.integers(1, 4)), C, *spatial)
    x, dy = _data(shape, dtype, rng)
    p = {"training": training, "eps": 1e-5, "momentum": [0.1, 0.5, None][seed % 3], "affine": affine,
         "track_running_stats": track}  # fmt: skip
    if affine:
        p["gamma"] = rng.uniform(0.5, 2, C).tolist()
        p["beta"] = rng.uniform(-1, 1, C).tolist()
    if track:
        p["running_mean"] = rng.uniform(-1, 1, C).tolist()
        p["running_var"] = rng.uniform(0.5, 2, C).tolist()
        p["num_batches_tracked"] = 2
    tr = normlens.trace("instance_norm", x, grad_output=dy, **p)
    ref = reference("instance_norm", x, p, dy)
    batch = training or not track
    _check(tr, ref, x, dy, p, affine, affine, tuple(range(2, rank)) if batch else None)
    assert tr.stats["mean"].shape == shape[:2]
    m = ref["module"]
    if track:
        close(tr.running["mean"], m.running_mean, what="running mean")
        close(tr.running["var"], m.running_var, what="running var")
        assert tr.running["num_batches_tracked"] == int(m.num_batches_tracked) == 2  # never incremented
    else:
        assert tr.running is None
    if not batch:  # evaluation with running statistics: every sample uses the channel's running value
        close(tr.stats["mean"], np.broadcast_to(np.asarray(p["running_mean"], dtype), shape[:2]))
        assert "dvariance" not in [s.id for s in tr.steps]


UNBATCHED_CASES = list(itertools.product((1, 2, 3), DTYPES, (True, False), (True, False), (True, False)))


@pytest.mark.parametrize(("d", "dtype", "training", "affine", "track"), UNBATCHED_CASES)
def test_unbatched_instance_norm_matches_torch(d, dtype, training, affine, track):
    """InstanceNorm{d}d on one (C, *spatial) sample, as PyTorch takes it: the output and every tensor step keep the
    unbatched shape, statistics (C,), running statistics updated directly, evaluation with them per channel."""
    seed = 300 + UNBATCHED_CASES.index((d, dtype, training, affine, track))
    rng = np.random.default_rng(seed)
    C = int(rng.integers(1, 5))
    shape = (C, *(int(s) for s in rng.integers(2, 4, size=d)))
    x, dy = _data(shape, dtype, rng)
    module = "auto" if d == 1 and seed % 2 else f"InstanceNorm{d}d"  # auto reads 2D as InstanceNorm1d's (C, L)
    p = {"module": module, "training": training, "eps": float(rng.choice([1e-5, 1e-2])), "affine": affine,
         "momentum": [0.1, 0.5, None][seed % 3], "track_running_stats": track}  # fmt: skip
    if affine:
        p["gamma"] = rng.uniform(0.5, 2, C).tolist()
        p["beta"] = rng.uniform(-1, 1, C).tolist()
    if track:
        p["running_mean"] = rng.uniform(-1, 1, C).tolist()
        p["running_var"] = rng.uniform(0.5, 2, C).tolist()
        p["num_batches_tracked"] = 3
    tr = normlens.trace("instance_norm", x, grad_output=dy, **p)
    ref = reference("instance_norm", x, p, dy)
    batch = training or not track
    _check(tr, ref, x, dy, p, affine, affine, tuple(range(1, d + 1)) if batch else None)
    assert tr.torch_class == f"nn.InstanceNorm{d}d" and f"layer = nn.InstanceNorm{d}d({C}, " in tr.torch_code
    assert tr.axes == {1: ("C", "L"), 2: ("C", "H", "W"), 3: ("C", "D", "H", "W")}[d]
    assert tr.grouping.stat_shape == tr.stats["mean"].shape == (C,) and tr.param_axes == (0,) + (None,) * d
    assert tr.step("grouping").variant == "unbatched" and tr.params["module"] == module
    assert all(s.values.shape == shape for s in tr.steps if s.kind == "tensor")
    assert all(s.values.shape == (C,) for s in tr.steps if s.kind in ("stat", "param"))
    m = ref["module"]
    if track:
        close(tr.running["mean"], m.running_mean, what="running mean")
        close(tr.running["var"], m.running_var, what="running var")
        assert tr.running["num_batches_tracked"] == int(m.num_batches_tracked) == 3
        if training and p["momentum"] is not None:
            assert tr.step("running_mean").variant == tr.step("running_var").variant == "unbatched"
    else:
        assert tr.running is None
    if not batch:  # evaluation: each channel standardized with its running statistics
        close(tr.stats["mean"], np.asarray(p["running_mean"], dtype))
        assert "dvariance" not in [s.id for s in tr.steps]


def test_auto_reads_2d_as_one_unbatched_sample_and_3d_as_a_batch():
    x = np.random.default_rng(11).standard_normal((3, 5))
    tr = normlens.trace("instance_norm", x, affine=True, gamma=[1, 2, 3], track_running_stats=True)
    batched = normlens.trace("instance_norm", x[None], affine=True, gamma=[1, 2, 3], track_running_stats=True)
    assert (tr.torch_class, tr.shape, tr.axes) == ("nn.InstanceNorm1d", (3, 5), ("C", "L"))
    np.testing.assert_array_equal(tr.output, batched.output[0])
    np.testing.assert_array_equal(tr.running["var"], batched.running["var"])  # a batch of one: the same numbers
    np.testing.assert_array_equal(tr.step("grouping").values, np.arange(3)[:, None] + np.zeros((1, 5), int))
    assert tr.notation["s"] == "_{c}" and tr.notation["axes"] == "(L)" and tr.notation["param_over"] == "l"
    assert tr.step("grouping").scalars == {"K": 3, "m": 5, "sizes": "5"}
    x3 = np.random.default_rng(12).standard_normal((2, 3, 4))
    tr3 = normlens.trace("instance_norm", x3)  # today's reading: (N, C, L), not InstanceNorm2d's (C, H, W)
    assert (tr3.torch_class, tr3.axes, tr3.stats["mean"].shape) == ("nn.InstanceNorm1d", ("N", "C", "L"), (2, 3))
    assert tr3.step("grouping").variant == ""


@pytest.mark.parametrize(("module", "shape"), [("InstanceNorm1d", (2, 3, 4)), ("InstanceNorm2d", (2, 3, 2, 3)),
                                               ("InstanceNorm3d", (2, 3, 2, 2, 3))])  # fmt: skip
def test_explicit_module_with_batched_input(module, shape):
    x = np.random.default_rng(13).standard_normal(shape)
    dy = np.random.default_rng(14).standard_normal(shape)
    tr = normlens.trace("instance_norm", x, grad_output=dy, module=module)
    auto = normlens.trace("instance_norm", x, grad_output=dy)
    assert tr.torch_class == auto.torch_class == f"nn.{module}" and tr.axes == auto.axes
    np.testing.assert_array_equal(tr.output, auto.output)
    np.testing.assert_array_equal(tr.grads["input"], auto.grads["input"])
    assert tr.stats["mean"].shape == shape[:2] and tr.params["module"] == module
    ref = reference("instance_norm", x, {"module": module}, dy)
    close(tr.output, ref["output"], what="output")
    close(tr.grads["input"], ref["grad_input"], grad=True, what="grad input")


# (module, input shape): PyTorch's _check_input_dim refuses each
BAD_MODULE_RANKS = [
    ("InstanceNorm2d", (2, 4)), ("InstanceNorm1d", (2, 3, 4, 5)), ("InstanceNorm3d", (2, 3, 4)),
    ("InstanceNorm1d", (4,)), ("InstanceNorm2d", (1, 2, 3, 4, 5)), ("InstanceNorm3d", (1,) * 6),
]  # fmt: skip


@pytest.mark.parametrize(("module", "shape"), BAD_MODULE_RANKS)
def test_bad_rank_for_an_explicit_module_quotes_torch(module, shape):
    with pytest.raises(ValueError) as theirs:
        getattr(nn, module)(shape[0])(torch.ones(shape))
    with pytest.raises(ArgumentError) as ours:
        normlens.trace("instance_norm", np.ones(shape), module=module)
    e, d = ours.value, int(module[-2])
    assert (e.param, e.code) == ("input", "module_rank")
    ranks = {"unbatched": d + 1, "batched": d + 2}
    assert e.values == {"module": module, "ndim": len(shape), "shape": list(shape), **ranks}
    assert e.torch == str(theirs.value)


@pytest.mark.parametrize("shape", [(4, 1), (3, 1, 1), (2, 1, 1, 1)])
def test_one_spatial_element_of_an_unbatched_sample_quotes_torch(shape):
    module = f"InstanceNorm{len(shape) - 1}d"
    x = np.random.default_rng(15).standard_normal(shape).astype(np.float32)
    with pytest.raises(ValueError) as err:
        getattr(nn, module)(shape[0])(torch.tensor(x))  # PyTorch quotes the batch of one it runs: [1, C, 1, ...]
    tr = normlens.trace("instance_norm", x, module=module, affine=True, beta=list(range(shape[0])))
    (w,) = tr.notices
    assert (w.code, w.torch_error) == ("one_spatial_element", str(err.value))
    np.testing.assert_array_equal(tr.output, np.arange(shape[0], dtype=np.float32).reshape(shape))  # exactly beta
    assert normlens.trace("instance_norm", x, module=module, training=False, track_running_stats=True).notices == []


def test_layer_norm_shapes_from_the_seed_notes():
    """(B, S, D) over [D]: mean (B, S), 2D parameters; (N, C, H, W) over [C, H, W]: mean (N,), 2CHW
    parameters."""
    x = np.random.default_rng(7).standard_normal((20, 5, 10)).astype(np.float32)
    tr = normlens.trace("layer_norm", x)
    assert tr.stats["mean"].shape == (20, 5) and tr.param_counts == {"learnable": 20, "buffers": 0}
    assert tr.parameters["gamma"].shape == (10,)
    img = np.random.default_rng(8).standard_normal((2, 5, 3, 4))
    tr = normlens.trace("layer_norm", img, normalized_shape=[5, 3, 4])
    assert tr.stats["mean"].shape == (2,) and tr.param_counts["learnable"] == 2 * 5 * 3 * 4
    assert normlens.trace("layer_norm", img, normalized_shape=[4], bias=False).param_counts["learnable"] == 4
    assert normlens.trace("layer_norm", img, normalized_shape=4).params["normalized_shape"] == [4]


def test_layer_norm_steps_without_bias_or_affine():
    x = np.random.default_rng(9).standard_normal((3, 4))
    dy = np.ones_like(x)
    ids = [s.id for s in normlens.trace("layer_norm", x, grad_output=dy, bias=False).steps]
    assert ids == ["input", "grouping", "mean", "centered", "variance", "std", "normalized", "scaled",
                   "grad_output", "dgamma", "dnormalized", "dvariance", "dmean", "dinput"]  # fmt: skip
    tr = normlens.trace("layer_norm", x, grad_output=dy, elementwise_affine=False)
    assert [s.id for s in tr.steps][-4:] == ["grad_output", "dvariance", "dmean", "dinput"]
    assert tr.output is tr.step("normalized").values
    assert tr.parameters == {"gamma": None, "beta": None}


def test_one_spatial_element_warns_with_torchs_message():
    x = np.random.default_rng(10).standard_normal((2, 4, 1)).astype(np.float32)
    with pytest.raises(ValueError) as err:
        nn.InstanceNorm1d(4).eval()(torch.tensor(x))  # even in eval, without running statistics
    for training in (True, False):
        tr = normlens.trace("instance_norm", x, training=training, affine=True, beta=[1, 2, 3, 4])
        (w,) = tr.notices
        assert w.torch_error == str(err.value)
        assert w.code == "one_spatial_element"
        np.testing.assert_array_equal(tr.output, np.broadcast_to(np.float32([1, 2, 3, 4])[:, None], (2, 4, 1)))
    # with running statistics, evaluation is fine in PyTorch too
    assert normlens.trace("instance_norm", x, training=False, track_running_stats=True).notices == []
    tr = normlens.trace("instance_norm", x, track_running_stats=True, running_var=[2, 2, 2, 2])
    np.testing.assert_array_equal(tr.running["var"], np.full(4, 2, np.float32))  # m - 1 = 0: unchanged
    assert tr.step("running_var").variant == "single"


def test_group_norm_grouping_ids_and_text():
    x = np.zeros((2, 6, 2, 2), np.float32) + np.arange(6, dtype=np.float32)[:, None, None]
    tr = normlens.trace("group_norm", x, num_groups=3)
    ids = tr.step("grouping").values
    assert ids[0, :, 0, 0].tolist() == [0, 0, 1, 1, 2, 2] and ids[1, :, 0, 0].tolist() == [3, 3, 4, 4, 5, 5]
    np.testing.assert_array_equal(tr.stats["mean"], [[0.5, 2.5, 4.5]] * 2)
    # the numbers its words and formula name (m = 2 · 2 · 2 = 8, g = (n, floor(c / 2))): tests/app/test_layer_words.py
    assert tr.step("grouping").scalars == {"K": 6, "m": 8, "G": 3, "Cg": 2, "sizes": "2 · 2 · 2"}
    assert tr.notation["Cg"] == "2" and tr.notation["s"] == "_{ng}" and tr.notation["p"] == "_{c}"
    assert tr.axes == ("N", "C", "H", "W") and tr.param_axes == (None, 0, None, None)


LN_SHAPE_5 = "Given normalized_shape=[5], expected input with shape [*, 5], but got input of size[2, 4]"
GN_DIVISIBLE = "num_channels (4) must be divisible by num_groups (3)"
GN_RANK = "Expected at least 2 dimensions for input tensor but received 1"


# (layer, input, arguments, the argument named, what is wrong, the numbers of the message, PyTorch's own message);
# the words of each error, in English and Chinese, are checked in tests/app/test_error_words.py
@pytest.mark.parametrize(
    ("layer", "x", "params", "param", "code", "values", "torch_says"),
    [
        ("layer_norm", np.ones((2, 4)), {"normalized_shape": [5]}, "normalized_shape", "shape_mismatch",
         {"want": [5], "fit": [4], "shape": [2, 4]}, LN_SHAPE_5),
        ("layer_norm", np.ones((2, 4)), {"normalized_shape": [2, 2, 4]}, "normalized_shape", "shape_mismatch",
         {"want": [2, 2, 4], "fit": [2, 4], "shape": [2, 4]},
         "Given normalized_shape=[2, 2, 4], expected input with shape [*, 2, 2, 4], but got input of size[2, 4]"),
        ("layer_norm", np.ones((2, 4)), {"normalized_shape": [0]}, "normalized_shape", "not_shape", {"got": "[0]"},
         None),
        ("layer_norm", np.ones((2, 4)), {"normalized_shape": []}, "normalized_shape", "empty_shape", {"last": 4},
         "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got "
         "normalized_shape = []"),
        ("layer_norm", np.ones((2, 4)), {"eps": 0}, "eps", "eps_not_positive", {"got": 0.0}, None),
        ("layer_norm", np.ones((2, 4)), {"gamma": [1, 2, 3]}, "gamma", "bad_length", {"want": 4, "got": 3}, None),
        ("layer_norm", np.ones((2, 4)), {"bias": False, "beta": [0, 0, 0, 0]}, "beta", "given_but_off",
         {"switch": "bias"}, None),
        ("layer_norm", np.ones((1, 1, 1, 1, 1, 2)), {}, "input", "bad_rank",
         {"layer": "layer_norm", "ndim": 6, "shape": [1, 1, 1, 1, 1, 2], "ranks": [1, 2, 3, 4, 5]}, None),
        ("group_norm", np.ones((2, 4, 3)), {"num_groups": 3}, "num_groups", "not_divisible",
         {"C": 4, "G": 3, "divisors": [1, 2, 4]}, GN_DIVISIBLE),
        ("group_norm", np.ones((2, 4, 3)), {"num_groups": 0}, "num_groups", "below_minimum", {"got": 0, "low": 1},
         None),
        ("group_norm", np.ones((2, 4, 3)), {"num_groups": 2.5}, "num_groups", "not_integer",
         {"got": "2.5", "minimum": 1}, None),
        ("group_norm", np.ones(4), {}, "input", "bad_rank",
         {"layer": "group_norm", "ndim": 1, "shape": [4], "ranks": [2, 3, 4, 5]}, GN_RANK),
        ("group_norm", np.ones((2, 4)), {"beta": [1, 2]}, "beta", "bad_length", {"want": 4, "got": 2}, None),
        # 2D input is InstanceNorm1d's unbatched (C, L); InstanceNorm2d takes (C, H, W) or (N, C, H, W)
        ("instance_norm", np.ones((2, 4)), {"module": "InstanceNorm2d"}, "input", "module_rank",
         {"module": "InstanceNorm2d", "ndim": 2, "shape": [2, 4], "unbatched": 3, "batched": 4},
         "expected 3D or 4D input (got 2D input)"),
        ("instance_norm", np.ones(4), {}, "input", "bad_rank",
         {"layer": "instance_norm", "ndim": 1, "shape": [4], "ranks": [2, 3, 4, 5]},
         "expected 2D or 3D input (got 1D input)"),
        ("instance_norm", np.ones((2, 4)), {"module": "InstanceNorm4d"}, "module", "not_a_choice",
         {"got": "'InstanceNorm4d'", "choices": ["auto", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]}, None),
        ("instance_norm", np.ones((2, 4, 3)), {"momentum": -0.1}, "momentum", "momentum_range", {"got": -0.1}, None),
        ("instance_norm", np.ones((2, 4, 3)), {"gamma": [1, 1, 1, 1]}, "gamma", "given_but_off",
         {"switch": "affine"}, None),
        ("instance_norm", np.ones((2, 4, 3)), {"track_running_stats": True, "running_var": [1, 1, 1]}, "running_var",
         "bad_length", {"want": 4, "got": 3}, None),
        ("instance_norm", np.ones((2, 4, 3)), {"eps": -1.0}, "eps", "eps_not_positive", {"got": -1.0}, None),
    ],
)  # fmt: skip
def test_bad_input_is_explained(layer, x, params, param, code, values, torch_says):
    with pytest.raises(ArgumentError) as info:
        normlens.trace(layer, x, **params)
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.param, e.code, e.values, e.torch) == (param, code, values, torch_says)


def test_torch_agrees_with_the_quoted_messages():
    """The PyTorch messages quoted above are PyTorch's own, word for word."""
    with pytest.raises(RuntimeError, match=re.escape("but got input of size[2, 4]")) as theirs:
        nn.LayerNorm([5])(torch.ones(2, 4))
    assert str(theirs.value) == LN_SHAPE_5
    with pytest.raises(RuntimeError) as theirs:
        nn.LayerNorm([2, 2, 4])(torch.ones(2, 4))
    assert (
        str(theirs.value)
        == "Given normalized_shape=[2, 2, 4], expected input with shape [*, 2, 2, 4], but got input of size[2, 4]"
    )
    with pytest.raises(ValueError, match=re.escape("num_channels (4) must be divisible by num_groups (3)")) as theirs:
        nn.GroupNorm(3, 4)(torch.ones(2, 4, 3))
    assert str(theirs.value) == GN_DIVISIBLE
    with pytest.raises(RuntimeError) as theirs:
        nn.GroupNorm(1, 4)(torch.ones(4))
    assert str(theirs.value) == GN_RANK
    with pytest.raises(ValueError, match=re.escape("expected 2D or 3D input (got 4D input)")):
        nn.InstanceNorm1d(4)(torch.ones(2, 4, 3, 3))
    for ndim, said in ((1, "expected 2D or 3D input (got 1D input)"), (6, "expected 4D or 5D input (got 6D input)")):
        cls = nn.InstanceNorm1d if ndim == 1 else nn.InstanceNorm3d
        with pytest.raises(ValueError) as theirs:
            cls(1)(torch.ones((1,) * ndim))
        assert str(theirs.value) == said
        with pytest.raises(ArgumentError) as ours:
            normlens.trace("instance_norm", np.ones((1,) * ndim))
        assert (ours.value.param, ours.value.code, ours.value.torch) == ("input", "bad_rank", said)
