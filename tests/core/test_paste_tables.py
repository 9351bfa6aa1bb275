"""normlens.paste on the pastes people actually have beyond NumPy and PyTorch: CSV with a header row, pandas'
print-outs (whose header becomes the labels of the last axis) and TensorFlow / JAX reprs (read like NumPy's,
dtype kept). The pandas texts are verbatim output of pandas 3.1.1; the TensorFlow and JAX ones are made with
the format strings of their __repr__/__str__ (tf_repr, tf_str, tf_variable, jax_repr) from NumPy's own repr,
as TensorFlow and JAX do, so they print exactly what the libraries print."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from normlens.paste import PasteError, parse
from normlens.paste.table import MAX_LABEL

HEIGHTS = [[1.80, 70.0], [1.65, 55.5], [1.72, 63.2]]
LABELS = {"1": ["height", "weight"]}
HEADER = ("header", {"names": "height, weight", "axis": 1})
INDEX = ("index_column", {})

# ------------------------------------------------------------------------------------------------- pandas

TABLES = [
    # (text, format, values, labels, notes, dtype)
    (
        "height,weight\n1.8,70.0\n1.65,55.5\n1.72,63.2\n",
        "table",
        HEIGHTS,
        LABELS,
        [HEADER],
        None,
    ),  # to_csv(index=False)
    (",height,weight\n0,1.8,70.0\n1,1.65,55.5\n2,1.72,63.2\n", "pandas", HEIGHTS, LABELS, [HEADER, INDEX], None),
    (
        "   height  weight\n0    1.80    70.0\n1    1.65    55.5\n2    1.72    63.2",
        "pandas",
        HEIGHTS,
        LABELS,
        [HEADER, INDEX],
        None,
    ),
    (
        "      height  weight\nname                \na       1.80    70.0\nb       1.65    55.5\nc       1.72    63.2",
        "pandas",
        HEIGHTS,
        LABELS,
        [HEADER, INDEX],
        None,
    ),  # a named index prints its name on a line of its own; its values are words
    (
        "    身高  体重\n0  180  70\n1  165  55",
        "pandas",
        [[180, 70], [165, 55]],
        {"1": ["身高", "体重"]},
        [("header", {"names": "身高, 体重", "axis": 1}), INDEX],
        None,
    ),
    ("     0    1\n0  1.0  0.0\n1  0.0  1.0", "pandas", [[1, 0], [0, 1]], {}, [INDEX], None),  # numbered columns
    (
        "0    1.80\n1    1.65\n2    1.72\nName: height, dtype: float64",
        "pandas",
        [1.8, 1.65, 1.72],
        {},
        [INDEX],
        "float64",
    ),
    ("0    1.50\n1    2.00\n2    3.25\ndtype: float64", "pandas", [1.5, 2, 3.25], {}, [INDEX], "float64"),
    ("0    3\n1    4\ndtype: int64", "pandas", [3, 4], {}, [INDEX], "int64"),
    (
        "   height  weight\n0    1.80    70.0\n1    1.65    55.5\n2    1.72    63.2\n\n[3 rows x 2 columns]",
        "pandas",
        HEIGHTS,
        LABELS,
        [HEADER, INDEX],
        None,
    ),  # pd.set_option("display.show_dimensions", True)
    ('"height","weight"\n1.8,70\n1.65,55.5\n1.72,63.2', "table", HEIGHTS, LABELS, [HEADER], None),  # quoted names
    ("height\tweight\n1.8\t70\n1.65\t55.5\n1.72\t63.2\n", "table", HEIGHTS, LABELS, [HEADER], None),  # a spreadsheet
    ("height; weight\n1.8; 70\n1.65; 55.5\n1.72; 63.2", "table", HEIGHTS, LABELS, [HEADER], None),
    ("height weight\n1.8 70\n1.65 55.5\n1.72 63.2", "table", HEIGHTS, LABELS, [HEADER], None),
    ("x\n1\n2", "table", [[1], [2]], {"1": ["x"]}, [("header", {"names": "x", "axis": 1})], None),
    ("a,b\n1,2", "table", [1, 2], {"0": ["a", "b"]}, [("header", {"names": "a, b", "axis": 0})], None),
    (
        "a b\n1 2\n3 4\n\n5 6\n7 8",
        "table",
        [[[1, 2], [3, 4]], [[5, 6], [7, 8]]],
        {"2": ["a", "b"]},
        [("header", {"names": "a, b", "axis": 2})],
        None,
    ),
    (
        "\ufeffx1,x2\r\n1,2\r\n3,4\r\n",
        "table",
        [[1, 2], [3, 4]],
        {"1": ["x1", "x2"]},
        [("header", {"names": "x1, x2", "axis": 1})],
        None,
    ),
]


@pytest.mark.parametrize(("text", "fmt", "values", "labels", "notes", "dtype"), TABLES)
def test_tables(text, fmt, values, labels, notes, dtype):
    p = parse(text)
    assert (p.format, p.shape, p.dtype) == (fmt, np.shape(values), dtype)
    np.testing.assert_array_equal(p.values, values)
    assert p.labels == labels and p.notes == notes


def test_the_header_labels_the_last_axis_of_the_features_the_notes_talk_about():
    p = parse("height,weight\n1.8,70\n1.6,55\n1.75,68\n1.62,52\n")
    assert p.shape == (4, 2) and p.labels == {"1": ["height", "weight"]}
    assert p.values[:, 0].tolist() == [1.8, 1.6, 1.75, 1.62]


def test_a_describe_table_drops_its_row_names():
    p = parse(
        "          height     weight\ncount   3.000000   3.000000\nmean    1.723333  62.900000\n"
        "std     0.075056   7.505553"
    )  # df.describe().head(3), as pandas 3.1 prints it
    assert (p.format, p.shape, p.labels) == ("pandas", (3, 2), LABELS)
    assert p.values[1].tolist() == [1.723333, 62.9]


def test_full_width_commas_of_a_chinese_csv():
    p = parse("身高，体重\n1.8，70\n1.6，55")
    assert p.labels == {"1": ["身高", "体重"]} and p.notes[0] == ("full_width", {"chars": "“，”", "ascii": "“,”"})


def test_long_names_are_cut_with_a_note():
    name = "the body mass of the person in kilograms"
    p = parse(f"height,{name}\n1.8,70\n1.6,55")
    assert p.labels["1"] == ["height", name[: MAX_LABEL - 1] + "\u2026"] and len(p.labels["1"][1]) == MAX_LABEL
    assert ("names_cut", {"limit": MAX_LABEL}) in p.notes


def test_many_names_are_shown_in_part_in_the_note_and_kept_whole_in_the_labels():
    names = [f"f{i}" for i in range(12)]
    p = parse(",".join(names) + "\n" + ",".join(["1"] * 12))
    assert p.labels == {"0": names}
    assert p.notes == [("header", {"names": "f0, f1, f2, f3, f4, f5, f6, f7, \u2026", "axis": 0})]


# ------------------------------------------------------------------------------------------ pandas, refused

BIG = """\
             0           1   ...          28          29
