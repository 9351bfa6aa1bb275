"""normlens.app.admission: a bounded number of large requests at once per worker; the rest wait in a bounded
queue or get 503 with Retry-After and words in both languages. Also the bounds of its settings."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from normlens.app.admission import Admission, Busy, gate
from normlens.app.settings import Settings

LARGE_TRACE = {"layer": "layer_norm", "input": {"random": {"shape": [4, 8192]}}, "params": {"normalized_shape": [8192]}}


async def _hold(admission: Admission, started: list[int], release: asyncio.Event, n: int) -> str:
    try:
        async with admission.admit():
            started.append(n)
            await release.wait()
    except Busy as e:
        return f"busy {e.status_code} {e.headers}"
    return "ran"


def test_slots_run_the_queue_waits_and_the_rest_are_refused_at_once():
    async def scenario() -> tuple[list[str], list[int], int]:
        admission = Admission(slots=2, queue=1, retry_after=7)
        started: list[int] = []
        release = asyncio.Event()
        tasks = [asyncio.create_task(_hold(admission, started, release, n)) for n in range(5)]
        await asyncio.sleep(0.05)
        running_while_full = list(started)
        release.set()
        results = await asyncio.gather(*tasks)
        return results, running_while_full, admission.running

    results, running_while_full, running_after = asyncio.run(scenario())
    assert running_while_full == [0, 1]  # two slots; the third waits, the last two are refused
    assert results == ["ran", "ran", "ran", *["busy 503 {'Retry-After': '7'}"] * 2]
    assert running_after == 0


def test_a_waiter_cancelled_in_the_queue_leaves_its_place_and_no_slot_leaks():
    async def scenario() -> int:
        admission = Admission(slots=1, queue=2, retry_after=1)
        release = asyncio.Event()
        first = asyncio.create_task(_hold(admission, [], release, 0))
        await asyncio.sleep(0.01)
        waiting = asyncio.create_task(_hold(admission, [], release, 1))
        await asyncio.sleep(0.01)
        waiting.cancel()
        release.set()
        await first
        assert waiting.cancelled()
        async with admission.admit():  # the freed slot is usable again
            pass
        return admission.running

    assert asyncio.run(scenario()) == 0


def test_a_request_admitted_once_is_not_counted_again():
    async def scenario() -> str:
        admission = Admission(slots=1, queue=0, retry_after=1)
        async with admission.admit(), admission.admit():  # its large body, then its large trace
            return "ran"

    assert asyncio.run(scenario()) == "ran"


@pytest.fixture
def full_gate():
    """This worker's gate with every slot taken and no queue."""
    g = gate()
    saved = (g.running, g.queue)
    g.running, g.queue = g.slots, 0
    yield g
    g.running, g.queue = saved


def test_a_large_trace_gets_503_with_retry_after_in_both_languages_when_every_slot_is_taken(client, full_gate):
    r = client.post("/api/v1/trace", json=LARGE_TRACE)
    assert r.status_code == 503
    assert r.headers["retry-after"] == str(full_gate.retry_after)
    (item,) = r.json()["detail"]
    assert item["type"] == "busy" and item["loc"] == ["body"]
    assert f"retry in {full_gate.retry_after} s" in item["msg"] and "NORMLENS_TRACE_SLOTS" in item["msg"]
    assert f"{full_gate.retry_after} 秒后重试" in item["msg_zh"] and "，" in item["msg_zh"]


def test_a_large_body_is_refused_before_it_is_read(client, full_gate):
    body = b'{"layer": "layer_norm", "input": {"values": [' + b"1.5, " * 300_000 + b'1]}, "params": {}}'
    r = client.post("/api/v1/parse", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 503 and r.headers["retry-after"]


def test_small_requests_never_wait_for_the_gate(client, full_gate):
    assert client.get("/healthz").status_code == 200
    small = {"layer": "batch_norm", "input": {"values": [[1, 2], [3, 4]]}}
    assert client.post("/api/v1/trace", json=small).status_code == 200


def test_a_large_trace_runs_when_a_slot_is_free(client):
    r = client.post("/api/v1/trace", json=LARGE_TRACE)
    assert r.status_code == 200 and gate().running == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"trace_slots": 0},
        {"trace_slots": 65},
        {"trace_queue": -1},
        {"trace_queue": 1025},
        {"retry_after_seconds": 0},
        {"body_read_seconds": 0},
        {"body_read_seconds": 3601},
    ],
)
def test_admission_settings_are_bounded(bad):
    with pytest.raises(ValidationError):
        Settings(**bad)


def test_admission_settings_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("NORMLENS_TRACE_SLOTS", "3")
    monkeypatch.setenv("NORMLENS_TRACE_QUEUE", "0")
    monkeypatch.setenv("NORMLENS_BODY_READ_SECONDS", "2.5")
    s = Settings()
    assert (s.trace_slots, s.trace_queue, s.body_read_seconds) == (3, 0, 2.5)
