"""bench.instructions drives the app in process; the counting itself needs valgrind, which CI does not install."""

from __future__ import annotations

import asyncio

import pytest

from bench import instructions


@pytest.mark.parametrize("endpoint", sorted(instructions.ENDPOINTS))
def test_the_driven_requests_are_answered(endpoint, monkeypatch, tmp_path):
    monkeypatch.setenv("NORMLENS_DATA_DIR", str(tmp_path))
    asyncio.run(instructions.drive(endpoint, 2))


def test_a_request_that_fails_stops_the_run(monkeypatch, tmp_path):
    monkeypatch.setenv("NORMLENS_DATA_DIR", str(tmp_path))
    monkeypatch.setitem(instructions.ENDPOINTS, "trace", ("POST", "/api/v1/trace", b'{"layer": "nope"}'))
    with pytest.raises(SystemExit, match="trace answered 422"):
        asyncio.run(instructions.drive("trace", 1))
