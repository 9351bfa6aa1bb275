"""Every bad request gets a 4xx whose error names the field and the problem; no 500, traceback or hang.

The session client re-raises any exception that reaches the server, so a bad input that slipped past
validation into an unexpected error fails its test instead of passing as "some error". Every error item carries
its message in English (msg) and Chinese (msg_zh), and no parser's or codec's own text.
"""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from normlens.app.draws import RandomTensor
from normlens.app.inputs import InputError
from tests.app.api_helpers import errors

TRACE = "/api/v1/trace"
JSON = {"content-type": "application/json"}
CJK = re.compile(r"[\u4e00-\u9fff]")
LIBRARY_TEXT = ("codec", "orjson", "surrogates not allowed", "char ", "Traceback", "JSONDecodeError")


def bilingual(items: list[dict[str, Any]]) -> None:
    """Every item has msg and msg_zh (Chinese), and neither quotes a library."""
    for e in items:
        assert e["msg"] and CJK.search(e["msg_zh"]), e
        assert not any(t in e["msg"] + e["msg_zh"] for t in LIBRARY_TEXT), e


OK_INPUT = {"values": [[1.0, 2.0], [3.0, 4.5]]}


def body(**overrides: Any) -> dict[str, Any]:
    return {"layer": "batch_norm", "input": OK_INPUT, **overrides}


def rejected(client: TestClient, payload: Any, loc: list[Any], *words: str, status: int = 422) -> dict[str, Any]:
    """POST payload; assert the status, an error at `loc`, and that its message contains every word."""
    r = (
        client.post(TRACE, json=payload)
        if not isinstance(payload, bytes)
        else client.post(TRACE, content=payload, headers=JSON)
    )
    assert r.status_code == status, r.text[:1000]
    bilingual(errors(r))
    found = [e for e in errors(r) if e["loc"] == loc]
    assert found, f"no error at {loc}: {[e['loc'] for e in errors(r)]}"
    msg = " ".join(e["msg"] for e in found)
    for word in words:
        assert word in msg, f"{word!r} not in {msg!r}"
    assert len(r.content) < 20_000  # errors never echo the whole body back
    return found[0]


# --- params, validated against the layer's spec -------------------------------------------------------------

PARAMS = [
    ("batch_norm", {"epsilon": 1e-3}, "epsilon", ["batch_norm has no argument 'epsilon'", "eps"]),
    ("batch_norm", {"eps": True}, "eps", ["valid number"]),
    ("batch_norm", {"eps": "1e-5"}, "eps", ["valid number"]),
    ("batch_norm", {"eps": 0}, "eps", ["greater than 0"]),
    ("batch_norm", {"eps": -1.0}, "eps", ["greater than 0"]),
    ("batch_norm", {"momentum": 1.5}, "momentum", ["less than or equal to 1"]),
    ("batch_norm", {"momentum": [0.1]}, "momentum", ["valid number"]),
    ("batch_norm", {"training": 1}, "training", ["valid boolean"]),
    ("batch_norm", {"training": "true"}, "training", ["valid boolean"]),
    ("batch_norm", {"affine": None}, "affine", ["valid boolean"]),
    ("batch_norm", {"num_batches_tracked": 1.5}, "num_batches_tracked", ["valid integer"]),
    ("batch_norm", {"num_batches_tracked": True}, "num_batches_tracked", ["valid integer"]),
    ("batch_norm", {"num_batches_tracked": -1}, "num_batches_tracked", ["greater than or equal to 0"]),
    ("batch_norm", {"layout": "NHWC"}, "layout", ["channels_first", "channels_last"]),
    ("batch_norm", {"gamma": [1, "2"]}, "gamma", ["gamma[1] is a string"]),
    ("batch_norm", {"gamma": [True, 1.0]}, "gamma", ["gamma[0] is a boolean"]),
    ("batch_norm", {"gamma": 2.0}, "gamma", ["valid list"]),
    ("batch_norm", {"gamma": []}, "gamma", ["gamma is empty"]),
    ("batch_norm", {"running_var": [[1], [1, 2]]}, "running_var", ["ragged"]),
    ("layer_norm", {"normalized_shape": [0]}, ["normalized_shape", 0], ["greater than or equal to 1"]),
    ("layer_norm", {"normalized_shape": 2}, "normalized_shape", ["valid list"]),
    ("layer_norm", {"normalized_shape": [4, 2.5]}, ["normalized_shape", 1], ["valid integer"]),
    ("group_norm", {"num_groups": 0}, "num_groups", ["greater than or equal to 1"]),
    ("rms_norm", {"eps": -1e-6}, "eps", ["greater than or equal to 0"]),
    ("dropout", {"p": 1.5}, "p", ["less than or equal to 1"]),
    ("dropout", {"p": False}, "p", ["valid number"]),
    ("dropout", {"seed": 2**40}, "seed", ["less than or equal to 4294967295"]),
    ("dropout", {"variant": "spatial"}, "variant", ["element", "channel", "alpha"]),
]