0      0.000000    0.142857  ...    4.000000    4.142857
1      4.285714    4.428571  ...    8.285714    8.428571
..          ...         ...  ...         ...         ...
199  852.857143  853.000000  ...  856.857143  857.000000

[200 rows x 30 columns]"""
LONG_SERIES = "0      0.0\n1      1.0\n      ... \n98    98.0\n99    99.0\nName: x, Length: 100, dtype: float64"
WIDE = "   a  b  ...  y  z\n0  1  2  ...  3  4\n1  5  6  ...  7  8"
TALL = "   height  weight\n0    1.80    70.0\n..    ...     ...\n9    1.72    63.2"

WRAPPED = (  # pd.set_option("display.max_columns", None); str(df) of 14 columns: blocks of columns
    "   feature_0  feature_1  feature_2  feature_3  feature_4  feature_5  \\\n"
    "0   0.000000   0.333333   0.666667   1.000000   1.333333   1.666667   \n"
    "1   4.666667   5.000000   5.333333   5.666667   6.000000   6.333333   \n"
    "2   9.333333   9.666667  10.000000  10.333333  10.666667  11.000000   \n\n"
    "   feature_6  feature_7  feature_8  feature_9  feature_10  feature_11  \\\n"
    "0   2.000000   2.333333   2.666667   3.000000    3.333333    3.666667   \n"
    "1   6.666667   7.000000   7.333333   7.666667    8.000000    8.333333   \n"
    "2  11.333333  11.666667  12.000000  12.333333   12.666667   13.000000   \n\n"
    "   feature_12  feature_13  \n0    4.000000    4.333333  \n1    8.666667    9.000000  \n"
    "2   13.333333   13.666667  "
)

REFUSED = [
    # (text, kind, code, line, column, values)
    (BIG, "elided", "elided_table", 1, 30, {}),  # pandas shortened it: '...' columns and '..' rows
    (LONG_SERIES, "elided", "elided_table", 3, 7, {}),
    (WIDE, "elided", "elided_table", 1, 10, {}),
    (TALL, "elided", "elided_table", 3, 1, {}),
    (WRAPPED, "unexpected", "wrapped_table", 1, 70, {}),
    ("a,b,c\n1,2\n3,4", "ragged", "header_width", 1, 1, {"names": 3, "values": 2}),
    ("height weight\n0 1.8 70\n1 1.6 55", "ragged", "header_width", 1, 1, {"names": 2, "values": 3}),  # not indented
    ("height,weight\n1.8,x\n1.6,55", "not_number", "not_number", 2, 5, {"word": "'x'"}),  # no "delete the header"
    ("height,weight\n1.8,70\n1.6", "ragged", "ragged_row_one", 3, 4, {"row": 2, "got": 1, "want": 2}),
    ("height,weight\n", "empty", "empty", 1, 1, {}),
    ("a,1,2\n1,2,3", "not_number", "not_number_header", 1, 1, {"word": "'a'"}),  # a name among values: no header
    ("nan,1\n2,3", "nonfinite", "nonfinite", 1, 1, {"word": "'nan'"}),
    ("True,False\n1,0", "boolean", "boolean", 1, 1, {"word": "'True'"}),
    (">>> x = [1, 2]", "not_number", "not_number_code", 1, 1, {"word": "'>>> x = [1'"}),  # x = [1, 2] is read
    ("a\x07b,c\n1,2", "not_number", "not_number_header", 1, 1, {"word": "'a\\x07b'"}),  # a control character
    ("1 2\n3 4\n\n[2 rows x 2 columns]", "not_number", "not_number_code", 4, 1, {"word": "'[2'"}),  # no header
]


@pytest.mark.parametrize(("text", "kind", "code", "line", "column", "values"), REFUSED)
def test_refused(text, kind, code, line, column, values):
    with pytest.raises(PasteError) as info:
        parse(text)
    e = info.value
    assert (e.kind, e.code, e.line, e.column, e.values) == (kind, code, line, column, values)


def test_indented_rows_of_numbers_are_rows_not_a_numbered_header():
    p = parse("  0 1\n 3 4")
    assert p.format == "rows" and p.values.tolist() == [[0, 1], [3, 4]] and p.labels == {}


# ------------------------------------------------------------------------------------- TensorFlow and JAX


def tf_repr(a: np.ndarray, dtype: str) -> str:
    """EagerTensor.__repr__: "<tf.Tensor: shape=%s, dtype=%s, numpy=%s>", a multi-line numpy text on its own line."""
    text = repr(a)
    return f"<tf.Tensor: shape={tf_shape(a)}, dtype={dtype}, numpy={chr(10) if chr(10) in text else ''}{text}>"


def tf_str(a: np.ndarray, dtype: str) -> str:
    """EagerTensor.__str__ (what print() shows): "tf.Tensor(%s, shape=%s, dtype=%s)" around str(ndarray)."""
    text = str(a)
    return f"tf.Tensor({chr(10) if chr(10) in text else ''}{text}, shape={tf_shape(a)}, dtype={dtype})"


def tf_variable(a: np.ndarray, dtype: str, name: str = "Variable:0") -> str:
    text = repr(a)
    return f"<tf.Variable '{name}' shape={tf_shape(a)} dtype={dtype}, numpy={chr(10) if chr(10) in text else ''}{text}>"


def tf_shape(a: np.ndarray) -> str:
    return "(" + ", ".join(map(str, a.shape)) + ("," if a.ndim == 1 else "") + ")"  # TensorShape's str


def jax_repr(a: np.ndarray, weak: bool = False) -> str:
    """jax.Array.__repr__: np.array2string under the prefix "Array(", then the dtype (and weak_type)."""
    prefix, dtype = "Array(", f"dtype={a.dtype.name}" + (", weak_type=True" if weak else "")
    s = np.array2string(a, prefix=prefix, suffix=",", separator=", ", max_line_width=75)
    sep = " " if len(s) - s.rfind("\n") + 1 + len(dtype) + 1 <= 75 else "\n" + " " * len(prefix)
    return f"{prefix}{s},{sep}{dtype})"


ARRAYS = [
    np.array([1.5, -2.0, 3.25], dtype=np.float32),
    np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
    np.arange(24, dtype=np.float64).reshape(2, 3, 4) - 11.5,
    np.array([[1, 2], [3, 4]], dtype=np.int32),
    np.linspace(-1, 1, 40, dtype=np.float32).reshape(4, 10),
]


@pytest.mark.parametrize("a", ARRAYS, ids=lambda a: f"{a.dtype}{a.shape}")
@pytest.mark.parametrize("form", [tf_repr, tf_str, tf_variable])
def test_tensorflow_prints(a, form):
    text = form(a, a.dtype.name)
    p = parse(text)
    assert (p.format, p.shape, p.dtype, p.labels) == ("tensorflow", a.shape, a.dtype.name, {})
    np.testing.assert_allclose(p.values, a, rtol=1e-6)  # as printed: NumPy's shortest repr of each float32


def test_tensorflow_prints_as_the_library_does():
    a = np.arange(6, dtype=np.float32).reshape(2, 3) + 1
    assert tf_repr(a, "float32") == (
        "<tf.Tensor: shape=(2, 3), dtype=float32, numpy=\narray([[1., 2., 3.],\n       [4., 5., 6.]], dtype=float32)>"
    )
    assert tf_str(a, "float32") == "tf.Tensor(\n[[1. 2. 3.]\n [4. 5. 6.]], shape=(2, 3), dtype=float32)"
    b = np.array([1, 2, 3], dtype=np.int32)
    assert tf_variable(b, "int32", "var_b:0") == (
        "<tf.Variable 'var_b:0' shape=(3,) dtype=int32, numpy=array([1, 2, 3], dtype=int32)>"
    )  # as printed in Raschka's "Python Machine Learning", 3rd ed., chapter 14


def test_tensorflow_dtype_is_the_tensors_even_where_numpy_leaves_float64_unsaid():
    p = parse("<tf.Tensor: shape=(2,), dtype=float64, numpy=array([1., 2.])>")
    assert (p.format, p.dtype, p.values.tolist()) == ("tensorflow", "float64", [1, 2])
    p = parse("<tf.Tensor: shape=(2,), dtype=bfloat16, numpy=array([1, 2], dtype=bfloat16)>")
    assert p.dtype == "bfloat16"


TF_REFUSED = [
    ("<tf.Tensor: shape=(), dtype=float32, numpy=1.0>", "scalar", "scalar", 1, 44, {}),
    ("<tf.Variable 'w:0' shape=() dtype=float32, numpy=0.5>", "scalar", "scalar", 1, 50, {}),
    ("tf.Tensor(1.0, shape=(), dtype=float32)", "scalar", "scalar", 1, 11, {}),
    (
        "<tf.Tensor 'add:0' shape=(2,) dtype=float32>",
        "unknown_wrapper",
        "no_values",
        1,
        1,
        {"word": repr("<tf.Tensor 'add:0' shape=(2,) dtype=flo\u2026")},
    ),
    (
        "<KerasVariable shape=(3, 4), dtype=float32, path=dense/kernel>",
        "unknown_wrapper",
        "no_values",
        1,
        1,
        {"word": repr("<KerasVariable shape=(3, 4), dtype=floa\u2026")},
    ),
    (
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)",
        "unbalanced",
        "unclosed_angle",
        1,
        76,
        {},
    ),
    (
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)> x",
        "unexpected",
        "unexpected_after_angle",
        1,
        78,
        {},
    ),
    ("<tf.Tensor: shape=(2,), dtype=float32, numpy=[1., 2.]>", "unexpected", "expected_array", 1, 46, {}),
    (
        "<tf.Tensor: shape=(3,), dtype=float32, numpy=array([1., 2.], dtype=float32)>",
        "shape",
        "shape",
        1,
        46,
        {"name": "shape", "value": "(3,)", "shape": "(2,)"},
    ),
    (
        "tf.Tensor([1. 2.], shape=(3,), dtype=float32)",
        "shape",
        "shape",
        1,
        26,
        {"name": "shape", "value": "(3,)", "shape": "(2,)"},
    ),
    ("tf.Variable([1., 2.], name='w')", "unknown_wrapper", "unknown_wrapper", 1, 1, {"word": "'tf.Variable('"}),
    (
        "<tf.Tensor: shape=(2,), dtype=string, numpy=array([b'a', b'b'], dtype=object)>",
        "not_number",
        "not_number",
        1,
        52,
        {"word": "'b'"},
    ),
]


@pytest.mark.parametrize(("text", "kind", "code", "line", "column", "values"), TF_REFUSED)
def test_tensorflow_refused(text, kind, code, line, column, values):
    with pytest.raises(PasteError) as info:
        parse(text)
    e = info.value
    assert (e.kind, e.code, e.line, e.column, e.values) == (kind, code, line, column, values)


@pytest.mark.parametrize("a", ARRAYS, ids=lambda a: f"{a.dtype}{a.shape}")
def test_jax_reprs(a):
    p = parse(jax_repr(a))
    assert (p.format, p.shape, p.dtype, p.notes) == ("jax", a.shape, a.dtype.name, [])
    np.testing.assert_allclose(p.values, a, rtol=1e-6)


def test_jax_prints_as_the_library_does():
    assert jax_repr(np.array([1, 2, 3], dtype=np.float32)) == "Array([1., 2., 3.], dtype=float32)"
    a = np.arange(4, dtype=np.float32).reshape(2, 2)
    assert jax_repr(a) == "Array([[0., 1.],\n       [2., 3.]], dtype=float32)"


@pytest.mark.parametrize(
    ("text", "values", "dtype", "notes"),
    [
        (
            "Array([1., 2.], dtype=float32, weak_type=True)",
            [1, 2],
            "float32",
            [("ignored", {"name": "weak_type", "value": "True"})],
        ),
        ("DeviceArray([0.5, 1.5], dtype=float32)", [0.5, 1.5], "float32", []),  # jax before 0.4
        ("jnp.array([[1, 2]], dtype=jnp.int32)", [[1, 2]], "int32", []),
        ("Array([1, 2], dtype=bfloat16)", [1, 2], "bfloat16", []),
    ],
)
def test_jax_forms(text, values, dtype, notes):
    p = parse(text)
    assert (p.format, p.values.tolist(), p.dtype, p.notes) == ("jax", values, dtype, notes)


def test_a_summarized_jax_or_tensorflow_print_is_refused_as_elided():
    a = np.arange(2000, dtype=np.float32)
    for text in (jax_repr(a), tf_repr(a, "float32"), tf_str(a, "float32")):
        with pytest.raises(PasteError) as info:
            parse(text)
        assert info.value.kind == "elided"
    with pytest.raises(PasteError) as info:
        parse("Array(1., dtype=float32, weak_type=True)")
    assert info.value.code == "scalar"


# -------------------------------------------------------------------------------- speed and fail-fast


def timed(text: str):
    start = time.perf_counter()
    try:
        return parse(text), time.perf_counter() - start
    except PasteError as e:
        return e, time.perf_counter() - start


def test_values_under_a_header_parse_as_fast_as_plain_rows():
    rng = np.random.default_rng(0)
    a = np.round(rng.normal(size=(100_000, 5)), 4)
    rows = "\n".join(",".join(map(repr, row)) for row in a.tolist())
    _, plain = timed(rows)
    p, headed = timed("a,b,c,d,e\n" + rows)
    assert headed < 1.5 * plain + 0.25  # one look at the header, then the rows' fast path
    assert p.shape == a.shape and p.labels == {"1": list("abcde")}
    np.testing.assert_array_equal(p.values, a)
    e, failing = timed("a,b,c,d,e\n" + rows + "\n1,2,3,4,x")  # the first bad cell, found without a step per cell
    assert failing < 3 * plain + 0.5
    assert (e.code, e.line, e.column) == ("not_number", 100_002, 9)


def test_a_pandas_print_of_many_rows_drops_its_index_fast():
    lines = [f"{i:>6}  {i / 7:10.6f}  {i % 13:3d}" for i in range(100_000)]
    _, plain = timed("\n".join(line[6:] for line in lines))
    p, pandas = timed("             x    k\n" + "\n".join(lines))
    assert pandas < 2 * plain + 0.25  # the index blanked in one pass, then the rows' fast path
    assert p.shape == (100_000, 2) and p.labels == {"1": ["x", "k"]} and p.format == "pandas"
    assert p.values[-1].tolist() == [round(99_999 / 7, 6), 99_999 % 13]


# ---------------------------------------------------------------------------------------------- round trips

NAME = st.text("abcxyz_身高体重", min_size=1, max_size=10).filter(lambda s: any(c.isalpha() for c in s))
NAMES = st.lists(NAME, min_size=1, max_size=6, unique=True)
FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(NAMES, st.data(), st.sampled_from([",", "\t", ";"]), st.booleans())
def test_round_trip_csv_with_a_header(names, data, sep, index):
    a = data.draw(hnp.arrays(np.float64, (data.draw(st.integers(2, 6)), len(names)), elements=FINITE))
    lines = [sep.join(([""] if index else []) + names)]
    lines += [sep.join(([str(i)] if index else []) + [repr(v) for v in row]) for i, row in enumerate(a.tolist())]
    p = parse("\n".join(lines))
    assert p.format == ("pandas" if index else "table") and p.labels == {"1": names}
    np.testing.assert_array_equal(p.values, a)
