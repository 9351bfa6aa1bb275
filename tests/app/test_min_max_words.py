"""The words of min-max normalization (app/lessons/min_max.toml): every step, variant, notice and error renders
in English and Chinese with live numbers, every formula is valid LaTeX, and nothing is inherited by accident."""

from __future__ import annotations

import re
import tomllib

import numpy as np
import pytest
from latex2mathml.converter import convert

import normlens
from normlens.app import lessons as L
from normlens.app.step_words import step_words
from normlens.args import ArgumentError
from tests.app.words import CJK

FILE = L.DIR / "min_max.toml"
# a half-width , ; : ( ) right next to a Chinese character: Chinese sentences use （）、，：；。
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,;:()]|[,;:()][\u4e00-\u9fff]")


def own_tree() -> dict:
    return tomllib.loads(FILE.read_text(encoding="utf-8"))


def own_steps() -> dict:
    return own_tree()["layers"]["min_max"]["steps"]


def traces() -> dict[str, normlens.Trace]:
    """Traces that reach every step and variant: ranks 1 to 5, several dims, ties, constant groups."""
    rng = np.random.default_rng(0)
    heights = np.array([[170, 60], [180, 80], [160, 50], [175, 70]], np.float64)
    x3 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    ties = np.array([[1.0, 1.0, 3.0], [2.0, 4.0, 4.0]])
    return {
        "heights": normlens.trace("min_max", heights, np.ones_like(heights)),
        "forward_only": normlens.trace("min_max", heights, dim=-1),
        "rank1": normlens.trace("min_max", np.array([3.0, -1.0, 2.0]), np.array([1.0, 2.0, 3.0])),
        "rank3_list": normlens.trace("min_max", x3, np.ones_like(x3), dim=[0, -1]),
        "rank4": normlens.trace("min_max", rng.standard_normal((2, 3, 2, 2)), dim=1),
        "rank5_all": normlens.trace("min_max", rng.standard_normal((2, 1, 2, 2, 3)), np.ones((2, 1, 2, 2, 3)), dim=[]),
        "ties": normlens.trace("min_max", ties, np.arange(6.0).reshape(2, 3), dim=1),
        "constant": normlens.trace("min_max", np.array([[1.0, 5.0], [3.0, 5.0]]), np.ones((2, 2)), dim=0),
    }


TRACES = traces()


def all_steps():
    for name, t in TRACES.items():
        for s in t.steps:
            yield pytest.param(t, s, id=f"{name}-{s.id}{'.' + s.variant if s.variant else ''}")


def check_text(en: str, zh: str, filled: bool = True) -> None:
    """Both languages present (placeholders filled unless a raw template), English free of Chinese, Chinese
    with full-width punctuation."""
    assert en and zh and ("${" not in en + zh or not filled)
    assert not CJK.search(en), en
    assert CJK.search(zh), zh
    assert not HALF_WIDTH.search(zh), zh


@pytest.mark.parametrize(("trace", "step"), list(all_steps()))
def test_every_step_renders_in_both_languages(trace, step):
    words = step_words(trace, step)
    check_text(words["title"].en, words["title"].zh)
    check_text(words["explanation"].en, words["explanation"].zh)
    assert words["formula"] and "${" not in words["formula"]
    assert "<math" in convert(words["formula"])
    # min-max has no parameters, running statistics or eps: no inherited template may show them
    for key in ("live", "brief"):
        template = words[key] or ""
        assert not re.search(r"\[\[(param|buf|psum|psumdot|arg):|\[\[stat:(mean|var|ms)\]\]", template), template


def test_every_step_and_variant_is_worded_in_min_max_toml():
    """Each field of each step comes from min_max.toml itself, not from another layer's shared words."""
    own = own_steps()
    for t in TRACES.values():
        for s in t.steps:
            assert s.id in own, s.id
            table = own[s.id][s.variant] if s.variant else own[s.id]
            assert "text" in table, (s.id, s.variant)
            for field in ("title", "text", "formula"):
                assert field in own[s.id], (s.id, field)


def test_every_worded_variant_is_reached():
    own = own_steps()
    worded = {
        (sid, v)
        for sid, table in own.items()
        for v in ["", *(k for k, x in table.items() if isinstance(x, dict) and "text" in x)]
    }
    reached = {(s.id, s.variant) for t in TRACES.values() for s in t.steps}
    assert worded == reached


def test_every_step_has_a_live_formula():
    """The page substitutes the selected cell's numbers into every step's live formula (static/js/formula.js);
    a statistic whose live formula reads other arrays also has a brief one, for when those were summarized."""
    x = np.array([[170.0, 60.0], [180.0, 80.0], [160.0, 50.0]])
    tr = normlens.trace("min_max", x, grad_output=np.ones_like(x))
    for step in tr.steps:
        words = step_words(tr, step)
        assert words["live"] and "[[" in words["live"], step.id
        if step.kind == "stat" and re.search(r"\[\[(v:|sum)", words["live"]):
            assert words["brief"], step.id


