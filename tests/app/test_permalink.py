"""The permalink codec: exact round trips, canonical tokens, bounded decoding, clear errors, their pages."""

from __future__ import annotations

import base64
import html
import re
import time
import zlib

import orjson
import pytest
from hypothesis import given, settings

from normlens.app.permalink import PermalinkError, canonical_json, decode, encode, fits
from normlens.app.state import StateError, ViewState, newer_version_error
from tests.app.state_strategies import view_state_data, view_states
from tests.app.words import HALF_WIDTH

TOKEN = re.compile(r"1\.[A-Za-z0-9_-]+")
BN = {
    "layer": "batch_norm",
    "input": {"values": [[[[1, 2], [3, 4]], [[2, 0], [1, 1]]], [[[5, 6], [7, 8]], [[0, 3], [2, 2]]]]},
    "params": {"gamma": [2, 5], "beta": [3, 8]},
    "view": {"step": "mean", "group": 1, "lang": "zh"},
}


def token_of(payload: bytes, version: str = "1") -> str:
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = deflate.compress(payload) + deflate.flush()
    return f"{version}." + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


@settings(max_examples=150)
@given(view_states)
def test_a_token_round_trips_any_state_exactly(state):
    token = encode(state)
    assert TOKEN.fullmatch(token)
    back = decode(token, max_chars=10**6)
    assert back.model_dump() == state.model_dump()
    assert back.input_shape() == state.input_shape()
    assert encode(back) == token  # canonical: decoding and encoding again changes nothing


@settings(max_examples=50)
@given(view_state_data())
def test_key_order_does_not_change_the_token(data):
    reordered = dict(reversed(list(data.items())))
    assert encode(ViewState.model_validate(reordered)) == encode(ViewState.model_validate(data))


def test_defaults_spelled_out_give_the_same_token():
    short = {"layer": "layer_norm", "input": {"random": {"shape": [2, 3]}}}
    long = {
        "v": 1,
        "layer": "layer_norm",
        "input": {"random": {"shape": [2, 3], "seed": 0, "distribution": "normal", "mean": 0, "std": 1.0}},
        "params": {},
        "dtype": "float32",
        "detail": "auto",
        "grad_output": None,
        "view": {"step": None, "group": None, "lang": "en"},
    }
    assert encode(ViewState.model_validate(short)) == encode(ViewState.model_validate(long))


def test_different_views_give_different_tokens():
    a = ViewState.model_validate(BN)
    b = ViewState.model_validate({**BN, "view": {**BN["view"], "group": 0}})
    assert encode(a) != encode(b)


def test_the_canonical_json_is_sorted_and_keeps_the_version():
    raw = canonical_json(ViewState.model_validate(BN))
    data = orjson.loads(raw)
    assert data["v"] == 1 and list(data) == sorted(data)
    assert raw == orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def test_integers_beyond_64_bits_still_encode():
    state = ViewState.model_validate({"layer": "dropout", "input": {"values": [2**70, 1]}})
    assert decode(encode(state)).input.values == [2**70, 1]


def test_fits_uses_the_setting():
    token = encode(ViewState.model_validate(BN))
    assert fits(token) and not fits(token, max_chars=len(token) - 1)


# --- bounded decoding ---------------------------------------------------------------------------------------


BOMB = token_of(b'{"layer":"' + b"a" * 100_000_000 + b'"}')  # 100 MB of JSON in about 130 KB of token


def test_a_bomb_is_refused_by_its_length_fast():
    start = time.perf_counter()
    with pytest.raises(PermalinkError) as e:
        decode(BOMB)
    assert time.perf_counter() - start < 0.1
    assert e.value.code == "too_long" and e.value.status == 414
    assert e.value.en == f"This link is too long ({len(BOMB):,} characters; the limit is 8,000)."
    assert e.value.zh == f"此链接过长（{len(BOMB):,} 个字符，上限为 8,000）。"


def test_a_bomb_is_refused_by_its_inflated_size_fast_before_any_json():
    start = time.perf_counter()
    with pytest.raises(PermalinkError) as e:
        decode(BOMB, max_chars=len(BOMB))  # let the length pass: the decompression limit must stop it
    assert time.perf_counter() - start < 0.1
    assert e.value.code == "too_large" and e.value.status == 413
    assert "1,048,576 bytes" in e.value.en and e.value.zh == "此链接的状态解压后超过 1,048,576 字节的上限。"


