"""Min-max normalization against PyTorch's (x - x.amin(dim)) / (x.amax(dim) - x.amin(dim)): outputs, statistics,
gradients (ties split as amin/amax do), the snippet, argument errors and the constant-group notice."""

from __future__ import annotations

import doctest
import zlib

import numpy as np
import orjson
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import normlens
from normlens import min_max as module
from normlens.args import ArgumentError
from normlens.min_max import SPEC, SPECS, dims_arg, min_max
from tests.core.oracle import close

DTYPES = [np.float32, np.float64]


def torch_min_max(x: np.ndarray, dim, dy: np.ndarray | None = None) -> dict:
    """The oracle: PyTorch's output, amin, amax and (with dy) autograd's input gradient."""
    xt = torch.tensor(x, requires_grad=dy is not None)
    lo, hi = xt.amin(dim, keepdim=True), xt.amax(dim, keepdim=True)
    y = (xt - lo) / (hi - lo)
    if dy is not None:
        y.backward(torch.tensor(dy))
    return {"y": y.detach().numpy(), "min": lo.detach().numpy(), "max": hi.detach().numpy(), "dx": xt.grad}


def random_case(seed: int, low: int = 1) -> tuple[tuple[int, ...], int | list[int]]:
    """A shape of rank 1..5 (sides from `low`) and a dim: an int (maybe negative), a list of distinct axes
    (maybe negative, any order) or [] (every axis)."""
    rng = np.random.default_rng(seed)
    rank = 1 + seed % 5
    shape = tuple(int(s) for s in rng.integers(low, 6 if rank < 4 else low + 3, rank))
    kind = seed // 5 % 3
    if kind == 0:
        return shape, int(rng.integers(-rank, rank))
    if kind == 1:
        axes = rng.permutation(rank)[: rng.integers(1, rank + 1)]
        return shape, [int(a) - rank if rng.random() < 0.5 else int(a) for a in axes]
    return shape, [] if seed % 2 else list(range(rank))


def cancel_scale(t, dim) -> float:
    """The size of the terms that cancel in the gradient of a group's min and max, sum |dy / range|: a 2-element
    group's gradient is exactly 0, PyTorch's float32 a rounding residue of those terms."""
    return float(np.abs(t.step("dshifted").values).sum(axis=dims_arg(dim, t.output.ndim)).max())


def stat_shape(shape: tuple[int, ...], dim) -> tuple[int, ...]:
    dims = dims_arg(dim, len(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims) or (1,)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(30))
def test_matches_torch_on_random_shapes_and_dims(seed, dtype):
    shape, dim = random_case(seed)
    rng = np.random.default_rng(zlib.crc32(repr((seed, dtype.__name__)).encode()))
    x = (rng.standard_normal(shape) * rng.uniform(0.1, 10) + rng.uniform(-5, 5)).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    t = min_max(x, dy, dim=dim)
    ref = torch_min_max(x, dim, dy)
    finite = np.isfinite(ref["y"])  # one-element groups are 0 / 0 in PyTorch: see test_constant_group_*
    close(t.output[finite], ref["y"][finite], what="output")
    # the same IEEE operations (min, max, subtract, divide) in the same dtype: equal bit for bit
    np.testing.assert_array_equal(t.output[finite], ref["y"][finite])
    close(t.stats["min"], ref["min"].reshape(t.grouping.stat_shape), what="min")
    close(t.stats["max"], ref["max"].reshape(t.grouping.stat_shape), what="max")
    close(t.stats["range"], (ref["max"] - ref["min"]).reshape(t.grouping.stat_shape), what="range")
    close(t.grads["input"][finite], ref["dx"].numpy()[finite], grad=True, what="dinput", scale=cancel_scale(t, dim))
    assert t.output.dtype == t.grads["input"].dtype == dtype
    assert t.grouping.stat_shape == stat_shape(shape, dim)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(20))
