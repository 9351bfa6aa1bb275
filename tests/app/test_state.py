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
