"""normlens.paste: every accepted format with exact values, every rejection as a structured error (kind, code,
position, values), the limits, and round trips of real NumPy/PyTorch/JSON output (Hypothesis). The words of
errors and notes are tested in tests/app/test_paste_words.py."""

from __future__ import annotations

import json
import pickle
import sys
import time
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from normlens.paste import (
    KIND,
    MAX_ELEMENTS,
    Parsed,
    PasteError,
    _delimiter,
    _exact_body,
    _exact_rows,
    _fast_body,
    _fast_rows,
    _Problem,
    parse,
)
from normlens.paste.fast_rows import Resume


@pytest.fixture
def torch_full_print():
    torch.set_printoptions(precision=10, profile="full")
    yield
    torch.set_printoptions(profile="default")


def check(p: Parsed, fmt: str, values, dtype: str | None = None) -> None:
    expected = np.asarray(values, dtype=np.float64)
    assert p.format == fmt
    assert p.values.dtype == np.float64
    assert p.shape == expected.shape == p.values.shape
    np.testing.assert_array_equal(p.values, expected)
    assert p.dtype == dtype


# ------------------------------------------------------------------------------------------------ accepted

RG = {"name": "requires_grad", "value": "True"}  # the note on requires_grad=True
ACCEPTED = [
    # (text, format, values, dtype, notes)
    ("[[1, 2], [3, 4]]", "json", [[1, 2], [3, 4]], None, []),
    ("[\n  [1,2],\n\t[3 ,4]\n]\n", "json", [[1, 2], [3, 4]], None, []),
    ("[1, 2,]", "json", [1, 2], None, []),
    ("[[1, 2,], [3, 4,],]", "json", [[1, 2], [3, 4]], None, []),
    ("[1e-3, -2.5E+4, +7, .5, 5., -.25e1]", "json", [1e-3, -2.5e4, 7, 0.5, 5.0, -2.5], None, []),
    ("[0.1, 0.2]", "json", [0.1, 0.2], None, []),
    ("[[[1]]]", "json", [[[1]]], None, []),
    ("[np.float64(0.5), np.float32( -1.25 ), numpy.int64(3)]", "json", [0.5, -1.25, 3], None, []),
    ("array([1, 2, 3])", "numpy", [1, 2, 3], None, []),
    ("np.array([[1., 2.], [3., 4.]])", "numpy", [[1, 2], [3, 4]], None, []),
    ("array([[1., 2.], [3., 4.]], dtype=float32)", "numpy", [[1, 2], [3, 4]], "float32", []),
    ("numpy.array([1.5], dtype='float64')", "numpy", [1.5], "float64", []),
    ("array([1.5, 2. ], dtype=np.float16)", "numpy", [1.5, 2], "float16", []),
    ("[[1. 2.]\n [3. 4.]]", "numpy", [[1, 2], [3, 4]], None, []),
    ("[ 0.5 -1.  2. ]", "numpy", [0.5, -1, 2], None, []),
    ("tensor([[1., 2.]], requires_grad=True)", "torch", [[1, 2]], None, [("ignored", RG)]),
    (
        "tensor([[0.1, 0.2]], grad_fn=<AddmmBackward0>)",
        "torch",
        [[0.1, 0.2]],
        None,
        [("ignored", {"name": "grad_fn", "value": "<AddmmBackward0>"})],
    ),
    (
        "tensor([1., 2.], device='cuda:0', dtype=torch.float64)",
        "torch",
        [1, 2],
        "float64",
        [("ignored", {"name": "device", "value": "'cuda:0'"})],
    ),
    (
        "Parameter containing:\ntensor([[-0.8567,  1.1006],\n        [-1.0712,  0.1227]], requires_grad=True)",
        "torch",
        [[-0.8567, 1.1006], [-1.0712, 0.1227]],
        None,
        [("ignored", RG)],
    ),
    ("torch.tensor([1, 2, 3])", "torch", [1, 2, 3], None, []),
    ("tensor([1, 2, 3], dtype=torch.int32)", "torch", [1, 2, 3], "int32", []),
    ("tensor([1.], dtype=torch.float)", "torch", [1], "float32", []),
    ("tensor([1., 2.], dtype=torch.bfloat16,)", "torch", [1, 2], "bfloat16", []),
    (
        "tensor([[1., 2.]], layout=torch.strided)",
        "torch",
        [[1, 2]],
        None,
        [("ignored", {"name": "layout", "value": "torch.strided"})],
    ),
    ("array([[1., 2.]], shape=(1, 2))", "numpy", [[1, 2]], None, []),
    ("tensor([1.], size=(1,))", "torch", [1], None, []),
    ("1 2 3", "rows", [1, 2, 3], None, []),
    ("1,2,3\r\n4,5,6\r\n", "rows", [[1, 2, 3], [4, 5, 6]], None, []),
    ("1\t2\n3\t4\n", "rows", [[1, 2], [3, 4]], None, []),
    ("1.5; -2\n3e2; .5", "rows", [[1.5, -2], [300, 0.5]], None, []),
    (" 1 ,  2\n3,4 ", "rows", [[1, 2], [3, 4]], None, []),
    ("1\n2\n3", "rows", [[1], [2], [3]], None, []),
    ("1 2\n3 4\n\n5 6\n7 8\n", "blocks", [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], None, []),
    ("\n\n1 2\n  \n\n3 4\n\n", "blocks", [[[1, 2]], [[3, 4]]], None, []),
    ("\ufeff[1, 2]", "json", [1, 2], None, []),
    ("[1, 2]\r", "json", [1, 2], None, []),
]


