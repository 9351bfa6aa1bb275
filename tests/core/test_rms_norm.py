"""RMSNorm against torch.nn.RMSNorm: outputs, the mean-square statistic, gradients, snippet, errors."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from normlens.args import ArgumentError
from normlens.rms_norm import SPEC, rms_norm
from tests.core.oracle import close

DTYPES = [np.float32, np.float64]
# (input shape, number of normalized trailing axes)
SHAPES = [((7,), 1), ((3, 5), 1), ((2, 3, 8), 1), ((2, 3, 4), 2), ((2, 3, 2, 4), 3), ((2, 2, 3, 2, 3), 2)]
SHAPES += [((3, 8200), 1), ((2, 3, 4097), 2)]  # rows of more than 4096 values: summed in parts (rows.row_parts)


def torch_rms(x: np.ndarray, k: int, eps: float | None, gamma: np.ndarray | None, dy: np.ndarray):
    xt = torch.tensor(x, requires_grad=True)
    layer = torch.nn.RMSNorm(list(x.shape[-k:]), eps=eps, elementwise_affine=gamma is not None, dtype=xt.dtype)
    if gamma is not None:
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(gamma))
    y = layer(xt)
    y.backward(torch.from_numpy(dy))
    ms = xt.detach().pow(2).mean(dim=tuple(range(x.ndim - k, x.ndim)))
    return y, ms, xt.grad, None if gamma is None else layer.weight.grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "k"), SHAPES)
@pytest.mark.parametrize(("eps", "affine"), [(None, True), (1e-5, True), (0.1, False), (None, False)])
def test_matches_torch(shape, k, dtype, eps, affine):
    rng = np.random.default_rng(zlib.crc32(repr((shape, k, eps, affine)).encode()))
    x = (rng.standard_normal(shape) * rng.uniform(0.1, 10) + rng.uniform(-1, 1)).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    gamma = rng.uniform(-2, 2, shape[-k:]).astype(dtype) if affine else None
    t = rms_norm(x, dy, normalized_shape=list(shape[-k:]), eps=eps, elementwise_affine=affine, gamma=gamma)
    y, ms, dx, dgamma = torch_rms(x, k, eps, gamma, dy)
    close(t.output, y, what="output")
    # one statistic per leading index; a single one still has shape (1,), as LayerNorm's (JSON has no 0-d arrays)
    assert t.stats["ms"].shape == (tuple(ms.shape) or (1,))
    close(t.stats["ms"], ms.reshape(t.stats["ms"].shape), what="ms")
    close(t.grads["input"], dx, grad=True, what="dinput")
    if affine:
        close(t.grads["gamma"], dgamma, grad=True, what="dgamma")
        np.testing.assert_array_equal(t.parameters["gamma"], gamma)
    else:
        assert t.grads["gamma"] is None and t.parameters["gamma"] is None


@pytest.mark.parametrize(("dtype", "scale"), [(np.float32, 1e-4), (np.float64, 1e-8)])
def test_default_eps_is_torch_finfo_eps_of_the_dtype(dtype, scale):
    # mean(x^2) ~ scale^2 is comparable to finfo(dtype).eps, so eps visibly changes the result
    x = (np.random.default_rng(3).standard_normal((4, 6)) * scale).astype(dtype)
    dy = np.ones_like(x)
    t = rms_norm(x, dy)
    y, _, dx, _ = torch_rms(x, 1, None, np.ones(6, dtype), dy)
    close(t.output, y)
    # gradients are about 1/scale here, so compare relative to their size
    np.testing.assert_allclose(t.grads["input"], dx.numpy(), rtol=1e-4 if dtype == np.float32 else 1e-12)
    assert t.params["eps"] == float(torch.finfo(y.dtype).eps)
    other = rms_norm(x, eps=1e-5).output  # a wrong default would be this far off
    assert np.abs(other - t.output).max() > 100 * np.abs(t.output - y.detach().numpy()).max()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("eps", [None, 1e-6])
def test_snippet_reproduces_output_and_grads(dtype, affine, eps, run_snippet):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 4)).astype(dtype)
    dy = rng.standard_normal((2, 3, 4)).astype(dtype)
    gamma = rng.uniform(0.5, 2, (3, 4)).astype(dtype) if affine else None
    t = rms_norm(x, dy, normalized_shape=[3, 4], eps=eps, elementwise_affine=affine, gamma=gamma)
    ns = run_snippet(t.torch_code)
    close(t.output, ns["y"])
    close(t.grads["input"], ns["x"].grad, grad=True)
    if affine:
        close(t.grads["gamma"], ns["layer"].weight.grad, grad=True)
    assert ns["layer"].weight is None if not affine else ns["layer"].weight.shape == (3, 4)


def test_snippet_loads_large_tensors_from_npy_and_writes_a_constant_one_with_full(run_snippet):
    x = np.arange(80 * 64, dtype=np.float32).reshape(80, 64)
    t = rms_norm(x, np.ones_like(x))
    assert "np.load('x.npy')" in t.torch_code and t.torch_code.startswith("import numpy as np\nimport torch\n")
    assert "grad_output = torch.full((80, 64), 1.0, dtype=torch.float32)" in t.torch_code  # 5,120 values
    small = rms_norm(x[:2, :3], np.full((2, 3), -0.0, np.float32))  # all equal to the bit: -0.0 stays -0.0
    assert "grad_output = torch.full((2, 3), -0.0, dtype=torch.float32)" in small.torch_code
    ns = run_snippet(small.torch_code)
    np.testing.assert_array_equal(ns["x"].grad.numpy(), small.grads["input"])


def test_steps_grouping_and_counts():
    x = np.arange(1, 25, dtype=np.float64).reshape(2, 3, 4)
    t = rms_norm(x, np.ones_like(x), normalized_shape=[4])
    ids = [s.id for s in t.steps]
    assert ids == [
        "input",
        "grouping",
        "squares",
        "mean_square",
        "rms",
        "normalized",
        "output",
        "grad_output",
        "dgamma",
        "dnormalized",
        "dinput",
    ]
    kinds = {s.id: s.kind for s in t.steps}
    assert kinds["mean_square"] == kinds["rms"] == "stat" and kinds["dgamma"] == "param"
    assert {s.phase for s in t.steps[7:]} == {"backward"} and {s.phase for s in t.steps[:7]} == {"forward"}
    assert t.grouping.stat_shape == (2, 3) and t.reduce_axes == (2,) and t.grouping.group_size == 4
    ids_arr = t.step("grouping").values
    np.testing.assert_array_equal(ids_arr, np.repeat(np.arange(6), 4).reshape(2, 3, 4))
    np.testing.assert_array_equal(t.stats["ms"], (x**2).mean(axis=2))
    np.testing.assert_allclose(t.step("rms").values, np.sqrt(t.stats["ms"] + np.finfo(np.float64).eps))
    assert t.param_counts == {"learnable": 4, "buffers": 0}
    # the numbers the words name (6 groups, not the 2 of the batch axis: tests/app/test_layer_words.py)
    scalars = {"K": 6, "m": 4, "k": 1, "sizes": "4", "lead": "(B, S)", "B": 6}
    assert t.step("input").scalars == t.step("grouping").scalars == scalars
    assert t.step("mean_square").scalars == {"K": 6, "m": 4} and t.step("rms").scalars == {"eps": t.params["eps"]}
    assert t.step("output").variant == "identity" and t.step("output").scalars == {"param_shape": [4]}
    assert t.step("dinput").scalars == {"m": 4} and t.step("dinput").variant == ""
    assert t.axes == ("B", "S", "D") and t.param_axes == (None, None, 0) and t.torch_class == "nn.RMSNorm"
    assert t.notation["e"] == "_{bsd}" and t.notation["s"] == "_{bs}" and t.notation["p"] == "_{d}"


def test_without_affine_normalized_is_last():
    x = np.random.default_rng(0).standard_normal((3, 4))
    t = rms_norm(x, np.ones((3, 4)), elementwise_affine=False)
    assert [s.id for s in t.steps] == [
        "input",
        "grouping",
        "squares",
        "mean_square",
        "rms",
        "normalized",
        "grad_output",
        "dinput",
    ]
    assert t.output is t.step("normalized").values
    assert t.param_counts == {"learnable": 0, "buffers": 0}


def test_spec_is_complete():
    """The declaration; its words (description, each argument's) are checked in tests/app/test_layer_words.py."""
    d = SPEC.to_dict()
    assert d["name"] == "rms_norm" and d["torch_classes"] == ["nn.RMSNorm"] and d["input_ranks"] == [1, 2, 3, 4, 5]
    assert [p["name"] for p in d["params"]] == ["normalized_shape", "eps", "elementwise_affine", "gamma"]
    assert SPEC.defaults() == {"normalized_shape": None, "eps": None, "elementwise_affine": True, "gamma": None}
    eps = SPEC.param("eps")
    assert (eps.type, eps.minimum, eps.exclusive_minimum) == ("float_or_null", 0, False)  # eps = 0 is allowed


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=4, min_side=2, max_side=5),
        elements=st.floats(-100, 100, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
    ),
    st.floats(0.01, 1e3),
)
def test_invariants(x, c):
    t = rms_norm(x, normalized_shape=list(x.shape[-1:]), eps=0.0)
    # each group has root mean square 1 after normalizing (eps = 0)
    np.testing.assert_allclose(np.sqrt((t.output**2).mean(axis=-1)), 1.0, rtol=1e-12)
    # scale invariance, and odd symmetry (exact: the RMS of -x is the RMS of x)
    np.testing.assert_allclose(rms_norm(c * x, eps=0.0).output, t.output, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(rms_norm(-x, eps=0.0).output, -t.output)


def test_warnings():
    x = np.array([[1e-5, -1e-5, 2e-5], [1.0, 2.0, 3.0]], np.float32)
    codes = [w.code for w in rms_norm(x, eps=1e-3).notices]
    assert codes == ["eps_dominates"]
    # "1 of 2 groups" (tests/app/test_layer_words.py) are these numbers
    (w,) = rms_norm(x, eps=1e-3).notices
    assert w.values == {"small": 1, "groups": 2, "eps": 1e-3} and w.torch_error is None
    assert [w.code for w in rms_norm(np.ones((3, 1)), normalized_shape=[1]).notices] == ["single_value_groups"]
    assert rms_norm(x[1:]).notices == []


def torch_error(fn) -> str:
    with pytest.raises(RuntimeError) as e:
        fn()
    return str(e.value)


def test_shape_mismatch_quotes_torch():
    x = np.zeros((2, 4), np.float32)
    for ns in ([5], [3, 4]):
        theirs = torch_error(lambda ns=ns: torch.nn.RMSNorm(ns)(torch.zeros(2, 4)))
        with pytest.raises(ArgumentError) as e:
            rms_norm(x, normalized_shape=ns)
        assert (e.value.param, e.value.code, e.value.torch) == ("normalized_shape", "shape_mismatch", theirs)
        assert e.value.values == {"want": ns, "fit": [2, 4][-len(ns) :], "shape": [2, 4]}
    with pytest.raises(ValueError) as theirs:  # more axes than the input has: a Python-side check in torch
        torch.nn.RMSNorm([2, 2, 4])(torch.zeros(2, 4))
    with pytest.raises(ArgumentError) as e:
        rms_norm(x, normalized_shape=[2, 2, 4])
    assert (e.value.param, e.value.code, e.value.torch) == ("normalized_shape", "shape_mismatch", str(theirs.value))
    theirs = torch_error(lambda: torch.nn.RMSNorm([])(torch.zeros(2, 4)))
    with pytest.raises(ArgumentError) as e:
        rms_norm(x, normalized_shape=[])
    assert (e.value.param, e.value.code, e.value.values) == ("normalized_shape", "empty_shape", {"last": 4})
    assert e.value.torch == theirs


KNOWN = ["elementwise_affine", "eps", "gamma", "normalized_shape"]


# (input, grad_output, arguments, the argument named, what is wrong, the numbers of the message); the words of each
# error, in English and Chinese, are checked in tests/app/test_error_words.py
@pytest.mark.parametrize(
    ("x", "grad", "params", "param", "code", "values"),
    [
        (np.ones((2, 3), np.int64), None, {}, "input", "bad_dtype", {"got": "int64"}),
        (np.ones((1,) * 6), None, {}, "input", "bad_rank",
         {"layer": "rms_norm", "ndim": 6, "shape": [1] * 6, "ranks": [1, 2, 3, 4, 5]}),
        (np.array([[1.0, np.nan]]), None, {}, "input", "not_finite", {"value": "nan", "index": [0, 1]}),
        (np.ones((2, 3)), None, {"normalized_shape": [0]}, "normalized_shape", "not_shape", {"got": "[0]"}),
        (np.ones((2, 3)), None, {"normalized_shape": "3"}, "normalized_shape", "not_shape", {"got": "'3'"}),
        (np.ones((2, 3)), None, {"normalized_shape": [True]}, "normalized_shape", "not_shape", {"got": "[True]"}),
        (np.ones((2, 3)), None, {"eps": -1.0}, "eps", "below_minimum", {"got": -1.0, "low": 0}),
        (np.ones((2, 3)), None, {"eps": float("inf")}, "eps", "not_finite_number", {"got": float("inf")}),
        (np.ones((2, 3)), None, {"eps": "small"}, "eps", "not_number", {"got": "'small'"}),
        (np.ones((2, 3)), None, {"eps": True}, "eps", "not_number", {"got": "True"}),
        (np.ones((2, 3)), None, {"elementwise_affine": "yes"}, "elementwise_affine", "not_bool", {"got": "'yes'"}),
        (np.ones((2, 3)), None, {"gamma": [1.0, 2.0]}, "gamma", "bad_length", {"want": 3, "got": 2}),
        (np.ones((2, 3)), None, {"gamma": [1.0, np.inf, 1.0]}, "gamma", "not_finite_array", {}),
        (np.ones((2, 3)), None, {"gamma": [1.0] * 3, "elementwise_affine": False}, "gamma", "given_but_off",
         {"switch": "elementwise_affine"}),
        (np.ones((2, 3)), None, {"weight": [1.0] * 3}, "weight", "unknown_argument",
         {"layer": "rms_norm", "name": "weight", "known": KNOWN}),
        (np.ones((2, 3)), np.ones((3, 2)), {}, "grad_output", "bad_shape", {"want": [2, 3], "got": [3, 2]}),
        (np.ones((2, 3)), np.full((2, 3), np.nan), {}, "grad_output", "not_finite_array", {}),
        (np.ones((2, 3)), [["a"] * 3] * 2, {}, "grad_output", "not_numbers", {}),
        (np.array([[0.0, 0.0], [1.0, 2.0]]), None, {"eps": 0.0}, "eps", "zero_mean_square", {"dtype": "float64"}),
        (np.full((2, 3), 1e20, np.float32), None, {}, "input", "overflow", {"what": "x^2", "dtype": "float32"}),
    ],
)  # fmt: skip
def test_bad_input_raises(x, grad, params, param, code, values):
    with pytest.raises(ArgumentError) as info:
        rms_norm(x, grad, **params)
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.param, e.code, e.values, e.torch) == (param, code, values, None)


def test_float64_handles_what_float32_overflows():
    x = np.full((2, 3), 1e20)
    np.testing.assert_allclose(rms_norm(x).output, 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_eps_notice_is_there_exactly_when_a_mean_square_is_below_eps(dtype):
    """normalize's dot gate (sum 1 / (ms + eps) against 1 / (2 eps)) never hides a group below eps: one small
    group among many large ones, groups just above and just below eps, and random scales."""
    rng = np.random.default_rng(5)
    for trial in range(200):
        rows, d = rng.integers(1, 300), rng.integers(1, 40)
        x = (rng.standard_normal((rows, d)) * 10.0 ** rng.uniform(-4, 2, (rows, 1))).astype(dtype)
        ms = (x.astype(np.float64) ** 2).mean(axis=1)
        eps = float(rng.choice([np.sort(ms)[0] * rng.uniform(0.9, 1.1), 1e-5, 0.0, np.median(ms)]))
        tr = rms_norm(x, normalized_shape=[int(d)], eps=eps)
        has = "eps_dominates" in [n.code for n in tr.notices]
        assert has == bool((tr.stats["ms"] < eps).any()), (trial, eps)