def test_placeholders_are_the_same_in_both_languages():
    def tables(node):
        if isinstance(node, dict):
            if set(node) == {"en", "zh"}:
                yield node
            else:
                for v in node.values():
                    yield from tables(v)

    found = list(tables(own_tree()))
    assert len(found) > 30
    for table in found:
        assert L.placeholders(table["en"]) == L.placeholders(table["zh"]), table["en"]


def test_variants_change_the_words():
    ties, plain = TRACES["ties"], TRACES["rank1"]
    assert ties.step("dinput").variant == "ties"
    tied = step_words(ties, ties.step("dinput"))["explanation"]
    assert "Here 2 minimum(s) or maximum(s)" in tied.en and "这里有 2 个" in tied.zh
    assert "Here" not in step_words(plain, plain.step("dinput"))["explanation"].en
    const = TRACES["constant"]
    out = step_words(const, const.step("output"))["explanation"]
    assert "In 1 group(s) max = min" in out.en and "NaN" in out.en and "NaN" in out.zh
    rng = step_words(const, const.step("range"))["explanation"]
    assert "the range is 0" in rng.en and "极差为 0" in rng.zh
    every = TRACES["rank5_all"]
    assert "one group of m = 24 values" in step_words(every, every.step("grouping"))["explanation"].en


def test_live_numbers_and_notation_in_the_words():
    t = TRACES["heights"]
    grouping = step_words(t, t.step("grouping"))
    assert "dim=0 reduces N (4 values, m = 4), leaving 2 groups, one per (D) position" in grouping["explanation"].en
    assert grouping["formula"] == "g(n,d) = (d)"
    assert step_words(t, t.step("min"))["formula"] == r"x^{\min}_{d} = \min_{n} x_{nd}"
    assert "(N, D) = [4, 2], float64" in step_words(t, t.step("input"))["explanation"].en
    three = TRACES["rank3_list"]
    assert step_words(three, three.step("max"))["formula"] == r"x^{\max}_{s} = \max_{b,d} x_{bsd}"
    one = TRACES["rank1"]
    assert step_words(one, one.step("range"))["formula"] == r"r = x^{\max} - x^{\min}"


def test_constant_group_notice_renders():
    t = TRACES["constant"]
    (notice,) = t.notices
    text = L.notice_text(t, notice)
    check_text(text.en, text.zh)
    assert "1 of 2 groups are constant (the first is group [1], every value 5)" in text.en
    assert "2 组中有 1 组是常数（第一组是 [1]，每个值都是 5）" in text.zh
    assert "NaN" in text.en and "NaN" in text.zh


def raised(x, **params) -> ArgumentError:
    with pytest.raises(ArgumentError) as e:
        normlens.trace("min_max", x, **params)
    return e.value


ERRORS = [
    (np.ones((2, 2)), {"dim": "a"}, "not_dim"),
    (np.ones((2, 2)), {"dim": 2}, "dim_out_of_range"),
    (np.ones((2, 2)), {"dim": [0, -2]}, "dim_repeated"),
    (np.ones((1,) * 6), {}, "bad_rank"),
    (np.ones((2, 2)), {"eps": 1.0}, "unknown_argument"),
    (np.array([-3e38, 3e38], np.float32), {}, "overflow"),
]


@pytest.mark.parametrize(("x", "params", "code"), ERRORS, ids=[c for _, _, c in ERRORS])
def test_every_error_renders_in_both_languages(x, params, code):
    e = raised(x, **params)
    assert e.code == code
    text = L.error_text(e, "min_max")
    check_text(text.en, text.zh)
    if e.torch:
        assert text.en.endswith(f"(PyTorch: {e.torch})") and e.torch in text.zh


def test_error_words_for_dim():
    out = L.error_text(raised(np.ones((2, 2)), dim=2), "min_max")
    assert out.en.startswith("dim 2 is out of range: this input's axes are -2 to 1")
    assert "Dimension out of range (expected to be in range of [-2, 1], but got 2)" in out.en
    rep = L.error_text(raised(np.ones((2, 2)), dim=[1, -1]), "min_max")
    assert "axis 1 more than once" in rep.en and "dim 1 appears multiple times in the list of dims" in rep.en
    rank = L.error_text(raised(np.ones((1,) * 6)), "min_max")
    assert "any tensor of 1 to 5 axes" in rank.en and "1 到 5 维的任意张量" in rank.zh


def test_error_codes_of_the_layer_are_worded_here():
    errors = own_tree()["errors"]
    assert set(errors) == {"not_dim", "dim_out_of_range", "dim_repeated"}
    for table in errors.values():
        check_text(table["en"], table["zh"], filled=False)


def test_layer_description():
    info = L.layer_json(normlens.LAYERS["min_max"])
    assert info["title"] == {"en": "Min-max normalization", "zh": "最小-最大归一化（min-max）"}
    desc = info["description"]
    assert "standardization" in desc["en"] and "outlier" in desc["en"] and "[0, 1]" in desc["en"]
    assert "标准化" in desc["zh"] and "归一化" in desc["zh"] and "离群值" in desc["zh"] and "[0, 1]" in desc["zh"]
    assert [p["name"] for p in info["params"]] == ["dim"] and info["params"][0]["type"] == "int_or_list"
    for text in (desc, info["input_layout"], *(p["description"] for p in info["params"])):
        check_text(text["en"], text["zh"])
