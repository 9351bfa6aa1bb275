"""The /compare page: its readable query string, a pasted tensor behind a permalink token or a short link, an
example's tensor, the first response rendered into the page, and its words in both languages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from normlens.app import compare_page as page
from normlens.app.compare import COMPARED, CompareRequest, compare_response
from normlens.app.main import create_app
from normlens.app.routes.pages import STATIC
from tests.app.test_compare import with_compare

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def pclient() -> Iterator[TestClient]:
    with TestClient(with_compare(create_app())) as c:
        yield c


def blocks(html: str) -> dict[str, Any]:
    """The page's JSON blocks by id."""
    found = re.findall(r'<script type="application/json" id="([\w-]+)">(.*?)</script>', html, re.S)
    return {name: json.loads(text) for name, text in found}


def open_page(client: TestClient, query: str = "") -> dict[str, Any]:
    r = client.get("/compare" + query)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    return {"html": r.text, **blocks(r.text)}


# --- the query string -------------------------------------------------------------------------------------------


def test_a_plain_query_is_the_default_view() -> None:
    state, ignored = page.read_query({})
    assert state["source"] == {"random": page.DEFAULT_RANDOM} and ignored == []
    assert state == state | {"dtype": "float32", "G": None, "tokens": False, "eval": [], "cell": 0, "color": "values"}
    assert state["show"] == COMPARED[0] and state["lang"] is None


def test_every_value_is_read() -> None:
    query = {"shape": "2,4,3,3", "seed": "7", "dist": "uniform", "G": "2", "tokens": "1", "eval": "instance_norm"}
    query |= {"cell": "5", "color": "groups", "show": "group_norm", "lang": "zh", "dtype": "float64"}
    state, ignored = page.read_query(query)
    assert ignored == []
    assert state["source"] == {"random": {"shape": [2, 4, 3, 3], "seed": 7, "distribution": "uniform"}}
    assert (state["G"], state["tokens"], state["eval"], state["cell"]) == (2, True, ["instance_norm"], 5)
    assert (state["color"], state["show"], state["lang"], state["dtype"]) == ("groups", "group_norm", "zh", "float64")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"shape": "2,0"}, "shape"),
        ({"shape": "a"}, "shape"),
        ({"shape": "1,1,1,1,1,1"}, "shape"),
        ({"seed": "-1"}, "seed"),
        ({"dist": "cauchy"}, "dist"),
        ({"G": "0"}, "G"),
        ({"G": "x"}, "G"),
        ({"tokens": "yes"}, "tokens"),
        ({"cell": "-3"}, "cell"),
        ({"color": "red"}, "color"),
        ({"show": "dropout"}, "show"),
        ({"lang": "fr"}, "lang"),
        ({"dtype": "float16"}, "dtype"),
        ({"eval": "batch_norm,layer_norm"}, "eval"),
        ({"example": "no-such-example"}, "example"),
        ({"t": "<script>"}, "t"),
    ],
)
def test_a_value_that_cannot_be_read_is_ignored_and_named(query: dict[str, str], name: str) -> None:
    state, ignored = page.read_query(query)
    assert ignored == [name]
    default, _ = page.read_query({})
    if name == "eval":
        assert state["eval"] == ["batch_norm"]
    else:
        assert state == default


def test_request_params_are_the_toggles() -> None:
    state, _ = page.read_query({"G": "2", "eval": "batch_norm,instance_norm", "tokens": "1"})
    params = page.request_params(state, [2, 5, 4])
    assert params == {
        "group_norm": {"num_groups": 2},
        "batch_norm": {"training": False, "layout": "channels_last"},
        "instance_norm": {"training": False},
        "layer_norm": {"normalized_shape": [4]},
        "rms_norm": {"normalized_shape": [4]},
        "min_max": {"dim": [0, 1]},
    }
    assert "layer_norm" not in page.request_params(state, [2, 3, 4, 4])  # (B, S, D) only for 3 axes
    # every combination is a request the API takes
    body = {"input": {"random": {"shape": [2, 5, 4]}}, "params": params}
    got = compare_response(CompareRequest.model_validate(body))
    assert got["traces"]["batch_norm"]["axes"] == ["N", "L", "C"]
    assert list(got["errors"]) == ["group_norm"]  # 2 does not divide S = 5


# --- the page --------------------------------------------------------------------------------------------------


def test_the_page_carries_its_first_answer(pclient: TestClient) -> None:
    p = open_page(pclient)
    data = p["initial-compare"]
    assert list(data["response"]["traces"]) == list(COMPARED)
    assert data["request"] == {"input": {"random": page.DEFAULT_RANDOM}, "dtype": "float32", "params": {}}
    assert data["error"] is None and data["ignored"] == []
    assert p["initial-state"]["lang"] in ("en", "zh")
    assert p["page-config"]["plotly_url"].startswith("/static-vendor/")
    assert set(p["page-config"]["titles"]) == set(COMPARED)
    for layer in COMPARED:
        assert f'id="cmp-plot-{layer}"' in p["html"]
    assert 'aria-current="page"' in p["html"]


def test_the_page_answers_what_the_api_answers(pclient: TestClient) -> None:
    p = open_page(pclient, "?shape=2,4,2&seed=3&G=1&eval=batch_norm")
    data = p["initial-compare"]
    r = pclient.post("/api/v1/compare", json=data["request"])
    assert r.json() == data["response"]
    assert data["request"]["params"] == {"group_norm": {"num_groups": 1}, "batch_norm": {"training": False}}