@pytest.mark.parametrize(("layer", "params", "name", "words"), PARAMS, ids=[f"{p[0]}-{p[2]}" for p in PARAMS])
def test_bad_params(client: TestClient, layer: str, params: dict[str, Any], name: Any, words: list[str]) -> None:
    loc = ["body", "params", *([name] if isinstance(name, str) else name)]
    rejected(client, body(layer=layer, params=params), loc, *words)


def test_params_must_be_an_object(client: TestClient) -> None:
    rejected(client, body(params=[1, 2]), ["body", "params"], "valid dictionary")


def test_params_for_another_layer_are_unknown(client: TestClient) -> None:
    err = rejected(client, body(layer="rms_norm", params={"momentum": 0.1}), ["body", "params", "momentum"])
    assert "rms_norm has no argument 'momentum'" in err["msg"] and "normalized_shape" in err["msg"]


def test_non_finite_param_written_as_1e999(client: TestClient) -> None:
    payload = b'{"layer": "batch_norm", "input": {"values": [1, 2]}, "params": {"eps": 1e999}}'
    rejected(client, payload, ["body", "params", "eps"], "finite number")


def test_nan_param(client: TestClient) -> None:
    payload = b'{"layer": "dropout", "input": {"values": [1, 2]}, "params": {"p": NaN}}'
    rejected(client, payload, ["body", "params", "p"], "finite number")


# --- the input tensor ---------------------------------------------------------------------------------------

VALUES = [
    ("ragged", [[1, 2], [3]], ["values[1] has 1 item", "values[0] has 2"]),
    ("ragged-mixed", [[1, 2], 3], ["ragged", "values[1] is a number but values[0] is a list"]),
    ("ragged-deeper", [[1, 2], [3, [4]]], ["values[1][1] is a list but values[0][0] is a number"]),
    ("string", [[1, "2"]], ["values[0][1] is a string"]),
    ("boolean", [1.0, True], ["values[1] is a boolean"]),
    ("null", [1.0, None], ["values[1] is null"]),
    ("object", [{"a": 1}], ["values[0] is an object"]),
    ("empty", [], ["values is empty"]),
    ("empty-row", [[], []], ["empty at values[0]"]),
    ("too-deep", [[[[[[[[[1.0]]]]]]]]], ["at most 8 axes"]),
]


@pytest.mark.parametrize(("values", "words"), [v[1:] for v in VALUES], ids=[v[0] for v in VALUES])
def test_bad_values(client: TestClient, values: Any, words: list[str]) -> None:
    rejected(client, body(input={"values": values}), ["body", "input", "values"], *words)


@pytest.mark.parametrize("scalar", [3.5, "1, 2", True, {"x": 1}])
def test_values_must_be_a_list(client: TestClient, scalar: Any) -> None:
    rejected(client, body(input={"values": scalar}), ["body", "input", "values"], "valid list")


@pytest.mark.parametrize(
    ("literal", "shown"),
    [(b"1e999", "inf"), (b"-1e999", "-inf"), (b"NaN", "nan"), (b"Infinity", "inf"), (b"-Infinity", "-inf")],
)
def test_non_finite_values(client: TestClient, literal: bytes, shown: str) -> None:
    payload = b'{"layer": "batch_norm", "input": {"values": [[1, 2], [3, ' + literal + b"]]}}"
    rejected(client, payload, ["body", "input", "values"], f"values[1][1] is {shown}", "finite")


def test_integer_beyond_float64(client: TestClient) -> None:
    payload = b'{"layer": "batch_norm", "input": {"values": [1, 1' + b"0" * 400 + b"]}, " + b'"params": {"eps": 1e999}}'
    r = client.post(TRACE, content=payload, headers=JSON)
    assert r.status_code == 422
    assert {tuple(e["loc"]) for e in errors(r)} == {("body", "input", "values"), ("body", "params", "eps")}


