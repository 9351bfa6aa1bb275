"""The lesson files: every step, variant, notice and error the engine can produce has its words in both
languages, every placeholder is known, and both languages use the same ones."""

from __future__ import annotations

import ast
import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from latex2mathml.converter import convert

import normlens
from normlens.app import lessons as L
from normlens.app.lessons import Lessons, error_text, fill, layer_json, notice_text, placeholders, step_words
from normlens.args import ArgumentError
from tests.app.words import CJK

CORE = Path(normlens.__file__).parent


def _bilingual(tree, path=()):
    """Every {en, zh} pair in the lesson tree, with where it is."""
    if isinstance(tree, dict):
        if isinstance(tree.get("en"), str) and isinstance(tree.get("zh"), str):
            yield ".".join(path), tree
        for k, v in tree.items():
            if k not in ("en", "zh"):
                yield from _bilingual(v, (*path, k))


PAIRS = list(_bilingual(L.lessons().tree))


@pytest.mark.parametrize(("where", "pair"), PAIRS, ids=[w for w, _ in PAIRS])
def test_both_languages_use_the_same_placeholders(where, pair):
    assert placeholders(pair["en"]) == placeholders(pair["zh"]), where
    assert pair["en"].strip() and pair["zh"].strip(), where
    if not where.startswith("examples."):  # the examples quote the notes' Chinese sentences on purpose
        assert not CJK.search(pair["en"]), f"{where}: Chinese in the English text"


def test_a_key_defined_in_two_files_is_an_error(tmp_path):
    (tmp_path / "a.toml").write_text('[errors.x]\nen = "a"\nzh = "甲"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('[errors.x]\nen = "b"\nzh = "乙"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="errors.x.en is defined in two lesson files"):
        Lessons(tmp_path)


def test_fill_refuses_an_unknown_placeholder():
    assert fill("m = ${m}, eps = ${eps:g}, shape ${s}", {"m": 4, "eps": 1e-5, "s": [2, 3]}) == (
        "m = 4, eps = 1e-05, shape [2, 3]"
    )
    with pytest.raises(KeyError):
        fill("${nope}", {})


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
    words = L.trace_words(tr)
    assert words == [step_words(tr, s) for s in tr.steps]
    # other numbers, the same arguments: the same list, unless a step's variant or scalars changed with them
    other = normlens.trace(layer, x * 2 - 1, grad_output=np.full_like(x, 3), **params)
    again = L.trace_words(other)
    assert again == [step_words(other, s) for s in other.steps]
    signature = [[(s.id, s.variant, L._hashable(s.scalars)) for s in t.steps] for t in (tr, other)]
    assert (again is words) == (signature[0] == signature[1])
    for changed in _reworded(tr):  # one thing the words name is different: their own lookup, their own words
        assert L.trace_words(changed) == [step_words(changed, s) for s in changed.steps]


def _reworded(tr):
    """Copies of `tr` that differ in one value its words name: a step's scalar, an argument, a subscript."""
    for i, s in enumerate(tr.steps):
        ints = [n for n in L.template_names(tr.layer, s.id, s.variant) if type(s.scalars.get(n)) is int]
        if ints:
            steps = [
                *tr.steps[:i],
                replace(s, scalars={**s.scalars, ints[0]: s.scalars[ints[0]] + 1}),
                *tr.steps[i + 1 :],
            ]
            yield replace(tr, steps=steps)
            break
    named = {n for s in tr.steps for n in L.template_names(tr.layer, s.id, s.variant) if n not in s.scalars}
    for name in sorted(named & {k for k, v in tr.params.items() if type(v) in (int, float)}):
        yield replace(tr, params={**tr.params, name: tr.params[name] * 2 + 1})
    for name in sorted(named & set(tr.notation))[:1]:
        yield replace(tr, notation={**tr.notation, name: tr.notation[name] + "'"})


def _codes(cls_names: tuple[str, ...], position: int) -> set[str]:
    """The string literals passed as argument `position` (or code=) to these constructors in core/."""
    found = set()
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in cls_names:
                continue
            args = [*node.args, *(k.value for k in node.keywords if k.arg == "code")]
            arg = args[position] if len(args) > position else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
            elif isinstance(arg, ast.IfExp):
                found |= {a.value for a in (arg.body, arg.orelse) if isinstance(a, ast.Constant)}
    return found


def test_every_error_code_of_the_engine_has_words():
    codes = _codes(("ArgumentError",), 1)
    assert {"unknown_argument", "bad_rank", "not_divisible", "eps_not_positive"} <= codes
    missing = sorted(c for c in codes if c not in L.lessons().tree["errors"])
    assert not missing, missing


def test_every_notice_code_of_the_engine_has_words():
    codes = _codes(("Notice",), 0)
    assert {"one_value_per_channel", "eps_dominates"} <= codes
    tree = L.lessons().tree  # a lab's own notices are worded in its lesson file (app.lab_words.notice_words)
    labs = set().union(*(set(lab.get("notices", {})) for lab in tree["labs"].values()))
    missing = sorted(c for c in codes if c not in tree["notices"] and c not in labs)
    assert not missing, missing


def test_an_error_renders_with_pytorchs_own_words_quoted():
    e = ArgumentError("num_groups", "not_divisible", "num_channels (4) must be divisible by num_groups (3)",
                      C=4, G=3, divisors=[1, 2, 4])  # fmt: skip
    text = error_text(e, "group_norm")
    assert text.en == (
        "num_groups must divide the 4 channels; pick one of [1, 2, 4] "
        "(PyTorch: num_channels (4) must be divisible by num_groups (3))"
    )
    assert text.zh.endswith("（PyTorch 报错：num_channels (4) must be divisible by num_groups (3)）")


@pytest.mark.parametrize("spec", normlens.specs(), ids=lambda s: s.name)
def test_every_layer_and_argument_is_described(spec):
    d = layer_json(spec)
    for key in ("title", "description", "input_layout"):
        assert d[key]["en"] and CJK.search(d[key]["zh"]), (spec.name, key)
    for p in d["params"]:
        assert p["description"]["en"] and CJK.search(p["description"]["zh"]), (spec.name, p["name"])
    assert set(L.lessons().layer(spec.name)["params"]) == {p.name for p in spec.params}, "stale descriptions"