def test_ties_are_split_like_torch(seed, dtype):
    """Integer values from a small range: mins and maxes tie often; amin/amax give each tied element an
    equal share. Groups where every value is equal are 0 / 0 in PyTorch (non-finite), 0 here."""
    shape, dim = random_case(seed + 100, low=2)
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, shape).astype(dtype)
    dy = rng.integers(-3, 4, shape).astype(dtype)
    t = min_max(x, dy, dim=dim)
    ref = torch_min_max(x, dim, dy)
    dims = dims_arg(dim, x.ndim)
    const = np.broadcast_to(x.max(axis=dims, keepdims=True) == x.min(axis=dims, keepdims=True), x.shape)
    np.testing.assert_array_equal(t.output[~const], ref["y"][~const])
    close(t.grads["input"][~const], ref["dx"].numpy()[~const], grad=True, what="dinput", scale=cancel_scale(t, dim))
    assert not np.isfinite(ref["y"][const]).any() and not np.isfinite(ref["dx"].numpy()[const]).any()
    assert np.all(t.output[const] == 0) and np.all(t.grads["input"][const] == 0)
    ok, ties = t.stats["range"] != 0, 0  # non-constant groups; extremes attained by several elements
    for s in ("min", "max"):
        ties += int(((x == ref[s]).sum(axis=dims).reshape(ok.shape)[ok] > 1).sum())
    assert t.step("dinput").scalars == {"ties": ties} and t.step("dinput").variant == ("ties" if ties else "")


def test_tie_split_by_hand():
    """x = [1, 1, 3], dy = [1, 2, 4]: r = 2, y = [0, 0, 1]; dshifted = dy / 2 = [0.5, 1, 2];
    d range = -(4 * 2) / 2^2 = -2 = d max; d min = -(0.5 + 1 + 2) + 2 = -1.5, shared by the two ones."""
    x = np.array([[1.0, 1.0, 3.0]])
    dy = np.array([[1.0, 2.0, 4.0]])
    t = min_max(x, dy, dim=1)
    np.testing.assert_array_equal(t.output, [[0, 0, 1]])
    np.testing.assert_array_equal(t.step("dshifted").values, [[0.5, 1, 2]])
    assert t.step("drange").values.tolist() == t.step("dmax").values.tolist() == [-2.0]
    assert t.step("dmin").values.tolist() == [-1.5]
    np.testing.assert_array_equal(t.grads["input"], [[0.5 - 0.75, 1 - 0.75, 0.0]])
    np.testing.assert_array_equal(t.grads["input"], torch_min_max(x, 1, dy)["dx"].numpy())
    assert t.step("dinput").variant == "ties" and t.step("dinput").scalars == {"ties": 1}


def test_gradient_of_a_sum_of_outputs_cancels_per_group():
    """With dy = 1 the gradients of a group sum to 0: shifting the whole group changes nothing."""
    x = np.random.default_rng(5).standard_normal((6, 3))
    t = min_max(x, np.ones_like(x))
    np.testing.assert_allclose(t.grads["input"].sum(axis=0), 0, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backward", [True, False])
@pytest.mark.parametrize("dim", [0, -1, [0, 2], []])
def test_snippet_reproduces_output_and_grads(dtype, backward, dim, run_snippet):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 2, 4)).astype(dtype)
    dy = rng.standard_normal((3, 2, 4)).astype(dtype) if backward else None
    t = min_max(x, dy, dim=dim)
    ns = run_snippet(t.torch_code)
    close(t.output, ns["y"])
    assert ns["y"].dtype == (torch.float64 if dtype == np.float64 else torch.float32)
    if backward:
        close(t.grads["input"], ns["x"].grad, grad=True)
    else:
        assert ns["x"].grad is None and "backward" not in t.torch_code and t.grads is None
    assert t.torch_code.startswith("import numpy as np\nimport torch\n") and t.torch_code.endswith("print(y)\n")
    assert f"dim = {dim!r}\n" in t.torch_code and "layer" not in ns


def test_snippet_loads_large_tensors_from_npy(run_snippet):
    x = np.random.default_rng(2).standard_normal((80, 64)).astype(np.float32)
    dy = np.ones_like(x) + np.arange(64, dtype=np.float32)  # not constant (a constant one is a torch.full)
    t = min_max(x, dy, dim=1)
    assert "np.load('x.npy')" in t.torch_code and "np.load('grad_output.npy')" in t.torch_code
    ns = run_snippet(t.torch_code, {"x": x, "grad_output": dy})
    close(t.output, ns["y"])
    close(t.grads["input"], ns["x"].grad, grad=True)


