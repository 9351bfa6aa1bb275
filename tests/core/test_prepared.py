"""A layer's arguments prepared once per signature: reused when equal to the type, checked anew otherwise,
and nothing a trace hands out can change what the next call with the same arguments gets."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import normlens
from normlens import prepared as module
from normlens.prepared import prepared, signature


def test_prepare_runs_once_per_shape_dtype_and_arguments():
    calls = []

    def prepare(shape, dtype, params):
        calls.append((shape, dtype.char, dict(params)))
        return shape, params["eps"]

    x32, x64 = np.zeros((2, 3), np.float32), np.zeros((2, 3))
    for _ in range(3):
        assert prepared(prepare, x32, {"eps": 0.5, "normalized_shape": [3]}) == ((2, 3), 0.5)
    prepared(prepare, x64, {"eps": 0.5, "normalized_shape": [3]})  # another dtype
    prepared(prepare, np.zeros((4, 3), np.float32), {"eps": 0.5, "normalized_shape": [3]})  # another shape
    prepared(prepare, x32, {"eps": 0.25, "normalized_shape": [3]})  # another value
    assert [(s, d, p["eps"]) for s, d, p in calls] == [((2, 3), "f", 0.5), ((2, 3), "d", 0.5), ((4, 3), "f", 0.5)] + [
        ((2, 3), "f", 0.25)
    ]
    assert calls[0][2]["normalized_shape"] == [3]  # a list again, as the caller gave it


def test_arrays_long_lists_and_other_types_are_not_part_of_a_key():
    assert signature({"eps": 1e-5, "affine": True, "module": "auto", "momentum": None, "dim": [0, 2]}) is not None
    for value in (np.ones(3), [0.5, 1.0], list(range(9)), (1, 2), np.float64(1e-5), [True, 2]):
        assert signature({"gamma": value}) is None


@pytest.mark.parametrize(
    ("layer", "name", "good", "bad", "code"),
    [
        ("layer_norm", "elementwise_affine", True, 1, "not_bool"),
        ("group_norm", "num_groups", 2, 2.0, "not_integer"),
        ("batch_norm", "training", False, 0, "not_bool"),
        ("instance_norm", "num_batches_tracked", 1, True, "not_integer"),
    ],
)
def test_an_argument_equal_to_a_prepared_one_in_another_type_is_still_refused(layer, name, good, bad, code):
    x = np.ones((2, 4, 3))
    normlens.trace(layer, x, **{name: good})
    for _ in range(2):  # refused each time: an error is never remembered as a result
        with pytest.raises(normlens.ArgumentError) as e:
            normlens.trace(layer, x, **{name: bad})
        assert (e.value.param, e.value.code) == (name, code)


def test_a_trace_cannot_change_what_the_next_call_with_the_same_arguments_gets():
    x = np.random.default_rng(0).standard_normal((3, 4, 2))
    for layer in normlens.LAYERS:
        params = {"num_groups": 2} if layer == "group_norm" else {}
        first = normlens.trace(layer, x, **params)
        first.params["changed"] = True
        first.notation["changed"] = "yes"
        first.notices.append(normlens.Notice("changed"))
        for v in first.parameters.values():
            assert v is None or not v.flags.writeable
        again = normlens.trace(layer, x, **params)
        assert "changed" not in again.params and "changed" not in again.notation and not again.notices
        np.testing.assert_array_equal(again.output, first.output)


def test_short_lists_of_ints_for_gamma_are_prepared_once_and_stay_exact():
    x = np.arange(12.0).reshape(3, 4)
    a = normlens.trace("layer_norm", x, normalized_shape=[4], gamma=[1, 2, 3, 4])
    b = normlens.trace("layer_norm", x, normalized_shape=[4], gamma=[1, 2, 3, 5])
    assert a.parameters["gamma"].tolist() == [1, 2, 3, 4] and b.parameters["gamma"].tolist() == [1, 2, 3, 5]
    assert not a.parameters["gamma"].flags.writeable


def test_docstring_example():
    assert doctest.testmod(module, extraglobs={"np": np}).failed == 0


def test_min_max_shares_its_layout_but_not_its_params_or_step_numbers():
    x = np.random.default_rng(1).standard_normal((3, 4, 2))
    first = normlens.trace("min_max", x, dim=[0, 2])
    first.params["dim"].append(1)
    first.step("grouping").scalars["K"] = 0
    again = normlens.trace("min_max", x, dim=[0, 2])
    assert again.params["dim"] == [0, 2] and again.step("grouping").scalars["K"] == 4
    assert again.grouping is first.grouping  # frozen, and its cached layout is computed once
    assert normlens.trace("min_max", x, dim=1).params["dim"] == 1