def test_a_short_token_that_inflates_past_the_limit_is_refused():
    token = token_of(b" " * 3_000_000)  # within the 8000-character default, inflates to 3 MB
    assert len(token) < 8000
    with pytest.raises(PermalinkError, match="inflates to more than"):
        decode(token)


def test_a_state_exactly_at_the_limit_is_read():
    state = ViewState.model_validate(BN)
    size = len(canonical_json(state))
    assert decode(encode(state), max_bytes=size).model_dump() == state.model_dump()
    with pytest.raises(PermalinkError, match="inflates"):
        decode(encode(state), max_bytes=size - 1)


GOOD = encode(ViewState.model_validate(BN))
TAMPERED = {
    "no version": (GOOD[2:], "not a NormLens state token"),
    "bad characters": ("1.abc$def", "not a NormLens state token"),
    "padding": (GOOD + "==", "not a NormLens state token"),
    "cut to an impossible length": ("1." + "A" * 9, "impossible length"),
    "bad deflate": (
        "1." + base64.urlsafe_b64encode(b"not deflate at all").decode().rstrip("="),
        "compressed data",
    ),
    "truncated deflate": (token_of(orjson.dumps(BN))[:-8], "compressed data"),
    "trailing bytes": (token_of(orjson.dumps(BN)) + "AAAA", "compressed data"),
    "bad json": (token_of(b'{"layer": "batch_norm",'), "not valid JSON"),
    "not an object": (token_of(b"[1, 2, 3]"), "not a JSON object"),
    "schema invalid": (token_of(orjson.dumps({**BN, "layer": "batchnorm"})), "invalid at layer"),
    "bad params": (token_of(orjson.dumps({**BN, "params": {"gama": [1, 2]}})), "no argument 'gama'"),
    "version mismatch": (token_of(orjson.dumps({**BN, "v": 3})), "says version 1 but its state says 3"),
    "version zero": ("0." + GOOD[2:], "version 0 does not exist"),
    "newer version": ("2." + GOOD[2:], "newer NormLens (state version 2)"),
    "newer version inside": (
        token_of(orjson.dumps({**BN, "v": 2}), "2"),
        "this server understands version 1",
    ),
}


DAMAGED = {  # the Chinese reason of each damaged token, inside "此链接已损坏：...。请确认链接复制完整。"
    "no version": "它不是 NormLens 状态令牌（应为版本号、一个点和 base64url 文本）",
    "bad characters": "它不是 NormLens 状态令牌",
    "padding": "它不是 NormLens 状态令牌",
    "cut to an impossible length": "其 base64 文本长度不可能成立（是否被截断？）",
    "bad deflate": "其压缩数据已损坏",
    "truncated deflate": "其压缩数据被截断或含有多余字节",
    "trailing bytes": "其压缩数据",
    "bad json": "其内容不是有效的 JSON",
    "version mismatch": "令牌标明版本 1，但其状态标明 3",
    "version zero": "版本 0 不存在",
}