@pytest.mark.parametrize(("text", "fmt", "values", "dtype", "notes"), ACCEPTED)
def test_accepted(text, fmt, values, dtype, notes):
    p = parse(text)
    check(p, fmt, values, dtype)
    assert p.notes == notes


NOTES = {  # the punctuation found is named (full_width), the spaces noted apart
    "［1，2］": ["full_width"],
    "[[1,\u30002]，［3, \u22124］]": ["full_width", "spaces"],
    "1\u00a02\u00a03": ["spaces"],
}


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("［1，2］", [1, 2]),
        ("1，2；3\n4，5；6", None),  # ';' is the separator, so "1，2" is one cell
        ("[[1,\u30002]，［3, \u22124］]", [[1, 2], [3, -4]]),
        ("1\u00a02\u00a03", [1, 2, 3]),
    ],
)
def test_full_width_punctuation(text, values):
    if values is None:
        with pytest.raises(PasteError) as info:
            parse(text)
        assert (info.value.kind, info.value.code) == ("not_number", "not_number_header")  # row 1: a header?
        assert info.value.values == {"word": "'1,2'"}
        return
    p = parse(text)
    np.testing.assert_array_equal(p.values, values)
    assert [code for code, _ in p.notes] == NOTES[text]


def test_real_torch_print_with_requires_grad_and_grad_fn():
    torch.manual_seed(0)
    x = torch.randn(2, 3, requires_grad=True)
    p = parse(str(x))
    assert p.format == "torch" and p.shape == (2, 3) and p.notes == [("ignored", RG)]
    np.testing.assert_allclose(p.values, x.detach().numpy(), atol=5e-5)  # printed with 4 decimals
    y = x * 2
    p = parse(repr(y))
    assert p.notes == [("ignored", {"name": "grad_fn", "value": "<MulBackward0>"})]
    np.testing.assert_allclose(p.values, y.detach().numpy(), atol=5e-5)
    p = parse(str(torch.nn.Parameter(torch.arange(4.0).reshape(2, 2))))
    check(p, "torch", [[0, 1], [2, 3]])
    assert p.notes == [("ignored", RG)]


def test_real_numpy_reprs():
    a = np.arange(6.0).reshape(2, 3).astype(np.float32)
    assert repr(a) == "array([[0., 1., 2.],\n       [3., 4., 5.]], dtype=float32)"
    check(parse(repr(a)), "numpy", a, "float32")
    b = np.arange(24.0).reshape(2, 3, 4)
    assert "\n\n" in str(b)  # NumPy separates the 2-D blocks of a 3-D array with a blank line
    check(parse(str(b)), "numpy", b)
    check(parse(repr(b)), "numpy", b)
    c = np.array([1e-10, 1, 1e10])
    check(parse(repr(c)), "numpy", c)
    with np.printoptions(threshold=sys.maxsize):
        d = np.arange(2000.0)
        check(parse(repr(d)), "numpy", d)  # wrapped over many lines
        check(parse(str(d)), "numpy", d)


