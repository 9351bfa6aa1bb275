"""Readable links: a query string as a ViewState (app/query_state.py), and /explain opening the view it names or
showing the API's errors for it (app/explain_views.py)."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normlens.app.permalink import decode
from normlens.app.query_state import (
    QueryError,
    boolean,
    convert,
    field_of,
    float_list,
    int_list,
    query_data,
    query_state,
    starting_params,
)


def block(page: str, name: str) -> dict:
    return json.loads(re.search(rf'id="{name}">(.*?)</script>', page, re.S).group(1))


def errors_of(pairs: list[tuple[str, str]]) -> dict[str, dict]:
    with pytest.raises(QueryError) as e:
        query_state(pairs)
    return {field_of(i["loc"]): i for i in e.value.items}


# --- converting values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, want",
    [("2,6,4,4", [2, 6, 4, 4]), ("2x6x4x4", [2, 6, 4, 4]), ("[2, 6]", [2, 6]), ("(2 6)", [2, 6]), ("4", [4])],
)
def test_int_list_reads_the_ways_people_write_shapes(text, want):
    assert int_list(text) == want


@pytest.mark.parametrize("text", ["2,x", "2.5,3", "a"])
def test_int_list_refuses_what_is_not_whole_numbers(text):
    with pytest.raises(ValueError):
        int_list(text)


def test_float_list_and_boolean():
    assert float_list("[0.5, -1, 2e-3]") == [0.5, -1.0, 0.002]
    assert [boolean(s) for s in ("true", "1", "Yes", "train", "false", "0", "off", "eval")] == [True] * 4 + [False] * 4
    with pytest.raises(ValueError):
        boolean("maybe")


@pytest.mark.parametrize(
    "kind, text, want",
    [
        ("int", "3", 3),
        ("float", "1e-3", 0.001),
        ("float_or_null", "none", None),
        ("int_or_null", "null", None),
        ("int_or_list", "1", 1),
        ("int_or_list", "0,1", [0, 1]),
        ("enum", "channel", "channel"),
        ("int", "abc", "abc"),  # left as written: the schema says what is wrong with it
        ("bool", "maybe", "maybe"),
    ],
)
def test_convert_by_declared_type(kind, text, want):
    assert convert(kind, text) == want


@given(st.lists(st.integers(1, 64), min_size=1, max_size=6), st.sampled_from([",", ", ", "x", " "]))
@settings(max_examples=60, deadline=None)
def test_any_shape_written_with_any_separator_reads_back(shape, sep):
    assert int_list(sep.join(map(str, shape))) == shape


# --- the state a query names ----------------------------------------------------------------------------------


def test_the_issue_link_names_group_norm_on_a_random_tensor():
    s = query_state([("layer", "group_norm"), ("shape", "2,6,4,4"), ("num_groups", "3"), ("seed", "1")])
    assert (s.layer, s.input.random.shape, s.input.random.seed) == ("group_norm", [2, 6, 4, 4], 1)
    assert s.params == {"num_groups": 3}


def test_page_keys_alone_name_no_view():
    assert query_data([]) is None
    assert query_data([("lang", "zh")]) is None
    assert query_data([("autoplay", "1"), ("plotly", "full")]) is None


def test_dtype_mode_lang_step_group_reshape_backward():
    pairs = [
        ("layer", "batch_norm"),
        ("shape", "4,3"),
        ("dtype", "float64"),
        ("mode", "eval"),
        ("lang", "zh"),
        ("step", "mean"),
        ("group", "2"),
        ("reshape", "2,2,3"),
        ("backward", "random"),
        ("distribution", "integers"),
    ]
    s = query_state(pairs)
    assert s.dtype == "float64" and s.params["training"] is False
    assert (s.view.lang, s.view.step, s.view.group) == ("zh", "mean", 2)
    assert s.shape == [2, 2, 3] and s.grad_output.random.seed == 0
    assert s.input.random.distribution == "integers"
    assert query_state([("layer", "batch_norm"), ("training", "false"), ("mode", "train")]).params["training"] is False


def test_seed_is_dropouts_mask_seed_and_input_seed_the_tensors():
    s = query_state([("layer", "dropout"), ("seed", "5"), ("p", "0.3")])
    assert s.params == {"seed": 5, "p": 0.3} and s.input.random.seed == 0
    s = query_state([("layer", "dropout"), ("input_seed", "7"), ("seed", "2")])
    assert s.params == {"seed": 2} and s.input.random.seed == 7


def test_pasted_input_and_the_default_tensor():
    s = query_state([("layer", "layer_norm"), ("input", "[[1,2],[3,4]]"), ("normalized_shape", "2")])
    assert s.input.text == "[[1,2],[3,4]]" and s.params == {"normalized_shape": [2]}
    s = query_state([("layer", "batch_norm"), ("eps", "1e-3")], default_input={"values": [[1.0, 2.0], [3.0, 5.0]]})
    assert s.input.values == [[1.0, 2.0], [3.0, 5.0]] and s.params == {"eps": 0.001}


def test_layers_get_the_arguments_the_layer_switch_would_pick():
    assert starting_params("group_norm", [2, 6, 4, 4], {}) == {"num_groups": 3}
    assert starting_params("group_norm", [2, 7, 4], {}) == {"num_groups": 1}
    assert starting_params("group_norm", [2, 6, 4, 4], {"num_groups": 2}) == {}
    assert starting_params("layer_norm", [2, 3, 4, 4], {}) == {"normalized_shape": [3, 4, 4]}
    assert starting_params("layer_norm", [2, 3, 4], {}) == {}
    assert starting_params("dropout", [2, 3, 4, 4], {}) == {}
    s = query_state([("layer", "group_norm"), ("shape", "2,6,4,4")])
    assert s.params == {"num_groups": 3}


@pytest.mark.parametrize(
    "pairs, field, words",
    [
        ([("layer", "group_norm"), ("num_groups", "abc")], "num_groups", "valid integer"),
        ([("layer", "nope")], "layer", "batch_norm"),
        ([("foo", "1")], "foo", "no argument 'foo'"),
        ([("shape", "2,x")], "shape", "list"),
        ([("dtype", "float16")], "dtype", "float32"),
        ([("layer", "batch_norm"), ("affine", "maybe")], "affine", "boolean"),
        ([("layer", "dropout"), ("p", "2")], "p", "1"),
        ([("shape", "2,3"), ("lang", "fr")], "lang", "en"),
        ([("shape", "0,3")], "shape", "1"),
        ([("shape", "2,3"), ("input_seed", "-1")], "input_seed", "0"),
    ],
)
def test_a_bad_query_names_the_field_in_both_languages(pairs, field, words):
    found = errors_of(pairs)
    assert field in found, found
    item = found[field]
    assert words in item["msg"] and item["msg_zh"] and item["msg_zh"] != item["msg"]


def test_field_of_maps_error_locations_to_query_keys():
    assert field_of(["params", "num_groups"]) == "num_groups"
    assert field_of(["input", "random", "shape", 0]) == "shape"
    assert field_of(["input", "random", "seed"]) == "input_seed"
    assert field_of(["input", "text"]) == "input"
    assert field_of(["shape"]) == "reshape"
    assert field_of(["body", "params", "eps"]) == "eps"
    assert field_of(["body", "grad_output"]) == "backward"
    assert field_of(["view", "lang"]) == "lang"
    assert field_of([]) == "query"


# --- /explain?... --------------------------------------------------------------------------------------------


def test_the_query_link_opens_the_view_it_names_with_its_permalink(client):
    r = client.get("/explain?layer=group_norm&shape=2,6,4,4&num_groups=3&seed=1")
    assert r.status_code == 200
    state, trace, config = block(r.text, "initial-state"), block(r.text, "initial-trace"), block(r.text, "page-config")
    assert state["layer"] == "group_norm" and trace["shape"] == [2, 6, 4, 4]
    assert trace["params"]["num_groups"] == 3 and state["input"]["random"]["seed"] == 1
    token = config["canonical"].removeprefix("/v/")
    opened = decode(token)
    assert opened.layer == "group_norm" and opened.params == {"num_groups": 3}
    assert client.get(config["canonical"]).status_code == 200
    assert "query-errors" not in r.text


def test_the_query_link_sets_step_and_language(client):
    query = {"layer": "layer_norm", "shape": "2,3,4", "normalized_shape": "4", "step": "mean", "lang": "zh"}
    r = client.get("/explain?" + urlencode(query))
    assert r.status_code == 200 and 'lang="zh-CN"' in r.text
    state, config = block(r.text, "initial-state"), block(r.text, "page-config")
    assert state["view"]["step"] == "mean" and state["view"]["lang"] == "zh"
    assert config["lang_fixed"] is True
    assert 'data-step-id="mean"' in r.text


@pytest.mark.parametrize(
    "query, field, en, zh",
    [
        ("layer=group_norm&num_groups=abc", "num_groups", "valid integer", "整数"),
        ("layer=group_norm&shape=2,6,4,4&num_groups=4", "num_groups", "must divide", "整除"),
        ("layer=batch_norm&shape=2,3&step=mean&nonsense=1", "nonsense", "no argument", "没有参数"),
        ("layer=layer_norm&input=[[1,2],[3", "input", "", ""),
        ("layer=batch_norm&shape=5&reshape=2,3", "reshape", "", ""),
        # the tensor's seed, named as the link wrote it (it showed input_seed, a key the link did not have)
        ("layer=batch_norm&shape=2,3&seed=-5", "seed", "greater than or equal to 0", "大于或等于 0"),
        ("layer=dropout&shape=2,3&input_seed=-5", "input_seed", "greater than or equal to 0", "大于或等于 0"),
    ],
)
def test_a_bad_query_renders_the_page_with_the_apis_errors(client, query, field, en, zh):
    """200 with the errors on the page (a 4xx document would be a console error in the browser)."""
    r = client.get("/explain?" + query)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    found = re.search(rf'<li data-field="{field}">(.*?)</li>', r.text, re.S)
    assert found, r.text[r.text.find("query-errors") :][:800]
    text = html.unescape(found.group(1))
    assert en in text and zh in text and re.search(r'lang="zh-CN">[^<]*[\u4e00-\u9fff]', found.group(1))
    assert block(r.text, "initial-state")["layer"] == "batch_norm"  # the default view below the errors
    assert block(r.text, "page-config")["canonical"] is None


def test_a_bad_query_in_chinese(client):
    r = client.get("/explain?layer=group_norm&num_groups=abc&lang=zh")
    assert r.status_code == 200 and 'lang="zh-CN"' in r.text
    assert "无法按原样打开此链接" in r.text


def test_explain_without_a_query_is_the_default_view(client):
    r = client.get("/explain?lang=zh&autoplay=1")
    assert r.status_code == 200 and block(r.text, "page-config")["canonical"] is None
    assert block(r.text, "initial-state")["layer"] == "batch_norm"