@pytest.mark.parametrize(("token", "message"), TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_token_gets_a_clear_error(token, message):
    with pytest.raises(PermalinkError) as e:
        decode(token)
    assert message in e.value.en
    assert e.value.zh and e.value.zh != e.value.en
    assert not HALF_WIDTH.search(e.value.zh), e.value.zh
    assert 400 <= e.value.status < 500


@pytest.mark.parametrize("name", DAMAGED)
def test_a_damaged_token_says_why_in_both_languages(name):
    with pytest.raises(PermalinkError) as e:
        decode(TAMPERED[name][0])
    assert e.value.code == "broken" and e.value.status == 400
    assert e.value.en.startswith("This link is damaged: ")
    assert e.value.en.endswith(". Check that it was copied completely.")
    assert e.value.zh.startswith("此链接已损坏：") and e.value.zh.endswith("。请确认链接复制完整。")
    assert DAMAGED[name] in e.value.zh


def test_a_state_error_inside_a_token_keeps_its_code_and_words():
    with pytest.raises(PermalinkError) as e:
        decode(TAMPERED["newer version inside"][0])
    assert isinstance(e.value, StateError) and e.value.code == "newer_version"
    assert e.value.text == newer_version_error(2).text and e.value.status == 400


def test_every_single_character_flip_is_refused_or_harmless():
    # Flipping any character either breaks the token (a clear error) or yields a still-valid state.
    for i in range(2, len(GOOD)):
        flipped = GOOD[:i] + ("A" if GOOD[i] != "A" else "B") + GOOD[i + 1 :]
        try:
            decode(flipped)
        except PermalinkError as e:
            assert 400 <= e.status < 500


# --- over HTTP: POST /api/v1/permalink and the pages --------------------------------------------------------


def og_tags(page: str) -> dict[str, str]:
    return dict(re.findall(r'<meta property="og:(\w+)" content="([^"]*)">', page))


def initial(page: str, block_id: str):
    m = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', page, re.S)
    return orjson.loads(m.group(1))


def test_the_api_makes_the_token_and_the_page_opens_it_exactly(client):
    r = client.post("/api/v1/permalink", json=BN)
    assert r.status_code == 200
    body = r.json()
    assert body["token"] == GOOD and body["url"] == f"/v/{GOOD}"
    page = client.get(body["url"], headers={"accept-language": "en"})  # the link's language wins
    assert page.status_code == 200
    state = initial(page.text, "initial-state")
    assert state["view"] == {"step": "mean", "group": 1, "lang": "zh"}
    assert state["params"] == {"gamma": [2, 5], "beta": [3, 8]}
    assert initial(page.text, "page-config")["lang_fixed"] is True
    tags = og_tags(page.text)
    assert tags["url"] == body["url"] and tags["type"] == "website"
    assert "nn.BatchNorm2d" in tags["title"] and "2 × 2 × 2 × 2" in tags["description"]
    assert "第 3/11 步" in tags["description"]  # the step shown, in the link's language


def test_a_state_too_large_for_a_url_gets_no_token(client):
    big = {"layer": "layer_norm", "input": {"values": [[i * 0.318309886 for i in range(2000)]]}}
    r = client.post("/api/v1/permalink", json=big)
    assert r.status_code == 200
    body = r.json()
    assert body["token"] is None and body["url"] is None and body["code"] == "too_long"
    assert "short link" in body["message"]["en"] and body["message"]["zh"]
    assert "请用「分享」生成短链接。" in body["message"]["zh"]
    assert f"超过上限 {8000:,}；" in body["message"]["zh"] and "more than the 8,000 allowed" in body["message"]["en"]


def test_a_state_too_large_for_a_link_gets_no_token(client):
    big = {"layer": "layer_norm", "input": {"values": [[i * 0.318309886 for i in range(1000)] for _ in range(100)]}}
    body = client.post("/api/v1/permalink", json=big).json()
    assert body["token"] is None and body["url"] is None and body["code"] == "too_large"
    assert "a link holds at most 1,048,576. Use a smaller tensor" in body["message"]["en"]
    assert "链接最多容纳 1,048,576 字节。请使用更小的张量（随机张量只保存其种子）。" in body["message"]["zh"]


def test_an_invalid_state_is_a_422_naming_the_field(client):
    r = client.post("/api/v1/permalink", json={**BN, "view": {"lang": "fr"}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "view", "lang"]
    r = client.post("/api/v1/permalink", json={**BN, "v": 2})
    assert r.status_code == 422 and "newer NormLens" in r.text
    assert r.json()["detail"][0]["msg_zh"].startswith("此链接由更新版本的 NormLens 生成（状态版本 2）")


@pytest.mark.parametrize(("token", "message"), TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_link_gets_a_clear_error_page(client, token, message):
    r = client.get(f"/v/{token}")
    assert 400 <= r.status_code < 500
    assert "text/html" in r.headers["content-type"]
    page = html.unescape(r.text)
    assert message in page and "This link cannot be opened" in page
    assert "请确认" in page or "更新版本" in page or "无效" in page or "不是" in page  # the Chinese message too


@pytest.mark.parametrize(
    ("token", "status"),
    [
        (token_of(b'{"layer":"' + b"a" * 40_000_000 + b'"}'), 414),  # 52 K characters: refused by its length
        (token_of(b" " * 3_000_000), 413),  # 4 K characters: stopped by the inflated-size limit
    ],
    ids=["long", "short"],
)
def test_a_bomb_url_is_refused_fast_with_a_4xx(client, token, status):
    start = time.perf_counter()
    r = client.get(f"/v/{token}")
    assert time.perf_counter() - start < 0.5
    assert r.status_code == status and "This link cannot be opened" in r.text


EVAL_BN = {"layer": "batch_norm", "input": {"random": {"shape": [4, 3]}}, "params": {"training": False}}
LAYER_STATES = {
    "batch_norm": ({"shape": [4, 3]}, {"training": False}),
    "layer_norm": ({"shape": [2, 3, 4]}, {"normalized_shape": [4]}),
    "group_norm": ({"shape": [2, 4, 3]}, {"num_groups": 2}),
    "instance_norm": ({"shape": [2, 3, 5]}, {}),
    "rms_norm": ({"shape": [2, 6]}, {}),
    "dropout": ({"shape": [3, 4]}, {"p": 0.25}),
}


@pytest.mark.parametrize("layer", LAYER_STATES)
def test_every_layer_opens_from_a_permalink_with_a_description(client, layer):
    random, params = LAYER_STATES[layer]
    step = "output" if layer == "dropout" else "normalized"
    state = {"layer": layer, "input": {"random": random}, "params": params, "view": {"step": step}}
    url = client.post("/api/v1/permalink", json=state).json()["url"]
    page = client.get(url)
    assert page.status_code == 200
    tags = og_tags(html.unescape(page.text))
    shape = " × ".join(map(str, random["shape"]))
    assert f"on a {shape} float32 tensor" in tags["description"] and "Step " in tags["description"]
    assert tags["title"].endswith(" · NormLens") and tags["url"] == url
    assert initial(page.text, "initial-state")["view"]["step"] == step


def test_a_valid_state_the_layer_refuses_gets_a_422_page(client):
    state = {"layer": "batch_norm", "input": {"values": [1.0, 2.0, 3.0]}}  # BatchNorm needs (N, C, ...)
    r = client.get(client.post("/api/v1/permalink", json=state).json()["url"])
    assert r.status_code == 422 and "cannot be computed" in r.text and "无法计算" in r.text
    page = html.unescape(r.text)
    assert "This link's view cannot be computed: batch_norm accepts input of shape" in page
    zh = re.search(r'lang="zh-CN">无法计算此链接的视图：(batch_norm [^<]*)。<', page)
    assert zh and re.search(r"[\u4e00-\u9fff]", zh.group(1))  # the layer's own Chinese words, passed through


def preview(client, state: dict) -> dict[str, str]:
    """The Open Graph tags of the permalink page of `state`."""
    url = client.post("/api/v1/permalink", json=state).json()["url"]
    return og_tags(html.unescape(client.get(url).text))


def test_the_preview_is_in_the_links_language(client):
    tags = preview(client, {**EVAL_BN, "view": {"step": "mean", "lang": "zh"}})
    title = re.fullmatch(r"nn\.BatchNorm1d：(均值.*) · NormLens", tags["title"])  # the step's title, in Chinese
    assert title, tags["title"]
    start = "nn.BatchNorm1d 在推理（eval 模式）下作用于形状为 4 × 3 的 float32 张量。第 3/"
    assert tags["description"].startswith(start)
    assert tags["description"].endswith(f"步：{title.group(1)}。共 3 组统计量，每组 4 个值。")
    assert not HALF_WIDTH.search(tags["description"])
    tags = preview(client, {**EVAL_BN, "view": {"step": "mean", "lang": "en"}})
    assert tags["description"].startswith("nn.BatchNorm1d on a 4 × 3 float32 tensor in evaluation mode.")
    assert re.search(r"\. Step 3 of \d+: Mean.*\. 3 statistics, each over 4 values\.$", tags["description"])
    tags = preview(client, {**EVAL_BN, "params": {}, "view": {"step": "mean", "lang": "zh"}})
    assert tags["description"].startswith("nn.BatchNorm1d 在训练模式下作用于")
    assert re.fullmatch(r"nn\.BatchNorm1d：均值.* · NormLens", tags["title"])
    tags = preview(client, {"layer": "layer_norm", "input": {"random": {"shape": [2, 3]}}, "view": {"lang": "zh"}})
    assert tags["description"].startswith("nn.LayerNorm 作用于形状为 2 × 3 的 float32 张量。第 1/")  # no mode


def test_an_unknown_step_falls_back_to_the_first(client):
    state = {**BN, "view": {"step": "no_such_step"}}
    page = client.get(client.post("/api/v1/permalink", json=state).json()["url"])
    assert page.status_code == 200 and initial(page.text, "initial-state")["view"]["step"] == "input"
