"""The trace contract as the normalization layers fill it: Grouping, steps and their numbers.

The words of the steps (titles, explanations, formulas) are checked in tests/app/test_layer_words.py, the JSON
of a trace in tests/app/test_tracejson.py, the summaries of its arrays in tests/app/test_summary.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import normlens
from normlens.trace import Grouping

NORM_LAYERS = ("batch_norm", "layer_norm", "group_norm", "instance_norm")
KINDS, PHASES = ("tensor", "stat", "param", "scalar"), ("forward", "backward")


def _traces():
    """One trace of each layer in each mode, with a backward pass."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 2, 2)).astype(np.float32)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    yield normlens.trace("batch_norm", x, grad_output=dy)
    yield normlens.trace("batch_norm", x, grad_output=dy, training=False, momentum=None)
    yield normlens.trace("batch_norm", x, grad_output=dy, layout="channels_last", affine=False)
    yield normlens.trace("layer_norm", x, grad_output=dy, normalized_shape=[4, 2, 2])
    yield normlens.trace("layer_norm", x[0, 0], grad_output=dy[0, 0], normalized_shape=[2, 2], bias=False)
    yield normlens.trace("group_norm", x, grad_output=dy, num_groups=2)
    yield normlens.trace("instance_norm", x, grad_output=dy, affine=True, track_running_stats=True)
    yield normlens.trace("instance_norm", x, grad_output=dy, track_running_stats=True, training=False)


TRACES = list(_traces())


def test_group_ids_follow_the_axis_map():
    g = Grouping((2, 6, 3), (2, 3), ((0, 1), (1, 2), None))  # GroupNorm, G = 3
    ids = g.group_ids()
    assert ids.dtype == np.int32 and ids.shape == (2, 6, 3)
    assert ids[:, :, 0].tolist() == [[0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5]]
    assert g.group_size == 6 and g.reduce_axes == (2,)
    assert g.to_dict() == {"stat_shape": [2, 3], "axis_map": [[0, 1], [1, 2], None], "reduce_axes": [2],
                           "group_size": 6}  # fmt: skip
    bn = Grouping((4, 3, 2, 2), (3,), (None, (0, 1), None, None))
    assert bn.group_size == 16 and bn.reduce_axes == (0, 2, 3)
    assert np.bincount(bn.group_ids().ravel()).tolist() == [16, 16, 16]


def test_stat_view_is_the_canonical_view():
    """(P, K, Q): P the axes before the first kept one, K the statistics, Q the rest (C/G of GroupNorm too)."""
    assert Grouping((4, 3, 2, 2), (3,), (None, (0, 1), None, None)).stat_view == (4, 3, 4)  # BatchNorm2d
    assert Grouping((2, 6, 3), (2, 3), ((0, 1), (1, 2), None)).stat_view == (1, 6, 6)  # GroupNorm, C/G = 2
    assert Grouping((2, 5, 4), (2, 5), ((0, 1), (1, 1), None)).stat_view == (1, 10, 4)  # LayerNorm over D
    assert Grouping((2, 3, 4), (4,), (None, None, (0, 1))).stat_view == (6, 4, 1)  # channels last
    assert Grouping((6, 4), (1,), (None, None)).stat_view == (1, 1, 24)  # every axis reduced
    for tr in TRACES:  # every layer's arrays are views of it
        assert tr.step("centered").values.reshape(tr.grouping.stat_view).shape[1] == tr.stats["mean"].size


@pytest.mark.parametrize("tr", TRACES, ids=lambda t: t.layer)
def test_steps_are_complete(tr):
    ids = [s.id for s in tr.steps]
    assert ids[:3] == ["input", "grouping", "mean"] and ids[-1] == "dinput"
    assert len(set(ids)) == len(ids)
    phases = [s.phase for s in tr.steps]
    assert set(phases) <= set(PHASES) and phases == sorted(phases, key=PHASES.index)  # forward, then backward
    for s in tr.steps:
        # no words in a step: an id, a variant naming another wording, and the numbers the words use
        assert s.kind in KINDS and isinstance(s.variant, str) and isinstance(s.scalars, dict), s.id
        assert not hasattr(s, "title") and not hasattr(s, "explanation") and not hasattr(s, "formula")
        assert s.values is not None and s.values.flags.c_contiguous
        if s.kind == "stat":
            assert s.values.shape == tr.grouping.stat_shape or s.id.startswith("running")
        if s.kind == "tensor":
            assert s.values.shape == tr.shape
    assert tr.stats["mean"].shape == tr.grouping.stat_shape == tr.stats["var"].shape
    np.testing.assert_array_equal(tr.step("grouping").values, tr.grouping.group_ids())
    assert tr.output is tr.steps[ids.index("grad_output") - 1].values or ids[ids.index("grad_output") - 1].startswith(
        "running"
    )


