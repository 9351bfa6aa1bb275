"""normlens.app.offload: a large body is parsed, validated and answered in a worker process, with exactly the
answer the event loop's process would give (status and JSON), errors included."""

from __future__ import annotations

import orjson
import pytest

from normlens.app import requests as request_module
from normlens.app.offload import NICE, run_validated, run_work
from normlens.app.routes.api import parse_work, trace_work
from normlens.app.schemas import ParseRequest, TraceRequest

PAD = " " * (300 * 1024)  # white space makes any body larger than THREAD_BYTES without changing its meaning
BODIES = {
    "good paste": ("/api/v1/parse", {"text": "1, 2\n3, 4"}),
    "bad paste": ("/api/v1/parse", {"text": "1, 2\n3, x"}),
    "trace": ("/api/v1/trace", {"layer": "batch_norm", "input": {"values": [[1, 2], [3, 5]]}}),
    "pasted trace": ("/api/v1/trace", {"layer": "layer_norm", "input": {"text": "1 2 3\n4 5 7"}, "params": {}}),
    "bad paste in a trace": ("/api/v1/trace", {"layer": "batch_norm", "input": {"text": "1 2\n3"}}),
    "invalid field": ("/api/v1/trace", {"layer": "batch_norm", "input": {"values": [[1, 2]]}, "dtype": "int8"}),
    "engine error": (
        "/api/v1/trace",
        {"layer": "group_norm", "input": {"values": [[1, 2, 3]]}, "params": {"num_groups": 2}},
    ),
    "full too large": (
        "/api/v1/trace",
        {"layer": "batch_norm", "input": {"random": {"shape": [600, 600]}}, "detail": "full"},
    ),
}


def _post(client, path: str, body: bytes):
    return client.post(path, content=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize("name", list(BODIES))
def test_a_large_body_gets_the_same_answer_in_a_worker_process(client, monkeypatch, name):
    path, payload = BODIES[name]
    body = orjson.dumps(payload)
    padded = body[:-1] + PAD.encode() + b"}"
    small = _post(client, path, body)
    large = _post(client, path, padded)  # over THREAD_BYTES: answered in the pool
    assert len(padded) > request_module.THREAD_BYTES
    assert (large.status_code, large.json()) == (small.status_code, small.json())


def test_a_large_body_that_is_not_json_is_reported_as_fastapi_does(client):
    r = _post(client, "/api/v1/parse", b'{"text": "1 2"' + PAD.encode())
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"


def test_the_work_functions_answer_with_status_and_bytes_in_this_process():
    ok = run_work(ParseRequest, parse_work, b'{"text": "1 2 3"}')
    assert ok is not None and ok[0] == 200 and orjson.loads(ok[1])["shape"] == [3]
    bad = run_work(ParseRequest, parse_work, b'{"text": 3}')
    assert bad is not None and bad[0] == 422 and orjson.loads(bad[1])["detail"][0]["loc"] == ["body", "text"]
    assert run_work(ParseRequest, parse_work, b"{nope") is None
    request = TraceRequest.model_validate(
        {"layer": "group_norm", "input": {"values": [[1, 2, 3]]}, "params": {"num_groups": 2}}
    )
    status, content = run_validated(trace_work, request)
    assert status == 422 and orjson.loads(content)["detail"][0]["loc"] == ["body", "params", "num_groups"]


def test_pool_processes_yield_to_the_event_loop():
    assert NICE > 0
