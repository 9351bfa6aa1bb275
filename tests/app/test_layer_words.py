"""The words of the normalization layers (app/lessons/normalize.toml, batch_norm.toml, layer_norm.toml,
rms_norm.toml) rendered with live numbers: every step of every layer and mode in both languages, the wordings the
lessons promise (moved here from the engine's tests), notices, and each layer's description.

The numbers behind these words are asserted in tests/core (step scalars, variants, notice values).
"""

from __future__ import annotations

import latex2mathml.converter
import numpy as np
import pytest
import torch
from torch import nn

import normlens
from normlens.app.lessons import Text, layer_json, lessons, notice_text
from normlens.app.step_words import step_words
from normlens.rms_norm import rms_norm
from tests.app.words import CJK, check_text, words
from tests.core.test_trace import NORM_LAYERS, TRACES

# ASCII punctuation touching a Chinese character: should be full-width inside Chinese sentences


def _more_traces():
    """Modes TRACES (tests/core/test_trace.py) leaves out: RMSNorm, the cumulative and frozen running updates,
    a batch of one, no gamma in the backward pass."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 2, 2)).astype(np.float32)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    yield normlens.trace("rms_norm", x, grad_output=dy)
    yield normlens.trace("rms_norm", x[0], grad_output=dy[0], normalized_shape=[2, 2], elementwise_affine=False)
    yield normlens.trace("rms_norm", x[0, 0, 0], grad_output=dy[0, 0, 0], gamma=[2.0, 0.5])
    yield normlens.trace("batch_norm", x, grad_output=dy, momentum=None, num_batches_tracked=4)
    yield normlens.trace("batch_norm", x[:1, :, 0, 0], grad_output=dy[:1, :, 0, 0], beta=[1.0, 0.0, 0.0, 2.0])
    yield normlens.trace("instance_norm", x, grad_output=dy, track_running_stats=True, momentum=None)
    yield normlens.trace("instance_norm", x[0], grad_output=dy[0], module="InstanceNorm2d", track_running_stats=True)
    yield normlens.trace("instance_norm", x[0, :, 0], grad_output=dy[0, :, 0], affine=True, momentum=None,
                         track_running_stats=True)  # fmt: skip
    yield normlens.trace("layer_norm", x, grad_output=dy, elementwise_affine=False, gamma=None)
    yield normlens.trace("group_norm", x, grad_output=dy, num_groups=4, gamma=[1.0, 2.0, 3.0, 4.0])


ALL = TRACES + list(_more_traces())


@pytest.mark.parametrize("tr", ALL, ids=lambda t: t.layer)
def test_every_step_renders_in_both_languages(tr):
    for s in tr.steps:
        w = step_words(tr, s)
        for text in (w["title"], w["explanation"]):
            check_text(text)
        latex2mathml.converter.convert(w["formula"])  # every formula renders
        assert w["formula"] and "${" not in w["formula"] and "\\boldsymbol" not in w["formula"], s.id
        assert not CJK.search(w["formula"])


@pytest.mark.parametrize("tr", ALL, ids=lambda t: t.layer)
def test_every_variant_has_its_own_wording(tr):
    """A variant the engine emits has a table of its own (the layer's or the shared one): no silent fallback to
    the plain wording, which would say something false (e.g. "each group now averages 0" in evaluation)."""
    for s in tr.steps:
        if s.variant:
            own = lessons().layer(tr.layer).get("steps", {}).get(s.id, {})
            shared = lessons().tree.get("steps", {}).get(s.id, {})
            assert s.variant in own or s.variant in shared, (s.id, s.variant)


def test_batch_norm_words_carry_the_live_numbers():
    """Moved from tests/core/test_batch_norm.py (test_steps_training_and_eval, test_trace_metadata)."""
    x = np.random.default_rng(1).standard_normal((4, 3, 2, 2)).astype(np.float32)
    dy = np.ones_like(x)
    tr = normlens.trace("batch_norm", x, grad_output=dy)
    grouping = words(tr, "grouping")["explanation"]
    assert "m = N · H · W = 4 · 2 · 2 = 16" in grouping.en and "m = N · H · W = 4 · 2 · 2 = 16" in grouping.zh
    assert "3 channels" in grouping.en and "共 3 个通道" in grouping.zh
    ev = normlens.trace("batch_norm", x, grad_output=dy, training=False, affine=False)
    assert "running" in words(ev, "mean")["explanation"].en and "滑动均值" in words(ev, "mean")["explanation"].zh
    assert "running" in words(ev, "mean")["title"].en
    assert "running" not in words(tr, "mean")["explanation"].en
    assert (
        "running_var" in words(ev, "dinput")["explanation"].en and "ε = 1e-05" in words(ev, "dinput")["explanation"].en
    )
    x3 = np.zeros((2, 3, 4), np.float64) + np.arange(4)
    tr = normlens.trace("batch_norm", x3, momentum=None, num_batches_tracked=4)
    for sid in ("running_mean", "running_var"):
        text = words(tr, sid)["explanation"]
        assert "1/5" in text.en and "1/5" in text.zh, sid
    assert "m = 8" in words(tr, "running_var")["explanation"].en
    assert words(tr, "grouping")["formula"] == "g(n,c,l) = c"


def test_group_norm_grouping_text_and_formula():
    """Moved from tests/core/test_layer_norm.py (test_group_norm_grouping_ids_and_text)."""
    x = np.zeros((2, 6, 2, 2), np.float32) + np.arange(6, dtype=np.float32)[:, None, None]
    tr = normlens.trace("group_norm", x, num_groups=3)
    w = words(tr, "grouping")
    assert "m = 2 · 2 · 2 = 8" in w["explanation"].en and "m = 2 · 2 · 2 = 8" in w["explanation"].zh
    assert "G = 3" in w["explanation"].en and "C/G = 2" in w["explanation"].en
    assert "\\lfloor c / 2 \\rfloor" in w["formula"]


def test_unbatched_instance_norm_words():
    """One (C, H, W) sample: grouped per channel, C groups, no N; the running statistics move without a batch
    average."""
    x = np.random.default_rng(2).standard_normal((3, 2, 4))
    tr = normlens.trace("instance_norm", x, module="InstanceNorm2d", track_running_stats=True)
    w = words(tr, "grouping")
    assert "one unbatched sample" in w["explanation"].en and "C = 3 groups" in w["explanation"].en
    assert "不带批维度的单个样本" in w["explanation"].zh and "共 C = 3 组" in w["explanation"].zh
    assert "m = 2 · 4 = 8" in w["explanation"].en and "N" not in w["explanation"].en.replace("InstanceNorm", "")
    assert w["formula"] == "g(c,h,w) = c"
    for sid in ("running_mean", "running_var"):
        text = words(tr, sid)["explanation"]
        assert "directly" in text.en and "直接" in text.zh and "N samples" not in text.en, sid
    assert words(tr, "input")["explanation"].en.startswith("x has shape (C, H, W) = [3, 2, 4]")


def test_rms_norm_words():
    """Moved from tests/core/test_rms_norm.py (test_steps_grouping_and_counts, test_warnings)."""
    x = np.arange(1, 25, dtype=np.float64).reshape(2, 3, 4)
    t = rms_norm(x, np.ones_like(x), normalized_shape=[4])
    for s in t.steps:
        w = step_words(t, s)
        assert w["title"].en and w["title"].zh and w["explanation"].en and w["explanation"].zh and w["formula"]
        assert r"\boldsymbol" not in w["formula"]
    text = words(t, "input")["explanation"]
    assert "2 groups" not in text.en and "6 groups" in text.en and "6 个组" in text.zh
    x = np.array([[1e-5, -1e-5, 2e-5], [1.0, 2.0, 3.0]], np.float32)
    tr = rms_norm(x, eps=1e-3)
    text = notice_text(tr, tr.notices[0])
    check_text(text)
    assert "1 of 2 groups" in text.en and "2 个组中有 1 个" in text.zh and "ε = 0.001" in text.en


@pytest.mark.parametrize(
    ("layer", "x", "params", "code"),
    [
        ("batch_norm", np.array([[1.0, 2.0, 3.0, 4.0]], np.float32), {}, "one_value_per_channel"),
        ("layer_norm", np.ones((3, 1)), {}, "one_value_per_group"),
        ("group_norm", np.ones((2, 2, 1)), {"num_groups": 2}, "one_value_per_group"),
        ("instance_norm", np.ones((2, 4, 1), np.float32), {}, "one_spatial_element"),
        ("rms_norm", np.array([[1e-5, 2e-5]], np.float32), {"eps": 1e-3}, "eps_dominates"),
        ("rms_norm", np.ones((3, 1)), {}, "single_value_groups"),
        ("batch_norm", np.array([[1e4, 2e4], [1e4 + 0.5, 2e4 - 1]], np.float32), {}, "coarse_float32"),
    ],
)
def test_notices_are_worded_in_both_languages(layer, x, params, code):
    tr = normlens.trace(layer, x, **params)
    (notice,) = tr.notices
    assert notice.code == code
    check_text(notice_text(tr, notice))


def test_one_value_per_channel_notice_and_torchs_own_message():
    x = np.array([[1.0, 2.0, 3.0, 4.0]], np.float32)
    with pytest.raises(ValueError) as err:
        nn.BatchNorm1d(4)(torch.tensor(x))
    tr = normlens.trace("batch_norm", x)
    (notice,) = tr.notices
    assert notice.torch_error == str(err.value)  # PyTorch's words stay a quote: they are not in the lesson files
    text = notice_text(tr, notice)
    assert "(m = 1)" in text.en and "（m = 1）" in text.zh and str(err.value) not in text.en


@pytest.mark.parametrize("name", [*NORM_LAYERS, "rms_norm"])
def test_layers_and_their_arguments_are_described(name):
    """Moved from tests/core/test_trace.py (test_specs_describe_every_argument) and tests/core/test_rms_norm.py
    (test_spec_is_complete)."""
    d = layer_json(normlens.LAYERS[name])
    for key in ("title", "description", "input_layout"):
        assert d[key]["en"] and CJK.search(d[key]["zh"]), key
    check_text(Text.of(d["description"]))
    for p in d["params"]:
        assert p["description"]["en"] and CJK.search(p["description"]["zh"]), p["name"]
        check_text(Text.of(p["description"]))
    if name == "rms_norm":
        assert "LLaMA" in d["description"]["en"] and "LLaMA" in d["description"]["zh"]
