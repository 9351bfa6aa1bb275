"""batch_norm against torch.nn.BatchNorm1d/2d/3d: outputs, statistics, buffers, gradients, snippet, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch import nn

import normlens
from normlens.args import ArgumentError
from tests.core.oracle import close, reference, run_snippet

RANKS = (2, 3, 4, 5)
DTYPES = (np.float32, np.float64)


def _case(rank: int, dtype, training: bool, affine: bool, layout: str, track: bool, seed: int):
    """A random small input and random arguments (seeded by the case, so every run sees the same numbers)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 5))
    c = int(rng.integers(1, 5))
    spatial = [int(s) for s in rng.integers(1, 4, size=rank - 2)]
    shape = (n, *spatial, c) if layout == "channels_last" else (n, c, *spatial)
    x = (rng.standard_normal(shape) * rng.uniform(0.5, 3) + rng.uniform(-2, 2)).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    p = {
        "training": training,
        "eps": float(rng.choice([1e-5, 1e-3, 0.1])),
        "momentum": [0.1, 0.3, None][seed % 3],
        "affine": affine,
        "track_running_stats": track,
        "layout": layout,
    }
    if affine:
        p["gamma"] = rng.uniform(0.5, 2, c).tolist()
        p["beta"] = rng.uniform(-1, 1, c).tolist()
    if track:
        p["running_mean"] = rng.uniform(-1, 1, c).tolist()
        p["running_var"] = rng.uniform(0.5, 2, c).tolist()
        p["num_batches_tracked"] = int(rng.integers(0, 5))
    return x, dy, p


CASES = list(
    itertools.product(RANKS, DTYPES, (True, False), (True, False), ("channels_first", "channels_last"), (True, False))
)


@pytest.mark.parametrize(("rank", "dtype", "training", "affine", "layout", "track"), CASES)
def test_matches_torch(rank, dtype, training, affine, layout, track):
    seed = CASES.index((rank, dtype, training, affine, layout, track))
    x, dy, p = _case(rank, dtype, training, affine, layout, track, seed)
    tr = normlens.trace("batch_norm", x, grad_output=dy, **p)
    ref = reference("batch_norm", x, p, dy)
    m = ref["module"]

    close(tr.output, ref["output"], what="output")
    assert tr.output.dtype == dtype
    # statistics: the batch ones (biased) when they are used, else the running ones
    c_axis = x.ndim - 1 if layout == "channels_last" and rank > 2 else 1
    axes = tuple(a for a in range(x.ndim) if a != c_axis)
    xt = torch.tensor(x)
    if training or not track:
        close(tr.stats["mean"], xt.mean(axes), what="mean")
        close(tr.stats["var"], xt.var(axes, unbiased=False), what="var")
    else:
        close(tr.stats["mean"], p["running_mean"] if dtype == np.float64 else np.float32(p["running_mean"]))
    if track:
        close(tr.running["mean"], m.running_mean, what="running_mean")
        close(tr.running["var"], m.running_var, what="running_var")
        assert tr.running["num_batches_tracked"] == int(m.num_batches_tracked)
    else:
        assert tr.running is None
    # dx cancels to ~0 when m is tiny (m = 2: x_hat = +-1 whatever x is): compare at the scale of dy*gamma/std
    dx_scale = float(np.abs(dy).max() * np.abs(tr.step("normalized").values).max() / np.min(tr.step("std").values))
    dx_scale *= max(np.abs(p.get("gamma", [1.0])))
    close(tr.grads["input"], ref["grad_input"], grad=True, what="grad input", scale=dx_scale)
    if affine:
        close(tr.grads["gamma"], ref["grad_gamma"], grad=True, what="grad gamma")
        close(tr.grads["beta"], ref["grad_beta"], grad=True, what="grad beta")
    else:
        assert tr.grads["gamma"] is None and tr.grads["beta"] is None

    # counts: PyTorch's parameters and buffers
    assert tr.param_counts["learnable"] == sum(q.numel() for q in m.parameters())
    assert tr.param_counts["buffers"] == sum(b.numel() for b in m.buffers())

    # the snippet is a program that reproduces the numbers
    ns = run_snippet(tr.torch_code)
    close(tr.output, ns["y"], what="snippet output")
    close(tr.grads["input"], ns["x"].grad, grad=True, what="snippet grad", scale=dx_scale)
    if affine:
        close(tr.grads["gamma"], ns["layer"].weight.grad, grad=True)
    if track:
        close(tr.running["var"], ns["layer"].running_var)