def test_real_torch_full_print_of_a_large_tensor(torch_full_print):
    t = torch.arange(3000.0).reshape(30, 100) / 7
    p = parse(str(t))
    assert p.shape == (30, 100)
    np.testing.assert_allclose(p.values, t.numpy(), rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------------------------------- rejections

KNOWN = "dtype, device, requires_grad, grad_fn, layout, weak_type, shape, size"  # the keywords a repr may carry
REJECTED = [
    # (text, kind (the API's stable code), code (its wording), line, column, values)
    ("", "empty", "empty", 1, 1, {}),
    ("  \n\t\n", "empty", "empty", 1, 1, {}),
    ("[]", "empty", "empty", 1, 1, {}),
    ("[[], []]", "empty", "empty_list", 1, 2, {"path": [0]}),
    ("tensor([], size=(0, 3))", "empty", "empty", 1, 8, {}),
    ("array([], shape=(0, 3), dtype=float64)", "empty", "empty", 1, 7, {}),
    ("3.5", "scalar", "scalar", 1, 1, {}),
    ("  \n 7\n", "scalar", "scalar", 2, 2, {}),
    ("tensor(3.)", "scalar", "scalar", 1, 8, {}),
    ("tensor(-0.5000, grad_fn=<MeanBackward0>)", "scalar", "scalar", 1, 8, {}),
    ("[[1, 2], [3, 4, 5]]", "ragged", "ragged", 1, 17, {"path": [1], "got": 3, "first": [0], "want": 2}),
    ("[[1, 2, 3],\n [4, 5]]", "ragged", "ragged", 2, 7, {"path": [1], "got": 2, "first": [0], "want": 3}),
    ("[[[1], [2]], [[3], [4, 5]]]", "ragged", "ragged", 1, 24, {"path": [1, 1], "got": 2, "first": [0, 0], "want": 1}),
    ("[[[1], [2]], [[3]]]", "ragged", "ragged", 1, 18, {"path": [1], "got": 1, "first": [0], "want": 2}),
    ("[[1. 2.]\n [3. 4. 5.]]", "ragged", "ragged", 2, 9, {"path": [1], "got": 3, "first": [0], "want": 2}),
    ("1,2\n3,4,5", "ragged", "ragged_row", 2, 5, {"row": 2, "got": 3, "want": 2}),
    ("1 2 3\n4 5", "ragged", "ragged_row", 2, 4, {"row": 2, "got": 2, "want": 3}),
    ("1 2\n3", "ragged", "ragged_row_one", 2, 2, {"row": 2, "got": 1, "want": 2}),
    ("1 2\n3 4\n\n5 6 7\n8 9 0", "ragged", "ragged_block_row", 4, 5, {"row": 1, "block": 2, "got": 3, "want": 2}),
    ("1 2\n3 4\n\n5 6\n7", "ragged", "ragged_block_row_one", 5, 2, {"row": 2, "block": 2, "got": 1, "want": 2}),
    ("1 2\n3 4\n\n5 6", "ragged", "ragged_block_one", 4, 1, {"block": 2, "got": 1, "want": 2}),
    ("1 2\n\n3 4\n5 6", "ragged", "ragged_block", 4, 1, {"block": 2, "got": 2, "want": 1}),
    ("[[1, 2], 3]", "mixed_depth", "mixed_depth_number", 1, 10, {}),
    ("[1, [2]]", "mixed_depth", "mixed_depth_list", 1, 5, {}),
    ("[1, abc]", "not_number", "not_number", 1, 5, {"word": "'abc'"}),
    ("[1, 2x]", "not_number", "not_number", 1, 5, {"word": "'2x'"}),
    ("[1, None]", "not_number", "not_number", 1, 5, {"word": "'None'"}),
    ("[1, 1-2]", "not_number", "not_number", 1, 5, {"word": "'1-2'"}),
    ("1, 2\n3, four", "not_number", "not_number", 2, 4, {"word": "'four'"}),
    ("a,1,2\n1,2,3", "not_number", "not_number_header", 1, 1, {"word": "'a'"}),  # names and values: no header
    (">>> x = [1, 2]", "not_number", "not_number_code", 1, 1, {"word": "'>>> x = [1'"}),  # x = [1, 2] is read
    ("[np.float64]", "not_number", "not_number_in_call", 1, 12, {"call": "np.float64"}),
    ("[" + "y" * 50 + "]", "not_number", "not_number", 1, 2, {"word": repr("y" * 39 + "…")}),
    ("[true, false]", "boolean", "boolean", 1, 2, {"word": "'true'"}),
    ("tensor([ True, False])", "boolean", "boolean", 1, 10, {"word": "'True'"}),
    ("1 False", "boolean", "boolean", 1, 3, {"word": "'False'"}),
    ("[1, NaN]", "nonfinite", "nonfinite", 1, 5, {"word": "'NaN'"}),
    ("[1, nan]", "nonfinite", "nonfinite", 1, 5, {"word": "'nan'"}),
    ("[1, Infinity]", "nonfinite", "nonfinite", 1, 5, {"word": "'Infinity'"}),
    ("[1, -Infinity]", "nonfinite", "nonfinite", 1, 5, {"word": "'-Infinity'"}),
    ("array([ nan,  inf, -inf])", "nonfinite", "nonfinite", 1, 9, {"word": "'nan'"}),
    ("tensor([1., -inf])", "nonfinite", "nonfinite", 1, 13, {"word": "'-inf'"}),
    ("1\tinf", "nonfinite", "nonfinite", 1, 3, {"word": "'inf'"}),
    ("tensor(nan)", "nonfinite", "nonfinite", 1, 8, {"word": "'nan'"}),
    ("[1e999]", "overflow", "overflow", 1, 2, {"word": "'1e999'"}),
    ("[1, ...]", "elided", "elided", 1, 5, {}),
    ("tensor([0.0000e+00, 1.0000e+00,  ..., 1.9990e+03])", "elided", "elided", 1, 34, {}),
    ("array([0.000e+00, 1.000e+00, ..., 1.999e+03], shape=(2000,))", "elided", "elided", 1, 30, {}),
    ("[[0. 1.]\n ...\n [8. 9.]]", "elided", "elided", 2, 2, {}),
    ("1 2 ... 9", "elided", "elided", 1, 5, {}),
    ('["1", "2"]', "string", "string", 1, 2, {"word": "'\"1\"'"}),
    ("['a']", "string", "string", 1, 2, {"word": "\"'a'\""}),
    ("[1+2j]", "complex", "complex", 1, 2, {"word": "'1+2j'"}),
    ("array([1.+2.j, 3.-1.j])", "complex", "complex", 1, 8, {"word": "'1.+2.j'"}),
    ("1 (1+2j)", "complex", "complex", 1, 3, {"word": "'(1+2j)'"}),
    ("[1, 2", "unbalanced", "unclosed_list", 1, 1, {}),
    ("[1, 2  \n ", "unbalanced", "unclosed_list", 1, 1, {}),
    ("]", "unbalanced", "unmatched_close", 1, 1, {}),
    ("[[1, 2], [3, 4]", "unbalanced", "unclosed_list", 1, 1, {}),
    ("[[1, 2], [3, 4", "unbalanced", "unclosed_list", 1, 10, {}),
    ("[1, 2]]", "unexpected", "extra_close", 1, 7, {}),
    ("[1, 2]\n[3, 4]", "unexpected", "several_lists", 2, 1, {}),
    ("[1, 2] x", "unexpected", "unexpected_after_list", 1, 8, {}),
    ("tensor([1., 2.]", "unbalanced", "unclosed_call", 1, 16, {"call": "tensor"}),
    ("tensor([1.]) x", "unexpected", "unexpected_after_call", 1, 14, {"call": "tensor"}),
    ("[1 2, 3]", "separator", "separator_mixed", 1, 5, {}),
    ("[1, 2 3]", "separator", "separator_missing", 1, 7, {}),
    ("[[1, 2] [3, 4]]", "separator", "separator_missing", 1, 9, {}),
    ("[1,,2]", "separator", "separator_no_value", 1, 4, {}),
    ("[,1]", "separator", "separator_no_value", 1, 2, {}),
    ("[1; 2]", "unexpected", "unexpected_semicolon", 1, 3, {"word": "';'"}),
    ("[1, (2)]", "unexpected", "unexpected_in_list", 1, 5, {"word": "'('"}),
    ("1,,2", "empty_cell", "empty_cell", 1, 3, {"cell": 2, "sep": "','"}),
    ("1;2;;4", "empty_cell", "empty_cell", 1, 5, {"cell": 3, "sep": "';'"}),
    ("1\t\t2", "empty_cell", "empty_cell_tab", 1, 3, {"cell": 2}),
    (
        "tensor([1., 2.], foo=3)",
        "unknown_argument",
        "unknown_argument",
        1,
        18,
        {"name": "foo", "call": "tensor", "known": KNOWN},
    ),
    (
        "tensor([1], size=(1,), dtype=torch.quint8, quantization_scheme=torch.per_tensor_affine, scale=1.0)",
        "unknown_argument",
        "unknown_argument",
        1,
        44,
        {"name": "quantization_scheme", "call": "tensor", "known": KNOWN},
    ),
    (
        "tensor([1.], dtype=torch.float32, dtype=torch.float64)",
        "unexpected",
        "repeated_keyword",
        1,
        35,
        {"name": "dtype"},
    ),
    ("tensor([1.], 3)", "unexpected", "expected_keyword", 1, 14, {"call": "tensor"}),
    ("np.array([1.], 3)", "unexpected", "expected_keyword", 1, 16, {"call": "np.array"}),
    ("tensor([1.] 3)", "unexpected", "unexpected_after_values", 1, 13, {"word": "'3'"}),
    (
        "array([[1., 2.]], shape=(2, 1))",
        "shape",
        "shape",
        1,
        25,
        {"name": "shape", "value": "(2, 1)", "shape": "(1, 2)"},
    ),
    ("tensor([1., 2.], size=(3,))", "shape", "shape", 1, 23, {"name": "size", "value": "(3,)", "shape": "(2,)"}),
    ("matrix([[1, 2]])", "unknown_wrapper", "unknown_wrapper", 1, 1, {"word": "'matrix('"}),
    ("tensor(indices=tensor([[0]]))", "unexpected", "expected_bracket", 1, 8, {"call": "tensor"}),
    ("[[[[[[[[[1]]]]]]]]]", "too_deep", "too_deep", 1, 9, {"limit": 8}),
    ("\ufeff[1, nan]", "nonfinite", "nonfinite", 1, 5, {"word": "'nan'"}),
    ("［1，nan］", "nonfinite", "nonfinite", 1, 4, {"word": "'nan'"}),
    ("[[1, 2],\r\n [3, x]]", "not_number", "not_number", 2, 6, {"word": "'x'"}),
    ("1,2\r\n3,abc\r\n", "not_number", "not_number", 2, 3, {"word": "'abc'"}),
    # a lone UTF-16 surrogate (JSON can carry one as an escape, \\ud800) is no character: refused where it is
    ("[1, \ud800]", "surrogate", "surrogate", 1, 5, {"char": "U+D800"}),
    ("1 2\r\n3 4\udfff", "surrogate", "surrogate", 2, 4, {"char": "U+DFFF"}),
    ("［1，\ud83d］", "surrogate", "surrogate", 1, 4, {"char": "U+D83D"}),
    ("tensor([1.], grad_fn=<\udc00>)", "surrogate", "surrogate", 1, 23, {"char": "U+DC00"}),
    ("\ud800", "surrogate", "surrogate", 1, 1, {"char": "U+D800"}),
]


@pytest.mark.parametrize(("text", "kind", "code", "line", "column", "values"), REJECTED)
def test_rejected(text, kind, code, line, column, values):
    with pytest.raises(PasteError) as info:
        parse(text)
    e = info.value
    assert (e.kind, e.code, e.line, e.column, e.values) == (kind, code, line, column, values)
    assert isinstance(e, ValueError) and e.catalogue == "paste_errors"
    named = ", ".join(f"{k}={v}" for k, v in values.items())
    assert str(e) == f"{code} at {line}:{column}" + (f" ({named})" if named else "")


def test_a_character_beyond_the_basic_plane_is_no_surrogate():
    # an emoji is one code point in Python, not a surrogate pair: it is an ordinary word that is not a number
    with pytest.raises(PasteError) as info:
        parse("[1, \U0001f600]")
    assert (info.value.code, info.value.column) == ("not_number", 5)
    with pytest.raises(PasteError) as info:  # a surrogate far into a long text is found where it is
        parse("1 2\n" * 100_000 + "3 \ud800")
    assert (info.value.code, info.value.line, info.value.column) == ("surrogate", 100_001, 3)


def test_non_string_input():
    with pytest.raises(PasteError) as info:
        parse(b"[1, 2]")  # type: ignore[arg-type]
    assert (info.value.code, info.value.kind, info.value.line, info.value.column) == ("type", "type", 1, 1)


def test_paste_error_is_data():
    e = PasteError("ragged_row", 3, 7, row=2, want=4, got=3)
    assert (e.code, e.kind, e.line, e.column, e.values) == (
        "ragged_row",
        "ragged",
        3,
        7,
        {"row": 2, "want": 4, "got": 3},
    )
    assert str(e) == "ragged_row at 3:7 (row=2, want=4, got=3)"
    assert str(PasteError("scalar", 1, 1)) == "scalar at 1:1" and str(PasteError("elided")) == "elided"
    assert PasteError("empty").kind == "empty"  # a code that is its own kind
    copy = pickle.loads(pickle.dumps(e))
    assert (copy.code, copy.line, copy.column, copy.values, str(copy)) == (e.code, 3, 7, e.values, str(e))


# The codes the API has always returned ("code" of an error item): clients may branch on them.
API_KINDS = {
    *("type", "empty", "scalar", "too_many", "too_deep", "ragged", "mixed_depth", "not_number", "boolean"),
    *("nonfinite", "overflow", "elided", "string", "complex", "unbalanced", "unexpected", "separator"),
    *("empty_cell", "unknown_argument", "shape", "unknown_wrapper", "surrogate"),
}


def test_every_wording_belongs_to_a_kind_the_api_already_returns():
    assert set(KIND.values()) <= API_KINDS
    assert {kind for _, kind, *_ in REJECTED} <= API_KINDS
    assert all(code != kind and code not in API_KINDS for code, kind in KIND.items())


# ---------------------------------------------------------------------------------------------------- limits


@pytest.mark.parametrize(
    "text",
    [
        "[1, 2, 3, 4, 5]",
        "[[1, 2], [3, 4], [5, 6]]",
        "1 2 3\n4 5 6",
        "tensor([1., 2., 3., 4., 5.], requires_grad=True)",
    ],
)
def test_max_elements_is_exact(text):
    n = int(np.asarray(parse(text).values).size)
    assert parse(text, max_elements=n).values.size == n
    with pytest.raises(PasteError) as info:
        parse(text, max_elements=n - 1)
    assert (info.value.code, info.value.values) == ("too_many", {"limit": n - 1, "nth": n})


def test_too_many_values_fails_fast_without_building_them():
    n = 5_000_000
    text = "[" + "1," * n + "1]"
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        with pytest.raises(PasteError) as info:
            parse(text)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    e = info.value
    assert e.code == "too_many" and e.values == {"limit": MAX_ELEMENTS, "nth": MAX_ELEMENTS + 1}
    assert (e.line, e.column) == (1, 2 + 2 * MAX_ELEMENTS)  # value 4,194,305 (each value is "1,")
    # 4M floats in a list would take over 130 MB; the guard works a 1 MB chunk at a time
    assert peak < 20e6, f"peak {peak / 1e6:.1f} MB"
    assert seconds < 5, f"{seconds:.2f} s"


@pytest.mark.parametrize("sep", [" ", ",", "\n"])
def test_too_many_rows_values_fail_fast(sep):
    text = sep.join(["1.5"] * (MAX_ELEMENTS + 1000))
    t0 = time.perf_counter()
    with pytest.raises(PasteError) as info:
        parse(text)
    assert info.value.code == "too_many"
    assert time.perf_counter() - t0 < 5


def test_millions_of_empty_cells_or_lines_fail_without_splitting_them():
    with pytest.raises(PasteError) as info:
        parse("1" + "," * 5_000_000 + "1", max_elements=1000)
    assert info.value.code == "empty_cell" and (info.value.line, info.value.column) == (1, 3)
    with pytest.raises(PasteError) as info:
        parse("1 2" + "\n" * 100_000 + "3 4", max_elements=1000)
    assert (info.value.code, info.value.kind, info.value.values) == (
        "too_many_lines",
        "too_many",
        {"lines": 100_001, "limit": 1000},
    )
    assert (info.value.line, info.value.column) == (1, 1)


def test_ten_thousand_brackets_are_one_error_not_a_recursion_error():
    for text in ("[" * 10_000, "[" * 10_000 + "1" + "]" * 10_000, "tensor(" + "[" * 10_000):
        with pytest.raises(PasteError) as info:
            parse(text)
        assert info.value.code == "too_deep"
        assert info.value.column == 9 + (7 if text.startswith("tensor") else 0)


@pytest.mark.parametrize("depth", [1, 3, 8])
def test_max_depth(depth):
    ok = "[" * depth + "1" + "]" * depth
    assert parse(ok, max_depth=depth).shape == (1,) * depth
    deeper = "[" + ok + "]"
    with pytest.raises(PasteError) as info:
        parse(deeper, max_depth=depth)
    assert info.value.code == "too_deep" and info.value.column == depth + 1
    rows = {1: "1 2\n3 4", 2: "1 2\n\n3 4", 3: None, 8: None}[depth]  # 2-D rows, 3-D blocks
    if rows:
        with pytest.raises(PasteError) as info:
            parse(rows, max_depth=depth)
        assert (info.value.code, info.value.values) == ("too_deep", {"limit": depth})
        assert (info.value.line, info.value.column) == (2 if depth == 1 else 3, 1)


def test_one_million_json_values_parse_in_about_a_second():
    a = np.random.default_rng(0).standard_normal((1000, 1000))
    text = json.dumps(a.tolist())
    t0 = time.perf_counter()
    p = parse(text)
    seconds = time.perf_counter() - t0
    np.testing.assert_array_equal(p.values, a)
    assert seconds < 5, f"{seconds:.2f} s"  # about 0.7 s on the 2-core CI machine


def test_long_digit_runs_do_not_backtrack():
    t0 = time.perf_counter()
    for text in ("[" + "1" * 200_000 + "x]", "1 " + "1" * 200_000 + "x", "[" + "1" * 200_000 + "]"):
        with pytest.raises(PasteError):
            parse(text)
    assert time.perf_counter() - t0 < 2


# --------------------------------------------------------------------------------------- fast vs exact path

FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)
ARRAYS = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), elements=FINITE)


