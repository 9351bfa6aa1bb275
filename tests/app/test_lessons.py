"""The lesson files: every step, variant, notice and error the engine can produce has its words in both
languages, every placeholder is known, and both languages use the same ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import normlens
from normlens.app import lessons as L
from normlens.app.lessons import Lessons, error_text, fill, layer_json, placeholders
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


def test_a_range_shows_one_number_when_its_ends_print_alike():
    values = {"lo": 8, "hi": 8, "top": 11, "a": 0.30001, "b": 0.29999}
    assert fill("${lo..hi} samples", values) == "8 samples"  # an even split: not "8–8"
    assert fill("${lo..top} samples", values) == "8–11 samples"
    assert fill("${a..b:.3f}", values) == "0.300"  # alike as printed, with the spec
    assert fill("${a..b:.5f}", values) == "0.30001–0.29999"
    assert placeholders("${lo..top:.1f} of ${n}") == {"lo", "top", "n"}
    with pytest.raises(KeyError):
        fill("${lo..nope}", values)


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
