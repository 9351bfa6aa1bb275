"""A layer's arguments prepared once per signature: reused when equal to the type, checked anew otherwise,
and nothing a trace hands out can change what the next call with the same arguments gets."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import normlens
from normlens import prepared as module
from normlens.layer_norm import _layer_norm
from normlens.prepared import SHORT, VALUES, prepared, signature


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


def test_keys_tell_apart_whatever_a_check_or_a_result_could():
    base = {"eps": 1e-5, "affine": True, "module": "auto", "momentum": None, "dim": [0, 2], "gamma": [0.5, 1.0]}
    key = signature(base)
    assert key is not None and signature(dict(base)) == key
    for name, other in [
        ("eps", 1),  # an int equal to a float
        ("affine", 1),  # an int equal to True
        ("dim", [0, 2.0]),
        ("gamma", [0.5, 1]),  # element types
        ("gamma", [0.5, True]),
        ("gamma", [0.5, -0.0]),  # equal to 0.0, another sign bit
        ("gamma", np.array([0.5, 1.0])),
        ("gamma", np.array([0.5, 1.0], np.float32)),
        ("gamma", np.array([[0.5, 1.0]])),
    ]:
        assert signature(base | {name: other}) not in (None, key), (name, other)
    assert signature({"gamma": [0.5, -0.0]}) != signature({"gamma": [0.5, 0.0]})
    assert signature({"dim": list(range(SHORT + 1))}) is not None  # a longer list of ints: as numbers
    too_large = [[0.5] * (VALUES + 1), np.ones(VALUES + 1)]
    for value in (
        *too_large,
        np.array([1, "a"], object),
        (1, 2),
        np.float64(1e-5),
        [0.5, "a"],
        [[1.0]],
        [0.5, 10**400],
    ):
        assert signature({"gamma": value}) is None, value


def test_a_miss_prepares_with_the_callers_own_values():
    seen = []

    def prepare(shape, dtype, params):
        seen.append(params["dim"])
        return "ok"

    x = np.zeros((3, 2))
    for value in ([True, 0], np.array([1, 0])):
        prepared(prepare, x, {"dim": value})
    assert seen[0] == [True, 0] and type(seen[0][0]) is bool and isinstance(seen[1], np.ndarray)
    with pytest.raises(normlens.ArgumentError, match="got='\\[True, 0\\]'"):
        normlens.trace("min_max", x, dim=[True, 0])


def test_given_gamma_beta_and_running_statistics_are_prepared_once_and_stay_exact():
    x = np.random.default_rng(2).standard_normal((4, 3))
    gamma, beta = [0.5, -0.0, 2.0], np.array([0.1, 0.2, 0.3])
    first = normlens.trace("batch_norm", x, gamma=gamma, beta=beta, running_mean=[0.0, 1.0, 2.0])
    again = normlens.trace("batch_norm", x, gamma=gamma, beta=beta, running_mean=[0.0, 1.0, 2.0])
    other = normlens.trace("batch_norm", x, gamma=[0.5, 0.0, 2.0], beta=beta, running_mean=[0.0, 1.0, 2.0])
    assert first.torch_code == again.torch_code and np.signbit(first.parameters["gamma"][1])
    assert not np.signbit(other.parameters["gamma"][1]) and other.torch_code != first.torch_code
    np.testing.assert_array_equal(first.output, again.output)


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


def test_the_memo_is_bounded_in_bytes_and_never_keeps_a_large_result(monkeypatch):
    calls = []

    def prepare(shape, dtype, params):
        calls.append(params["n"])
        return (np.zeros(params["n"]), "words")

    x = np.zeros(3)
    big = module.ITEM_BYTES // 8 + 1  # float64 values: one past the largest result kept
    for _ in range(2):
        prepared(prepare, x, {"n": big})
    assert calls == [big, big]  # made anew each time
    monkeypatch.setattr(module, "MEMO_BYTES", 3 * 8 * 1000)
    for n in range(1000, 1006):  # six results of 8,000 bytes each, room for three
        prepared(prepare, x, {"n": n})
    assert module._bytes <= module.MEMO_BYTES
    calls.clear()
    prepared(prepare, x, {"n": 1005})  # the newest is kept ...
    prepared(prepare, x, {"n": 1000})  # ... the oldest is gone
    assert calls == [1000]
    # a normalization layer's result counts its arrays: default gamma and beta of (64, 64, 64) float32 values
    setup = _layer_norm((2, 64, 64, 64), np.dtype(np.float32), {"normalized_shape": [64, 64, 64]})
    assert module.nbytes(setup) == 2 * 4 * 64**3 > module.ITEM_BYTES