def test_too_many_values_rejected(client: TestClient) -> None:
    n = 4_194_305
    payload = b'{"layer": "batch_norm", "input": {"values": [' + b"0," * (n - 1) + b"0]}}"
    start = time.perf_counter()
    rejected(client, payload, ["body", "input", "values"], "more than 4,194,304 numbers")
    assert time.perf_counter() - start < 10


def test_values_beyond_float32_need_float64(client: TestClient) -> None:
    big = {"values": [[1.0, 2.0], [3.0, -1e39]]}
    rejected(client, body(input=big), ["body", "input"], "input[1][1] = -1e+39", "float32", "float64")
    r = client.post(TRACE, json=body(input=big, dtype="float64"))
    assert r.status_code == 200


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_a_subnormal_apart_are_traced(client: TestClient, dtype: str) -> None:
    """A range so narrow that 32 bins / range overflows: the histograms once crashed with a 500."""
    tiny = 1e-45 if dtype == "float32" else 5e-324
    for layer in ("layer_norm", "batch_norm"):
        for detail in ("auto", "summary"):  # arrays sent whole (the page bins them), and binned here
            given = {"values": [[0.0, tiny], [tiny, 0.0]]}
            r = client.post(TRACE, json=body(layer=layer, input=given, dtype=dtype, detail=detail))
            assert r.status_code == 200, r.text
        counts = r.json()["steps"][0]["summary"]["histogram"]["counts"]
        assert counts[0] == 2 and counts[-1] == 2 and sum(counts) == 4


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({}, ["none"]),
        ({"values": [1, 2], "random": {"shape": [2]}}, ["'values', 'random'"]),
        ({"values": None}, []),
    ],
)
def test_input_needs_exactly_one_kind(client: TestClient, given: dict[str, Any], words: list[str]) -> None:
    rejected(client, body(input=given), ["body", "input"], "exactly one of", *words)


def test_unknown_input_kind(client: TestClient) -> None:
    rejected(client, body(input={"tensor": [1, 2]}), ["body", "input", "tensor"], "Extra inputs")


def test_pasted_text_error_has_line_and_column(client: TestClient) -> None:
    err = rejected(client, body(input={"text": "[[1, 2],\n [3, oops]]"}), ["body", "input", "text"], "'oops'")
    assert (err["line"], err["column"]) == (2, 6)
    assert err["type"] == "paste_error" and err["msg_zh"]


def test_text_is_never_evaluated(client: TestClient) -> None:
    rejected(client, body(input={"text": "__import__('os').system('echo hi')"}), ["body", "input", "text"])


RANDOM = [
    ({"shape": [4096, 1025]}, "shape", ["4,198,400 elements", "limit is 4,194,304"]),
    ({"shape": [2**40, 2**40]}, "shape", ["limit"]),
    ({"shape": [2, 0]}, ["shape", 1], ["greater than or equal to 1"]),
    ({"shape": [2, -1]}, ["shape", 1], ["greater than or equal to 1"]),
    ({"shape": []}, "shape", ["at least 1 item"]),
    ({"shape": [1] * 9}, "shape", ["at most 8"]),
    ({"shape": [2, 2.5]}, ["shape", 1], ["valid integer"]),
    ({"shape": [2], "seed": -1}, "seed", ["greater than or equal to 0"]),
    ({"shape": [2], "seed": True}, "seed", ["valid integer"]),
    ({"shape": [2], "distribution": "cauchy"}, "distribution", ["normal", "uniform", "integers"]),
    ({"shape": [2], "std": -1.0}, "std", ["greater than or equal to 0"]),
    ({"shape": [2], "distribution": "uniform", "std": 2.0}, "std", ["does not apply", "low and high"]),
    ({"shape": [2], "distribution": "uniform", "low": 1.0, "high": 1.0}, "high", ["high must exceed low"]),
    ({"shape": [2], "distribution": "integers", "low": 0.5}, "low", ["whole number"]),
    # found by schemathesis: as a float -(2**53 + 1) rounds to -(2**53), inside the schema's minimum
    ({"shape": [1], "distribution": "integers", "low": -(2**53 + 1)}, "low", ["within ±2^53", "-9007199254740993"]),
    ({"shape": [1], "distribution": "integers", "high": 2**53 + 1}, "high", ["within ±2^53"]),
    ({"shape": [1], "distribution": "integers", "high": 2.0**54}, "high", ["within ±2^53"]),
]


