"""normlens.paste.decimals: the automaton that counts the cells, from the first, that are finite numbers must
say exactly what tokens.NUMBER and float() say of each cell, whatever the blocks it reads the text in."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normlens.paste import decimals
from normlens.paste.tokens import NUMBER

SEPARATORS = [",", ";", "\t", None]
PIECES = ["1", "-2.5", "+3e2", ".5", "5.", "1.e5", "-0", "007", "1e-05", "1E+22", "1e100", "1e999", "-1e308"]
PIECES += ["", " ", "\t", "\n", "e", ".", "+", "-", "1-2", "1e", "1e+", "--1", "1..2", "1e5.0", "x", "nan", "inf"]
PIECES += ["1_0", "\u2003", "\x1c", "١", "9" * 30, "0." + "0" * 30 + "1", "1e0001"]


def _reference(text: str, sep: str | None) -> int:
    for i, cell in enumerate(text.split(sep)):
        word = cell.strip()
        if not NUMBER.fullmatch(word) or not math.isfinite(float(word)):
            return i
    return len(text.split(sep))


@settings(max_examples=600)
@given(
    st.lists(st.sampled_from(PIECES), max_size=30),
    st.sampled_from(SEPARATORS),
    st.sampled_from([1, 5, 64, 1 << 16]),
    st.data(),
)
def test_counts_what_number_and_float_say_cell_by_cell(pieces, sep, block, data):
    joiners = st.sampled_from(["", sep or " ", f" {sep or ' '} ", "\n", "\x1c"])
    text = "".join(p + data.draw(joiners) for p in pieces)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(decimals, "_BLOCK", block)
        assert decimals.numbers_before_bad(text, sep) == _reference(text, sep)


@given(
    st.lists(st.floats(-1e300, 1e300), min_size=1, max_size=40),  # rounded to 5 digits, 1.79769e308 is inf
    st.sampled_from([repr, str, "{:.4e}".format, "{:.17g}".format]),
)
def test_every_float_as_python_and_torch_print_it_is_a_number(xs, form):
    assert decimals.numbers_before_bad(", ".join(form(x) for x in xs), ",") == len(xs)


@pytest.mark.parametrize("bad_at", [0, 1, 16_383, 16_384, 16_385, 99_999])
def test_the_first_bad_cell_is_found_across_blocks(bad_at):
    cells = ["1.25"] * 100_000
    cells[bad_at] = "1.2.5"
    assert decimals.numbers_before_bad(";".join(cells), ";") == bad_at
    assert decimals.numbers_before_bad(" ".join(cells)) == bad_at


def test_a_blank_cell_or_two_words_in_one_cell_is_not_a_number():
    assert decimals.numbers_before_bad("1, 2, , 4", ",") == 2
    assert decimals.numbers_before_bad("1, 2 3, 4", ",") == 1
    assert decimals.numbers_before_bad("1, 2,", ",") == 2
    assert decimals.numbers_before_bad("", ",") == 0
    assert decimals.numbers_before_bad("  ") == 0


def test_white_space_is_what_str_split_splits_at():
    assert decimals.numbers_before_bad("1\x1c2\x1f3\x0b4") == 4
    assert decimals.numbers_before_bad("1,\x1c2\x1d,3", ",") == 3
