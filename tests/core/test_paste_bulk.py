"""normlens.paste.bulk: the exact reader of rows reads a long line's leading numbers in bulk. It must say exactly
what the cell-by-cell reader says (same code, offset and values) and reach a bad cell after millions of good
ones without looking at each good one (its timing is in bench/mixed.py, never here)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normlens.paste import MAX_ELEMENTS, PasteError, _delimiter, _exact_body, _exact_rows, _Problem, bulk, nested, parse
from normlens.paste import rows as rows_module

TOKENS = ["1", "-2.5", "3e2", ".5", "1e999", "-1e999", " ", "\t", ",", ";", "\n", "\n\n", "e", ".", "1-2", "+"]
TOKENS += ["x", "nan", "\u2003", "1\u2003", "\x1c", "[", "1.", "+.5", "  ", "7"]


def _read(text: str, max_elements: int, long: int, monkeypatch: pytest.MonkeyPatch):
    """_exact_rows with lines of at least `long` characters read in bulk first: its result or its problem."""
    monkeypatch.setattr(bulk, "LONG", long)
    try:
        values, *layout = _exact_rows(text, _delimiter(text), max_elements, 8)
    except _Problem as p:
        return ("problem", p.code, p.at, p.values)
    return ("read", values.tolist(), layout)


@settings(max_examples=400)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=60), st.sampled_from([3, 7, MAX_ELEMENTS]))
def test_bulk_reading_says_exactly_what_cell_by_cell_reading_says(tokens, max_elements):
    text = "".join(tokens)
    with pytest.MonkeyPatch.context() as monkeypatch:
        by_cell = _read(text, max_elements, 10**9, monkeypatch)
        in_bulk = _read(text, max_elements, 0, monkeypatch)
    assert in_bulk == by_cell


@pytest.mark.parametrize("sep", [",", ";", "\t", " "])
@pytest.mark.parametrize(
    ("cell", "code"), [("", "empty_cell"), ("x", "not_number"), ("1e999", "overflow"), ("1\u20032", "not_number")]
)
def test_a_bad_cell_in_a_long_line_is_found_where_it_is(sep, cell, code):
    if sep == " " and cell in ("", "1\u20032"):
        return  # white space has no empty cells, and splits at a Unicode space
    if sep == "\t" and cell == "":
        code = "empty_cell_tab"
    row = sep.join(["1.5"] * 311)
    with pytest.raises(PasteError) as info:
        parse(row + "\n" + sep.join(["1.5"] * 300 + [cell] + ["2"] * 10))
    column = len(sep.join(["1.5"] * 300)) + len(sep) + 1
    assert (info.value.code, info.value.line, info.value.column) == (code, 2, column)


def _counting_number(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every cell the exact reader of rows converts one at a time."""
    calls: list[str] = []
    real = rows_module.number

    def number(word, at, context=""):
        calls.append(word)
        return real(word, at, context)

    monkeypatch.setattr(rows_module, "number", number)
    return calls


def test_the_12_mb_malformed_paste_fails_on_its_first_bad_token_without_a_rescan(monkeypatch):
    """Issue 12: "1, " 4,194,304 times (a trailing comma) took 8 s, going cell by cell after the fast path
    declined. Now the bad cell, the empty one after the last comma, is named without one Python step per cell,
    and none of the 4M good cells is converted to a float (the error is all the answer holds)."""
    calls = _counting_number(monkeypatch)
    converted: list[str] = []
    monkeypatch.setattr(rows_module, "float", lambda s: converted.append(s) or 1.0, raising=False)
    with pytest.raises(PasteError) as info:
        parse("1, " * 4_194_304)
    error = info.value
    assert (error.code, error.line, error.column) == ("empty_cell", 1, 3 * 4_194_304)
    assert error.values == {"cell": 4_194_305, "sep": "','"}
    assert calls == [] and converted == []


def test_a_bad_token_in_the_middle_of_millions_is_named_and_nothing_after_it_is_read(monkeypatch):
    calls = _counting_number(monkeypatch)
    with pytest.raises(PasteError) as info:
        parse("1, " * 1_000_000 + "1x, " + "2, " * 1_000_000 + "3")
    assert (info.value.code, info.value.column, info.value.values) == ("not_number_header", 3_000_001, {"word": "'1x'"})
    assert calls == ["1x"]


def test_one_value_too_many_on_a_long_line_is_reported_at_that_value(monkeypatch):
    calls = _counting_number(monkeypatch)
    with pytest.raises(PasteError) as info:
        parse(" ".join(["2"] * 1001), max_elements=1000)
    assert (info.value.code, info.value.column, info.value.values) == ("too_many", 2001, {"limit": 1000, "nth": 1001})
    assert calls == ["2"]


def test_long_well_formed_rows_read_in_bulk_keep_their_values_and_shape(monkeypatch):
    monkeypatch.setattr(bulk, "LONG", 0)
    text = "\n".join(" ; ".join(str(r * 1000 + c) for c in range(400)) for r in range(3))
    parsed = parse(text + "\n")
    assert parsed.shape == (3, 400) and parsed.values[2, 399] == 2399.0