@pytest.mark.parametrize(("spec", "field", "words"), RANDOM)
def test_bad_random_input(client: TestClient, spec: dict[str, Any], field: Any, words: list[str]) -> None:
    loc = ["body", "input", "random", *([field] if isinstance(field, str) else field)]
    start = time.perf_counter()
    rejected(client, body(input={"random": spec}), loc, *words)
    assert time.perf_counter() - start < 2  # refused before allocating anything


def test_random_draw_that_overflows(client: TestClient) -> None:
    spec = {"shape": [4, 8], "mean": 1e308, "std": 1e308}
    rejected(client, body(input={"random": spec}, dtype="float64"), ["body", "input"], "overflows float64")
    x = {"random": {"shape": [4, 8]}}
    grad = {"random": {"mean": 1e308, "std": 1e308}}
    rejected(client, body(input=x, grad_output=grad, dtype="float64"), ["body", "grad_output"], "overflows float64")
    wide = {"random": {"distribution": "uniform", "low": -1e308, "high": 1e308}}
    loc = ["body", "grad_output", "random", "high"]
    rejected(client, body(input=x, grad_output=wide, dtype="float64"), loc, "high - low must be finite")


# --- shape, grad_output, dtype, detail, layer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        ([3], ["cannot reshape 4 values into [3]", "input has shape [2, 2]"]),
        ([-1, -1], ["-1 only once"]),
        ([3, -1], ["not divisible by 3"]),
        ([4, 0], ["must be positive"]),
        ([-2, 2], ["must be positive"]),
        ([1] * 9 + [4], ["more than 8 axes"]),
    ],
)
def test_bad_reshape(client: TestClient, shape: list[int], words: list[str]) -> None:
    rejected(client, body(shape=shape), ["body", "shape"], *words)


def test_reshape_entries_are_integers(client: TestClient) -> None:
    rejected(client, body(shape=[2, "2"]), ["body", "shape", 1], "valid integer")


@pytest.mark.parametrize(
    ("grad", "loc", "words"),
    [
        ([1.0, 2.0], ["body", "grad_output"], ["input's shape [2, 2]", "got [2]"]),
        ([[1.0, "x"], [1.0, 1.0]], ["body", "grad_output"], ["grad_output[0][1] is a string"]),
        ("ones", ["body", "grad_output"], ["nested list", "fill", "random"]),
        (True, ["body", "grad_output"], ["nested list"]),
        ({"fill": True}, ["body", "grad_output", "fill"], ["valid number"]),
        ({"fill": 1, "scale": 2}, ["body", "grad_output", "scale"], ["Extra inputs"]),
        ({"random": {"seed": -3}}, ["body", "grad_output", "random", "seed"], ["greater than or equal to 0"]),
        ({"random": {"shape": [2, 2]}}, ["body", "grad_output", "random", "shape"], ["Extra inputs"]),
        ({}, ["body", "grad_output"], ["nested list"]),
    ],
)
def test_bad_grad_output(client: TestClient, grad: Any, loc: list[Any], words: list[str]) -> None:
    rejected(client, body(grad_output=grad), loc, *words)


def test_non_finite_fill(client: TestClient) -> None:
    payload = b'{"layer": "batch_norm", "input": {"values": [1, 2]}, "grad_output": {"fill": NaN}}'
    rejected(client, payload, ["body", "grad_output", "fill"], "finite number")


def test_grad_output_beyond_float32(client: TestClient) -> None:
    rejected(client, body(grad_output={"fill": 1e39}), ["body", "grad_output"], "float32")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("layer", "batchnorm", ["'batch_norm'", "'dropout'"]),
        ("layer", None, ["'batch_norm'"]),
        ("dtype", "float16", ["'float32' or 'float64'"]),
        ("dtype", 32, ["'float32' or 'float64'"]),
        ("detail", "everything", ["'auto'", "'full'", "'summary'"]),
        ("extra", 1, ["Extra inputs"]),
    ],
)
def test_bad_top_level_fields(client: TestClient, field: str, value: Any, words: list[str]) -> None:
    rejected(client, body(**{field: value}), ["body", field], *words)


@pytest.mark.parametrize("missing", ["layer", "input"])
def test_missing_fields(client: TestClient, missing: str) -> None:
    payload = body()
    del payload[missing]
    rejected(client, payload, ["body", missing], "Field required")


def test_full_detail_is_bounded(client: TestClient) -> None:
    payload = body(input={"random": {"shape": [600, 600]}}, detail="full")
    rejected(client, payload, ["body", "detail"], 'detail "full"', "360,000")


# --- errors of the core: the router maps them to the argument they are about --------------------------------