def exact(text: str):
    flat, shape, comma, end = _exact_body(text, 0, MAX_ELEMENTS, 8)
    assert end == len(text.rstrip())
    return np.array(flat).reshape(shape), comma


def lists_text(a: np.ndarray, comma: bool, draw) -> str:
    """`a` written as nested lists with commas or spaces, random white space and trailing commas."""
    space = st.sampled_from(["", " ", "\n", "  \t"])
    if a.ndim == 0:
        return repr(float(a))
    items = [lists_text(s, comma, draw) for s in a]
    sep = "," if comma else " "
    body = "".join(
        item + (draw(space) + sep + draw(space) if i < len(items) - 1 else "") for i, item in enumerate(items)
    )
    trailing = draw(st.sampled_from(["", ","])) if comma else ""
    return "[" + draw(space) + body + trailing + draw(space) + "]"


@given(a=ARRAYS, comma=st.booleans(), data=st.data())
def test_fast_and_exact_paths_agree_on_valid_lists(a, comma, data):
    text = lists_text(a, comma, data.draw)
    fast = _fast_body(text, MAX_ELEMENTS, 8)
    assert fast is not None
    values, fast_comma = fast
    exact_values, exact_comma = exact(text)
    np.testing.assert_array_equal(values, a)
    np.testing.assert_array_equal(exact_values, a)
    assert exact_values.shape == values.shape == a.shape
    assert fast_comma == exact_comma


