"""Every layer's argument errors are structured: `param` names the argument, `code` says what is wrong, `values`
hold the numbers of the message, and `torch` quotes PyTorch's own words, exactly, where PyTorch refuses the same
input. str(e) is a neutral "param: code (values); PyTorch: ..." form.

The words (English and Chinese, the same numbers in both, PyTorch's quoted exactly) are the app's: every case
below is rendered in tests/app/test_error_words.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import normlens
from normlens.args import ArgumentError

X2x4x3 = np.arange(24, dtype=np.float64).reshape(2, 4, 3)
X4x3 = np.arange(12, dtype=np.float64).reshape(4, 3)
X2x4 = np.arange(8, dtype=np.float32).reshape(2, 4)
BIG32 = np.array([[3e38, 1.0], [-3e38, 2.0]], dtype=np.float32)
BN_KNOWN = ["affine", "beta", "eps", "gamma", "layout", "momentum", "num_batches_tracked", "running_mean",
            "running_var", "track_running_stats", "training"]  # fmt: skip

# (layer, x, params, grad_output, the argument named, what is wrong, the numbers of the message)
CASES: list[tuple[str, Any, dict[str, Any], Any, str, str, dict[str, Any]]] = [
    ("group_norm", X2x4x3, {"num_groups": 3}, None, "num_groups", "not_divisible",
     {"C": 4, "G": 3, "divisors": [1, 2, 4]}),
    ("group_norm", np.ones(4), {"num_groups": 1}, None, "input", "bad_rank",
     {"layer": "group_norm", "ndim": 1, "shape": [4], "ranks": [2, 3, 4, 5]}),
    ("group_norm", X2x4x3, {"num_groups": 0}, None, "num_groups", "below_minimum", {"got": 0, "low": 1}),
    ("group_norm", X2x4x3, {"num_groups": 2, "eps": 0.0}, None, "eps", "eps_not_positive", {"got": 0.0}),
    ("layer_norm", X2x4, {"normalized_shape": [5]}, None, "normalized_shape", "shape_mismatch",
     {"want": [5], "fit": [4], "shape": [2, 4]}),
    ("layer_norm", X2x4, {"normalized_shape": []}, None, "normalized_shape", "empty_shape", {"last": 4}),
    ("layer_norm", X2x4, {"normalized_shape": "four"}, None, "normalized_shape", "not_shape", {"got": "'four'"}),
    ("layer_norm", X2x4, {"normalized_shape": [4], "bias": False, "beta": [0.0] * 4}, None, "beta", "given_but_off",
     {"switch": "bias"}),
    ("layer_norm", np.ones((1, 2, 1, 1, 1, 2)), {"normalized_shape": [2]}, None, "input", "bad_rank",
     {"layer": "layer_norm", "ndim": 6, "shape": [1, 2, 1, 1, 1, 2], "ranks": [1, 2, 3, 4, 5]}),
    ("layer_norm", X2x4, {"normalized_shape": [4], "elementwise_affine": "yes"}, None, "elementwise_affine", "not_bool",
     {"got": "'yes'"}),
    ("batch_norm", np.ones(3), {}, None, "input", "bad_rank",
     {"layer": "batch_norm", "ndim": 1, "shape": [3], "ranks": [2, 3, 4, 5]}),
    ("batch_norm", X4x3, {"gamma": [1.0, 2.0]}, None, "gamma", "bad_length", {"want": 3, "got": 2}),
    ("batch_norm", X4x3, {"gamma": [1.0, float("nan"), 2.0]}, None, "gamma", "not_finite_array", {}),
    ("batch_norm", X4x3, {"running_var": [1.0, -1.0, 1.0]}, None, "running_var", "negative_variance", {}),
    ("batch_norm", X4x3, {"eps": 0.0}, None, "eps", "eps_not_positive", {"got": 0.0}),
    ("batch_norm", X4x3, {"momentum": 1.5}, None, "momentum", "momentum_range", {"got": 1.5}),
    ("batch_norm", X4x3, {"eps": "small"}, None, "eps", "not_number", {"got": "'small'"}),
    ("batch_norm", X4x3, {"layout": "nhwc"}, None, "layout", "not_a_choice",
     {"got": "'nhwc'", "choices": ["channels_first", "channels_last"]}),
    ("batch_norm", X4x3, {"num_features": 3}, None, "num_features", "unknown_argument",
     {"layer": "batch_norm", "name": "num_features", "known": BN_KNOWN}),
    ("batch_norm", X4x3, {"track_running_stats": False, "running_mean": [0.0] * 3}, None, "running_mean",
     "given_but_off", {"switch": "track_running_stats"}),
    ("batch_norm", BIG32, {}, None, "input", "overflow", {"what": "variance", "dtype": "float32"}),
    # (4, 3) is InstanceNorm1d's unbatched (C, L) (test_unbatched_input_is_no_error); InstanceNorm2d refuses it
    ("instance_norm", X4x3, {"module": "InstanceNorm2d"}, None, "input", "module_rank",
     {"module": "InstanceNorm2d", "ndim": 2, "shape": [4, 3], "unbatched": 3, "batched": 4}),
    ("instance_norm", np.ones(3), {}, None, "input", "bad_rank",
     {"layer": "instance_norm", "ndim": 1, "shape": [3], "ranks": [2, 3, 4, 5]}),
    ("instance_norm", X2x4x3, {"affine": False, "gamma": [1.0] * 4}, None, "gamma", "given_but_off",
     {"switch": "affine"}),
    ("rms_norm", X2x4, {"normalized_shape": [2, 4, 4]}, None, "normalized_shape", "shape_mismatch",
     {"want": [2, 4, 4], "fit": [2, 4], "shape": [2, 4]}),
    ("rms_norm", X2x4, {"normalized_shape": [3]}, None, "normalized_shape", "shape_mismatch",
     {"want": [3], "fit": [4], "shape": [2, 4]}),
    ("rms_norm", X2x4, {"normalized_shape": []}, None, "normalized_shape", "empty_shape", {"last": 4}),
    ("rms_norm", X2x4, {"normalized_shape": [4], "eps": -1.0}, None, "eps", "below_minimum", {"got": -1.0, "low": 0}),
    ("rms_norm", np.zeros((2, 4)), {"normalized_shape": [4], "eps": 0.0}, None, "eps", "zero_mean_square",
     {"dtype": "float64"}),
    ("rms_norm", X2x4, {"normalized_shape": [4], "elementwise_affine": False, "gamma": [1.0] * 4}, None, "gamma",
     "given_but_off", {"switch": "elementwise_affine"}),
    ("dropout", X2x4, {"p": 1.5}, None, "p", "out_of_range", {"got": 1.5, "low": 0, "high": 1}),
    ("dropout", X2x4, {"p": "half"}, None, "p", "not_number", {"got": "'half'"}),
    ("dropout", X2x4, {"seed": -1}, None, "seed", "below_minimum", {"got": -1, "low": 0}),
    ("dropout", X2x4, {"variant": "channel"}, None, "variant", "channel_variant_rank", {"ndim": 2, "shape": [2, 4]}),
    ("dropout", X2x4, {"variant": "gaussian"}, None, "variant", "not_a_choice",
     {"got": "'gaussian'", "choices": ["element", "channel", "alpha"]}),
    ("dropout", X2x4, {"training": 1}, None, "training", "not_bool", {"got": "1"}),
    ("dropout", np.array([[1.0, np.inf]]), {}, None, "input", "not_finite", {"value": "inf", "index": [0, 1]}),
    ("dropout", np.array([1, 2, 3]), {}, None, "input", "bad_dtype", {"got": "int64"}),
    ("min_max", X2x4, {"dim": 5}, None, "dim", "dim_out_of_range", {"got": 5, "low": -2, "high": 1}),
    ("layer_norm", X2x4, {"normalized_shape": [4]}, np.ones((4, 2)), "grad_output", "bad_shape",
     {"want": [2, 4], "got": [4, 2]}),
    ("layer_norm", X2x4, {"normalized_shape": [4]}, np.full((2, 4), np.nan), "grad_output", "not_finite_array", {}),
    ("softmax", X2x4, {}, None, "layer", "unknown_layer", {"known": list(normlens.LAYERS), "got": "'softmax'"}),
]  # fmt: skip

# What PyTorch does with the same input where it refuses it: the error's `torch` must be its message, word for word.
# Every other case above has nothing to quote (PyTorch accepts the input, or refuses it elsewhere, not in these words).
TORCH: dict[str, Callable[[], Any]] = {
    "group_norm-not_divisible": lambda: nn.GroupNorm(3, 4)(torch.tensor(X2x4x3)),
    "group_norm-bad_rank": lambda: nn.GroupNorm(1, 4)(torch.ones(4)),
    "layer_norm-shape_mismatch": lambda: nn.LayerNorm([5])(torch.tensor(X2x4)),
    "batch_norm-bad_rank": lambda: nn.BatchNorm1d(3)(torch.ones(3)),
    "batch_norm-eps_not_positive": lambda: nn.BatchNorm1d(3, eps=0.0, dtype=torch.float64)(torch.tensor(X4x3)),
    "rms_norm-shape_mismatch-[2, 4, 4]": lambda: nn.RMSNorm([2, 4, 4])(torch.tensor(X2x4)),
    "rms_norm-shape_mismatch-[3]": lambda: nn.RMSNorm([3])(torch.tensor(X2x4)),
    "rms_norm-empty_shape": lambda: nn.RMSNorm([])(torch.tensor(X2x4)),
    "layer_norm-empty_shape": lambda: nn.LayerNorm([])(torch.tensor(X2x4)),
    "dropout-out_of_range": lambda: nn.Dropout(1.5),
    "min_max-dim_out_of_range": lambda: torch.tensor(X2x4).amin(dim=5),
    "instance_norm-module_rank": lambda: nn.InstanceNorm2d(4)(torch.tensor(X4x3)),
    "instance_norm-bad_rank": lambda: nn.InstanceNorm1d(3)(torch.ones(3)),
}


def _key(case: tuple) -> str:
    layer, _, params, _, _, code, _ = case
    shape = params.get("normalized_shape") if code == "shape_mismatch" and layer == "rms_norm" else None
    return f"{layer}-{code}" + (f"-{shape}" if shape is not None else "")


def raised(case: tuple) -> ArgumentError:
    layer, x, params, grad, *_ = case
    with np.errstate(all="ignore"), pytest.raises(ArgumentError) as info:
        normlens.trace(layer, x, grad_output=grad, **params)
    return info.value


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[5]}" for c in CASES])
def test_error_is_structured(case: tuple) -> None:
    *_, param, code, values = case
    e = raised(case)
    assert isinstance(e, ValueError)
    assert (e.param, e.code, e.values) == (param, code, values)
    # the neutral form: no words, the same numbers
    shown = ", ".join(f"{k}={v!r}" for k, v in e.values.items())
    assert str(e).startswith(f"{param}: {code}" + (f" ({shown})" if shown else ""))
    assert e.args == (str(e),)
    call = TORCH.get(_key(case))
    if call is None:
        assert e.torch is None, e.torch
    else:
        with pytest.raises((ValueError, RuntimeError, IndexError)) as theirs:
            call()
        assert e.torch == str(theirs.value)
        assert str(e).endswith(f"; PyTorch: {e.torch}")


def test_unbatched_input_is_no_error() -> None:
    """PyTorch's InstanceNorm1d takes 2D input as one unbatched (C, L) sample, and so does instance_norm."""
    y = nn.InstanceNorm1d(4)(torch.tensor(X4x3))
    tr = normlens.trace("instance_norm", X4x3)
    assert tr.output.shape == tuple(y.shape) == (4, 3) and tr.torch_class == "nn.InstanceNorm1d"


