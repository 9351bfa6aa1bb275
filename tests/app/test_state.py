"""The view state schema: a TraceRequest plus the view, versioned, with clear errors for newer versions."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

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


@pytest.mark.parametrize("v", [0, -1, "1", 1.0, None, True])
def test_an_invalid_version_is_refused(v):
    with pytest.raises(StateError) as e:
        load_state({**BASE, "v": v})
    assert e.value.code == "invalid_state" and "version" in e.value.en


@pytest.mark.parametrize("data", [[1, 2], "state", 3, None])
def test_a_state_must_be_an_object(data):
    with pytest.raises(StateError, match="not a JSON object"):
        load_state(data)


def test_a_schema_error_names_where_and_counts_the_rest():
    with pytest.raises(StateError) as e:
        load_state({"layer": "batchnorm", "input": {"values": [[1, True]]}, "dtype": "float16"})
    msg = e.value.en
    assert msg.startswith("The link's state is invalid at layer:") and "more problem" in msg
    assert "无效" in e.value.zh
    assert e.value.to_dict()["code"] == "invalid_state"


def test_load_state_accepts_version_one_explicit_or_implied():
    a = load_state({**BASE, "v": 1})
    b = load_state(BASE)
    assert a.model_dump() == b.model_dump()