@given(st.lists(st.sampled_from(["[", "]", ",", " ", "\n", "1", "-2.5", "3e2", ".5", "5.", "e", "+", "1-2", "..."])))
def test_fast_path_never_accepts_what_the_exact_path_rejects(tokens):
    text = "[" + "".join(tokens)
    fast = _fast_body(text, MAX_ELEMENTS, 8)
    try:
        expected = exact(text)
    except Exception:
        assert fast is None
        return
    if fast is not None:
        np.testing.assert_array_equal(fast[0], expected[0])
        assert fast[0].shape == expected[0].shape


@pytest.mark.parametrize("text", [c[0] for c in ACCEPTED if c[0].lstrip("\ufeff").startswith("[")])
def test_both_paths_read_every_accepted_list(text):
    text = text.lstrip("\ufeff").rstrip()
    want = parse(text).values
    got, _ = exact(text)
    np.testing.assert_array_equal(got, want)
    fast = _fast_body(text, MAX_ELEMENTS, 8)
    if "np." in text:  # NumPy scalar reprs are left to the exact path
        assert fast is None
    else:
        assert fast is not None
        np.testing.assert_array_equal(fast[0], want)


ROW_TOKENS = ["1", "-2.5", "3e2", ".5", " ", "\t", ",", ";", "\n", "\n\n", "e", ".", "1-2", "+", "x", "1e999"]
ROW_TOKENS += ["\u2003", "1,2,3\n", "4 5\n", "\n\n\n", "1\t2\n3\t4\n\n"]


