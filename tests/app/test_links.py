"""Short links over HTTP (once per store: SQLite and PostgreSQL), survival across a real restart, and two app
processes sharing one PostgreSQL database. The stores themselves are tested in test_link_stores.py."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import orjson
import pytest

import normlens.app.routes.links as link_routes
from normlens.app.links import LinkStore
from normlens.app.state import ViewState, load_state
from tests.app.link_backends import open_link_store, state
from tests.app.live_server import serve, servers, stop, wait_ready
from tests.app.pg_cluster import free_port

# --- over HTTP: POST /api/v1/links, GET /api/v1/links/{id}, GET /s/{id} ------------------------------------


@pytest.fixture
def http_store(link_target, monkeypatch) -> Iterator[LinkStore]:
    """The app's store, moved to a temporary database for the test (once SQLite, once PostgreSQL)."""
    store = open_link_store(link_target)
    monkeypatch.setattr(link_routes, "_store", lambda: store)
    yield store
    store.close()


def body(i: int, **view) -> dict:
    return {**state(i).model_dump(mode="json", exclude_defaults=True), "view": {"step": "mean", **view}}


def test_posting_a_state_twice_gives_the_same_link(client, http_store):
    first = client.post("/api/v1/links", json=body(1))
    assert first.status_code == 201 and first.json()["created"] is True
    link = first.json()
    assert link["url"] == f"/s/{link['id']}" and link["v"] == 1
    again = client.post("/api/v1/links", json=dict(reversed(list(body(1).items()))))  # same state, other order
    assert again.status_code == 200 and again.json() == {**link, "created": False}
    other = client.post("/api/v1/links", json=body(1, lang="zh"))
    assert other.status_code == 201 and other.json()["id"] != link["id"]
    assert http_store.count() == 2


def test_a_short_link_opens_the_same_view(client, http_store):
    link = client.post("/api/v1/links", json=body(2, group=3, lang="zh")).json()
    stored = client.get(f"/api/v1/links/{link['id']}").json()
    assert stored["v"] == 1 and stored["state"]["view"] == {"step": "mean", "group": 3, "lang": "zh"}
    page = client.get(link["url"])
    assert page.status_code == 200
    tags = dict(re.findall(r'<meta property="og:(\w+)" content="([^"]*)">', page.text))
    assert tags["url"] == link["url"] and "nn.LayerNorm" in tags["title"] and "第 3/" in tags["description"]
    init = re.search(r'id="initial-state">(.*?)</script>', page.text, re.S).group(1)
    assert orjson.loads(init)["view"] == {"step": "mean", "group": 3, "lang": "zh"}


@pytest.mark.parametrize("link_id", ["aaaaaaaaaa", "nope", "ABCDEFGHIJ", "x" * 80])
def test_an_unknown_short_link_is_a_404_page(client, http_store, link_id):
    r = client.get(f"/s/{link_id}")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "There is no short link" in r.text and "不存在短链接" in r.text
    page = html.unescape(r.text)
    assert f"There is no short link “{link_id[:60]}”. Check that the link was copied completely." in page
    assert f"不存在短链接「{link_id[:60]}」。请确认链接复制完整。" in page
    assert client.get(f"/api/v1/links/{link_id}").status_code in (404, 422)


def test_an_unknown_short_link_in_the_api_is_a_404_in_both_languages(client, http_store):
    r = client.get("/api/v1/links/aaaaaaaaaa")
    assert r.status_code == 404
    (item,) = r.json()["detail"]
    assert item["loc"] == ["path", "link_id"] and item["type"] == "not_found"
    assert item["msg"].startswith("There is no short link “aaaaaaaaaa”.")
    assert item["msg_zh"].startswith("不存在短链接「aaaaaaaaaa」。")


def test_an_unknown_example_is_a_404_page_in_both_languages(client):
    r = client.get("/examples/no-such-example")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    page = html.unescape(r.text)
    assert "There is no example “no-such-example”. Check that the link was copied completely." in page
    assert "不存在例子「no-such-example」。请确认链接复制完整。" in page