def test_steps_training_and_eval():
    x = np.random.default_rng(1).standard_normal((4, 3, 2, 2)).astype(np.float32)
    dy = np.ones_like(x)
    tr = normlens.trace("batch_norm", x, grad_output=dy)
    assert [s.id for s in tr.steps] == [
        "input", "grouping", "mean", "centered", "variance", "std", "normalized", "scaled", "output",
        "running_mean", "running_var",
        "grad_output", "dbeta", "dgamma", "dnormalized", "dvariance", "dmean", "dinput",
    ]  # fmt: skip
    assert tr.step("mean").kind == "stat" and tr.step("mean").values.shape == (3,)
    assert tr.step("dgamma").kind == "param" and tr.step("dinput").phase == "backward"
    g = tr.step("grouping").values
    assert g.dtype == np.int32 and g.shape == x.shape and (g[:, 1] == 1).all()
    # the numbers the grouping's words name (m = N · H · W = 4 · 2 · 2 = 16: tests/app/test_layer_words.py)
    assert tr.step("grouping").scalars == {"K": 3, "m": 16, "reduced": "N · H · W", "sizes": "4 · 2 · 2", "C": 3}
    ev = normlens.trace("batch_norm", x, grad_output=dy, training=False, affine=False)
    ids = [s.id for s in ev.steps]
    assert ids == ["input", "grouping", "mean", "centered", "variance", "std", "normalized",
                   "grad_output", "dinput"]  # fmt: skip
    # evaluation normalizes with the running statistics: the steps say so by their variant
    assert [ev.step(i).variant for i in ("mean", "centered", "variance", "normalized", "dinput")] == ["running"] * 5
    assert tr.step("mean").variant == "" and tr.step("variance").variant == "tracked"
    assert ev.output is ev.step("normalized").values
    # eval backward: dx = dy * gamma / sqrt(running_var + eps)
    np.testing.assert_allclose(ev.grads["input"], dy / np.sqrt(np.float32(1 + 1e-5)), rtol=1e-6)


def test_running_average_over_several_calls():
    """momentum=None averages all batches; feeding the buffers back reproduces three torch training steps."""
    rng = np.random.default_rng(2)
    m = nn.BatchNorm2d(3, momentum=None, dtype=torch.float64)
    state = {"running_mean": None, "running_var": None, "num_batches_tracked": 0}
    for _ in range(3):
        x = rng.standard_normal((2, 3, 4, 4)) * 2 + 1
        tr = normlens.trace("batch_norm", x, momentum=None, **state)
        m(torch.tensor(x))
        state = {
            "running_mean": tr.running["mean"].tolist(),
            "running_var": tr.running["var"].tolist(),
            "num_batches_tracked": tr.running["num_batches_tracked"],
        }
    close(np.array(state["running_mean"]), m.running_mean)
    close(np.array(state["running_var"]), m.running_var)
    assert state["num_batches_tracked"] == 3


def test_constant_channel_gives_exactly_beta():
    x = np.full((4, 2, 3, 3), 10000.1, dtype=np.float32)
    x[:, 1] = np.random.default_rng(3).standard_normal((4, 3, 3))
    tr = normlens.trace("batch_norm", x, gamma=[2.0, 1.0], beta=[0.7, 0.0])
    assert (tr.step("centered").values[:, 0] == 0).all()
    assert (tr.output[:, 0] == np.float32(0.7)).all()
    assert tr.stats["var"][0] == 0 and tr.stats["mean"][0] == np.float32(10000.1)