def _exactly(text: str, delim: str | None, max_elements: int, resume=None):
    try:
        values, *layout = _exact_rows(text, delim, max_elements, 8, *([resume] if resume else []))
    except _Problem as p:
        return ("problem", p.code, p.at, p.values)
    return ("read", values.tolist(), layout)


@settings(max_examples=400)
@given(st.lists(st.sampled_from(ROW_TOKENS), min_size=1), st.sampled_from([4, 9, MAX_ELEMENTS]))
def test_rows_fast_path_reads_what_the_exact_path_reads_or_hands_over_where_it_says_the_same(tokens, max_elements):
    text = "".join(tokens)
    delim = _delimiter(text)
    fast = _fast_rows(text, delim, max_elements, 8)
    from_start = _exactly(text, delim, max_elements)
    if isinstance(fast, Resume):  # the exact reader from there: the same values or the same problem
        assert _exactly(text, delim, max_elements, fast) == from_start
    else:
        assert from_start == ("read", fast[0].tolist(), list(fast[1:]))


DEFECTS = ["", "x", "1e999", "\u2003", "1 2", "-", "\n\n"]


@st.composite
def rows_with_a_defect(draw):
    """Blocks of rows of numbers with at most one defect somewhere: a bad cell, a cell too many or too few, a
    row or block too many or too few, a character no row has."""
    sep = draw(st.sampled_from(["\t", ";", ",", " "]))
    width, tall, blocks = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    grid = [[[str(draw(st.sampled_from([1, -2.5, 3e2, 0.5]))) for _ in range(width)] for _ in range(tall)]]
    grid = [[list(r) for r in grid[0]] for _ in range(blocks)]
    b, r, c = draw(st.integers(0, blocks - 1)), draw(st.integers(0, tall - 1)), draw(st.integers(0, width - 1))
    kind = draw(st.sampled_from(["cell", "wide", "narrow", "extra_row", "short_block", "none"]))
    if kind == "cell":
        grid[b][r][c] = draw(st.sampled_from(DEFECTS))
    elif kind == "wide":
        grid[b][r].append("7")
    elif kind == "narrow" and width > 1:
        grid[b][r].pop()
    elif kind == "extra_row":
        grid[b].insert(r, list(grid[b][r]))
    elif kind == "short_block" and tall > 1:
        grid[b].pop()
    return "\n\n".join("\n".join(sep.join(row) for row in block) for block in grid)


