"""normlens.app.labels: whether labels fit an input, where a pasted header's labels go after a reshape, which
labels a trace carries, and their words (app/lessons/labels.toml) in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from normlens.app import labels as labels_module
from normlens.app.labels import MAX_LABEL_CHARS, MAX_LABELS, fit_problem, labels_schema, moved, trace_labels
from normlens.app.lessons import lessons, placeholders
from normlens.paste import parse
from normlens.paste.table import MAX_LABEL
from tests.app.words import CJK


def test_labels_that_fit():
    assert fit_problem({}, (2, 3)) is None
    assert fit_problem({"0": ["a", "b"], "1": ["x", "y", "z"]}, (2, 3)) is None


@pytest.mark.parametrize(
    ("labels", "shape", "problem"),
    [
        ({"2": ["a"]}, (2, 3), ("no_axis", "2", {"axis": 2, "ndim": 2, "last": 1, "shape": [2, 3]})),
        ({"1": ["a"]}, (2, 3), ("length", "1", {"axis": 1, "got": 1, "want": 3, "shape": [2, 3]})),
        ({"0": ["a", "b\n"]}, (2, 3), ("control", "0", {"axis": 0, "index": 1})),
        ({"0": ["a", "\ud800"]}, (2, 3), ("control", "0", {"axis": 0, "index": 1})),  # half a surrogate pair
        (
            {"1": ["a"] * 3, "0": ["b"] * (MAX_LABELS - 2)},
            (2, 3),
            ("too_many", "1", {"got": MAX_LABELS + 1, "limit": MAX_LABELS}),
        ),
    ],
)
def test_labels_that_do_not_fit(labels, shape, problem):
    assert fit_problem(labels, shape) == problem


def test_axes_are_checked_in_order():
    assert fit_problem({"10": ["a"], "2": ["b"]}, (1, 1))[1] == "2"  # by number, not as strings


def test_a_pasted_header_labels_the_last_axis_after_a_reshape_that_keeps_it():
    pasted = {"1": ["height", "weight"]}
    assert moved(pasted, (4, 2), (4, 2)) == pasted
    assert moved(pasted, (4, 2), (2, 2, 2)) == {"2": ["height", "weight"]}
    assert moved(pasted, (4, 2), (8,)) == {} and moved(pasted, (4, 2), (2, 4)) == {}
    assert moved({}, (4, 2), (4, 2)) == {} and moved({"0": ["a"]}, (1, 2), (1, 2)) == {}


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4))
def test_after_a_reshape_each_value_keeps_its_column_label(rows, cols, split):
    # row-major: the value at flat index k is in column k % cols, which is its last index in any (..., cols) shape
    names = [f"c{j}" for j in range(cols)]
    if rows % split:
        return
    shape = (split, rows // split, cols)
    new = moved({"1": names}, (rows, cols), shape)
    assert new == {"2": names}
    for k in range(rows * cols):
        assert new["2"][k % cols] == names[k % cols]


def test_a_trace_carries_the_states_labels_over_the_pasted_ones():
    pasted = {"1": ["height", "weight"]}
    assert trace_labels((3, 2), (3, 2)) == {}
    assert trace_labels((3, 2), (3, 2), pasted) == pasted
    assert trace_labels((3, 2), (3, 2), pasted, {"0": ["a", "b", "c"]}) == {**pasted, "0": ["a", "b", "c"]}
    assert trace_labels((3, 2), (3, 2), pasted, {"1": ["h", "w"]}) == {"1": ["h", "w"]}


def test_a_pasted_csv_header_reaches_the_trace_labels():
    p = parse("height,weight\n1.8,70\n1.6,55\n1.7,60\n1.5,50")
    assert trace_labels(p.shape, (2, 2, 2), p.labels) == {"2": ["height", "weight"]}


def test_the_paste_reader_cuts_names_to_the_length_a_state_accepts():
    assert MAX_LABEL == MAX_LABEL_CHARS


def test_the_schema_is_as_strict_as_the_types():
    schema = labels_schema()
    assert schema["additionalProperties"] is False and schema["type"] == "object"
    (axis,) = schema["patternProperties"].values()
    assert axis["items"]["maxLength"] == MAX_LABEL_CHARS and axis["maxItems"] == MAX_LABELS
    (pattern,) = schema["patternProperties"]
    assert [k for k in ("0", "1", "12", "99", "01", "100", "-1", "a", "") if re.fullmatch(pattern, k)] == [
        "0",
        "1",
        "12",
        "99",
    ]


def test_every_problem_has_words_in_both_languages_with_its_values():
    text = Path(labels_module.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'return "(\w+)", ', text))
    table = lessons().tree["label_errors"]
    assert set(table) == codes == {"too_many", "no_axis", "length", "control"}
    samples = {
        "too_many": fit_problem({"0": ["a"] * (MAX_LABELS + 1)}, (MAX_LABELS + 1,)),
        "no_axis": fit_problem({"5": ["a"]}, (1,)),
        "length": fit_problem({"0": ["a"]}, (2,)),
        "control": fit_problem({"0": ["\x07"]}, (1,)),
    }
    for code, words in table.items():
        problem = samples[code]
        assert problem is not None and problem[0] == code
        assert placeholders(words["en"]) == placeholders(words["zh"]) <= set(problem[2]), code
        sentence = re.sub(r"\$\{[^}]*\}", "X", words["zh"])  # full-width punctuation around the values
        assert CJK.search(sentence) and not CJK.search(words["en"]) and not re.search(r"[,:;()]", sentence)
