"""The view state schema: a TraceRequest plus the view, versioned, with clear errors for newer versions."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from normlens.app.lessons import Text, fill, lessons
from normlens.app.schemas import TraceRequest
from normlens.app.state import SCHEMA_VERSION, StateError, ViewState, load_state

BASE = {"layer": "batch_norm", "input": {"random": {"shape": [4, 3], "seed": 1}}, "params": {"eps": 1e-3}}


def test_a_view_state_is_a_trace_request_with_a_view():
    s = ViewState.model_validate({**BASE, "view": {"step": "mean", "group": 2, "lang": "zh"}})
    assert isinstance(s, TraceRequest)
    assert (s.v, s.view.step, s.view.group, s.view.lang) == (SCHEMA_VERSION, "mean", 2, "zh")
    assert s.input_shape() == (4, 3) and s.params == {"eps": 1e-3}


def test_the_view_defaults_to_the_first_step_in_english():
    s = ViewState.model_validate(BASE)
    assert (s.view.step, s.view.group, s.view.lang) == (None, None, "en")


def test_trace_request_drops_the_view_and_version():
    s = ViewState.model_validate({**BASE, "view": {"step": "std"}})
    req = s.trace_request()
    assert type(req) is TraceRequest
    assert req.model_dump() == TraceRequest.model_validate(BASE).model_dump()


@pytest.mark.parametrize(
    ("view", "where"),
    [
        ({"step": "Mean!"}, "step"),
        ({"step": "x" * 65}, "step"),
        ({"group": -1}, "group"),
        ({"group": True}, "group"),
        ({"lang": "fr"}, "lang"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_view_names_the_field(view, where):
    with pytest.raises(ValidationError) as e:
        ViewState.model_validate({**BASE, "view": view})
    assert e.value.errors()[0]["loc"][:2] == ("view", where)


def test_the_trace_request_fields_are_still_checked():
    with pytest.raises(ValidationError) as e:
        ViewState.model_validate({**BASE, "params": {"epsilon": 1}})
    assert "batch_norm has no argument 'epsilon'" in str(e.value)


def test_a_newer_version_is_refused_with_a_clear_message():
    with pytest.raises(ValidationError) as e:
        ViewState.model_validate({**BASE, "v": 2})
    assert "newer NormLens" in str(e.value)
    with pytest.raises(StateError) as err:
        load_state({**BASE, "v": 2, "some_field_of_v2": 1})
    assert err.value.code == "newer_version"
    assert "newer NormLens (state version 2)" in err.value.en and "version 1" in err.value.en
    assert "更新版本" in err.value.zh and err.value.message("zh") == err.value.zh
    assert "（状态版本 2）；本服务器只支持版本 1。" in err.value.zh and err.value.message("en") == err.value.en
    assert str(err.value) == err.value.en and err.value.status == 400
    assert err.value.to_dict() == {"code": "newer_version", "message": {"en": err.value.en, "zh": err.value.zh}}


def test_a_newer_version_in_the_schema_carries_its_chinese_message():
    with pytest.raises(ValidationError) as e:
        ViewState.model_validate({**BASE, "v": 2})
    (first,) = e.value.errors()
    assert first["type"] == "newer_version" and first["ctx"]["msg_zh"].startswith("此链接由更新版本的 NormLens 生成")


@pytest.mark.parametrize("v", [0, -1, "1", 1.0, None, True])
def test_an_invalid_version_is_refused(v):
    with pytest.raises(StateError) as e:
        load_state({**BASE, "v": v})
    assert e.value.code == "invalid_state" and "version" in e.value.en
    assert e.value.en == f"The link's state has an invalid version {v!r}."
    assert e.value.zh == f"链接中的状态版本 {v!r} 无效。"


@pytest.mark.parametrize("data", [[1, 2], "state", 3, None])
def test_a_state_must_be_an_object(data):
    with pytest.raises(StateError, match="not a JSON object") as e:
        load_state(data)
    assert e.value.code == "invalid_state" and e.value.zh == "链接中的状态不是 JSON 对象。"


def test_a_schema_error_names_where_and_counts_the_rest():
    with pytest.raises(StateError) as e:
        load_state({"layer": "batchnorm", "input": {"values": [[1, True]]}, "dtype": "float16"})
    msg = e.value.en
    assert msg.startswith("The link's state is invalid at layer:") and msg.endswith(" (and 2 more problems).")
    assert e.value.zh.startswith("链接中的状态在 layer 处无效：") and e.value.zh.endswith("（另有 2 处问题）。")
    assert e.value.to_dict()["code"] == "invalid_state"


def test_one_more_problem_is_singular():
    with pytest.raises(StateError) as e:
        load_state({"layer": "batchnorm", "input": {"values": [1.0]}, "dtype": "float16"})
    assert e.value.en.endswith(" (and 1 more problem).") and e.value.zh.endswith("（另有 1 处问题）。")


def test_a_single_problem_has_no_count():
    with pytest.raises(StateError) as e:
        load_state({**BASE, "dtype": "float16"})
    assert e.value.en.startswith("The link's state is invalid at dtype: ") and "more problem" not in e.value.en
    assert e.value.zh.startswith("链接中的状态在 dtype 处无效：") and "另有" not in e.value.zh


def test_a_problem_with_a_chinese_message_is_quoted_in_chinese():
    # a pasted-text error carries its Chinese words (msg_zh): the Chinese message quotes them, not the English
    with pytest.raises(StateError) as e:
        load_state({"layer": "batch_norm", "input": {"text": "[1, 2; 3]"}})
    assert e.value.en.startswith("The link's state is invalid at input.text: ")
    inner = e.value.zh.removeprefix("链接中的状态在 input.text 处无效：")
    assert inner != e.value.zh and re.search(r"[\u4e00-\u9fff]", inner) and inner.endswith("。")


def test_the_words_come_from_the_lesson_files():
    e = StateError("invalid_state", entry="state_bad_version", got="'x'")
    table = lessons().message("errors", "state_bad_version")
    assert (e.en, e.zh) == (fill(table["en"], {"got": "'x'"}), fill(table["zh"], {"got": "'x'"}))
    assert e.text == Text(e.en, e.zh) and (e.entry, e.values, e.status) == ("state_bad_version", {"got": "'x'"}, 400)


def test_load_state_accepts_version_one_explicit_or_implied():
    a = load_state({**BASE, "v": 1})
    b = load_state(BASE)
    assert a.model_dump() == b.model_dump()


def test_a_schema_error_of_pydantic_is_quoted_in_chinese_too():
    # pydantic words its errors in English only: the Chinese message used to quote that English
    with pytest.raises(StateError) as e:
        load_state({**BASE, "dtype": "float16"})
    assert e.value.zh == "链接中的状态在 dtype 处无效：应是 'float32' 或 'float64'。"
    with pytest.raises(StateError) as e:
        load_state({**BASE, "view": {"group": -1}})
    assert e.value.zh == "链接中的状态在 view.group 处无效：应大于或等于 0。"


@pytest.mark.parametrize(
    ("field", "value", "kept"),
    [("v", 1.0, 1), ("view", {"group": 3.0}, 3), ("input", {"random": {"shape": [4.0, 3], "seed": 2.0}}, [4, 3])],
)
def test_a_whole_float_is_an_integer_as_json_schema_says(field, value, kept):
    s = ViewState.model_validate({**BASE, field: value})
    got = {"v": s.v, "view": s.view.group, "input": s.input.random and s.input.random.shape}[field]
    assert got == kept and type(got) is type(kept)
    with pytest.raises(ValidationError):  # but not a fraction, nor a boolean
        ViewState.model_validate({**BASE, "view": {"group": 2.5}})
    with pytest.raises(ValidationError):
        ViewState.model_validate({**BASE, "v": True})


def test_the_json_schema_is_one_form_per_layer_with_its_arguments():
    schema = ViewState.model_json_schema()
    defs = schema["$defs"]
    forms = [defs[f["$ref"].rsplit("/", 1)[1]] for f in schema["oneOf"]]
    assert schema["discriminator"]["propertyName"] == "layer"
    layers = {f["properties"]["layer"]["const"]: f for f in forms}
    assert set(layers) == {"batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "dropout", "min_max"}
    for form in forms:  # each form is a ViewState: the view and the version are there
        assert {"v", "view", "params", "input", "shape"} <= set(form["properties"])
    dropout = defs[layers["dropout"]["properties"]["params"]["$ref"].rsplit("/", 1)[1]]
    assert set(dropout["properties"]) == {"p", "training", "seed", "variant"} and not dropout["additionalProperties"]
    shape = layers["dropout"]["properties"]["shape"]["anyOf"][0]
    assert shape["items"] == {"anyOf": [{"type": "integer", "const": -1}, {"type": "integer", "minimum": 1}]}
    assert shape["maxItems"] == 8  # NORMLENS_MAX_DEPTH


def test_validation_is_unchanged_by_the_per_layer_schema():
    # the forms are for the schema: a state is still a ViewState, its params a plain dict, errors where they were
    s = ViewState.model_validate({**BASE, "layer": "group_norm", "params": {"num_groups": 1}})
    assert type(s) is ViewState and s.params == {"num_groups": 1}
    with pytest.raises(ValidationError) as e:
        ViewState.model_validate({**BASE, "layer": "dropout", "params": {"affine": True}})
    (err,) = e.value.errors()
    assert err["loc"] == ("params", "affine") and err["type"] == "extra_forbidden"
    assert err["msg"] == "dropout has no argument 'affine'; its arguments are p, seed, training, variant"
    assert err["ctx"]["msg_zh"] == "dropout 没有参数 'affine'；它的参数有 p, seed, training, variant"


# --- axis labels ---------------------------------------------------------------------------------------------

SENTENCES = {
    "layer": "layer_norm",
    "input": {"random": {"shape": [2, 5, 4], "seed": 7}},
    "params": {"normalized_shape": [4]},
    "view": {"step": "mean", "group": 0},
}
CHARS = {"0": ["我爱吃炸鸡", "今天很开心"], "1": ["我/今", "爱/天", "吃/很", "炸/开", "鸡/心"]}
# made by NormLens before states had labels: an old permalink must keep opening, as the same view
OLD_TOKEN = (
    "1.NY7dCoMwDIXf5VwX6YYyyKsMkUDDLNgfqm5M6bsvRXaTnHNIvuSEj3nfQCcKR5dCU0E4gmxnDVYRB3qomDkL6Hk3g-lH9Zvmt87WarDwVwro6lNMJc"
    "Agc-GwNlwLePGHuOlP6UddeytAq5dPm3qVtGe92tCi4vqi1h8"
)


def test_labels_name_the_positions_of_axes_and_survive_a_permalink():
    from normlens.app.permalink import canonical_json, decode, encode

    s = load_state({**SENTENCES, "labels": CHARS})
    assert s.labels == CHARS
    assert decode(encode(s)).labels == CHARS and decode(encode(s)) == s
    assert b'"labels":{"0":["' in canonical_json(s)


def test_a_state_without_labels_encodes_as_before_and_old_permalinks_open():
    from normlens.app.permalink import canonical_json, decode, encode

    s = load_state(SENTENCES)
    assert s.labels is None and b"labels" not in canonical_json(s)
    assert encode(s) == OLD_TOKEN  # the same state gives the same token as before labels existed
    old = decode(OLD_TOKEN)
    assert old.labels is None and old.view.step == "mean" and old.input_shape() == (2, 5, 4)


@pytest.mark.parametrize(
    ("labels", "where", "en", "zh"),
    [
        (
            {"3": ["a"]},
            "labels.3",
            "labels name axis 3, but the input of shape [2, 5, 4] has only 3 axes (0 to 2)",
            "标签指向第 3 维，但形状为 [2, 5, 4] 的输入只有 3 个维度（0 到 2）",
        ),
        (
            {"1": ["a", "b"]},
            "labels.1",
            "labels of axis 1: 2 given for its 5 positions (input shape [2, 5, 4]); give one label per position",
            "第 1 维的标签：它有 5 个位置（输入形状为 [2, 5, 4]），却给了 2 个标签；每个位置需要一个标签",
        ),
        (
            {"0": ["a", "b\tc"]},
            "labels.0",
            "label 1 of axis 0 holds a control character (such as a line break or a tab)",
            "第 0 维的第 1 个标签含有控制字符（例如换行符或制表符）",
        ),
    ],
)
def test_labels_that_do_not_fit_are_refused_in_both_languages(labels, where, en, zh):
    with pytest.raises(StateError) as e:
        load_state({**SENTENCES, "labels": labels})
    assert e.value.status == 400 and e.value.code == "invalid_state"
    assert e.value.en == f"The link's state is invalid at {where}: {en}."
    assert e.value.zh == f"链接中的状态在 {where} 处无效：{zh}。"


@pytest.mark.parametrize(
    ("labels", "loc", "type_"),
    [
        ({"x": ["a", "b"]}, ("labels", "x", "[key]"), "string_pattern_mismatch"),
        ({"01": ["a", "b"]}, ("labels", "01", "[key]"), "string_pattern_mismatch"),
        ({"0": ["a", "x" * 33]}, ("labels", "0", 1), "string_too_long"),
        ({"0": ["a", ""]}, ("labels", "0", 1), "string_too_short"),
        ({"0": []}, ("labels", "0"), "too_short"),
        ({"0": "ab"}, ("labels", "0"), "list_type"),
        ({"0": [1, 2]}, ("labels", "0", 0), "string_type"),
        (["a", "b"], ("labels",), "dict_type"),
    ],
)
def test_the_form_of_labels_is_checked_where_the_schema_says_it(labels, loc, type_):
    with pytest.raises(ValidationError) as e:
        ViewState.model_validate({**SENTENCES, "labels": labels})
    first = e.value.errors()[0]
    assert (first["loc"], first["type"]) == (loc, type_)


def test_at_most_so_many_labels_in_all():
    from normlens.app.labels import MAX_LABELS

    big = {**SENTENCES, "input": {"random": {"shape": [2, MAX_LABELS]}}, "params": {"normalized_shape": [MAX_LABELS]}}
    names = [f"t{i}" for i in range(MAX_LABELS)]
    assert load_state({**big, "labels": {"1": names}}).labels == {"1": names}
    with pytest.raises(StateError) as e:
        load_state({**big, "labels": {"0": ["a", "b"], "1": names}})
    assert f"there are {MAX_LABELS + 2:,} labels in all, more than the limit of {MAX_LABELS:,}" in e.value.en


def test_labels_fit_the_input_as_the_layer_sees_it_after_a_reshape():
    data = {"layer": "batch_norm", "input": {"values": [1, 2, 3, 4, 5, 6]}, "shape": [3, 2]}
    assert load_state({**data, "labels": {"1": ["x", "y"]}}).labels == {"1": ["x", "y"]}
    with pytest.raises(StateError, match="labels name axis 1, but the input of shape"):
        load_state({**data, "shape": None, "labels": {"1": ["x", "y"]}})


def test_the_trace_request_is_still_a_trace_request_and_the_labels_reach_the_trace():
    from normlens.app.labels import trace_labels

    s = ViewState.model_validate({**SENTENCES, "labels": CHARS})
    req = s.trace_request()
    assert isinstance(req, TraceRequest) and req.input_shape() == (2, 5, 4)
    assert trace_labels(req.input.raw_shape(), req.input_shape(), {}, s.labels) == CHARS


def test_the_json_schema_states_what_labels_may_be():
    schema = ViewState.model_json_schema()
    form = schema["$defs"][schema["oneOf"][0]["$ref"].rsplit("/", 1)[1]]
    (given, null) = form["properties"]["labels"]["anyOf"]
    assert null == {"type": "null"} and given["additionalProperties"] is False
    ((pattern, axis),) = given["patternProperties"].items()
    assert pattern == "^(0|[1-9][0-9]?)$"
    assert axis["items"] == {"type": "string", "minLength": 1, "maxLength": 32} and axis["minItems"] == 1


def test_a_link_with_labels_that_do_not_fit_is_a_clear_4xx(client):
    r = client.post("/api/v1/permalink", json={**SENTENCES, "labels": {"1": ["a"]}})
    assert 400 <= r.status_code < 500
    (item,) = r.json()["detail"]
    assert item["loc"][-2:] == ["labels", "1"] and "give one label per position" in item["msg"]
    assert "每个位置需要一个标签" in item["msg_zh"]
    r = client.post("/api/v1/permalink", json={**SENTENCES, "labels": CHARS})
    assert r.status_code == 200 and r.json()["token"]