@settings(max_examples=300)
@given(rows_with_a_defect(), st.sampled_from([5, 40, MAX_ELEMENTS]))
def test_rows_with_a_defect_read_the_same_from_the_fast_path_and_from_the_start(text, max_elements):
    delim = _delimiter(text)
    fast = _fast_rows(text, delim, max_elements, 8)
    from_start = _exactly(text, delim, max_elements)
    if isinstance(fast, Resume):
        assert _exactly(text, delim, max_elements, fast) == from_start
    else:
        assert from_start == ("read", fast[0].tolist(), list(fast[1:]))


def test_a_bad_cell_after_a_million_short_rows_is_handed_to_the_exact_reader_at_its_row():
    rows = ["1\t2\t3\t4"] * 1_000_000
    rows[999_998] = "1\t2\t\t4"
    text = "\n".join(rows)
    fast = _fast_rows(text, "\t", MAX_ELEMENTS, 8)
    assert isinstance(fast, Resume) and fast.at == text.index("1\t2\t\t4") and len(fast.cells) == 3_999_992
    with pytest.raises(PasteError) as info:
        parse(text)
    assert (info.value.code, info.value.line, info.value.column) == ("empty_cell_tab", 999_999, 5)


def test_a_ragged_last_row_or_short_last_block_is_named_where_it_is():
    with pytest.raises(PasteError) as info:
        parse("\n".join(["1 2"] * 50_000 + ["1 2 3"]))
    assert (info.value.code, info.value.line) == ("ragged_row", 50_001)
    with pytest.raises(PasteError) as info:
        parse("\n".join(["1 2"] * 3) + "\n\n" + "\n".join(["1 2"] * 2))
    assert (info.value.code, info.value.line) == ("ragged_block", 5)


