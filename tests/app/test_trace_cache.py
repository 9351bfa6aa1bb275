"""The response cache: bounded in bytes, least recently used out first, shared by spellings of one request."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from normlens.app.routes.api import response_cache
from normlens.app.trace_cache import ResponseCache


def test_evicts_least_recently_used_within_the_byte_budget() -> None:
    cache = ResponseCache(max_bytes=80)
    for key in (b"a", b"b", b"c", b"d"):
        cache.put(key, b"x" * 9)  # 10 bytes each with the key
    assert cache.get(b"a") == b"x" * 9  # a is now the most recent
    for key in (b"e", b"f", b"g", b"h", b"i"):
        cache.put(key, b"y" * 9)
    assert cache.size <= 80 and len(cache) == 8
    assert cache.get(b"b") is None and cache.get(b"a") is not None


def test_refuses_entries_larger_than_an_eighth() -> None:
    cache = ResponseCache(max_bytes=80)
    cache.put(b"k", b"z" * 10)
    assert cache.get(b"k") is None and cache.size == 0


def test_two_spellings_of_one_request_share_an_entry(client: TestClient) -> None:
    request = {
        "layer": "group_norm",
        "input": {"random": {"shape": [2, 4, 3], "seed": 11}},
        "params": {"num_groups": 2},
    }
    before = len(response_cache())
    first = client.post("/api/v1/trace", json=request)
    assert len(response_cache()) == before + 1
    spelled = json.dumps(request, indent=2).replace('"seed": 11', '"seed": 11, "distribution": "normal"')
    second = client.post("/api/v1/trace", content=spelled, headers={"content-type": "application/json"})
    assert len(response_cache()) == before + 1
    assert first.status_code == second.status_code == 200 and first.content == second.content


def test_errors_are_not_cached(client: TestClient) -> None:
    before = len(response_cache())
    r = client.post(
        "/api/v1/trace",
        json={"layer": "group_norm", "input": {"values": [[1.0, 2.0, 3.0]]}, "params": {"num_groups": 2}},
    )
    assert r.status_code == 422 and len(response_cache()) == before