def test_batch_of_one_warns_with_torchs_message():
    x = np.array([[1.0, 2.0, 3.0, 4.0]], dtype=np.float32)
    with pytest.raises(ValueError) as err:
        nn.BatchNorm1d(4)(torch.tensor(x))
    tr = normlens.trace("batch_norm", x, beta=[0.5, 0, 0, 1], running_var=[2, 2, 2, 2])
    (w,) = tr.notices
    assert w.torch_error == str(err.value)
    assert w.code == "one_value_per_channel"
    assert tr.step("running_var").variant == "single"  # m = 1: the running variance is left unchanged
    np.testing.assert_array_equal(tr.output, [[0.5, 0, 0, 1]])
    np.testing.assert_array_equal(tr.running["var"], np.full(4, 2.0, np.float32))  # m - 1 = 0: left unchanged
    # the size string is PyTorch's (channels first) even for channels_last input
    x4 = np.ones((1, 1, 1, 3), np.float32)
    (w,) = normlens.trace("batch_norm", x4, layout="channels_last").notices
    assert w.torch_error.endswith("torch.Size([1, 3, 1, 1])")
    # eval with running statistics has no such problem, as in PyTorch
    assert normlens.trace("batch_norm", x, training=False).notices == []


def test_channels_last_matches_permuted_channels_first():
    x = np.random.default_rng(4).standard_normal((2, 3, 3, 5))
    a = normlens.trace("batch_norm", x, layout="channels_last")
    b = normlens.trace("batch_norm", np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(a.output, b.output.transpose(0, 2, 3, 1), atol=1e-14)
    assert a.grouping.stat_shape == (5,) and a.grouping.reduce_axes == (0, 1, 2)
    assert ".permute(0, 3, 1, 2)" in a.torch_code


def test_large_input_snippet_loads_npy(run_snippet):
    x = np.random.default_rng(5).standard_normal((8, 4, 16, 16)).astype(np.float32)  # 8192 values > MAX_EMBED
    tr = normlens.trace("batch_norm", x)
    assert "np.load('x.npy')" in tr.torch_code
    ns = run_snippet(tr.torch_code, {"x": x})
    close(tr.output, ns["y"])


def test_trace_metadata():
    x = np.zeros((2, 3, 4), np.float64) + np.arange(4)
    tr = normlens.trace("batch_norm", x, momentum=None, num_batches_tracked=4)
    assert tr.params == {
        "training": True, "eps": 1e-5, "momentum": None, "affine": True, "track_running_stats": True,
        "num_batches_tracked": 4, "layout": "channels_first",
    }  # fmt: skip
    assert tr.param_counts == {"learnable": 6, "buffers": 7}
    assert set(tr.parameters) == {"gamma", "beta", "running_mean", "running_var"}
    assert tr.running["num_batches_tracked"] == 5
    # momentum=None: the factor is 1/num_batches_tracked = 1/5 (its words: tests/app/test_layer_words.py)
    for sid in ("running_mean", "running_var"):
        step = tr.step(sid)
        assert step.variant == "cumulative" and step.scalars["nbt"] == 5 and step.scalars["f"] == 1 / 5, sid
        assert (step.scalars["m"], step.scalars["m_minus_1"]) == (8, 7)
    assert tr.dtype == "float64" and tr.shape == (2, 3, 4)
    assert tr.axes == ("N", "C", "L") and tr.param_axes == (None, 0, None) and tr.torch_class == "nn.BatchNorm1d"
    assert tr.notation["e"] == "_{ncl}" and tr.notation["s"] == "_{c}" and tr.notation["over"] == "n,l"


KNOWN = ["affine", "beta", "eps", "gamma", "layout", "momentum", "num_batches_tracked", "running_mean", "running_var",
         "track_running_stats", "training"]  # fmt: skip
EPS_TRAINING = "batch_norm eps must be positive during training, but got 0.0"


# (input, arguments, the argument named, what is wrong, the numbers of the message, PyTorch's own message); the
# words of each error, in English and Chinese, are checked in tests/app/test_error_words.py
@pytest.mark.parametrize(
    ("x", "params", "param", "code", "values", "torch_says"),
    [
        (np.ones((2, 3, 4, 4, 4, 4)), {}, "input", "bad_rank",
         {"layer": "batch_norm", "ndim": 6, "shape": [2, 3, 4, 4, 4, 4], "ranks": [2, 3, 4, 5]},
         "expected 5D input (got 6D input)"),
        (np.ones(3), {}, "input", "bad_rank", {"layer": "batch_norm", "ndim": 1, "shape": [3], "ranks": [2, 3, 4, 5]},
         "expected 2D or 3D input (got 1D input)"),
        (np.ones((2, 3)), {"eps": 0.0}, "eps", "eps_not_positive", {"got": 0.0}, EPS_TRAINING),
        (np.ones((2, 3)), {"eps": 0.0, "training": False}, "eps", "eps_not_positive", {"got": 0.0}, None),
        (np.ones((2, 3)), {"momentum": 1.5}, "momentum", "momentum_range", {"got": 1.5}, None),
        (np.ones((2, 3)), {"momentum": "fast"}, "momentum", "not_number", {"got": "'fast'"}, None),
        (np.ones((2, 3)), {"gamma": [1, 2]}, "gamma", "bad_length", {"want": 3, "got": 2}, None),
        (np.ones((2, 3)), {"beta": [[1, 2, 3, 4]]}, "beta", "bad_length", {"want": 3, "got": 4}, None),
        (np.ones((2, 3)), {"running_mean": [1, 2, 3, 4, 5]}, "running_mean", "bad_length", {"want": 3, "got": 5}, None),
        (np.ones((2, 3)), {"running_var": [1, -1, 1]}, "running_var", "negative_variance", {}, None),
        (np.ones((2, 3)), {"running_var": ["a", 1, 1]}, "running_var", "not_numbers", {}, None),
        (np.ones((2, 3)), {"affine": False, "gamma": [1, 1, 1]}, "gamma", "given_but_off", {"switch": "affine"}, None),
        (np.ones((2, 3)), {"track_running_stats": False, "running_mean": [0, 0, 0]}, "running_mean", "given_but_off",
         {"switch": "track_running_stats"}, None),
        (np.ones((2, 3)), {"training": "yes"}, "training", "not_bool", {"got": "'yes'"}, None),
        (np.ones((2, 3)), {"layout": "NHWC"}, "layout", "not_a_choice",
         {"got": "'NHWC'", "choices": ["channels_first", "channels_last"]}, None),
        (np.ones((2, 3)), {"num_batches_tracked": -1}, "num_batches_tracked", "below_minimum", {"got": -1, "low": 0},
         None),
        (np.ones((2, 3)), {"momentun": 0.1}, "momentun", "unknown_argument",
         {"layer": "batch_norm", "name": "momentun", "known": KNOWN}, None),
        (np.array([[1.0, np.nan]]), {}, "input", "not_finite", {"value": "nan", "index": [0, 1]}, None),
        (np.ones((2, 3), np.int64), {}, "input", "bad_dtype", {"got": "int64"}, None),
    ],
)  # fmt: skip
def test_bad_input_is_explained(x, params, param, code, values, torch_says):
    with pytest.raises(ArgumentError) as info:
        normlens.trace("batch_norm", x, **params)
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.param, e.code, e.values, e.torch) == (param, code, values, torch_says)