def test_leading_reads_up_to_the_bad_cell():
    assert bulk.leading("1, 2,x, 4", ",", 10, 0) == ("1, 2", 2, 5, -1)
    span, count, start, extra = bulk.leading(" 1  2 3x 4", None, 10, 1)
    assert span.split() == ["1", "2"] and (count, start, extra) == (2, 6, 4)
    assert bulk.leading("x 1", None, 10, 0)[1] == 0
    assert bulk.leading("1,2,3", ",", 0, 0)[1] == 0


@given(st.lists(st.text(alphabet="12 .", max_size=4), min_size=1, max_size=12))
def test_where_each_cell_begins(cells):
    joined = ",".join(cells)
    starts = bulk._cell_starts(joined, ",").tolist()
    assert starts == [k + sum(len(c) for c in cells[:k]) for k in range(len(cells) + 1)]


# ------------------------------------------------------------------------------ runs of items in bracketed lists

LIST_TOKENS = ["[", "]", ",", " ", ", ", "1", "-2.5", "3e2", ".5", "1.", "1e999", "x", "nan", "np.float64(1)"]
LIST_TOKENS += ["\u2003", "\n", "+", "e", "1 2", ",,", "'a'", ";", "7", "4 5 6 ", " 2.5\n", "7x ", "1e400 "]


def _read_list(text: str, max_elements: int, bulk_reads: bool, monkeypatch: pytest.MonkeyPatch):
    """_exact_body with runs of items read in bulk wherever possible, or never: its result or its problem."""
    if bulk_reads:
        monkeypatch.setattr(nested, "RUN", 0)
    else:
        monkeypatch.setattr(nested, "_run", lambda text, pos, *state: (pos, len(text), *state[-3:], "", 0))
    try:
        values, shape, comma, end = _exact_body(text, 0, max_elements, 8)
    except _Problem as p:
        return ("problem", p.code, p.at, p.values)
    return ("read", values, shape, comma, end)


def _both_ways(text: str, max_elements: int):
    """What _exact_body says of the text reading one token at a time, and with runs read in bulk."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        by_token = _read_list(text, max_elements, False, monkeypatch)
    with pytest.MonkeyPatch.context() as monkeypatch:
        return by_token, _read_list(text, max_elements, True, monkeypatch)


@settings(max_examples=500)
@given(st.lists(st.sampled_from(LIST_TOKENS), max_size=50), st.sampled_from([3, 7, MAX_ELEMENTS]))
def test_bulk_runs_in_lists_say_exactly_what_the_token_loop_says(tokens, max_elements):
    text = "[" + "".join(tokens)
    by_token, in_bulk = _both_ways(text, max_elements)
    assert in_bulk == by_token


@pytest.mark.parametrize(
    "text",
    [
        "[1 2 3 4 5 6 7x]",  # the last word runs on into a character no number has: the token loop reads it
        "[1 2 3 4 5 6 7.]",
        "[1 2 3 4 5 6 7.5.1 8]",
        "[[1 2 3]\n [4 5 6]\n [7 8]]",
        "[1 2 3 4 5 6 7, 8]",
        "[1 2 3 4 5 6 1e999 7]",
    ],
)
def test_space_separated_runs_say_exactly_what_the_token_loop_says(text):
    by_token, in_bulk = _both_ways(text, MAX_ELEMENTS)
    assert in_bulk == by_token


def test_numpy_print_form_with_a_bad_last_item_converts_no_run(monkeypatch):
    """Issue 12's fail-fast rule for NumPy's print form: 4M space-separated items, the last one bad. The runs
    are read in bulk and converted only once the list has closed, which it never does here; only the first two
    items of each row go one token at a time (they show that white space separates the items)."""
    converted: list[str] = []
    monkeypatch.setattr(nested, "float", lambda s: converted.append(s) or 1.0, raising=False)
    with pytest.raises(PasteError) as info:
        parse("[" + ("[" + " ".join(["1.5"] * 4096) + "]\n ") * 1023 + "[" + "1.5 " * 4095 + "x]]")
    assert (info.value.code, info.value.line) == ("not_number", 1024) and len(converted) == 2 * 1024


@settings(max_examples=200)
@given(st.lists(st.lists(st.sampled_from(["1", " 2", "-3.5 ", "\n4e1"]), min_size=1, max_size=6), max_size=6))
def test_bulk_runs_keep_ragged_rows_exact(rows):
    text = "[" + ", ".join("[" + ", ".join(row) + "]" for row in rows) + "]"
    by_token, in_bulk = _both_ways(text, MAX_ELEMENTS)
    assert in_bulk == by_token


def test_a_malformed_list_of_millions_fails_on_its_first_bad_token_without_a_token_per_item(monkeypatch):
    """'[1, 1, ..., 1,,]': the empty item is named without one step of the token loop per good item."""
    calls: list[int] = []
    real = nested.TOKEN

    class Counting:
        def match(self, text, pos):
            calls.append(pos)
            return real.match(text, pos)

    monkeypatch.setattr(nested, "TOKEN", Counting())
    with pytest.raises(PasteError) as info:
        parse("[" + "1, " * 1_000_000 + "1,,]")
    assert (info.value.code, info.value.column) == ("separator_no_value", 3_000_004)
    assert len(calls) < 100
