"""Short links: content-derived ids, immutability, concurrent writers, and survival across a real restart."""

from __future__ import annotations

import html
import multiprocessing
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

import normlens.app.routes.links as link_routes
from normlens.app.links import ID_LENGTH, LinkStore, digest_id, valid_id
from normlens.app.permalink import canonical_json
from normlens.app.settings import ROOT
from normlens.app.state import ViewState, load_state


def state(i: int, lang: str = "en") -> ViewState:
    return ViewState.model_validate(
        {
            "layer": "layer_norm",
            "input": {"random": {"shape": [2, 3, 4], "seed": i}},
            "params": {"normalized_shape": [4]},
            "view": {"step": "mean", "group": i % 6, "lang": lang},
        }
    )


def save(store: LinkStore, s: ViewState) -> tuple[str, bool]:
    return store.save(canonical_json(s), s.v)


@pytest.fixture
def store(tmp_path: Path) -> LinkStore:
    return LinkStore(tmp_path / "links.sqlite3")


def test_the_same_state_gets_the_same_id(store):
    first = save(store, state(1))
    assert first[1] is True and len(first[0]) == ID_LENGTH and valid_id(first[0])
    assert save(store, state(1)) == (first[0], False)
    assert save(store, ViewState.model_validate(state(1).model_dump())) == (first[0], False)
    assert store.count() == 1


def test_different_states_get_different_ids(store):
    ids = {save(store, state(i))[0] for i in range(20)} | {save(store, state(i, "zh"))[0] for i in range(20)}
    assert len(ids) == 40 and store.count() == 40


def test_a_link_loads_back_exactly_with_its_version(store):
    s = state(3)
    link_id, _ = save(store, s)
    version, raw = store.load(link_id)
    assert version == 1 and raw == canonical_json(s)
    assert load_state(orjson.loads(raw)).model_dump() == s.model_dump()


@pytest.mark.parametrize("link_id", ["", "UPPERCASE", "abc/def", "a" * 53, "01890", "nope-nope"])
def test_unknown_or_malformed_ids_load_nothing(store, link_id):
    save(store, state(0))
    assert store.load(link_id) is None


def test_an_id_taken_by_another_state_is_lengthened(tmp_path):
    # With 1-character ids (32 possible), 200 states must collide: each gets a longer id, none is lost.
    store = LinkStore(tmp_path / "short.sqlite3", id_length=1)
    payloads = [f'{{"n":{i},"v":1}}'.encode() for i in range(200)]
    ids = [store.save(p, 1)[0] for p in payloads]
    assert len(set(ids)) == 200 and max(map(len, ids)) > 1
    for p, link_id in zip(payloads, ids, strict=True):
        assert digest_id(p).startswith(link_id)
        assert store.load(link_id) == (1, p)
        assert store.save(p, 1) == (link_id, False)  # stable: the same state finds the same (longer) id
    assert store.count() == 200


def test_links_are_immutable(store):
    link_id, _ = save(store, state(5))
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="immutable"):
        conn.execute("UPDATE links SET state = '{}' WHERE id = ?", (link_id,))
    conn.close()
    assert store.load(link_id)[1] == canonical_json(state(5))


def test_the_database_runs_in_wal_mode(store):
    save(store, state(0))
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


# --- over HTTP: POST /api/v1/links, GET /api/v1/links/{id}, GET /s/{id} ------------------------------------


@pytest.fixture
def http_store(tmp_path, monkeypatch) -> LinkStore:
    """The app's store, moved to a temporary file for the test."""
    store = LinkStore(tmp_path / "http.sqlite3")
    monkeypatch.setattr(link_routes, "_store", lambda: store)
    return store


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


# --- two processes writing at once --------------------------------------------------------------------------


def _writer(path: str, who: int, barrier, out) -> None:  # runs in a spawned process
    store = LinkStore(Path(path))
    shared = [state(i) for i in range(50)]
    own = [state(1000 * (who + 1) + i, "zh") for i in range(50)]
    barrier.wait()  # start together, so the writes really interleave
    result = [(canonical_json(s), *save(store, s)) for pair in zip(shared, own, strict=True) for s in pair]
    out.put((who, result))


def test_two_processes_lose_nothing_and_duplicate_nothing(tmp_path):
    path = tmp_path / "links.sqlite3"
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(path), who, barrier, out)) for who in (0, 1)]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    by_state: dict[bytes, set[str]] = {}
    created = 0
    for rows in results.values():
        for raw, link_id, was_new in rows:
            by_state.setdefault(raw, set()).add(link_id)
            created += was_new
    assert len(by_state) == 150  # 50 shared + 2 x 50 own
    assert all(len(ids) == 1 for ids in by_state.values())  # both processes got the same id for a shared state
    assert created == 150  # each state was inserted exactly once, by one of the two
    store = LinkStore(path)
    assert store.count() == 150
    for raw, (link_id,) in by_state.items():
        assert store.load(link_id) == (1, raw)


# --- a real server, stopped and started again ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int, data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "NORMLENS_DATA_DIR": str(data_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "uvicorn", "normlens.app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start in 60 s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stderr:
        proc.stderr.close()


def test_a_short_link_survives_a_restart(tmp_path):
    data_dir = tmp_path / "data" / "nested"  # does not exist yet: the server creates it
    port = _free_port()
    body = {**state(7).model_dump(mode="json", exclude_defaults=True), "view": {"step": "std", "lang": "zh"}}
    proc = _serve(port, data_dir)
    try:
        r = httpx.post(f"http://127.0.0.1:{port}/api/v1/links", json=body, timeout=30)
        assert r.status_code == 201, r.text
        link = r.json()
    finally:
        _stop(proc)
    assert (data_dir / "links.sqlite3").exists()

    proc = _serve(port, data_dir)
    try:
        base = f"http://127.0.0.1:{port}"
        again = httpx.post(f"{base}/api/v1/links", json=body, timeout=30)
        assert again.status_code == 200 and again.json()["id"] == link["id"]
        stored = httpx.get(f"{base}/api/v1/links/{link['id']}", timeout=30).json()
        assert load_state(stored["state"]).model_dump() == ViewState.model_validate(body).model_dump()
        page = httpx.get(base + link["url"], timeout=30)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert 'property="og:title"' in page.text
    finally:
        _stop(proc)