def test_every_layer_and_every_quote_is_covered() -> None:
    assert {c[0] for c in CASES} >= set(normlens.LAYERS)
    assert set(TORCH) <= {_key(c) for c in CASES}


def test_argument_error_is_structured_with_a_neutral_str() -> None:
    e = ArgumentError("eps", "eps_not_positive", got=0.0)
    assert (e.param, e.code, e.values, e.torch) == ("eps", "eps_not_positive", {"got": 0.0}, None)
    assert (str(e), e.args) == ("eps: eps_not_positive (got=0.0)", (str(e),))
    said = "batch_norm eps must be positive during training, but got 0.0"
    t = ArgumentError("eps", "eps_not_positive", said, got=0.0)
    assert t.torch == said and str(t) == f"eps: eps_not_positive (got=0.0); PyTorch: {said}"
    assert str(ArgumentError("running_var", "negative_variance")) == "running_var: negative_variance"
    assert isinstance(t, ValueError)


CONVERTED = ["__init__", "args", "grouped", "running", "batch_norm", "layer_norm", "rms_norm", "dropout", "min_max"]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("module", CONVERTED)
def test_no_unstructured_raise_and_no_words_are_left(module: str) -> None:
    source = (Path(normlens.__file__).parent / f"{module}.py").read_text(encoding="utf-8")
    assert "raise ValueError(" not in source
    assert not CJK.search(source)  # the Chinese words live in the app's lesson files
