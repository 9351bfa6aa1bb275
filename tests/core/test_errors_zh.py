"""Every layer's argument errors come in both languages: str(e) is the English message (unchanged, PyTorch's own
words quoted exactly) and e.zh the Chinese one, with the same argument names and numbers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import normlens
from normlens.checks import ArgumentError

X2x4x3 = np.arange(24, dtype=np.float64).reshape(2, 4, 3)
X4x3 = np.arange(12, dtype=np.float64).reshape(4, 3)
X2x4 = np.arange(8, dtype=np.float32).reshape(2, 4)
BIG32 = np.array([[3e38, 1.0], [-3e38, 2.0]], dtype=np.float32)

# (layer, x, params, grad_output, a fragment of the English message)
CASES: list[tuple[str, Any, dict[str, Any], Any, str]] = [
    ("group_norm", X2x4x3, {"num_groups": 3}, None, "num_channels (4) must be divisible by num_groups (3)"),
    ("group_norm", np.ones(4), {"num_groups": 1}, None, "Expected at least 2 dimensions for input tensor"),
    ("group_norm", X2x4x3, {"num_groups": 0}, None, "num_groups must be >= 1, got 0"),
    ("group_norm", X2x4x3, {"num_groups": 2, "eps": 0.0}, None, "eps must be positive, got 0.0"),
    ("layer_norm", X2x4, {"normalized_shape": [5]}, None, "expected input with shape [*, 5]"),
    ("layer_norm", X2x4, {"normalized_shape": []}, None, "must name at least one axis, e.g. [4]"),
    ("layer_norm", X2x4, {"normalized_shape": "four"}, None, "list of positive integers such as [4]"),
    ("layer_norm", X2x4, {"normalized_shape": [4], "bias": False, "beta": [0.0] * 4}, None, "bias is false"),
    ("layer_norm", np.ones((1, 2, 1, 1, 1, 2)), {"normalized_shape": [2]}, None, "1 to 5 axes"),
    ("layer_norm", X2x4, {"normalized_shape": [4], "elementwise_affine": "yes"}, None, "must be true or false"),
    ("batch_norm", np.ones(3), {}, None, "expected 2D or 3D input (got 1D input)"),
    ("batch_norm", X4x3, {"gamma": [1.0, 2.0]}, None, "gamma must have 3 values (one per channel), got 2"),
    ("batch_norm", X4x3, {"gamma": [1.0, float("nan"), 2.0]}, None, "gamma must contain finite numbers only"),
    ("batch_norm", X4x3, {"running_var": [1.0, -1.0, 1.0]}, None, "running_var must be >= 0"),
    ("batch_norm", X4x3, {"eps": 0.0}, None, "batch_norm eps must be positive during training, but got 0.0"),
    ("batch_norm", X4x3, {"momentum": 1.5}, None, "momentum must be between 0 and 1"),
    ("batch_norm", X4x3, {"eps": "small"}, None, "eps must be a number"),
    ("batch_norm", X4x3, {"layout": "nhwc"}, None, "layout must be 'channels_first' or 'channels_last'"),
    ("batch_norm", X4x3, {"num_features": 3}, None, "batch_norm has no argument 'num_features'"),
    ("batch_norm", X4x3, {"track_running_stats": False, "running_mean": [0.0] * 3}, None, "is false"),
    ("batch_norm", BIG32, {}, None, "overflows float32 for this input"),
    ("instance_norm", X4x3, {}, None, "add the batch axis, shape [1, 4, 3]"),
    ("instance_norm", X2x4x3, {"affine": False, "gamma": [1.0] * 4}, None, "gamma was given but affine is false"),
    ("rms_norm", X2x4, {"normalized_shape": [2, 4, 4]}, None, "Input tensor must have at least 3 dimensions"),
    ("rms_norm", X2x4, {"normalized_shape": [3]}, None, "normalized_shape [3] must equal the input's last 1 axes"),
    ("rms_norm", X2x4, {"normalized_shape": []}, None, "Expected normalized_shape to be at least 1-dimensional"),
    ("rms_norm", X2x4, {"normalized_shape": [4], "eps": -1.0}, None, "eps must be a finite number >= 0"),
    ("rms_norm", np.zeros((2, 4)), {"normalized_shape": [4], "eps": 0.0}, None, "divides by zero with eps=0"),
    (
        "rms_norm",
        X2x4,
        {"normalized_shape": [4], "elementwise_affine": False, "gamma": [1.0] * 4},
        None,
        "gamma was given but elementwise_affine is false",
    ),
    ("dropout", X2x4, {"p": 1.5}, None, "dropout probability has to be between 0 and 1, but got 1.5"),
    ("dropout", X2x4, {"p": "half"}, None, "p must be a number between 0 and 1"),
    ("dropout", X2x4, {"seed": -1}, None, "seed must be an integer from 0 to 4294967295"),
    ("dropout", X2x4, {"variant": "channel"}, None, "use variant 'element' for other shapes"),
    ("dropout", X2x4, {"variant": "gaussian"}, None, "variant must be one of"),
    ("dropout", X2x4, {"training": 1}, None, "training must be true or false"),
    ("dropout", np.array([[1.0, np.inf]]), {}, None, "input contains inf at index [0, 1]"),
    ("dropout", np.array([1, 2, 3]), {}, None, "input must be float32 or float64, got int64"),
    ("layer_norm", X2x4, {"normalized_shape": [4]}, np.ones((4, 2)), "grad_output must have the input's shape [2, 4]"),
    ("layer_norm", X2x4, {"normalized_shape": [4]}, np.full((2, 4), np.nan), "grad_output must contain finite"),
    ("softmax", X2x4, {}, None, "layer must be one of batch_norm"),
]


def _id(case: tuple[str, Any, dict[str, Any], Any, str]) -> str:
    return f"{case[0]}-{case[4][:40]}"


CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_error_is_bilingual(case: tuple[str, Any, dict[str, Any], Any, str]) -> None:
    layer, x, params, grad, fragment = case
    with np.errstate(all="ignore"), pytest.raises(ArgumentError) as info:
        normlens.trace(layer, x, grad_output=grad, **params)
    e = info.value
    assert isinstance(e, ValueError)
    en = str(e)
    assert fragment in en
    assert CJK.search(e.zh), e.zh
    missing = [n for n in NUMBER.findall(en) if n not in e.zh]
    assert not missing, (missing, en, e.zh)
    # PyTorch's own sentence is quoted verbatim inside the Chinese one too
    torch_part = re.search(r"\(PyTorch[^:]*: (.*)\)$", en)
    if torch_part:
        assert torch_part.group(1) in e.zh


def test_every_layer_is_covered() -> None:
    assert {c[0] for c in CASES} >= set(normlens.LAYERS)


def test_argument_error_keeps_english_as_str() -> None:
    e = ArgumentError("eps must be positive, got 0.0", "eps 必须为正数，实际为 0.0")
    assert (str(e), e.zh, e.args) == ("eps must be positive, got 0.0", "eps 必须为正数，实际为 0.0", (str(e),))


CONVERTED = ["__init__", "checks", "normalize", "batch_norm", "layer_norm", "rms_norm", "dropout"]


@pytest.mark.parametrize("module", CONVERTED)
def test_no_english_only_raise_is_left(module: str) -> None:
    source = (Path(normlens.__file__).parent / f"{module}.py").read_text(encoding="utf-8")
    assert "raise ValueError(" not in source
