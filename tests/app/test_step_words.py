"""The words of a trace's steps (normlens.app.step_words): every step and notice the engine can produce renders
in both languages with a formula MathML can show, and a trace is worded by one lookup that new numbers reuse."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from latex2mathml.converter import convert

import normlens
from normlens.app import step_words as S
from normlens.app.lessons import notice_text
from normlens.app.step_words import step_words
from tests.app.words import CJK


def _configs():
    """Traces that reach every step id and variant the engine has (each also with a backward pass)."""
    rng = np.random.default_rng(0)
    x4 = rng.standard_normal((3, 4, 2, 2))
    x2 = rng.standard_normal((5, 3))
    for dtype in (np.float32, np.float64):
        a4, a2 = x4.astype(dtype), x2.astype(dtype)
        yield "batch_norm", a4, {}
        yield "batch_norm", a4, {"training": False, "affine": False}
        yield "batch_norm", a4, {"momentum": None, "gamma": [1, 2, 3, 4], "beta": [0, 1, 0, 1]}
        yield "batch_norm", a4[:1, :, :1, :1], {}
        yield "layer_norm", a4, {"normalized_shape": [4, 2, 2], "bias": False}
        yield "layer_norm", a2, {}
        yield "group_norm", a4, {"num_groups": 2, "affine": False}
        yield "instance_norm", a4, {"affine": True, "track_running_stats": True}
        yield "instance_norm", a4, {"track_running_stats": True, "momentum": None}
        yield "instance_norm", a4, {"track_running_stats": True, "training": False}
        yield "instance_norm", a4[:, :, :1, :1], {}
        yield "instance_norm", a2, {"affine": True, "track_running_stats": True}  # unbatched (C, L)
        yield "instance_norm", a4[0], {"module": "InstanceNorm2d", "track_running_stats": True, "training": False}
        yield "instance_norm", a4[0, :, :1, :1], {"module": "InstanceNorm2d", "track_running_stats": True}
        yield "rms_norm", a4, {"gamma": [1, 2]}
        yield "rms_norm", a2 * 1e-3, {"eps": 1e-3, "elementwise_affine": False}
        yield "rms_norm", a2[:, :1], {}
        for p, variant, training in itertools.product((0.0, 0.5, 1.0), ("element", "channel", "alpha"), (True, False)):
            yield "dropout", a4, {"p": p, "variant": variant, "training": training}
        yield "min_max", a2, {}
        yield "min_max", a4, {"dim": [0, 2]}
        yield "min_max", np.ones_like(a2), {"dim": 1}


CONFIGS = list(_configs())


@pytest.mark.parametrize(("layer", "x", "params"), CONFIGS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFIGS)])
@pytest.mark.parametrize("backward", [False, True])
def test_every_step_and_notice_renders_in_both_languages(layer, x, params, backward):
    tr = normlens.trace(layer, x, grad_output=np.ones_like(x) if backward else None, **params)
    for step in tr.steps:
        words = step_words(tr, step)  # a KeyError here is a placeholder the step does not provide
        where = f"{layer} {step.id}.{step.variant}"
        for text in (words["title"], words["explanation"]):
            assert text.en and CJK.search(text.zh) and text.en != text.zh, (where, text)
        assert words["formula"], where
        mathml = convert(words["formula"])
        assert "<mtext>\\" not in mathml and "\\boldsymbol" not in words["formula"], (where, words["formula"])
    for notice in tr.notices:
        text = notice_text(tr, notice)
        assert text.en and CJK.search(text.zh), (layer, notice.code)


@pytest.mark.parametrize(("layer", "x", "params"), CONFIGS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFIGS)])
def test_a_traces_words_are_its_steps_words_and_new_numbers_look_them_up_once(layer, x, params):
    tr = normlens.trace(layer, x, grad_output=np.ones_like(x), **params)
    words = S.trace_words(tr)
    assert words == [step_words(tr, s) for s in tr.steps]
    # other numbers, the same arguments: the same list, unless a step's variant or scalars changed with them
    other = normlens.trace(layer, x * 2 - 1, grad_output=np.full_like(x, 3), **params)
    again = S.trace_words(other)
    assert again == [step_words(other, s) for s in other.steps]
    signature = [[(s.id, s.variant, S._hashable(s.scalars)) for s in t.steps] for t in (tr, other)]
    assert (again is words) == (signature[0] == signature[1])
    for changed in _reworded(tr):  # one thing the words name is different: their own lookup, their own words
        assert S.trace_words(changed) == [step_words(changed, s) for s in changed.steps]


def _reworded(tr):
    """Copies of `tr` that differ in one value its words name: a step's scalar, an argument, a subscript."""
    for i, s in enumerate(tr.steps):
        ints = [n for n in S.template_names(tr.layer, s.id, s.variant) if type(s.scalars.get(n)) is int]
        if ints:
            steps = [
                *tr.steps[:i],
                replace(s, scalars={**s.scalars, ints[0]: s.scalars[ints[0]] + 1}),
                *tr.steps[i + 1 :],
            ]
            yield replace(tr, steps=steps)
            break
    named = {n for s in tr.steps for n in S.template_names(tr.layer, s.id, s.variant) if n not in s.scalars}
    for name in sorted(named & {k for k, v in tr.params.items() if type(v) in (int, float)}):
        yield replace(tr, params={**tr.params, name: tr.params[name] * 2 + 1})
    for name in sorted(named & set(tr.notation))[:1]:
        yield replace(tr, notation={**tr.notation, name: tr.notation[name] + "'"})
