"""Dropout against torch: given the same mask our numbers equal PyTorch's bit for bit; statistics; steps, their
variants and scalars; notices; structured errors. The words are tested in tests/app/test_dropout_words.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import normlens
from normlens.args import ArgumentError
from normlens.dropout import ALPHA, SPEC, SPECS, alpha_coefficients, apply_mask, apply_mask_grad, dropout

DTYPES = [np.float32, np.float64]
VARIANTS = ["element", "channel", "alpha"]
SHAPES = {"element": [(7,), (3, 5), (2, 3, 4, 5)], "channel": [(2, 3, 5), (2, 4, 3, 3), (2, 2, 2, 3, 2)]}
SHAPES["alpha"] = SHAPES["element"]


def module(variant: str, ndim: int, p: float) -> torch.nn.Module:
    if variant == "channel":
        return {3: torch.nn.Dropout1d, 4: torch.nn.Dropout2d, 5: torch.nn.Dropout3d}[ndim](p)
    return torch.nn.AlphaDropout(p) if variant == "alpha" else torch.nn.Dropout(p)


def data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9, 1 / 3, 0.999])
def test_torch_module_equals_apply_mask_given_its_mask(variant, p, dtype):
    """Read torch's own mask off a probe input, then check our formula against the module, bit for bit."""
    for shape in SHAPES[variant] + ([(200, 100)] if variant != "channel" else [(100, 200, 1)]):
        x, dy = data(shape, dtype)
        layer = module(variant, len(shape), p).train()
        torch.manual_seed(7)
        # ones -> 0 where dropped; zeros under AlphaDropout -> b > 0 where kept, a*a' + b < 0 where dropped
        probe = layer(torch.zeros(shape, dtype=torch.from_numpy(x).dtype) + (variant != "alpha")).numpy()
        keep = probe > 0
        torch.manual_seed(7)
        xt = torch.tensor(x, requires_grad=True)
        y = layer(xt)
        y.backward(torch.from_numpy(dy))
        np.testing.assert_array_equal(apply_mask(x, keep, p, alpha=variant == "alpha"), y.detach().numpy())
        np.testing.assert_array_equal(apply_mask_grad(dy, keep, p, alpha=variant == "alpha"), xt.grad.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", ["element", "channel"])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.75])
def test_output_is_x_times_mask_over_keep_probability(variant, p, dtype):
    for i, shape in enumerate(SHAPES[variant]):
        x, dy = data(shape, dtype, i)
        t = dropout(x, dy, p=p, variant=variant, seed=i)
        mask = torch.tensor(t.step("mask").values)  # a copy: trace arrays are read-only
        assert set(np.unique(mask.numpy())) <= {0.0, 1.0} and mask.shape == x.shape and mask.dtype == xt_dtype(x)
        # x * mask / (1-p) may differ in the last bit from nn.Dropout's x * (mask / (1-p)); ours is the latter
        for exact, expr in [
            (False, lambda xt, m=mask: xt * m / (1 - p)),
            (True, lambda xt, m=mask: xt * (m / (1 - p))),
        ]:
            xt = torch.tensor(x, requires_grad=True)
            y = expr(xt)
            y.backward(torch.from_numpy(dy))
            for ours, theirs in [(t.output, y.detach().numpy()), (t.grads["input"], xt.grad.numpy())]:
                if exact:
                    np.testing.assert_array_equal(ours, theirs)
                else:
                    np.testing.assert_allclose(ours, theirs, rtol=2 * np.finfo(dtype).eps, atol=0)
        np.testing.assert_array_equal(t.step("dropped").values, x * t.step("mask").values)


def xt_dtype(x):
    return torch.from_numpy(x).dtype


@pytest.mark.parametrize("shape", SHAPES["channel"])
def test_channel_mask_is_constant_over_spatial_axes(shape):
    x, _ = data(shape, np.float64)
    t = dropout(x, p=0.5, variant="channel", seed=3)
    mask = t.step("mask").values
    spatial = tuple(range(2, len(shape)))
    np.testing.assert_array_equal(mask.min(axis=spatial), mask.max(axis=spatial))
    g = t.grouping
    assert g.stat_shape == shape[:2] and g.reduce_axes == spatial and g.group_size == int(np.prod(shape[2:]))
    # elements with the same group id share one mask value, and different groups are independent draws
    ids = g.group_ids()
    per_group = np.zeros(int(np.prod(shape[:2])))
    per_group[ids.ravel()] = mask.ravel()
    np.testing.assert_array_equal(per_group[ids], mask)
    assert dropout(x, p=0.5, variant="element").grouping is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.05, 0.5, 0.95])
