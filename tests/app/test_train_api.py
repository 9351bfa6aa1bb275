"""POST /api/v1/train: the run streams as newline-delimited JSON (logs, then a summary whose torch_code retrains
the same network in torch), bad knobs get 422 in both languages, a full queue 503, a repeated configuration is
replayed from the cache, and a closed connection stops the server's job."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from normlens.app import training
from tests.app.live_server import servers
from tests.core.labs.torch_run import assert_matches, run_torch

SMALL = {
    "dataset": "blobs",
    "n": 64,
    "depth": 2,
    "width": 8,
    "norm": "batch",
    "optimizer": "adam",
    "dropout": 0.2,
    "l2": 1e-3,
    "steps": 30,
    "log_every": 10,
    "batch": 16,
    "seed": 3,
}


def lines(response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines()]


def test_a_run_streams_logs_then_a_summary_that_torch_reproduces(client) -> None:
    r = client.post("/api/v1/train", json=SMALL)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    out = lines(r)
    assert [o["type"] for o in out] == ["start", "log", "log", "log", "summary"]
    start, out = out[0], out[1:]
    assert start["modules"] == ["Linear", "BatchNorm1d", "ReLU", "Dropout"] * 2 + ["Linear"]
    assert start["weights"] == ["0.weight", "4.weight", "8.weight"] and start["steps"] == 30
    assert [o["step"] for o in out[:3]] == [10, 20, 30]
    summary = out[-1]
    assert summary["config"]["optimizer"] == "adam" and summary["optimizer_state"]["tensors_per_parameter"] == 2
    assert summary["optimizer_state"]["values"] == 2 * summary["parameters"]
    assert summary["torch_expect"]["loss"] == [o["loss"] for o in out[:3]]
    assert_matches(summary["torch_expect"], run_torch(summary["torch_code"]), rtol=1e-8, atol=1e-12)


def test_the_same_configuration_is_replayed_at_once(client) -> None:
    body = SMALL | {"seed": 11}
    first = client.post("/api/v1/train", json=body).content
    began = time.perf_counter()
    again = client.post("/api/v1/train", json=body).content
    assert again == first and time.perf_counter() - began < 5


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"model": "lenet"}, "dataset", "lenet_needs_digits"),
        ({"batch": 1, "norm": "batch"}, "batch", "batch_of_one_bn"),
        ({"batch": 100, "n": 50}, "batch", "batch_over_samples"),
        ({"steps": 3000, "log_every": 1}, "log_every", "too_many_logs"),
        ({"model": "lenet", "dataset": "digits", "steps": 3000, "batch": 256}, "steps", "too_much_work"),
        ({"optimizer": "lion"}, "optimizer", None),
        ({"lr": -1}, "lr", None),
        ({"depth": 2.5}, "depth", None),
        ({"learning_rate": 0.1}, "learning_rate", None),
    ],
)
def test_bad_knobs_get_a_422_naming_the_field_in_both_languages(client, body, field, code) -> None:
    r = client.post("/api/v1/train", json=body)
    assert r.status_code == 422
    item = r.json()["detail"][0]
    assert item["loc"][-1] == field and item["msg"] and item["msg_zh"]
    assert code is None or item["code"] == code
    if code == "batch_of_one_bn":
        assert "Expected more than 1 value per channel when training, got input size torch.Size([1, 16])" in item["msg"]


def test_a_full_queue_is_refused_with_503_and_retry_after(client, monkeypatch) -> None:
    queue = training.jobs()
    monkeypatch.setattr(queue, "running", queue.slots)
    monkeypatch.setattr(queue, "waiting", type(queue.waiting)([training.Line() for _ in range(training.MAX_WAITING)]))
    r = client.post("/api/v1/train", json=SMALL)
    assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
    assert r.json()["detail"][0]["code"] == "train_busy" and r.json()["detail"][0]["msg_zh"]


def test_a_closed_connection_stops_the_job(tmp_path) -> None:
    long_run = {"model": "lenet", "dataset": "digits", "steps": 600, "log_every": 5, "batch": 32}
    with servers(tmp_path, 1) as (base,), httpx.Client(base_url=base, timeout=60) as http:
        with http.stream("POST", "/api/v1/train", json=long_run) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            assert json.loads(next(lines))["type"] == "start"
            first = json.loads(next(lines))
            assert first["type"] == "log" and first["step"] == 5
            assert http.get("/api/v1/train/jobs").json()["running"] == 1
        deadline = time.monotonic() + 20  # the response is closed: the run stops before its next step
        while http.get("/api/v1/train/jobs").json()["running"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert http.get("/api/v1/train/jobs").json() == {
            "slots": training.jobs().slots,
            "running": 0,
            "waiting": 0,
            "max_waiting": training.MAX_WAITING,
        }