def test_steps_kinds_grouping_and_metadata():
    x = np.array([[170, 60], [180, 80], [160, 50], [175, 70]], dtype=np.float64)
    t = min_max(x, np.ones_like(x))
    assert [s.id for s in t.steps] == [
        "input",
        "grouping",
        "min",
        "max",
        "range",
        "shifted",
        "output",
        "grad_output",
        "dshifted",
        "drange",
        "dmax",
        "dmin",
        "dinput",
    ]
    kinds = {s.id: s.kind for s in t.steps}
    assert {k for k, v in kinds.items() if v == "stat"} == {"min", "max", "range", "drange", "dmax", "dmin"}
    assert [s.phase for s in t.steps] == ["forward"] * 7 + ["backward"] * 6
    for s in t.steps:
        want = (2,) if s.kind == "stat" else x.shape
        assert s.values.shape == want, s.id
        assert not s.values.flags.writeable, s.id
    assert x.flags.writeable  # the caller's array is not frozen
    g = t.grouping
    assert (g.stat_shape, g.axis_map, g.reduce_axes, g.group_size) == ((2,), (None, (0, 1)), (0,), 4)
    np.testing.assert_array_equal(t.step("grouping").values, [[0, 1]] * 4)
    assert t.step("grouping").scalars == {"K": 2, "m": 4, "reduced": "N", "sizes": "4"}
    np.testing.assert_array_equal(t.stats["min"], [160, 50])
    np.testing.assert_array_equal(t.stats["max"], [180, 80])
    np.testing.assert_array_equal(t.stats["range"], [20, 30])
    np.testing.assert_array_equal(t.output[:, 0], [0.5, 1, 0, 0.75])
    assert t.axes == ("N", "D") and t.param_axes is None and t.parameters == {} and t.running is None
    assert t.param_counts == {"learnable": 0, "buffers": 0}
    assert t.torch_class == "torch.amin/amax" and t.layer == "min_max" and t.params == {"dim": 0}
    assert t.notices == [] and set(t.grads) == {"input"}
    assert t.notation["e"] == "_{nd}" and t.notation["s"] == "_{d}" and t.notation["over"] == "n"
    assert t.notation["axes"] == "(N)" and t.notation["kept"] == "(D)" and t.notation["stat_idx"] == "(d)"
    assert not any(k.startswith("p") for k in t.notation)


@pytest.mark.parametrize(
    ("shape", "dim", "stat", "axis_map", "names"),
    [
        ((5,), 0, (1,), (None,), ("D",)),
        ((2, 3, 4), [0, -1], (3,), (None, (0, 1), None), ("B", "S", "D")),
        ((2, 3, 4), [], (1,), (None, None, None), ("B", "S", "D")),
        ((2, 3, 2, 2), 1, (2, 2, 2), ((0, 1), None, (1, 1), (2, 1)), ("N", "C", "H", "W")),
        ((2, 3, 1, 2, 2), [4, 2], (2, 3, 2), ((0, 1), (1, 1), None, (2, 1), None), ("N", "C", "D", "H", "W")),
    ],
)
def test_grouping_of_each_rank(shape, dim, stat, axis_map, names):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    t = min_max(x, dim=dim)
    assert t.grouping.stat_shape == stat and t.grouping.axis_map == axis_map and t.axes == names
    ids = t.step("grouping").values
    assert ids.shape == shape and ids.max() == np.prod(stat) - 1
    assert t.step("grouping").variant == ("all" if stat == (1,) and len(axis_map) == axis_map.count(None) else "")
    for s in ("min", "max", "range"):
        assert t.stats[s].shape == stat
    # a group's elements share one id, and its min is the smallest of them
    np.testing.assert_array_equal(
        np.array([x[ids == k].min() for k in range(int(np.prod(stat)))]), t.stats["min"].reshape(-1)
    )


def test_params_keep_the_form_given():
    x = np.ones((2, 3)) + np.arange(6).reshape(2, 3)
    assert min_max(x, dim=-1).params == {"dim": -1}
    assert min_max(x, dim=(1, 0)).params == {"dim": [1, 0]}
    assert min_max(x, dim=np.int64(1)).params == {"dim": 1}
    assert min_max(x, dim=[np.int64(0)]).params == {"dim": [0]}
    assert "dim = [1, 0]\n" in min_max(x, dim=(1, 0)).torch_code