def test_the_page_in_chinese(pclient: TestClient) -> None:
    p = open_page(pclient, "?lang=zh")
    assert '<html lang="zh-CN"' in p["html"] and "一个张量，六种归一化" in p["html"]
    assert p["initial-state"]["lang"] == "zh"


def test_a_pasted_tensor_travels_as_a_permalink_token(pclient: TestClient) -> None:
    text = "tensor([[[1., 2.], [3., 4.]],\n        [[0., 2.], [5., 1.]]])"
    view = {"layer": "layer_norm", "input": {"text": text}, "dtype": "float64"}
    token = pclient.post("/api/v1/permalink", json=view).json()["token"]
    p = open_page(pclient, f"?t={token}&G=2")
    data = p["initial-compare"]
    assert data["request"]["input"] == {"text": text} and data["request"]["dtype"] == "float64"
    assert data["response"]["traces"]["group_norm"]["params"]["num_groups"] == 2
    assert p["initial-state"]["source"] == {"t": token}


def test_the_querys_dtype_wins_over_the_linked_tensors(pclient: TestClient) -> None:
    view = {"layer": "layer_norm", "input": {"values": [[1.0, 2.0], [3.0, 5.0]]}, "dtype": "float64"}
    token = pclient.post("/api/v1/permalink", json=view).json()["token"]
    assert open_page(pclient, f"?t={token}")["initial-compare"]["request"]["dtype"] == "float64"
    assert open_page(pclient, f"?t={token}&dtype=float32")["initial-compare"]["request"]["dtype"] == "float32"
    assert open_page(pclient, f"?t={token}&dtype=half")["initial-compare"]["request"]["dtype"] == "float64"


def test_a_pasted_tensor_travels_as_a_short_link(pclient: TestClient) -> None:
    view = {"layer": "layer_norm", "input": {"values": [[1.0, 2.0], [3.0, 5.0]]}}
    link = pclient.post("/api/v1/links", json=view).json()["id"]
    data = open_page(pclient, f"?s={link}")["initial-compare"]
    assert data["request"]["input"] == {"values": [[1.0, 2.0], [3.0, 5.0]]}
    assert list(data["response"]["traces"])[:2] == ["batch_norm", "layer_norm"]


@pytest.mark.parametrize("query", ["?s=aaaaaaaaaa", "?t=1.AAAA", "?t=9.abc"])
def test_a_link_that_cannot_be_opened_falls_back_to_a_random_tensor(pclient: TestClient, query: str) -> None:
    p = open_page(pclient, query)
    assert p["initial-state"]["lost"] is True
    assert p["initial-compare"]["request"]["input"] == {"random": page.DEFAULT_RANDOM}


def test_an_examples_tensor(pclient: TestClient) -> None:
    p = open_page(pclient, "?example=bn-worked-example")
    data = p["initial-compare"]
    assert data["request"]["input"]["values"][0][0] == [[1, 2], [3, 4]]
    assert any(e["slug"] == "bn-worked-example" for e in p["page-config"].get("examples", [])) or (
        'value="bn-worked-example"' in p["html"]
    )


def test_a_tensor_too_large_or_refused_is_said_on_the_page(pclient: TestClient) -> None:
    data = open_page(pclient, "?shape=300,300")["initial-compare"]
    assert data["response"] is None and "65,536" in data["error"]["en"] and CJK.search(data["error"]["zh"])
    data = open_page(pclient, "?shape=3000,3000")["initial-compare"]  # beyond the server's own limit
    assert data["response"] is None and data["error"]["en"]
    p = open_page(pclient, "?shape=5&lang=zh")  # 1-D: three layers refuse, three answer
    data = p["initial-compare"]
    assert set(data["response"]["errors"]) == {"batch_norm", "instance_norm", "group_norm"}


def test_ignored_values_are_listed(pclient: TestClient) -> None:
    data = open_page(pclient, "?G=zero&color=red")["initial-compare"]
    assert data["ignored"] == ["G", "color"]


# --- words -------------------------------------------------------------------------------------------------------


def test_page_words_have_both_languages_and_the_same_placeholders() -> None:
    words = page.page_words()
    for layer in COMPARED:
        assert f"shares.{layer}" in words and f"shares_tokens.{layer}" in words
    for key in ("summary", "summary_tokens", "same_as", "g_is_layer_norm", "g_is_instance_norm", "g_between"):
        assert key in words
    holes = re.compile(r"\$\{(\w+)")
    for key, w in words.items():
        assert set(holes.findall(w["en"])) == set(holes.findall(w["zh"])), key
        assert CJK.search(w["zh"]) and not CJK.search(w["en"]), key


def test_ui_strings_under_compare_in_both_languages() -> None:
    en = json.loads((STATIC / "i18n" / "en.json").read_text(encoding="utf-8"))
    zh = json.loads((STATIC / "i18n" / "zh.json").read_text(encoding="utf-8"))
    ours = {k for k in en if k.startswith("compare.")}
    assert ours == {k for k in zh if k.startswith("compare.")} and len(ours) > 20
    html = (STATIC.parent / "templates" / "compare.html").read_text(encoding="utf-8")
    js = "".join((STATIC / "js" / name).read_text(encoding="utf-8") for name in ("compare.js", "compare-view.js"))
    used = set(re.findall(r"t\('(compare\.[\w.]+)'\)", html)) | set(re.findall(r'"(compare\.[\w.]+)"', js))
    assert used <= ours, used - ours