def test_torch_agrees_with_the_quoted_messages():
    """The PyTorch messages quoted above are PyTorch's own, word for word."""
    for module, x, said in [
        (nn.BatchNorm3d(3), torch.ones(2, 3, 4, 4, 4, 4), "expected 5D input (got 6D input)"),
        (nn.BatchNorm1d(3), torch.ones(3), "expected 2D or 3D input (got 1D input)"),
        (nn.BatchNorm1d(3, eps=0.0), torch.ones(2, 3), EPS_TRAINING),
    ]:
        with pytest.raises(ValueError) as theirs:
            module(x)
        assert str(theirs.value) == said
    nn.BatchNorm1d(3, eps=0.0).eval()(torch.ones(2, 3))  # evaluation: PyTorch accepts eps = 0


def _raised(x, **params) -> ArgumentError:
    with pytest.raises(ArgumentError) as info:
        normlens.trace("batch_norm", x, **params)
    return info.value


def test_bad_grad_output_and_overflow():
    x = np.ones((2, 3), np.float32)
    e = _raised(x, grad_output=np.ones((3, 2)))
    assert (e.param, e.code, e.values) == ("grad_output", "bad_shape", {"want": [2, 3], "got": [3, 2]})
    big = np.array([[3e38, -3e38], [-3e38, 3e38]], np.float32)
    e = _raised(big)
    assert (e.param, e.code, e.values) == ("input", "overflow", {"what": "variance", "dtype": "float32"})
    assert np.isfinite(normlens.trace("batch_norm", big.astype(np.float64)).output).all()
    e = _raised(np.array([[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]], np.float32), gamma=[3e38, 1])
    assert (e.param, e.code, e.values) == ("input", "overflow", {"what": "output", "dtype": "float32"})