# ---- the constant group: 0 / 0 in PyTorch ----


@pytest.mark.parametrize("dtype", DTYPES)
def test_constant_group_gives_zero_and_a_notice(dtype):
    x = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [2.0, 5.0, 9.0]], dtype=dtype)  # feature 1 is constant
    dy = np.arange(9, dtype=dtype).reshape(3, 3)
    t = min_max(x, dy, dim=0)
    assert [n.code for n in t.notices] == ["constant_group"]
    assert t.notices[0].values == {"count": 1, "groups": 3, "group": [1], "value": 5.0}
    assert t.notices[0].torch_error is None  # PyTorch does not refuse: it returns NaN
    np.testing.assert_array_equal(t.output[:, 1], 0)
    np.testing.assert_array_equal(t.grads["input"][:, 1], 0)
    assert t.stats["range"][1] == 0 and t.step("drange").values[1] == 0 and t.step("dmin").values[1] == 0
    assert t.step("range").variant == t.step("output").variant == "constant"
    assert t.step("output").scalars == {"constant": 1}
    for s in t.steps:
        assert np.isfinite(s.values).all(), s.id
        assert not np.signbit(s.values[np.asarray(s.values) == 0]).any(), s.id  # no -0.0 in the JSON
    orjson.dumps([s.values.tolist() for s in t.steps])  # finite, serializable
    ref = torch_min_max(x, 0, dy)
    assert np.isnan(ref["y"][:, 1]).all() and np.isnan(ref["dx"].numpy()[:, 1]).all()
    close(t.output[:, [0, 2]], ref["y"][:, [0, 2]])  # the other groups still equal PyTorch
    close(t.grads["input"][:, [0, 2]], ref["dx"][:, [0, 2]], grad=True)


def test_every_group_constant_names_the_first():
    t = min_max(np.full((2, 3, 2), 4.5, np.float32), dim=1)
    assert t.notices[0].values == {"count": 4, "groups": 4, "group": [0, 0], "value": 4.5}
    assert np.all(t.output == 0) and t.output.dtype == np.float32


def test_one_element_groups_are_constant():
    t = min_max(np.array([[1.0, 2.0, 3.0]]), np.ones((1, 3)), dim=0)  # m = 1
    assert t.notices[0].values["count"] == 3 and np.all(t.output == 0) and np.all(t.grads["input"] == 0)


def test_no_notice_without_constant_groups():
    t = min_max(np.array([1.0, 2.0, 2.0]), np.ones(3))
    assert t.notices == [] and t.step("output").variant == "" and t.step("range").variant == ""


# ---- errors ----


def torch_message(x: np.ndarray, dim) -> str:
    with pytest.raises((IndexError, RuntimeError)) as e:
        torch.tensor(x).amin(dim)
    return str(e.value)


@pytest.mark.parametrize(("ndim", "dim", "got"), [(2, 2, 2), (2, -3, -3), (1, 1, 1), (3, [0, 7], 7), (2, [0, 0, 5], 5)])
def test_dim_out_of_range_quotes_torch(ndim, dim, got):
    x = np.ones((2,) * ndim)
    with pytest.raises(ArgumentError) as e:
        min_max(x, dim=dim)
    assert (e.value.param, e.value.code) == ("dim", "dim_out_of_range")
    assert e.value.values == {"got": got, "low": -ndim, "high": ndim - 1}
    assert e.value.torch == torch_message(x, dim)  # range is checked before repeats, as in PyTorch


@pytest.mark.parametrize(("dim", "axis"), [([0, 0], 0), ([1, -2], 1), ([2, 0, -1], 2), ((-1, 2), 2)])
def test_repeated_dim_quotes_torch(dim, axis):
    x = np.ones((2, 2, 2))
    with pytest.raises(ArgumentError) as e:
        min_max(x, dim=dim)
    assert (e.value.param, e.value.code, e.value.values) == ("dim", "dim_repeated", {"axis": axis})
    assert e.value.torch == torch_message(x, list(dim))