def test_alpha_matches_the_textbook_formula(p, dtype):
    x, dy = data((4, 6), dtype)
    t = dropout(x, dy, p=p, variant="alpha", seed=2)
    keep = torch.tensor(t.step("mask").values, dtype=torch.float64)
    a_prime = -1.7580993408473766
    a = ((1 - p) * (1 + p * a_prime**2)) ** -0.5
    b = -a * a_prime * p
    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
    y = a * (xt * keep + a_prime * (1 - keep)) + b
    y.backward(torch.from_numpy(dy.astype(np.float64)))
    tol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(t.output, y.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(t.grads["input"], xt.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(alpha_coefficients(p), (a, b), rtol=1e-15)
    np.testing.assert_array_equal(t.step("saturated").values, np.where(keep.numpy() > 0, x, dtype(-ALPHA)))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_alpha_keeps_mean_and_variance(p):
    """Standard-normal input: mean stays 0 and variance 1 within 6 standard errors (fixed seeds)."""
    n = 200_000
    x = np.random.default_rng(42).standard_normal(n)
    y = dropout(x, p=p, variant="alpha", seed=5).output
    mean, var = y.mean(), y.var()
    se_mean = np.sqrt(var / n)
    se_var = np.sqrt((((y - mean) ** 4).mean() - var**2) / n)
    assert abs(mean) < 6 * se_mean
    assert abs(var - 1) < 6 * se_var
    plain = dropout(x, p=p, variant="element", seed=5).output  # plain dropout inflates the variance to 1/(1-p)
    assert abs(plain.var() - 1 / (1 - p)) < 6 * np.sqrt(((plain**4).mean() - plain.var() ** 2) / n)


@pytest.mark.parametrize("variant", ["element", "channel"])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_mean_over_seeds_approaches_input(variant, p):
    """E[y] = x. Each y / x is B / (1-p) with B ~ Bernoulli(1-p), of variance p / (1-p).

    Per element, the average over K seeds is within 5 standard errors of x; pooled over the independent draws
    (K per element, or per (n, c) for the channel variant), the mean of y / x is within 5 standard errors of
    1. Seeds are fixed, so this cannot flake; without the 1/(1-p) the pooled mean would be 1 - p, far outside.
    """
    k = 300
    x = np.random.default_rng(1).uniform(0.5, 2, (3, 4, 5)) * np.where(np.arange(5) % 2, 1, -1)
    mean = sum(dropout(x, p=p, variant=variant, seed=s).output for s in range(k)) / k
    assert (np.abs(mean - x) <= 5 * np.abs(x) * np.sqrt(p / ((1 - p) * k))).all()
    draws = k * (12 if variant == "channel" else x.size)
    bound = 5 * np.sqrt(p / ((1 - p) * draws))
    assert abs((mean / x).mean() - 1) <= bound < p / 2


@settings(max_examples=50, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=3, max_dims=5, min_side=1, max_side=4),
    p=st.floats(0, 1),
    seed=st.integers(0, 2**32 - 1),
    variant=st.sampled_from(VARIANTS),
)
def test_same_seed_same_mask(shape, p, seed, variant):
    x = np.ones(shape, np.float32)
    a, b = dropout(x, p=p, seed=seed, variant=variant), dropout(x, p=p, seed=seed, variant=variant)
    np.testing.assert_array_equal(a.step("mask").values, b.step("mask").values)
    np.testing.assert_array_equal(a.output, b.output)
    assert a.torch_code == b.torch_code


def test_different_seeds_give_different_masks():
    x = np.ones(1000)
    masks = {dropout(x, seed=s).step("mask").values.tobytes() for s in range(5)}
    assert len(masks) == 5
    kept = dropout(x, p=0.3, seed=0).step("mask").values.mean()
    assert abs(kept - 0.7) < 5 * np.sqrt(0.21 / 1000)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_p_zero_returns_the_input(variant, dtype):
    x, dy = data(SHAPES[variant][1], dtype)
    x.flat[0] = -0.0
    t = dropout(x, dy, p=0.0, variant=variant)
    np.testing.assert_array_equal(t.output, x)
    assert np.signbit(t.output.flat[0])  # the input itself, as torch returns it (alpha: no "+ b" of -0.0)
    np.testing.assert_array_equal(t.grads["input"], dy)
    assert t.step("mask").values.all() and t.notices == []
    assert t.step("mask").scalars["kept"] == t.step("mask").scalars["total"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_p_one_is_x_times_zero_like_torch(variant, dtype):
    x, dy = data(SHAPES[variant][1], dtype)
    t = dropout(x, dy, p=1.0, variant=variant)
    xt = torch.tensor(x, requires_grad=True)
    y = module(variant, x.ndim, 1.0).train()(xt)
    y.backward(torch.from_numpy(dy))
    np.testing.assert_array_equal(t.output, y.detach().numpy())
    np.testing.assert_array_equal(np.signbit(t.output), np.signbit(y.detach().numpy()))  # -0.0 where x < 0
    np.testing.assert_array_equal(t.grads["input"], xt.grad.numpy())
    assert not t.step("mask").values.any() and not t.output.any()
    assert [n.code for n in t.notices] == ["all_dropped"] and t.notices[0].torch_error is None
    assert t.step("output").variant == ("alpha_all_dropped" if variant == "alpha" else "all_dropped")
    assert t.step("dinput").variant == "all_dropped"
    # 1/(1-p) and AlphaDropout's a, b are infinite at p = 1: no step carries them
    assert all("scale" not in s.scalars and "a" not in s.scalars for s in t.steps)
    assert t.step("mask").scalars["kept"] == 0 and t.step("mask").scalars["keep"] == 0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_eval_is_identity(variant, p, dtype):
    x, dy = data(SHAPES[variant][0], dtype)
    t = dropout(x, dy, p=p, training=False, variant=variant)
    assert [s.id for s in t.steps] == ["input", "output", "grad_output", "dinput"]
    np.testing.assert_array_equal(t.output, module(variant, x.ndim, p).eval()(torch.from_numpy(x)).numpy())
    np.testing.assert_array_equal(t.output, x)
    np.testing.assert_array_equal(t.grads["input"], dy)
    assert t.notices == [] and t.step("input").variant == "eval" and t.step("dinput").variant == "identity"
    assert t.step("output").variant == ("identity" if p < 1 else "identity_p_one")
    assert t.step("output").values is t.step("input").values  # the identity shares the input, copies nothing
    if p < 1:
        assert t.step("output").scalars["scale"] == 1 / (1 - p)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("p", "training"), [(0.3, True), (0.0, True), (1.0, True), (0.5, False)])
def test_snippet_reproduces_output_and_grads(variant, p, training, dtype, run_snippet):
    x, dy = data(SHAPES[variant][1], dtype, 4)
    t = dropout(x, dy, p=p, training=training, variant=variant, seed=9)
    ns = run_snippet(t.torch_code)
    np.testing.assert_array_equal(ns["y"].detach().numpy(), t.output)
    np.testing.assert_array_equal(ns["x"].grad.numpy(), t.grads["input"])
    assert isinstance(ns["layer"], type(module(variant, x.ndim, p)))
    assert t.torch_code.rstrip().endswith("print(y)")
    if training and 0 < p < 1:
        assert "numpy.random.default_rng(9)" in t.torch_code


def test_channel_snippet_embeds_one_value_per_map_and_large_masks_load_from_npy(run_snippet):
    x, _ = data((2, 3, 4, 4), np.float32)
    t = dropout(x, variant="channel")
    ns = run_snippet(t.torch_code)
    assert tuple(ns["mask"].shape) == (2, 3, 1, 1)
    np.testing.assert_array_equal(ns["y"].numpy(), t.output)
    x, dy = data((80, 64), np.float32)
    big = dropout(x, dy, p=0.3, seed=4)
    assert "np.load('mask.npy')" in big.torch_code and "import numpy as np" in big.torch_code
    ns = run_snippet(big.torch_code, {"x": x, "mask": big.step("mask").values, "grad_output": dy})
    np.testing.assert_array_equal(ns["y"].detach().numpy(), big.output)
    np.testing.assert_array_equal(ns["x"].grad.numpy(), big.grads["input"])


@pytest.mark.parametrize("variant", VARIANTS)
def test_steps(variant):
    x, dy = data(SHAPES[variant][1], np.float32)
    t = dropout(x, dy, p=0.5, variant=variant, seed=1)
    middle = "saturated" if variant == "alpha" else "dropped"
    assert [s.id for s in t.steps] == ["input", "mask", middle, "output", "grad_output", "dinput"]
    assert [s.phase for s in t.steps] == ["forward"] * 4 + ["backward"] * 2
    assert t.stats is None and t.param_counts == {"learnable": 0, "buffers": 0}
    assert t.params == {"p": 0.5, "training": True, "seed": 1, "variant": variant}
    assert t.layer == "dropout" and t.param_axes is None and t.parameters == {} and t.running is None
    for s in t.steps:
        assert s.kind == "tensor" and s.values.shape == x.shape and s.values.dtype == x.dtype
    assert t.grads["input"] is t.step("dinput").values and t.output is t.step("output").values
    assert t.step("input").scalars == {"n": x.size} and t.step("input").variant == ""


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 0.9])
def test_mask_and_output_scalars(variant, p):
    x, dy = data(SHAPES[variant][2], np.float64, 5)
    t = dropout(x, dy, p=p, variant=variant, seed=3)
    mask = t.step("mask")
    maps = int(np.prod(x.shape[:2]))
    kept = int(mask.values.sum()) // (x.size // maps) if variant == "channel" else int(mask.values.sum())
    total = maps if variant == "channel" else x.size
    want = {"kept": kept, "total": total, "percent": 100 * kept / total, "expected": 100 * (1 - p), "seed": 3}
    assert mask.scalars == {**want, "p": p, "keep": 1 - p} | (
        {"maps": maps, "size": x.size // maps} if variant == "channel" else {}
    )
    assert mask.variant == ("channel" if variant == "channel" else "")
    out, dinput = t.step("output"), t.step("dinput")
    assert out.scalars == dinput.scalars and out.scalars["scale"] == 1 / (1 - p)
    if variant == "alpha":
        a, b = alpha_coefficients(p)
        assert (out.scalars["a"], out.scalars["b"], out.scalars["a_prime"]) == (a, b, -ALPHA)
        assert t.step("saturated").scalars == {"a_prime": -ALPHA} and out.variant == dinput.variant == "alpha"
    else:
        assert "a" not in out.scalars and out.variant == dinput.variant == ""
        assert t.step("dropped").scalars == {}


def test_trace_fields_name_the_axes_and_the_module():
    cases = [
        ((5,), "element", ("D",), "nn.Dropout"),
        ((2, 5), "element", ("N", "D"), "nn.Dropout"),
        ((2, 3, 5), "element", ("B", "S", "D"), "nn.Dropout"),
        ((2, 3, 2, 2), "alpha", ("N", "C", "H", "W"), "nn.AlphaDropout"),
        ((2, 3, 5), "channel", ("N", "C", "L"), "nn.Dropout1d"),
        ((2, 3, 2, 2), "channel", ("N", "C", "H", "W"), "nn.Dropout2d"),
        ((2, 3, 2, 2, 2), "channel", ("N", "C", "D", "H", "W"), "nn.Dropout3d"),
    ]
    for shape, variant, axes, cls in cases:
        t = dropout(np.ones(shape), variant=variant)
        assert t.axes == axes and t.torch_class == cls and t.shape == shape and t.dtype == "float64"
        assert t.notation["names"] == ", ".join(axes) and t.notation["dims"] == r" \times ".join(axes)
        assert f"torch.{cls}(p)" in t.torch_code


def test_arrays_are_read_only_records_and_the_callers_input_stays_writable():
    x, dy = data((3, 4), np.float32)
    for training in (True, False):
        t = dropout(x, dy, training=training)
        assert x.flags.writeable and dy.flags.writeable
        for s in t.steps:
            assert not s.values.flags.writeable, s.id
        np.testing.assert_array_equal(t.step("input").values, x)


def test_alpha_notices_unstandardized_input():
    x = np.random.default_rng(0).standard_normal((10, 10)) + 3
    (notice,) = dropout(x, variant="alpha").notices
    assert notice.code == "alpha_input_not_standardized" and notice.torch_error is None
    assert set(notice.values) == {"mean", "std"}
    assert notice.values["mean"] == float(x.mean()) and notice.values["std"] == float(x.std())
    assert dropout(x - 3, variant="alpha").notices == []
    assert dropout(x, variant="alpha", training=False).notices == []  # evaluation: nothing is dropped
    assert dropout(x, variant="element").notices == []


def test_spec_is_complete():
    d = SPEC.to_dict()
    assert SPECS == (SPEC,) and normlens.LAYERS["dropout"] is SPEC
    assert [p["name"] for p in d["params"]] == ["p", "training", "seed", "variant"]
    assert d["params"][3]["choices"] == VARIANTS
    assert (d["params"][0]["minimum"], d["params"][0]["maximum"], d["params"][0]["default"]) == (0, 1, 0.5)
    assert (d["params"][2]["minimum"], d["params"][2]["maximum"]) == (0, 2**32 - 1)
    assert d["torch_classes"] == ["nn.Dropout", "nn.Dropout1d", "nn.Dropout2d", "nn.Dropout3d", "nn.AlphaDropout"]
    assert d["input_ranks"] == [1, 2, 3, 4, 5]


def test_docs_example_runs():
    ex = SPEC.example
    assert ex == {
        "input": {"values": list(range(1, 13))},
        "shape": [2, -1],
        "params": {"p": 0.5, "training": True, "seed": 0},
    }
    x = np.array(ex["input"]["values"], dtype=np.float32).reshape(ex["shape"])
    t = normlens.trace("dropout", x, **ex["params"])
    np.testing.assert_array_equal(t.output, x * t.step("mask").values * 2)
    assert t.step("mask").scalars["total"] == 12


@pytest.mark.parametrize("p", [1.5, -0.1, 2, float("inf"), np.float32(1.5)])
def test_bad_p_quotes_torch(p):
    with pytest.raises(ValueError) as theirs:
        torch.nn.Dropout(p)
    with pytest.raises(ArgumentError) as ours:
        dropout(np.ones(3), p=p)
    e = ours.value
    assert (e.param, e.code, e.values) == ("p", "out_of_range", {"got": float(p), "low": 0, "high": 1})
    assert e.torch == str(theirs.value) and str(theirs.value) in str(e)


def test_nan_p_is_refused_without_a_torch_quote():
    torch.nn.Dropout(float("nan"))  # PyTorch's check lets NaN through
    with pytest.raises(ArgumentError) as ours:
        dropout(np.ones(3), p=float("nan"))
    assert (ours.value.param, ours.value.code, ours.value.torch) == ("p", "out_of_range", None)
    assert math.isnan(ours.value.values["got"])


SIX = {"ndim": 6, "shape": [1] * 6}
F32 = {"dtype": "float32"}


@pytest.mark.parametrize(
    ("x", "grad", "params", "param", "code", "values"),
    [
        (np.ones(3), None, {"p": "0.5"}, "p", "not_number", {"got": "'0.5'"}),
        (np.ones(3), None, {"p": True}, "p", "not_number", {"got": "True"}),
        (np.ones(3), None, {"p": None}, "p", "not_number", {"got": "None"}),
        (np.ones(3), None, {"training": "yes"}, "training", "not_bool", {"got": "'yes'"}),
        (np.ones(3), None, {"seed": -1}, "seed", "below_minimum", {"got": -1, "low": 0}),
        (np.ones(3), None, {"seed": 2**32}, "seed", "out_of_range", {"got": 2**32, "low": 0, "high": 2**32 - 1}),
        (np.ones(3), None, {"seed": 1.5}, "seed", "not_integer", {"got": "1.5", "minimum": 0}),
        (np.ones(3), None, {"seed": True}, "seed", "not_integer", {"got": "True", "minimum": 0}),
        (
            np.ones(3),
            None,
            {"variant": "spatial"},
            "variant",
            "not_a_choice",
            {"got": "'spatial'", "choices": ["element", "channel", "alpha"]},
        ),
        # the variant does not fit this input: the API points at `variant` (the form shows it there)
        (
            np.ones((2, 3)),
            None,
            {"variant": "channel"},
            "variant",
            "channel_variant_rank",
            {"ndim": 2, "shape": [2, 3]},
        ),
        (
            np.ones((1,) * 6),
            None,
            {"variant": "channel"},
            "variant",
            "channel_variant_rank",
            {"ndim": 6, "shape": [1] * 6},
        ),
        (
            np.ones((1,) * 6),
            None,
            {},
            "input",
            "bad_rank",
            {"layer": "dropout", "ndim": 6, "shape": [1] * 6, "ranks": [1, 2, 3, 4, 5]},
        ),
        (
            np.ones(3),
            None,
            {"rate": 0.5},
            "rate",
            "unknown_argument",
            {"layer": "dropout", "name": "rate", "known": ["p", "seed", "training", "variant"]},
        ),
        (np.ones(3, np.int32), None, {}, "input", "bad_dtype", {"got": "int32"}),
        (np.array([1.0, np.inf]), None, {}, "input", "not_finite", {"value": "inf", "index": [1]}),
        (np.ones(3), np.ones(4), {}, "grad_output", "bad_shape", {"want": [3], "got": [4]}),
        (np.ones(3), [1.0, np.nan, 1.0], {}, "grad_output", "not_finite_array", {}),
        (
            np.full(3, 3e38, np.float32),
            None,
            {"p": 0.5, "seed": 1},
            "input",
            "overflow",
            {"what": "output", "dtype": "float32"},
        ),
        (
            np.ones(2, np.float32),
            np.full(2, 3e38),
            {"seed": 0},
            "input",
            "overflow",
            {"what": "dinput", "dtype": "float32"},
        ),
    ],
)
def test_bad_input_raises(x, grad, params, param, code, values):
    with pytest.raises(ArgumentError) as e:
        dropout(x, grad, **params)
    assert (e.value.param, e.value.code, e.value.values, e.value.torch) == (param, code, values, None)
