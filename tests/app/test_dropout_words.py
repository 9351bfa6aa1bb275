"""Dropout's words (app/lessons/dropout.toml) rendered with live numbers: every step of every variant in both
languages, the wordings the lesson promises, notices and errors, and the layer's own description."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from latex2mathml.converter import convert

import normlens
from normlens.app.lessons import Text, error_text, layer_json, lessons, notice_text
from normlens.app.step_words import step_words
from normlens.args import ArgumentError
from normlens.dropout import SPEC, alpha_coefficients
from tests.app.words import CJK, check_text, words

# ASCII punctuation touching a Chinese character: should be full-width inside Chinese sentences
SHAPES = {"element": (2, 3, 4), "channel": (2, 3, 2, 2), "alpha": (3, 5)}
VARIANTS = list(SHAPES)


def trace(variant: str, **params):
    x = np.random.default_rng(1).standard_normal(SHAPES[variant]).astype(np.float32)
    return normlens.trace("dropout", x, np.ones_like(x), variant=variant, **params)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
@pytest.mark.parametrize("training", [True, False])
def test_every_step_renders_in_both_languages(variant, p, training):
    t = trace(variant, p=p, training=training, seed=2)
    own = lessons().layer("dropout")["steps"]
    for s in t.steps:
        if s.variant:  # a variant core emits has its own table: no silent fallback to the plain wording
            assert s.variant in own[s.id], (s.id, s.variant)
        w = step_words(t, s)
        check_text(w["title"])
        check_text(w["explanation"])
        assert w["formula"] and "${" not in w["formula"] and r"\boldsymbol" not in w["formula"]
        assert not CJK.search(w["formula"])
        assert "<mtext>" + w["formula"] not in convert(w["formula"])  # latex2mathml reads it: no fallback


def test_every_lesson_table_is_reached_by_some_trace():
    """No dead wording: every step table and variant in the lesson file is what some trace renders."""
    reached = set()
    for variant in VARIANTS:
        for p in (0.5, 1.0):
            for training in (True, False):
                reached |= {(s.id, s.variant) for s in trace(variant, p=p, training=training).steps}
    own = lessons().layer("dropout")["steps"]
    tables = {(sid, "") for sid in own}
    tables |= {(sid, v) for sid, t in own.items() for v, sub in t.items() if isinstance(sub, dict) and "text" in sub}
    assert tables == reached


def test_evaluation_says_dropout_does_nothing_at_test_time():
    for p, scale in [(0.5, "2"), (0.2, "1.25")]:
        out = words(trace("element", p=p, training=False), "output")
        assert "test time dropout does nothing" in out["explanation"].en
        assert f"1/(1-p) = {scale} " in out["explanation"].en and f"1/(1-p) = {scale} " in out["explanation"].zh
        assert "推理（eval 模式）" in out["explanation"].zh and "什么都不做" in out["explanation"].zh
        assert out["title"].en == "Output (identity)" and out["formula"] == r"\mathbf{y} = \mathbf{x}"
    one = words(trace("element", p=1.0, training=False), "output")
    assert "test time dropout does nothing" in one["explanation"].en
    assert "1/(1-p) = ∞" in one["explanation"].en and "1/(1-p) = ∞" in one["explanation"].zh
    t = trace("alpha", p=0.5, training=False)
    assert "evaluation mode with p = 0.5" in words(t, "input")["explanation"].en
    assert "推理（eval 模式），p = 0.5" in words(t, "input")["explanation"].zh
    assert words(t, "dinput")["explanation"].en == "The identity passes the gradient through unchanged."


@pytest.mark.parametrize("variant", ["element", "channel"])
def test_training_words_carry_the_live_numbers(variant):
    t = trace(variant, p=0.5, seed=1)
    x = t.step("input").values
    mask = words(t, "mask")["explanation"]
    if variant == "element":
        kept = int(t.step("mask").values.sum())
        assert f"{kept} of {x.size} kept ({100 * kept / x.size:.0f}%, expected 50%)" in mask.en
        assert f"{x.size} 个中保留 {kept} 个（{100 * kept / x.size:.0f}%，期望 50%）" in mask.zh
    else:
        kept, maps = int(t.step("mask").values[:, :, 0, 0].sum()), 6
        assert f"broadcast over the 4 spatial values: {kept} of {maps} feature maps kept" in mask.en
        assert f"{maps} 张特征图中保留 {kept} 张" in mask.zh
        assert words(t, "mask")["formula"] == r"m_{n,c} \sim \mathrm{Bernoulli}(0.5), \quad m_{n,c,\dots} = m_{n,c}"
    assert "numpy.random.default_rng(1)" in mask.en and "numpy.random.default_rng(1)" in mask.zh
    out = words(t, "output")
    assert "1/(1-p) = 2" in out["explanation"].en and "1/(1-p) = 2" in out["explanation"].zh
    assert "inverted dropout" in out["explanation"].en and "反向随机失活（inverted dropout）" in out["explanation"].zh
    assert out["formula"] == r"y_i = \frac{x_i \, m_i}{1 - p} = \frac{x_i \, m_i}{0.5}"
    assert "1/(1-p) = 2;" in words(t, "dinput")["explanation"].en
    assert (
        words(t, "input")["explanation"].en
        == f"x has shape ({t.notation['names']}) = {list(x.shape)}, {x.size} values; training mode with p = 0.5."
    )


def test_alpha_words_show_a_and_b():
    t = trace("alpha", p=0.5, seed=1)
    a, b = alpha_coefficients(0.5)
    out = words(t, "output")
    assert (
        f"a = {a:.4f} and b = {b:.4f}" in out["explanation"].en and f"a = {a:.4f}、b = {b:.4f}" in out["explanation"].zh
    )
    assert out["formula"].endswith(f"= {a:.4f}, \\quad b = -a a' p = {b:.4f}")
    assert (
        "a' = -1.7581" in words(t, "saturated")["formula"] and "a' = -1.7581" in words(t, "saturated")["explanation"].zh
    )
    assert f"scaled by a = {a:.4f}" in words(t, "dinput")["explanation"].en


@pytest.mark.parametrize("variant", VARIANTS)
def test_p_one_says_nothing_is_rescaled(variant):
    t = trace(variant, p=1.0)
    out = words(t, "output")
    assert out["formula"] == r"y_i = x_i \cdot 0" and out["title"].en == "Output (no rescaling)"
    assert "x * 0" in out["explanation"].en and "x * 0" in out["explanation"].zh
    assert words(t, "dinput")["formula"] == r"\frac{\partial L}{\partial x_i} = 0"
    assert t.notices[0].code == "all_dropped"
    for notice in t.notices:  # a small alpha input may also not look standardized
        check_text(notice_text(t, notice))
    text = notice_text(t, t.notices[0])
    assert text.en.startswith("p = 1 drops every value") and "1/(1-p)" in text.zh


def test_alpha_notice_reports_the_input_statistics():
    x = np.random.default_rng(0).standard_normal((10, 10)) + 3
    t = normlens.trace("dropout", x, variant="alpha")
    text = notice_text(t, t.notices[0])
    check_text(text)
    mean, std = float(x.mean()), float(x.std())
    assert f"mean {mean:.3g} and std {std:.3g}" in text.en and f"均值为 {mean:.3g}，标准差为 {std:.3g}" in text.zh


def refused(x, **params) -> ArgumentError:
    with pytest.raises(ArgumentError) as e:
        normlens.trace("dropout", x, **params)
    return e.value


@pytest.mark.parametrize("p", [1.5, -0.1, 2])
def test_bad_p_quotes_torch_in_both_languages(p):
    with pytest.raises(ValueError) as theirs:
        torch.nn.Dropout(p)
    text = error_text(refused(np.ones(3), p=p), "dropout")
    check_text(text)
    assert text.en == f"p must be between 0 and 1, got {float(p)} (PyTorch: {theirs.value})"
    assert text.zh.endswith(f"（PyTorch 报错：{theirs.value}）") and str(theirs.value) == (
        f"dropout probability has to be between 0 and 1, but got {p}"
    )


@pytest.mark.parametrize(
    ("x", "params", "en"),
    [
        (np.ones(3), {"p": float("nan")}, "p must be between 0 and 1, got nan"),
        (np.ones(3), {"p": "0.5"}, "p must be a number, got '0.5'"),
        (np.ones(3), {"p": True}, "p must be a number, got True"),
        (np.ones(3), {"training": "yes"}, "training must be true or false, got 'yes'"),
        (np.ones(3), {"seed": -1}, "seed must be >= 0, got -1"),
        (np.ones(3), {"seed": 2**32}, "seed must be between 0 and 4294967295, got 4294967296"),
        (np.ones(3), {"seed": 1.5}, "seed must be a whole number >= 0, got 1.5"),
        (np.ones(3), {"variant": "spatial"}, "variant must be one of [element, channel, alpha], got 'spatial'"),
        (
            np.ones((2, 3)),
            {"variant": "channel"},
            "variant 'channel' (nn.Dropout1d/2d/3d) needs input of shape (N, C, L), (N, C, H, W) or (N, C, D, H, W), "
            "got 2D input of shape [2, 3]; use variant 'element' for other shapes",
        ),
        (np.ones((1,) * 6), {}, "dropout accepts input of shape 1 to 5 axes of any size for element and alpha"),
        (np.ones(3), {"rate": 0.5}, "dropout has no argument 'rate'; its arguments are [p, seed, training, variant]"),
        (np.full(3, 3e38, np.float32), {"seed": 1}, "output overflows float32 for this input"),
    ],
)
def test_errors_are_worded_in_both_languages(x, params, en):
    text = error_text(refused(x, **params), "dropout")
    check_text(text)
    assert text.en.startswith(en) and "PyTorch" not in text.en


def test_layer_words():
    d = layer_json(SPEC)
    for key in ("title", "description", "input_layout"):
        assert d[key]["en"] and d[key]["zh"] and d[key]["en"] != d[key]["zh"]
    check_text(Text.of(d["description"]))
    check_text(Text.of(d["input_layout"]))
    assert "1/(1-p)" in d["description"]["en"] and "1/(1-p)" in d["description"]["zh"]
    assert (
        "反向随机失活（inverted dropout）" in d["description"]["zh"] and "推理（eval 模式）" in d["description"]["zh"]
    )
    assert [p["name"] for p in d["params"]] == ["p", "training", "seed", "variant"]
    for p in d["params"]:
        check_text(Text.of(p["description"]))
    for code in ("all_dropped", "alpha_input_not_standardized"):
        assert set(lessons().message("notices", code)) == {"en", "zh"}