# ------------------------------------------------------------------------------------------------ round trips


@given(ARRAYS)
def test_round_trip_json(a):
    p = parse(json.dumps(a.tolist()))
    assert p.format == "json" and p.shape == a.shape
    np.testing.assert_array_equal(p.values, a)


@given(ARRAYS, st.sampled_from([np.float64, np.float32]))
def test_round_trip_numpy_repr_and_str(a, dtype):
    a = a.astype(dtype) if dtype is np.float64 else np.clip(a, -1e38, 1e38).astype(dtype)
    with np.printoptions(threshold=sys.maxsize, floatmode="unique"):
        r, s = repr(a), str(a)
    p = parse(r)
    assert p.format == "numpy" and p.shape == a.shape
    assert p.dtype == (None if dtype is np.float64 else "float32")
    np.testing.assert_array_equal(p.values.astype(dtype), a)
    q = parse(s)
    assert q.shape == a.shape
    np.testing.assert_array_equal(q.values.astype(dtype), a)


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4),
        elements=st.floats(-1e300, 1e300),
    )
)
def test_round_trip_torch_str(a):  # (10 printed digits of 1.8e308 would round past float64's largest)
    torch.set_printoptions(precision=10, profile="full")
    try:
        text = str(torch.from_numpy(a))
    finally:
        torch.set_printoptions(profile="default")
    p = parse(text)
    assert p.format == "torch" and p.shape == a.shape and p.dtype == "float64"
    # printed with 10 decimals (fixed) or 10 mantissa digits (scientific)
    np.testing.assert_allclose(p.values, a, rtol=1e-9, atol=1e-10)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4), elements=FINITE))
def test_round_trip_rows_and_blocks(a):
    if a.size == 1:
        return
    for sep in (",", "\t", " ", ";"):
        blocks = ["\n".join(sep.join(repr(float(x)) for x in row) for row in m) for m in a.reshape(-1, *a.shape[-2:])]
        p = parse("\n\n".join(blocks) + "\n")
        want = a[0] if a.ndim == 3 and a.shape[0] == 1 else a  # one block reads as 2-D
        want = want[0] if want.ndim == 2 and want.shape[0] == 1 else want  # one row reads as 1-D
        assert p.shape == want.shape
        np.testing.assert_array_equal(p.values, want)


def test_the_note_names_what_it_read() -> None:
    assert parse("［1，−2］").notes == [("full_width", {"chars": "“，” “［” “］” “−”", "ascii": "“,” “[” “]” “-”"})]


@pytest.mark.parametrize(
    ("text", "values", "notes"),
    [
        ("x = [[1, 2], [3, 4]]", [[1, 2], [3, 4]], [("assignment", {"name": "x"})]),
        ("x = torch.tensor([1., 2.]);", [1, 2], [("assignment", {"name": "x"}), ("semicolon", {})]),
        ("self.w.data=np.array([[1, 2]])", [[1, 2]], [("assignment", {"name": "self.w.data"})]),
        ("[[1, 2, 3]];\n", [[1, 2, 3]], [("semicolon", {})]),
    ],
)
def test_a_line_of_code_around_the_tensor(text, values, notes):
    """What a student copies from a notebook: an assignment before the tensor, a ';' after it."""
    p = parse(text)
    np.testing.assert_array_equal(p.values, values)
    assert p.notes == notes


@pytest.mark.parametrize(
    ("text", "code", "column"),
    [
        ("x = 1 2 3", "not_number_header", 1),  # text, not a list: refused as before
        ("x == [1]", "not_number_header", 1),
        ("x = foo([1])", "unknown_wrapper", 5),  # the call is named where it is
        ("x = [[1, 2], [3]]", "ragged", 16),  # positions in the text as pasted (12 without "x = ")
        ("[1, 2]; 3", "unexpected_after_list", 7),  # a ';' with more after it
    ],
)
def test_a_line_of_code_that_is_not_a_tensor(text, code, column):
    with pytest.raises(PasteError) as info:
        parse(text)
    assert (info.value.code, info.value.line, info.value.column) == (code, 1, column)