CORE = [
    ("batch_norm", {"values": [1.0, 2.0, 3.0]}, {}, ["body", "input"], ["2D", "got"]),
    # [[1.0, 2.0]] is InstanceNorm1d's unbatched (C, L); InstanceNorm2d takes (C, H, W) or (N, C, H, W)
    ("instance_norm", {"values": [[1.0, 2.0]]}, {"module": "InstanceNorm2d"}, ["body", "input"], ["3D or 4D"]),
    (
        "group_norm",
        {"random": {"shape": [2, 4, 3]}},
        {"num_groups": 3},
        ["body", "params", "num_groups"],
        ["divisible"],
    ),
    (
        "layer_norm",
        {"random": {"shape": [2, 4]}},
        {"normalized_shape": [5]},
        ["body", "params", "normalized_shape"],
        [],
    ),
    (
        "batch_norm",
        {"random": {"shape": [4, 3]}},
        {"gamma": [1.0, 2.0]},
        ["body", "params", "gamma"],
        ["3 values"],
    ),
    (
        "batch_norm",
        {"random": {"shape": [4, 3]}},
        {"running_var": [1.0, -1.0, 1.0]},
        ["body", "params", "running_var"],
        [],
    ),
    (
        "rms_norm",
        {"random": {"shape": [2, 4]}},
        {"normalized_shape": [2, 4, 4]},
        ["body", "params", "normalized_shape"],
        [],
    ),
    (
        "layer_norm",
        {"random": {"shape": [2, 4]}},
        {"bias": False, "beta": [0.0] * 4},
        ["body", "params", "beta"],
        [],
    ),
    ("dropout", {"random": {"shape": [2, 4]}}, {"variant": "channel"}, ["body", "params", "variant"], []),
]


@pytest.mark.parametrize(("layer", "inp", "params", "loc", "words"), CORE, ids=[f"{c[0]}-{c[3][-1]}" for c in CORE])
def test_core_errors_name_the_argument(
    client: TestClient,
    layer: str,
    inp: dict[str, Any],
    params: dict[str, Any],
    loc: list[str],
    words: list[str],
) -> None:
    err = rejected(client, {"layer": layer, "input": inp, "params": params}, loc, *words)
    assert err["type"] == "value_error"


# --- the HTTP layer -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "where", "why", "why_zh"),
    [
        (b"{", "line 1, column 2", "the body ends before the JSON does", "请求体在 JSON 结束之前就结束了"),
        (b'{"layer": }', "line 1, column 11", "unexpected character", "这里出现了意外的字符"),
        (b"[1,\n 2", "line 2, column 3", "the body ends before the JSON does", "请求体在 JSON 结束之前就结束了"),
        (b'{"layer": "batch_norm",}', "line 1, column 23", "a comma before a closing", "右括号之前多了一个逗号"),
        (b"\xff\xfe", "line 1, column 1", "the text is not valid UTF-8", "文本不是有效的 'UTF-8' 编码"),
        (b"[" * 100_000 + b"]" * 100_000, "line 1, column 1026", "nested too deeply", "嵌套得太深"),
        (b'{"a": "\x01"}', "line 1, column 8", "control character", "控制字符"),
        (b"[01]", "line 1, column 2", "a malformed number", "数字的写法不对"),
        (b"{} x", "line 1, column 4", "more text follows the JSON value", "多余的文本"),
    ],
    ids=[
        "open-brace",
        "missing-value",
        "open-list",
        "trailing-comma",
        "not-utf8",
        "deep-nesting",
        "control",
        "leading-zero",
        "after-document",
    ],  # fmt: skip
)
def test_malformed_json(client: TestClient, raw: bytes, where: str, why: str, why_zh: str) -> None:
    # The parser's own words ("unexpected character: line 1 column 11 (char 10)") are never sent: ours are, in
    # both languages, with where the JSON broke.
    r = client.post(TRACE, content=raw, headers=JSON)
    assert r.status_code == 422
    (err,) = errors(r)
    bilingual([err])
    assert err["type"] == "json_invalid" and err["loc"][0] == "body"
    assert err["msg"].startswith(f"invalid JSON at {where}: ") and why in err["msg"], err["msg"]
    line, column = re.findall(r"\d+", where)
    assert err["msg_zh"].startswith(f"JSON 无效（第 {line} 行第 {column} 列）：") and why_zh in err["msg_zh"]
    assert "line" not in err and "column" not in err  # those point into pasted text, for the editor


# --- nothing a request holds makes a 500: lone surrogates and huge integers ----------------------------------

