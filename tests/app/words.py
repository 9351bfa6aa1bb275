"""Helpers for the tests of rendered words: a sentence pair is well formed when both languages are there and
different, the Chinese is Chinese with full-width punctuation, and no placeholder is left unfilled."""

from __future__ import annotations

import re

from normlens.app.lessons import Text
from normlens.app.step_words import step_words
from normlens.trace import Trace

CJK = re.compile(r"[\u4e00-\u9fff]")
# half-width punctuation touching a Chinese character: Chinese sentences use ，：；（）！？
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,:;()!?]|[,:;(!?][\u4e00-\u9fff]")


def words(t: Trace, step_id: str) -> dict:
    return step_words(t, t.step(step_id))


def check_text(text: Text) -> None:
    assert text.en and text.zh and text.en != text.zh
    assert CJK.search(text.zh), text.zh
    assert not CJK.search(text.en), text.en
    assert "${" not in text.en + text.zh
    assert not HALF_WIDTH.search(text.zh), text.zh
