"""POST /api/v1/parse: how pasted text is read, and errors with the line and column the editor points at."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from normlens.app.lessons import error_text, note_text
from normlens.paste import PasteError, parse
from tests.app.api_helpers import errors
from tests.app.words import CJK

PARSE = "/api/v1/parse"

TEXTS = [
    ("[[1, 2], [3, 4]]", "json", [2, 2], None),
    ("1 2 3\n4 5 6", "rows", [2, 3], None),
    ("1\t2\n3\t4\n\n5\t6\n7\t8", "blocks", [2, 2, 2], None),
    ("array([[1., 2.]], dtype=float32)", "numpy", [1, 2], "float32"),
    (
        "tensor([[1., 2.],\n        [3., 4.]], dtype=torch.float64, requires_grad=True)",
        "torch",
        [2, 2],
        "float64",
    ),
]


@pytest.mark.parametrize(("text", "fmt", "shape", "dtype"), TEXTS)
def test_formats(client: TestClient, text: str, fmt: str, shape: list[int], dtype: str | None) -> None:
    r = client.post(PARSE, json={"text": text})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["format"], out["shape"], out["dtype"]) == (fmt, shape, dtype)
    expected = parse(text)
    assert np.array_equal(np.asarray(out["values"]), expected.values.reshape(expected.shape))
    notes = [note_text(code, values) for code, values in expected.notes]
    assert out["notes"] == [t.en for t in notes] and out["notes_zh"] == [t.zh for t in notes]


def test_notes_in_both_languages(client: TestClient) -> None:
    out = client.post(PARSE, json={"text": "tensor([1., 2.], requires_grad=True)"}).json()
    assert out["notes"] == ["ignored requires_grad=True"] and len(out["notes_zh"]) == 1


def test_large_paste_sends_shape_without_values(client: TestClient) -> None:
    text = "\n".join(" ".join(str(i * 100 + j) for j in range(100)) for i in range(50))  # 5,000 > 4,096
    out = client.post(PARSE, json={"text": text}).json()
    assert out["shape"] == [50, 100] and out["values"] is None


@pytest.mark.parametrize(
    ("text", "line", "column", "code"),
    [
        ("[[1, 2],\n [3, x]]", 2, 6, "not_number"),
        ("[[1, 2],\n [3]]", 2, 4, "ragged"),
        ("1 2 nan", 1, 5, "nonfinite"),
    ],
)
def test_errors_point_at_line_and_column(client: TestClient, text: str, line: int, column: int, code: str) -> None:
    r = client.post(PARSE, json={"text": text})
    assert r.status_code == 422
    (err,) = errors(r)
    assert err["loc"] == ["body", "text"] and err["type"] == "paste_error"
    assert (err["line"], err["column"], err["code"]) == (line, column, code)
    assert err["msg"] and err["msg_zh"]


@pytest.mark.parametrize(
    ("text", "code", "msg"),
    [
        ("1 2\n3", "ragged", "row 2 has 1 value but row 1 has 2"),
        ("[1, 2]]", "unexpected", "']' has no matching '['"),
        ("tensor([1.], dtype=float32, dtype=float64)", "unexpected", "dtype= is given twice"),
    ],
)
def test_error_items_carry_the_stable_code_and_the_lesson_words(
    client: TestClient, text: str, code: str, msg: str
) -> None:
    (err,) = errors(client.post(PARSE, json={"text": text}))
    with pytest.raises(PasteError) as info:
        parse(text)
    words = error_text(info.value)
    assert (err["code"], err["msg"], err["msg_zh"]) == (code, msg, words.zh) and words.en == msg
    assert (err["line"], err["column"]) == (info.value.line, info.value.column)


def test_notes_in_chinese(client: TestClient) -> None:
    out = client.post(PARSE, json={"text": "［1，2］"}).json()
    assert out["notes"] == ["read “，” “［” “］” as “,” “[” “]”"]
    assert out["notes_zh"] == ["已将 “，” “［” “］” 按半角 “,” “[” “]” 处理"]


def test_parse_and_trace_agree_on_errors(client: TestClient) -> None:
    text = "[[1, 2],\n [3, x]]"
    parsed = errors(client.post(PARSE, json={"text": text}))[0]
    traced = errors(client.post("/api/v1/trace", json={"layer": "layer_norm", "input": {"text": text}}))[0]
    assert traced["loc"] == ["body", "input", "text"]
    assert {k: traced[k] for k in ("msg", "line", "column", "code")} == {
        k: parsed[k] for k in ("msg", "line", "column", "code")
    }


def test_deep_brackets_are_one_error_not_a_crash(client: TestClient) -> None:
    r = client.post(PARSE, json={"text": "[" * 10_000 + "1" + "]" * 10_000})
    assert r.status_code == 422
    assert errors(r)[0]["loc"] == ["body", "text"]


def test_big_paste_parses_off_the_event_loop(client: TestClient) -> None:
    text = "\n".join(" ".join(["1.5"] * 1000) for _ in range(100))  # 400 kB: parsed in a worker thread
    out = client.post(PARSE, json={"text": text}).json()
    assert out["shape"] == [100, 1000]


# --- the pastes people actually have: tables (their header labels the last axis), TensorFlow, JAX -------------

MORE_TEXTS = [
    ("height,weight\n1.8,70.0\n1.65,55.5\n1.72,63.2\n", "table", [3, 2], None),
    ("   height  weight\n0    1.80    70.0\n1    1.65    55.5\n2    1.72    63.2", "pandas", [3, 2], None),
    ("0    1.80\n1    1.65\n2    1.72\nName: height, dtype: float64", "pandas", [3], "float64"),
    (
        "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[1., 2.],\n       [3., 4.]], dtype=float32)>",
        "tensorflow",
        [2, 2],
        "float32",
    ),
    ("<tf.Variable 'Variable:0' shape=(2,) dtype=float64, numpy=array([0.5, 1.5])>", "tensorflow", [2], "float64"),
    ("tf.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)", "tensorflow", [2, 2], "float32"),
    ("Array([[1., 2.],\n       [3., 4.]], dtype=float32)", "jax", [2, 2], "float32"),
]


@pytest.mark.parametrize(("text", "fmt", "shape", "dtype"), MORE_TEXTS)
def test_tables_and_other_libraries_prints(client: TestClient, text: str, fmt: str, shape: list[int], dtype) -> None:
    r = client.post(PARSE, json={"text": text})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["format"], out["shape"], out["dtype"]) == (fmt, shape, dtype)
    expected = parse(text)
    assert np.array_equal(np.asarray(out["values"]), expected.values)
    notes = [note_text(code, values) for code, values in expected.notes]
    assert out["notes"] == [t.en for t in notes] and out["notes_zh"] == [t.zh for t in notes]


def test_the_header_note_says_which_names_label_which_axis(client: TestClient) -> None:
    out = client.post(PARSE, json={"text": "height,weight\n1.8,70\n1.6,55"}).json()
    assert out["notes"] == ["read the first row as column names (height, weight): they label axis 1"]
    assert out["notes_zh"] == ["已把第一行读作列名（height, weight）：它们是第 1 维的标签"]


@pytest.mark.parametrize(
    ("text", "code", "msg"),
    [
        (
            "   a  b  ...  y  z\n0  1  2  ...  3  4",
            "elided",
            "pandas shortened this table with '...' when printing it; print it whole with "
            "pd.set_option('display.max_rows', None, 'display.max_columns', None), or paste df.to_csv()",
        ),
        ("a,b,c\n1,2\n3,4", "ragged", "the header row names 3 columns but the rows below it have 2 values"),
        (
            "<tf.Tensor 'add:0' shape=(2,) dtype=float32>",
            "unknown_wrapper",
            "\"<tf.Tensor 'add:0' shape=(2,) dtype=flo…\" was printed without its values: print t.numpy() "
            "(or the tensor in eager mode) and paste that",
        ),
    ],
)
def test_refused_tables_and_prints_say_why(client: TestClient, text: str, code: str, msg: str) -> None:
    (err,) = errors(client.post(PARSE, json={"text": text}))
    assert (err["code"], err["msg"]) == (code, msg) and CJK.search(err["msg_zh"])


def test_parse_returns_the_labels_it_found(client: TestClient) -> None:
    out = client.post(PARSE, json={"text": "height,weight\n1.8,70\n1.6,55"}).json()
    assert out["labels"] == {"1": ["height", "weight"]}
    assert client.post(PARSE, json={"text": "[[1, 2], [3, 4]]"}).json()["labels"] == {}


def test_a_trace_of_a_pasted_csv_carries_its_header_as_labels(client: TestClient) -> None:
    body = {"layer": "batch_norm", "input": {"text": "height,weight\n1.8,70\n1.6,55\n1.7,60\n1.5,50"}}
    assert client.post("/api/v1/trace", json=body).json()["labels"] == {"1": ["height", "weight"]}
    reshaped = {**body, "shape": [2, 2, 2]}  # the last axis keeps its length: still the columns
    assert client.post("/api/v1/trace", json=reshaped).json()["labels"] == {"2": ["height", "weight"]}
    random = {"layer": "batch_norm", "input": {"random": {"shape": [4, 2]}}}
    assert client.post("/api/v1/trace", json=random).json()["labels"] == {}


def test_a_trace_request_may_name_axis_positions_and_gets_them_back(client: TestClient) -> None:
    body = {"layer": "layer_norm", "input": {"random": {"shape": [1, 5, 4]}}, "params": {"normalized_shape": [4]}}
    out = client.post("/api/v1/trace", json={**body, "labels": {"1": list("我爱吃炸鸡")}})
    assert out.status_code == 200 and out.json()["labels"] == {"1": list("我爱吃炸鸡")}
    (err,) = errors(client.post("/api/v1/trace", json={**body, "labels": {"1": ["我"]}}))
    assert err["loc"] == ["body", "labels", "1"] and "give one label per position" in err["msg"]