SURROGATE_BODIES = [  # the standard library's JSON parser (the fallback) accepts "\ud800"; orjson cannot write it
    (TRACE, rb'{"layer":"\ud800","input":{"values":[[1,2]]}}', ["body", "layer"]),
    ("/api/v1/links", rb'{"layer":"\ud800","input":{"values":[[1,2]]}}', ["body", "layer"]),
    ("/api/v1/permalink", rb'{"layer":"batch_norm","dtype":"\ud800","input":{"values":[[1,2]]}}', ["body", "dtype"]),
    (TRACE, rb'{"layer":"batch_norm","input":{"values":[[1,2]]},"params":{"\udfff":1}}', ["body", "params"]),
    (TRACE, rb'{"layer":"batch_norm","input":{"values":[[1,2]]},"\ud83d":1}', ["body"]),
    ("/api/v1/links", rb'{"layer":"dropout","input":{"values":[1]},"view":{"step":"\udc00"}}', ["body", "view"]),
]


@pytest.mark.parametrize(("path", "raw", "loc"), SURROGATE_BODIES)
def test_a_lone_surrogate_anywhere_is_a_422_never_a_500(client: TestClient, path: str, raw: bytes, loc: list) -> None:
    r = client.post(path, content=raw, headers=JSON)
    assert r.status_code == 422, r.text
    r.content.decode("utf-8")  # strict: the answer is valid UTF-8
    items = errors(r)
    bilingual(items)
    assert any(e["loc"][: len(loc)] == loc for e in items), items
    assert "\\ud8" in r.text or "\\udf" in r.text or "\\udc" in r.text  # the bad string is shown escaped


@pytest.mark.parametrize(
    ("path", "raw", "loc"),
    [
        (TRACE, rb'{"layer":"batch_norm","input":{"text":"[1, 2, \ud800]"}}', ["body", "input", "text"]),
        ("/api/v1/parse", rb'{"text":"1 2\n3 \udbff"}', ["body", "text"]),
        ("/api/v1/links", rb'{"layer":"dropout","input":{"text":"[\udc00]"}}', ["body", "input", "text"]),
    ],
)
def test_a_lone_surrogate_in_pasted_text_is_a_paste_error(client: TestClient, path: str, raw: bytes, loc: list) -> None:
    # It was a 422 whose message was "'utf-32-le' codec can't encode character '\ud800' in position 4: ..."
    r = client.post(path, content=raw, headers=JSON)
    assert r.status_code == 422
    (err,) = errors(r)
    bilingual([err])
    assert err["loc"] == loc and err["type"] == "paste_error" and err["code"] == "surrogate"
    assert re.match(r"the text contains U\+D[89A-F][0-9A-F]{2}, half of a UTF-16 surrogate pair", err["msg"])
    assert err["msg_zh"].startswith("文本中有 U+D") and (err["line"], err["column"]) >= (1, 1)


def test_an_integer_beyond_64_bits_in_an_error_is_written_as_text(client: TestClient) -> None:
    # NaN makes the standard library parse the body, which keeps the integer whole; orjson cannot write it back
    params = b'"params": {"num_batches_tracked": -' + b"9" * 30 + b"}"
    raw = b'{"layer": "batch_norm", "input": {"values": [1, NaN]}, ' + params + b"}"
    r = client.post(TRACE, content=raw, headers=JSON)
    assert r.status_code == 422
    (err,) = [e for e in errors(r) if e["loc"] == ["body", "params", "num_batches_tracked"]]
    assert err["input"] == "-" + "9" * 30 and err["type"] == "greater_than_equal"


def test_unknown_paths_and_methods_answer_in_both_languages(client: TestClient) -> None:
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert errors(r) == [{"loc": ["path"], "msg": "Not Found", "msg_zh": "找不到这个地址", "type": "not_found"}]
    r = client.delete(TRACE)
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert errors(r)[0]["type"] == "method_not_allowed" and CJK.search(errors(r)[0]["msg_zh"])
    r = client.post(TRACE, content=b"layer=batch_norm", headers={"content-type": "text/plain"})
    assert r.status_code == 415 and errors(r)[0]["msg_zh"].startswith("请求体必须是 JSON")


def test_an_error_of_the_tensor_found_while_tracing_has_its_chinese(client: TestClient) -> None:
    err = rejected(client, body(input={"values": [[1.0, 2.0], [3.0, -1e39]]}), ["body", "input"], "float32")
    assert err["msg_zh"] == "input[1][1] = -1e+39 超出了 float32 的范围（±3.403e+38）；请使用 dtype float64"


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"3", b"null"])
def test_body_must_be_an_object(client: TestClient, raw: bytes) -> None:
    r = client.post(TRACE, content=raw, headers=JSON)
    assert r.status_code == 422
    assert errors(r)[0]["loc"] == ["body"]


