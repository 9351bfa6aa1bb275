"""JSONRoute: a small valid body goes straight to its endpoint; everything else through FastAPI's handler."""

from __future__ import annotations

import importlib

import orjson
import pytest
from fastapi import routing

from bench.load import TRACE_BODY
from normlens.app.requests import JSONRoute

DIRECT = {"/api/v1/trace", "/api/v1/parse", "/api/v1/compare", "/api/v1/labs/running-stats", "/api/v1/links"}
THROUGH_FASTAPI = {"/api/v1/train"}  # not typed as returning a Response: FastAPI serializes what it returns


def routes() -> dict[str, JSONRoute]:
    found = {}
    for name in ("api", "compare", "labs", "links", "train"):
        for r in importlib.import_module(f"normlens.app.routes.{name}").router.routes:
            if isinstance(r, JSONRoute) and r.body_field is not None:
                found[r.path] = r
    return found


def test_endpoints_whose_one_parameter_is_the_body_and_that_return_a_response_are_called_directly():
    found = routes()
    assert found.keys() >= DIRECT | THROUGH_FASTAPI
    for path in DIRECT:
        assert found[path]._direct_body() is found[path].dependant.body_params[0], path
    for path in THROUGH_FASTAPI:
        assert found[path]._direct_body() is None, path


@pytest.fixture
def no_fastapi_handler(monkeypatch):
    """FastAPI's request handler fails the request if it is reached (it solves dependencies first)."""
    calls = []

    async def solve_dependencies(*args, **kwargs):
        calls.append(kwargs.get("body"))
        raise AssertionError("FastAPI's handler was reached")

    monkeypatch.setattr(routing, "solve_dependencies", solve_dependencies)
    return calls


def test_a_valid_small_body_never_reaches_fastapis_handler(client, no_fastapi_handler):
    r = client.post("/api/v1/trace", json=TRACE_BODY)
    assert r.status_code == 200 and r.json()["layer"] == "batch_norm"
    assert client.post("/api/v1/parse", json={"text": "[[1, 2], [3, 4]]"}).status_code == 200
    # a plain (not async) endpoint runs in the threadpool, as FastAPI runs it
    assert client.post("/api/v1/permalink", json=TRACE_BODY).status_code == 200
    assert no_fastapi_handler == []


@pytest.mark.parametrize(
    "body",
    [
        b"",  # FastAPI: "missing" at body
        b'{"layer": "batch_norm"}',  # input missing
        b'{"layer": "nope", "input": {"values": [[1, 2]]}}',
        b"[1, 2]",
    ],
)
def test_a_body_that_is_empty_or_invalid_gets_fastapis_own_answer(client, no_fastapi_handler, body):
    with pytest.raises(AssertionError, match="FastAPI's handler was reached"):
        client.post("/api/v1/trace", content=body, headers={"content-type": "application/json"})
    assert len(no_fastapi_handler) == 1  # (malformed JSON stops FastAPI before its dependencies: below)


def test_fastapis_answer_to_a_bad_body_is_what_it_was(client):
    r = client.post("/api/v1/trace", content=b'{"layer": "batch_norm"}', headers={"content-type": "application/json"})
    assert r.status_code == 422 and [e["loc"] for e in r.json()["detail"]] == [["body", "input"]]
    r = client.post("/api/v1/trace", content=b"{", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"
    r = client.post("/api/v1/trace", content=b"", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body"]


PAD = b" " * (300 * 1024)  # white space: over THREAD_BYTES without changing the body's meaning


@pytest.mark.parametrize(
    "state",
    [
        TRACE_BODY,
        {**TRACE_BODY, "dtype": "int8"},
        {"layer": "batch_norm", "input": {"text": "1 2\n3"}},
        {"layer": "group_norm", "input": {"values": [[1, 2, 3]]}, "params": {"num_groups": 2}},
    ],
    ids=["valid", "bad-field", "bad-paste", "engine-error"],
)
def test_a_large_body_validated_in_a_worker_thread_gets_the_small_ones_answer(client, state):
    # /api/v1/permalink has no worker-process path: its ViewState (an OffLoopValidation) is validated in a thread
    body = orjson.dumps(state)
    small, large = (
        client.post("/api/v1/permalink", content=b, headers={"content-type": "application/json"})
        for b in (body, body[:-1] + PAD + b"}")
    )
    assert (large.status_code, large.json()) == (small.status_code, small.json())