@pytest.mark.parametrize("dim", ["0", 1.0, True, None, [0, "1"], [False], {"a": 1}, [0.5]])
def test_dim_that_is_not_axes(dim):
    with pytest.raises(ArgumentError) as e:
        min_max(np.ones((2, 2)), dim=dim)
    assert (e.value.param, e.value.code, e.value.torch) == ("dim", "not_dim", None)
    assert e.value.values == {"got": repr(dim)}


def test_empty_dim_list_is_every_axis_as_in_torch():
    x = np.random.default_rng(1).standard_normal((2, 3))
    close(min_max(x, dim=[]).output, torch_min_max(x, [])["y"])
    assert dims_arg([], 3) == (0, 1, 2) and dims_arg([-1, 0], 3) == (0, 2) and dims_arg(-2, 3) == (1,)


def test_rank_and_input_errors():
    with pytest.raises(ArgumentError) as e:
        min_max(np.ones((1,) * 6))
    assert (e.value.code, e.value.torch, e.value.values["ranks"]) == ("bad_rank", None, [1, 2, 3, 4, 5])
    for bad, code in ((np.ones((2, 2), np.int64), "bad_dtype"), (np.array([1.0, np.nan]), "not_finite")):
        with pytest.raises(ArgumentError) as e:
            min_max(bad)
        assert e.value.code == code
    with pytest.raises(ArgumentError) as e:
        min_max(np.ones((2, 2)), eps=1e-5)
    assert (e.value.param, e.value.code, e.value.values["known"]) == ("eps", "unknown_argument", ["dim"])
    with pytest.raises(ArgumentError) as e:
        min_max(np.ones((2, 2)), np.ones((2, 3)))
    assert (e.value.param, e.value.code) == ("grad_output", "bad_shape")


def test_float32_overflow_is_an_error_not_inf():
    big = np.float32(3e38)
    with pytest.raises(ArgumentError) as e:
        min_max(np.array([-big, big], np.float32))  # max - min overflows float32
    assert (e.value.code, e.value.values["what"]) == ("overflow", "range")
    tiny = np.array([0.0, 1e-45], np.float32)  # range is the smallest subnormal: dy / range overflows
    assert np.all(np.isfinite(min_max(tiny).output))
    with pytest.raises(ArgumentError) as e:
        min_max(tiny, np.ones(2, np.float32))
    assert e.value.code == "overflow"


# ---- the registry and the module's own example ----


def test_registered_with_its_spec():
    assert normlens.LAYERS["min_max"] is SPEC and SPECS == (SPEC,)
    assert SPEC.defaults() == {"dim": 0} and SPEC.param("dim").type == "int_or_list"
    assert SPEC.input_ranks == (1, 2, 3, 4, 5) and SPEC.torch_classes == ("torch.amin/amax",)
    assert SPEC.to_dict()["params"][0]["name"] == "dim"
    ex = SPEC.example
    t = normlens.trace("min_max", np.array(ex["input"]["values"], ex["dtype"]), np.ones((4, 2)), **ex["params"])
    np.testing.assert_allclose(t.output, [[0.5, 1 / 3], [1, 1], [0, 0], [0.75, 2 / 3]])


def test_docstring_examples():
    assert doctest.testmod(module, extraglobs={"np": np}).failed == 0


# ---- properties ----

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)


@st.composite
def tensor_and_dim(draw):
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank)))
    x = draw(hnp.arrays(np.float64, shape, elements=finite))
    axes = draw(st.lists(st.integers(-rank, rank - 1), unique_by=lambda d: d % rank, max_size=rank))
    return x, draw(st.sampled_from([axes, axes[0] if axes else 0]))


@settings(max_examples=60, deadline=None)
@given(tensor_and_dim(), st.sampled_from(DTYPES))
def test_each_group_spans_exactly_zero_to_one(case, dtype):
    x, dim = case
    x = x.astype(dtype)
    t = min_max(x, dim=dim)
    dims = dims_arg(dim, x.ndim)
    y = t.output
    assert np.all((y >= 0) & (y <= 1))
    lo, hi = y.min(axis=dims), y.max(axis=dims)
    const = (t.stats["range"] == 0).reshape(lo.shape)
    assert np.all(lo == 0)  # x - min is exactly 0 at the minimum
    assert np.all(hi[~const] == 1) and np.all(hi[const] == 0)  # (max - min) / (max - min) is exactly 1
    assert len(t.notices) == (1 if const.any() else 0)