def test_empty_body(client: TestClient) -> None:
    r = client.post(TRACE, content=b"", headers=JSON)
    assert r.status_code == 422
    assert errors(r)[0]["loc"] == ["body"] and errors(r)[0]["msg"] == "Field required"


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/plain"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "multipart/form-data; boundary=x"},
        {},
    ],
)
def test_wrong_content_type(client: TestClient, headers: dict[str, str]) -> None:
    import json

    r = client.post(TRACE, content=json.dumps(body()).encode(), headers=headers)
    assert r.status_code == 415
    assert errors(r)[0]["loc"] == ["header", "content-type"] and "application/json" in errors(r)[0]["msg"]


def test_json_with_charset_is_fine(client: TestClient) -> None:
    import json

    r = client.post(
        TRACE,
        content=json.dumps(body()).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200


def test_wrong_method(client: TestClient) -> None:
    assert client.get(TRACE).status_code == 405
    assert client.put("/api/v1/parse", json={"text": "1"}).status_code == 405


# --- POST /api/v1/parse -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "loc", "words"),
    [
        ({}, ["body", "text"], ["Field required"]),
        ({"text": 12}, ["body", "text"], ["valid string"]),
        ({"text": ["1, 2"]}, ["body", "text"], ["valid string"]),
        ({"text": "1, 2", "dtype": "float32"}, ["body", "dtype"], ["Extra inputs"]),
        ({"text": ""}, ["body", "text"], []),
        ({"text": "[1, 2], [3"}, ["body", "text"], []),
    ],
)
def test_bad_parse_requests(client: TestClient, payload: Any, loc: list[str], words: list[str]) -> None:
    r = client.post("/api/v1/parse", json=payload)
    assert r.status_code == 422
    found = [e for e in errors(r) if e["loc"] == loc]
    assert found
    for word in words:
        assert word in found[0]["msg"]


# --- large bodies are validated in a worker thread: same errors, same shape ---------------------------------

BIG_VALUES = b"[" + b"0.25," * 300_000  # 1.5 MB, over the 1 MB threshold


@pytest.mark.parametrize(
    ("payload", "loc", "words"),
    [
        (
            b'{"layer": "batch_norm", "input": {"values": ' + BIG_VALUES + b'"x"]}}',
            ["body", "input", "values"],
            ["values[300000] is a string"],
        ),
        (
            b'{"layer": "dropout", "input": {"values": ' + BIG_VALUES + b'0]}, "params": {"p": true}}',
            ["body", "params", "p"],
            ["valid number"],
        ),
        (
            b'{"layer": "dropout", "input": {"values": ' + BIG_VALUES + b"NaN]}}",
            ["body", "input", "values"],
            ["values[300000] is nan"],
        ),
        (
            b'{"layer": "dropout", "input": {"values": ' + BIG_VALUES + b"0]}",
            ["body", 1500045],
            ["invalid JSON"],
        ),
        (BIG_VALUES + b"0]", ["body"], ["valid dictionary"]),
    ],
    ids=["string", "param", "nan", "malformed", "not-an-object"],
)
def test_large_bad_bodies(client: TestClient, payload: bytes, loc: list[Any], words: list[str]) -> None:
    assert len(payload) > 1 << 20
    rejected(client, payload, loc, *words)


@example(distribution="uniform", a=-1e308, b=1e308, seed=0)  # high - low overflows
@example(distribution="normal", a=1e308, b=1e308, seed=0)  # the draws overflow
@given(
    distribution=st.sampled_from(["normal", "uniform", "integers"]),
    a=st.floats(allow_nan=False, allow_infinity=False),
    b=st.floats(allow_nan=False, allow_infinity=False),
    seed=st.integers(0, 2**53 + 8),
)
def test_any_accepted_random_spec_draws_or_refuses_cleanly(distribution: str, a: float, b: float, seed: int) -> None:
    names = {"normal": ("mean", "std"), "uniform": ("low", "high"), "integers": ("low", "high")}[distribution]
    spec = {"shape": [3, 5], "seed": seed, "distribution": distribution, names[0]: a, names[1]: b}
    try:
        draw = RandomTensor.model_validate(spec)
    except ValidationError:
        return
    try:
        values = draw.draw((3, 5))
    except InputError as e:
        assert "overflows float64" in str(e)
    else:
        assert values.shape == (3, 5) and np.isfinite(values).all()


