"""The words of shared views and refused bodies (app/lessons/links.toml): every entry in both languages with the
same placeholders, Chinese with full-width punctuation, no clash with other lesson files, none unused."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from normlens.app.lessons import DIR, Lessons, Text, fill, lessons, placeholders
from normlens.app.state import StateError, words
from tests.app.words import CJK, HALF_WIDTH

FILE = DIR / "links.toml"
CATALOGUE = tomllib.loads(FILE.read_text(encoding="utf-8"))
ENTRIES = [(section, key, table) for section, tables in CATALOGUE.items() for key, table in tables.items()]
IDS = [f"{section}.{key}" for section, key, _ in ENTRIES]
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # a Chinese word or full-width punctuation
# ASCII punctuation touching a Chinese character: should be full-width inside Chinese sentences
APP = Path(__file__).resolve().parents[2] / "app"
USERS = ("state.py", "permalink.py", "routes/links.py", "middleware.py", "not_found.py")


def sample(template: str) -> dict[str, int]:
    """A number for every placeholder (numbers suit both plain ${x} and ${x:,})."""
    return {name: 12345 for name in placeholders(template)}


def test_the_file_has_the_sections_the_code_reads():
    assert set(CATALOGUE) == {"errors", "link_parts", "link_damage", "og"}
    assert len(ENTRIES) >= 28


@pytest.mark.parametrize(("section", "key", "table"), ENTRIES, ids=IDS)
def test_every_entry_has_both_languages_with_the_same_placeholders(section, key, table):
    assert set(table) == {"en", "zh"}, f"[{section}.{key}] must have exactly en and zh"
    assert placeholders(table["en"]) == placeholders(table["zh"])
    assert lessons().message(section, key) == table  # merged with every other lesson file


@pytest.mark.parametrize(("section", "key", "table"), ENTRIES, ids=IDS)
def test_every_entry_renders_in_both_languages(section, key, table):
    en, zh = (fill(table[lang], sample(table[lang])) for lang in ("en", "zh"))
    assert "${" not in en + zh and en != zh
    assert CHINESE.search(zh), zh
    assert not CJK.search(en), en
    assert not HALF_WIDTH.search(zh), zh
    assert not re.search(r"\s[,.;:]", en), en  # no blank before punctuation


def test_words_renders_an_entry_as_text():
    text = words("errors", "link_too_long", length=9000, limit=8000)
    assert text == Text(
        "This link is too long (9,000 characters; the limit is 8,000).", "此链接过长（9,000 个字符，上限为 8,000）。"
    )


def test_a_text_value_is_filled_in_each_language():
    reason = words("link_damage", "no_such_version", version=0)
    text = words("errors", "link_broken", reason=reason)
    assert text.en == "This link is damaged: version 0 does not exist. Check that it was copied completely."
    assert text.zh == "此链接已损坏：版本 0 不存在。请确认链接复制完整。"


def test_a_missing_value_or_entry_is_a_key_error():
    with pytest.raises(KeyError):
        words("errors", "link_too_long", length=1)
    with pytest.raises(KeyError, match="no_such_entry"):
        StateError("no_such_entry")


def test_evaluation_mode_reads_as_inference_in_chinese():
    assert lessons().message("og", "evaluation")["zh"] == "在推理（eval 模式）下"
    assert words("og", "training").en == " in training mode"


def test_no_entry_clashes_with_another_lesson_file():
    others: dict[str, dict] = {}
    for path in sorted(DIR.glob("*.toml")):
        if path != FILE:
            for section, tables in tomllib.loads(path.read_text(encoding="utf-8")).items():
                others.setdefault(section, {}).update(tables)
    clashes = [f"{s}.{k}" for s, k, _ in ENTRIES if k in others.get(s, {})]
    assert clashes == []
    Lessons()  # the merge itself refuses a key defined twice


@pytest.mark.parametrize(("section", "key", "table"), ENTRIES, ids=IDS)
def test_every_entry_is_used(section, key, table):
    source = "\n".join((APP / name).read_text(encoding="utf-8") for name in USERS)
    # an entry is named as a string, or (damage reasons, modes) passed to the function that picks the section
    assert f'"{key}"' in source or f"'{key}'" in source, f"[{section}.{key}] is not used by {USERS}"