def test_a_stored_link_of_a_newer_version_gets_a_clear_page(client, http_store):
    raw = b'{"layer":"batch_norm","v":2,"whatever":"v2 adds"}'
    link_id, _ = http_store.save(raw, 2)
    r = client.get(f"/s/{link_id}")
    assert r.status_code == 400 and "newer NormLens (state version 2)" in r.text
    assert "此链接由更新版本的 NormLens 生成（状态版本 2）；本服务器只支持版本 1。" in r.text
    assert client.get(f"/api/v1/links/{link_id}").json()["v"] == 2  # kept as saved


def test_a_state_larger_than_the_limit_is_a_413(client, http_store):
    values = [[i * 0.318309886 for i in range(1000)] for _ in range(100)]  # about 1.8 MB of JSON
    r = client.post("/api/v1/links", json={"layer": "layer_norm", "input": {"values": values}})
    assert r.status_code == 413 and r.json()["detail"][0]["type"] == "state_too_large"
    (item,) = r.json()["detail"]
    assert item["loc"] == ["body"] and "bytes; a link holds at most 1,048,576. Use a smaller tensor" in item["msg"]
    zh = r"此视图的状态为 [\d,]+ 字节，链接最多容纳 1,048,576 字节。请使用更小的张量（随机张量只保存其种子）。"
    assert re.fullmatch(zh, item["msg_zh"]), item["msg_zh"]
    assert http_store.count() == 0


def test_a_newer_or_invalid_state_is_a_422(client, http_store):
    assert client.post("/api/v1/links", json={**body(1), "v": 2}).status_code == 422
    assert client.post("/api/v1/links", json={**body(1), "layer": "norm"}).status_code == 422
    assert client.post("/api/v1/links", content=b"layer=batch_norm").status_code == 415
    assert http_store.count() == 0


# --- a real server, stopped and started again ---------------------------------------------------------------


def test_a_short_link_survives_a_restart(tmp_path):
    data_dir = tmp_path / "data" / "nested"  # does not exist yet: the server creates it
    port = free_port()
    body = {**state(7).model_dump(mode="json", exclude_defaults=True), "view": {"step": "std", "lang": "zh"}}
    base = f"http://127.0.0.1:{port}"
    proc = serve(port, data_dir)
    try:
        wait_ready(proc, port)
        r = httpx.post(f"{base}/api/v1/links", json=body, timeout=30)
        assert r.status_code == 201, r.text
        link = r.json()
    finally:
        stop(proc)
    assert (data_dir / "links.sqlite3").exists()

    proc = serve(port, data_dir)
    try:
        wait_ready(proc, port)
        again = httpx.post(f"{base}/api/v1/links", json=body, timeout=30)
        assert again.status_code == 200 and again.json()["id"] == link["id"]
        stored = httpx.get(f"{base}/api/v1/links/{link['id']}", timeout=30).json()
        assert load_state(stored["state"]).model_dump() == ViewState.model_validate(body).model_dump()
        page = httpx.get(base + link["url"], timeout=30)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert f'property="og:url" content="{link["url"]}"' in page.text  # the view's own preview, not the site's
    finally:
        stop(proc)


def test_two_app_processes_on_one_postgresql_read_each_others_links(tmp_path, database_url):
    """Scaling out: two replicas, each with its own (empty) data directory, share their links through PostgreSQL;
    both migrate the empty database as they start, and a link made on one opens on the other."""
    first, second = body(1, group=1, lang="zh"), body(2, group=4)
    with servers(tmp_path, 2, database_url) as (a, b):
        made = httpx.post(f"{a}/api/v1/links", json=first, timeout=30)
        assert made.status_code == 201, made.text
        link = made.json()
        read = httpx.get(f"{b}/api/v1/links/{link['id']}", timeout=30)
        assert read.status_code == 200 and read.json()["state"]["view"] == {"step": "mean", "group": 1, "lang": "zh"}
        again = httpx.post(f"{b}/api/v1/links", json=first, timeout=30)  # same state on the other replica
        assert again.status_code == 200 and again.json() == {**link, "created": False}
        other = httpx.post(f"{b}/api/v1/links", json=second, timeout=30).json()
        page = httpx.get(a + other["url"], timeout=30)
        assert page.status_code == 200 and f'content="{other["url"]}"' in page.text
        assert httpx.get(f"{a}/api/v1/links/{other['id']}", timeout=30).json()["state"]["view"]["group"] == 4
    assert not list(tmp_path.glob("data-*/links.sqlite3"))  # neither replica fell back to SQLite
    store = open_link_store(database_url)
    assert store.count() == 2
    store.close()