# --- fuzzing the arguments: any well-typed request is answered 200 or 422, never a server error ------------------

_MISSING = object()


def _param_strategy(p: Any) -> st.SearchStrategy[Any]:
    lo, hi = p.minimum, p.maximum
    kind = p.type
    if kind == "bool":
        s: st.SearchStrategy[Any] = st.booleans()
    elif kind in ("int", "int_or_null"):
        s = st.integers(int(lo) if lo is not None else -(2**40), int(hi) if hi is not None else 2**40)
    elif kind in ("float", "float_or_null"):
        s = st.floats(
            lo,
            hi,
            allow_nan=False,
            allow_infinity=False,
            exclude_min=p.exclusive_minimum and lo is not None,
            exclude_max=p.exclusive_maximum and hi is not None,
        )
    elif kind == "enum":
        s = st.sampled_from(p.choices)
    elif kind == "int_list":
        s = st.lists(st.integers(1, 5), min_size=1, max_size=3)
    else:  # float_array
        s = st.lists(st.floats(-1e30, 1e30, allow_nan=False), min_size=1, max_size=6)
    if kind.endswith("_or_null") or p.default is None:
        s = st.one_of(st.none(), s)
    return st.one_of(st.just(_MISSING), s)


@st.composite
def _requests(draw: st.DrawFn, layer: str) -> dict[str, Any]:
    import normlens

    spec = normlens.LAYERS[layer]
    params = {p.name: draw(_param_strategy(p)) for p in spec.params}
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=5))
    scale = draw(st.sampled_from([1.0, 1e-30, 1e20, 1e37]))
    values = draw(st.lists(st.floats(-1, 1), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return {
        "layer": layer,
        "input": {"values": (np.asarray(values) * scale).reshape(shape).tolist()},
        "params": {k: v for k, v in params.items() if v is not _MISSING},
        "grad_output": draw(st.sampled_from([None, {"fill": 1.0}, {"random": {"seed": 1}}])),
        "dtype": draw(st.sampled_from(["float32", "float64"])),
    }


@pytest.mark.parametrize("layer", ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "dropout"])
@settings(max_examples=120)
@given(data=st.data())
def test_well_typed_requests_get_200_or_422(client: TestClient, layer: str, data: st.DataObject) -> None:
    request = data.draw(_requests(layer))
    r = client.post(TRACE, json=request)
    assert r.status_code in (200, 422), r.text[:500]
    if r.status_code == 422:
        for err in errors(r):
            assert err["loc"][0] == "body" and err["msg"]
    else:
        assert r.json()["shape"] == list(np.shape(request["input"]["values"]))


# --- the words of request errors (app/lessons/requests.toml) -------------------------------------------------


def test_the_chinese_of_pydantics_errors_covers_what_the_api_can_raise() -> None:
    from pydantic_core import _pydantic_core

    from normlens.app.lessons import lessons, placeholders
    from tests.app.words import HALF_WIDTH

    table = lessons().tree["error_zh"]
    raised = {"missing", "extra_forbidden", "model_type", "dict_type", "list_type", "string_type", "string_unicode"}
    raised |= {"string_pattern_mismatch", "string_too_long", "bool_type", "int_type", "int_from_float", "float_type"}
    raised |= {"finite_number", "greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_short"}
    raised |= {"too_long", "literal_error", "multiple_of"}
    assert raised <= set(table), raised - set(table)
    context = {e["type"]: set(e.get("example_context") or {}) for e in _pydantic_core.list_all_errors()}
    for kind, zh in table.items():
        assert CJK.search(zh) and not HALF_WIDTH.search(zh), (kind, zh)
        if kind in context:  # a placeholder pydantic does not give would leave the English in its place
            assert placeholders(zh) <= context[kind], (kind, zh)


def test_an_input_error_keeps_its_words_through_pickling() -> None:
    import pickle

    from normlens.app.inputs import nested_array

    with pytest.raises(InputError) as info:
        nested_array([[1, 2], [3]], "values", 10, 4)
    again = pickle.loads(pickle.dumps(info.value))  # a worker process sends its errors back pickled
    assert (str(again), again.zh, again.code) == (str(info.value), info.value.zh, "ragged")
    assert again.zh == "values 参差不齐：values[1] 有 1 项，而 values[0] 有 2 项；每一行的长度必须相同"
