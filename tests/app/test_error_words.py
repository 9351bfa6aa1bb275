"""Every layer's argument errors in English and Chinese (app/lessons/errors.toml and the layers' lesson files),
rendered by normlens.app.lessons.error_text: the same argument names and numbers in both languages, and PyTorch's
own sentence quoted exactly in both.

Moved here from the engine's tests (tests/core/test_errors_zh.py and the bad-input tests of test_batch_norm.py,
test_layer_norm.py, test_rms_norm.py), which now assert the structured error (param, code, values, torch).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import normlens
from normlens.app.lessons import error_text
from normlens.args import ArgumentError
from tests.app.words import CJK, HALF_WIDTH

X2x4x3 = np.arange(24, dtype=np.float64).reshape(2, 4, 3)
X4x3 = np.arange(12, dtype=np.float64).reshape(4, 3)
X2x4 = np.arange(8, dtype=np.float32).reshape(2, 4)
BIG32 = np.array([[3e38, 1.0], [-3e38, 2.0]], dtype=np.float32)
ONES23, ONES24 = np.ones((2, 3)), np.ones((2, 4))

# (layer, x, params, grad_output, a fragment of the English message)
CASES: list[tuple[str, Any, dict[str, Any], Any, str]] = [
    # from tests/core/test_errors_zh.py
    ("group_norm", X2x4x3, {"num_groups": 3}, None, "num_channels (4) must be divisible by num_groups (3)"),
    ("group_norm", np.ones(4), {"num_groups": 1}, None, "Expected at least 2 dimensions for input tensor"),
    ("group_norm", X2x4x3, {"num_groups": 0}, None, "num_groups must be >= 1, got 0"),
    ("group_norm", X2x4x3, {"num_groups": 2, "eps": 0.0}, None, "eps must be positive, got 0.0"),
    ("layer_norm", X2x4, {"normalized_shape": [5]}, None, "expected input with shape [*, 5]"),
    ("layer_norm", X2x4, {"normalized_shape": []}, None, "must name at least one axis, e.g. [4]"),
    ("layer_norm", X2x4, {"normalized_shape": "four"}, None, "list of positive integers such as [4]"),
    ("layer_norm", X2x4, {"normalized_shape": [4], "bias": False, "beta": [0.0] * 4}, None, "bias is false"),
    ("layer_norm", np.ones((1, 2, 1, 1, 1, 2)), {"normalized_shape": [2]}, None,
     "layer_norm accepts input of shape (*, *normalized_shape)"),  # was "1 to 5 axes"
    ("layer_norm", X2x4, {"normalized_shape": [4], "elementwise_affine": "yes"}, None, "must be true or false"),
    ("batch_norm", np.ones(3), {}, None, "expected 2D or 3D input (got 1D input)"),
    ("batch_norm", X4x3, {"gamma": [1.0, 2.0]}, None, "gamma must have 3 values (one per channel), got 2"),
    ("batch_norm", X4x3, {"gamma": [1.0, float("nan"), 2.0]}, None, "gamma must contain finite numbers only"),
    ("batch_norm", X4x3, {"running_var": [1.0, -1.0, 1.0]}, None, "running_var must be >= 0"),
    ("batch_norm", X4x3, {"eps": 0.0}, None, "batch_norm eps must be positive during training, but got 0.0"),
    ("batch_norm", X4x3, {"momentum": 1.5}, None, "momentum must be between 0 and 1"),
    ("batch_norm", X4x3, {"eps": "small"}, None, "eps must be a number"),
    # was "layout must be 'channels_first' or 'channels_last'"
    ("batch_norm", X4x3, {"layout": "nhwc"}, None, "layout must be one of [channels_first, channels_last], got 'nhwc'"),
    ("batch_norm", X4x3, {"num_features": 3}, None, "batch_norm has no argument 'num_features'"),
    ("batch_norm", X4x3, {"track_running_stats": False, "running_mean": [0.0] * 3}, None, "is false"),
    ("batch_norm", BIG32, {}, None, "overflows float32 for this input"),
    ("instance_norm", X4x3, {"module": "InstanceNorm2d"}, None,
     "module=InstanceNorm2d takes 3D input (one unbatched sample, channels first) or 4D input (a batch), got 2D input "
     "of shape [4, 3]"),
    ("instance_norm", np.ones(3), {}, None, "instance_norm accepts input of shape (C, L), (N, C, L), (N, C, H, W)"),
    ("instance_norm", X2x4x3, {"affine": False, "gamma": [1.0] * 4}, None, "gamma was given but affine is false"),
    ("rms_norm", X2x4, {"normalized_shape": [2, 4, 4]}, None, "Input tensor must have at least 3 dimensions"),
    # was "normalized_shape [3] must equal the input's last 1 axes"
    ("rms_norm", X2x4, {"normalized_shape": [3]}, None,
     "normalized_shape [3] must equal the input's last axes; use [4]"),
    ("rms_norm", X2x4, {"normalized_shape": []}, None, "Expected normalized_shape to be at least 1-dimensional"),
    # was "eps must be a finite number >= 0"
    ("rms_norm", X2x4, {"normalized_shape": [4], "eps": -1.0}, None, "eps must be >= 0, got -1.0"),
    ("rms_norm", np.zeros((2, 4)), {"normalized_shape": [4], "eps": 0.0}, None, "divides by zero with eps=0"),
    ("rms_norm", X2x4, {"normalized_shape": [4], "elementwise_affine": False, "gamma": [1.0] * 4}, None,
     "gamma was given but elementwise_affine is false"),
    ("dropout", X2x4, {"p": 1.5}, None, "dropout probability has to be between 0 and 1, but got 1.5"),
    # was "p must be a number between 0 and 1"
    ("dropout", X2x4, {"p": "half"}, None, "p must be a number, got 'half'"),
    ("dropout", X2x4, {"seed": -1}, None, "seed must be >= 0, got -1"),  # was "an integer from 0 to 4294967295"
    ("dropout", X2x4, {"variant": "channel"}, None, "use variant 'element' for other shapes"),
    ("dropout", X2x4, {"variant": "gaussian"}, None, "variant must be one of"),
    ("dropout", X2x4, {"training": 1}, None, "training must be true or false"),
    ("dropout", np.array([[1.0, np.inf]]), {}, None, "input contains inf at index [0, 1]"),
    ("dropout", np.array([1, 2, 3]), {}, None, "input must be float32 or float64, got int64"),
    ("min_max", X2x4, {"dim": 5}, None, "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    ("layer_norm", X2x4, {"normalized_shape": [4]}, np.ones((4, 2)), "grad_output must have the input's shape [2, 4]"),
    ("layer_norm", X2x4, {"normalized_shape": [4]}, np.full((2, 4), np.nan), "grad_output must contain finite"),
    ("softmax", X2x4, {}, None, "layer must be one of [batch_norm, layer_norm"),  # was "one of batch_norm"
    # from tests/core/test_batch_norm.py (test_bad_input_is_explained, test_bad_grad_output_and_overflow)
    ("batch_norm", np.ones((2, 3, 4, 4, 4, 4)), {}, None, "expected 5D input (got 6D input)"),
    ("batch_norm", ONES23, {"eps": 0.0}, None, "batch_norm eps must be positive during training, but got 0.0"),
    ("batch_norm", ONES23, {"eps": 0.0, "training": False}, None, "eps must be positive"),
    ("batch_norm", ONES23, {"momentum": 1.5}, None, "momentum must be between 0 and 1"),
    ("batch_norm", ONES23, {"momentum": "fast"}, None, "momentum must be a number"),
    ("batch_norm", ONES23, {"gamma": [1, 2]}, None, "gamma must have 3 values (one per channel), got 2"),
    ("batch_norm", ONES23, {"beta": [[1, 2, 3, 4]]}, None, "beta must have 3 values"),
    ("batch_norm", ONES23, {"running_mean": [1, 2, 3, 4, 5]}, None, "running_mean must have 3 values"),
    # was "running_var must be a list of numbers"
    ("batch_norm", ONES23, {"running_var": ["a", 1, 1]}, None, "running_var must be an array of numbers"),
    ("batch_norm", ONES23, {"affine": False, "gamma": [1, 1, 1]}, None, "gamma was given but affine is false"),
    ("batch_norm", ONES23, {"track_running_stats": False, "running_mean": [0, 0, 0]}, None,
     "running_mean was given but track_running_stats is false"),
    ("batch_norm", ONES23, {"training": "yes"}, None, "training must be true or false"),
    ("batch_norm", ONES23, {"layout": "NHWC"}, None, "layout must be"),
    ("batch_norm", ONES23, {"num_batches_tracked": -1}, None, "num_batches_tracked must be >= 0"),
    ("batch_norm", ONES23, {"momentun": 0.1}, None, "batch_norm has no argument 'momentun'"),
    ("batch_norm", np.array([[1.0, np.nan]]), {}, None, "only finite numbers"),
    ("batch_norm", np.ones((2, 3), np.int64), {}, None, "float32 or float64"),
    ("batch_norm", np.ones((2, 3), np.float32), {}, np.ones((3, 2)), "grad_output must have the input's shape"),
    ("batch_norm", np.array([[3e38, -3e38], [-3e38, 3e38]], np.float32), {}, None,
     "variance overflows float32 for this input (the result is not finite). Use dtype float64"),
    ("batch_norm", np.array([[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]], np.float32), {"gamma": [3e38, 1]}, None,
     "output overflows float32"),
    # from tests/core/test_layer_norm.py (test_bad_input_is_explained)
    ("layer_norm", ONES24, {"normalized_shape": [5]}, None,
     "Given normalized_shape=[5], expected input with shape [*, 5], but got input of size[2, 4]"),
    ("layer_norm", ONES24, {"normalized_shape": [2, 2, 4]}, None, "normalized_shape [2, 2, 4] must equal"),
    ("layer_norm", ONES24, {"normalized_shape": [0]}, None, "positive integers"),
    ("layer_norm", ONES24, {"normalized_shape": []}, None, "at least one axis"),
    ("layer_norm", ONES24, {"eps": 0}, None, "eps must be positive"),
    ("layer_norm", ONES24, {"gamma": [1, 2, 3]}, None, "gamma must have 4 values (one per normalized element)"),
    ("layer_norm", ONES24, {"bias": False, "beta": [0, 0, 0, 0]}, None, "beta was given but bias is false"),
    ("layer_norm", np.ones((1, 1, 1, 1, 1, 2)), {}, None,
     "got 6D input of shape [1, 1, 1, 1, 1, 2]"),  # was "1 to 5 axes"
    ("group_norm", np.ones((2, 4, 3)), {"num_groups": 3}, None,
     "num_channels (4) must be divisible by num_groups (3)"),
    ("group_norm", np.ones((2, 4, 3)), {"num_groups": 0}, None, "num_groups must be >= 1"),
    ("group_norm", np.ones((2, 4, 3)), {"num_groups": 2.5}, None, "num_groups must be a whole number"),
    ("group_norm", np.ones(4), {}, None, "Expected at least 2 dimensions"),
    ("group_norm", np.ones((2, 4)), {"beta": [1, 2]}, None, "beta must have 4 values (one per channel)"),
    # was "expected 2D or 3D input (got 2D input)", which PyTorch never says: InstanceNorm1d takes 2D input unbatched,
    # InstanceNorm3d takes 4D or 5D input
    ("instance_norm", ONES24, {"module": "InstanceNorm3d"}, None, "(PyTorch: expected 4D or 5D input (got 2D input))"),
    ("instance_norm", ONES24, {"module": "2d"}, None,
     "module must be one of [auto, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d], got '2d'"),
    ("instance_norm", np.ones((2, 4, 3)), {"momentum": -0.1}, None, "momentum must be between 0 and 1"),
    ("instance_norm", np.ones((2, 4, 3)), {"gamma": [1, 1, 1, 1]}, None, "gamma was given but affine is false"),
    ("instance_norm", np.ones((2, 4, 3)), {"track_running_stats": True, "running_var": [1, 1, 1]}, None,
     "running_var must have 4 values"),
    ("instance_norm", np.ones((2, 4, 3)), {"eps": -1.0}, None, "eps must be positive"),
    # from tests/core/test_rms_norm.py (test_bad_input_raises)
    ("rms_norm", np.ones((2, 3), np.int64), {}, None, "input must be float32 or float64"),
    # was "1 to 5 axes"
    ("rms_norm", np.ones((1,) * 6), {}, None, "rms_norm accepts input of shape (*, *normalized_shape)"),
    ("rms_norm", np.array([[1.0, np.nan]]), {}, None, "input contains nan"),
    ("rms_norm", ONES23, {"normalized_shape": [0]}, None, "positive integers"),
    ("rms_norm", ONES23, {"normalized_shape": "3"}, None, "positive integers"),
    ("rms_norm", ONES23, {"normalized_shape": [True]}, None, "positive integers"),
    ("rms_norm", ONES23, {"eps": -1.0}, None, "eps must be >= 0, got -1.0"),  # was "a finite number >= 0"
    ("rms_norm", ONES23, {"eps": float("inf")}, None, "eps must be a finite number, got inf"),  # was "... >= 0"
    ("rms_norm", ONES23, {"eps": "small"}, None, "eps must be a number"),
    ("rms_norm", ONES23, {"eps": True}, None, "eps must be a number"),
    ("rms_norm", ONES23, {"elementwise_affine": "yes"}, None, "elementwise_affine must be true or false"),
    ("rms_norm", ONES23, {"gamma": [1.0, 2.0]}, None, "gamma must have 3 values"),
    ("rms_norm", ONES23, {"gamma": [1.0, np.inf, 1.0]}, None, "gamma must contain finite numbers"),
    ("rms_norm", ONES23, {"gamma": [1.0] * 3, "elementwise_affine": False}, None, "elementwise_affine is false"),
    ("rms_norm", ONES23, {"weight": [1.0] * 3}, None, "rms_norm has no argument 'weight'"),
    ("rms_norm", ONES23, {}, np.ones((3, 2)), "grad_output must have the input's shape [2, 3]"),
    ("rms_norm", ONES23, {}, np.full((2, 3), np.nan), "grad_output must contain finite numbers"),
    ("rms_norm", ONES23, {}, [["a"] * 3] * 2, "grad_output must be an array of numbers"),
    ("rms_norm", np.array([[0.0, 0.0], [1.0, 2.0]]), {"eps": 0.0}, None, "divides by zero with eps=0"),
    ("rms_norm", np.full((2, 3), 1e20, np.float32), {}, None, "x^2 overflows float32 for this input"),
    ("rms_norm", np.ones((2, 4), np.float32), {"normalized_shape": [3, 4]}, None,
     "Given normalized_shape=[3, 4], expected input with shape [*3, 4], but got input of size[2, 4]"),
]  # fmt: skip


def _id(case: tuple[str, Any, dict[str, Any], Any, str]) -> str:
    return f"{case[0]}-{case[4][:40]}"


NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def worded(layer: str, x: Any, params: dict[str, Any], grad: Any) -> tuple[ArgumentError, Any]:
    with np.errstate(all="ignore"), pytest.raises(ArgumentError) as info:
        normlens.trace(layer, x, grad_output=grad, **params)
    return info.value, error_text(info.value, layer if layer in normlens.LAYERS else None)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_error_is_bilingual(case: tuple[str, Any, dict[str, Any], Any, str]) -> None:
    layer, x, params, grad, fragment = case
    e, text = worded(layer, x, params, grad)
    assert fragment in text.en, text.en
    assert CJK.search(text.zh) and not CJK.search(text.en), text
    assert "${" not in text.en + text.zh
    missing = [n for n in NUMBER.findall(text.en) if n not in text.zh]
    assert not missing, (missing, text.en, text.zh)
    # the argument named in English is named in Chinese too
    assert e.param in text.en and e.param in text.zh or e.param == "input"
    # PyTorch's own sentence is quoted verbatim in both languages, and nothing else claims to be PyTorch's
    if e.torch:
        assert text.en.endswith(f" (PyTorch: {e.torch})") and text.zh.endswith(f"（PyTorch 报错：{e.torch}）")
        assert not HALF_WIDTH.search(text.zh.removesuffix(f"（PyTorch 报错：{e.torch}）")), text.zh
    else:
        assert "(PyTorch:" not in text.en and "PyTorch 报错" not in text.zh
        assert not HALF_WIDTH.search(text.zh), text.zh


def test_every_layer_is_covered() -> None:
    assert {c[0] for c in CASES} >= set(normlens.LAYERS)


def test_argument_error_renders_in_both_languages() -> None:
    """Moved from tests/core/test_errors_zh.py (test_argument_error_keeps_english_as_str)."""
    text = error_text(ArgumentError("eps", "eps_not_positive", got=0.0))
    assert text.en.startswith("eps must be positive, got 0.0")
    assert text.zh.startswith("eps 必须为正数，实际为 0.0")
    said = "batch_norm eps must be positive during training, but got 0.0"
    text = error_text(ArgumentError("eps", "eps_not_positive", said, got=0.0), "batch_norm")
    assert text.en.endswith(f" (PyTorch: {said})") and text.zh.endswith(f"（PyTorch 报错：{said}）")


@pytest.mark.parametrize(
    ("layer", "per_en", "per_zh"),
    [("batch_norm", "channel", "通道"), ("layer_norm", "normalized element", "被归一化的元素"),
     ("group_norm", "channel", "通道"), ("instance_norm", "channel", "通道"),
     ("rms_norm", "normalized element", "被归一化的元素")],
)  # fmt: skip
def test_bad_length_says_what_one_value_is_per(layer, per_en, per_zh) -> None:
    text = error_text(ArgumentError("gamma", "bad_length", want=4, got=3), layer)
    assert text.en == f"gamma must have 4 values (one per {per_en}), got 3"
    assert text.zh == f"gamma 必须有 4 个值（每个{per_zh}一个），实际有 3 个"