@pytest.mark.parametrize("tr", TRACES, ids=lambda t: t.layer)
def test_trace_names_its_axes_and_its_module(tr):
    """axes name the input's axes, param_axes say which gamma axis each one indexes, notation holds the
    subscripts shared by every formula of the trace."""
    assert len(tr.axes) == len(tr.shape) and len(tr.param_axes) == len(tr.shape)
    gamma_ndim = len(tr.parameters["gamma"].shape) if tr.parameters.get("gamma") is not None else None
    if gamma_ndim is not None:  # the axes gamma indexes, in order, and nothing else
        assert [a for a in tr.param_axes if a is not None] == list(range(gamma_ndim))
        for axis, p in enumerate(tr.param_axes):
            if p is not None:
                assert tr.shape[axis] == tr.parameters["gamma"].shape[p]
    assert tr.torch_class.startswith("nn.") and f"layer = {tr.torch_class}(" in tr.torch_code
    assert tr.notation["names"] == ", ".join(tr.axes)
    assert tr.notation["e"] == "_{" + "".join(a.lower() for a in tr.axes) + "}"
    assert {"names", "dims", "idx", "e", "s", "p", "over", "param_over", "axes", "param_axes_text"} <= set(tr.notation)


@pytest.mark.parametrize("given", [False, True], ids=["fresh", "gamma_beta"])
@pytest.mark.parametrize("layer", [*NORM_LAYERS, "rms_norm"])
def test_trace_arrays_are_read_only(layer, given):
    """Every step's array, the shared ones (scaled and output are x_hat itself for a fresh layer) and the
    distinct ones (with gamma and beta), forward and backward."""
    x = np.random.default_rng(3).standard_normal((3, 4, 2))
    params = {"group_norm": {"num_groups": 2}, "instance_norm": {"affine": True}}.get(layer, {})
    if given:
        n = 4 if layer in ("batch_norm", "group_norm", "instance_norm") else 2
        params |= {"gamma": [0.5, 2.0, 1.5, 3.0][:n]} | (
            {} if layer == "rms_norm" else {"beta": [0.1, 0.2, 0.3, 0.4][:n]}
        )
    tr = normlens.trace(layer, x, np.ones_like(x), **params)
    assert tr.step("output").values is not tr.step("normalized").values or not given
    for s in tr.steps:
        with pytest.raises(ValueError):
            s.values[...] = 0
    x = np.ones((2, 3))
    normlens.trace("batch_norm", x)
    x[0, 0] = 2.0  # the caller's input stays theirs


@pytest.mark.parametrize("spec", [normlens.LAYERS[n] for n in NORM_LAYERS], ids=lambda s: s.name)
def test_specs_declare_every_argument(spec):
    """The declaration; the words of the layer and of each argument: tests/app/test_layer_words.py."""
    d = spec.to_dict()
    assert d["name"] == spec.name and all(c.startswith("nn.") for c in d["torch_classes"])
    assert set(d["params"][0]) == {"name", "type", "default", "minimum", "maximum", "exclusive_minimum",
                                   "exclusive_maximum", "choices", "length"}  # fmt: skip
    names = {p["name"] for p in d["params"]}
    assert "eps" in names
    eps = spec.param("eps")
    assert eps.minimum == 0 and eps.exclusive_minimum
    # the defaults are accepted as they are
    x = np.random.default_rng(0).standard_normal((2, 4, 3))
    normlens.trace(spec.name, x, **spec.defaults())


def test_unchanged_steps_share_one_array():
    """gamma = 1 and beta = 0 change nothing: scaled and output are the normalized array itself (so its
    summary is computed once); with other values they are new arrays."""
    x = np.random.default_rng(3).standard_normal((4, 3))
    tr = normlens.trace("batch_norm", x)
    assert tr.step("scaled").values is tr.step("normalized").values is tr.output
    tr = normlens.trace("batch_norm", x, gamma=[1, 2, 1], beta=[0, 0, 1])
    np.testing.assert_allclose(tr.step("scaled").values, tr.step("normalized").values * [1, 2, 1])
    np.testing.assert_allclose(tr.output, tr.step("scaled").values + [0, 0, 1])
