"""bench.load's reading of its server: which worker did the work of a run, and runs measured again when one
worker got none of the connections. wrk itself is not run here (CI does not install it)."""

from __future__ import annotations

import argparse
import os
import sys

import pytest

from bench import load

ARGS = argparse.Namespace(workers=2, wrk="wrk")
URL = "http://127.0.0.1:1/healthz"
WRK_OUT = """Running 1s test @ http://127.0.0.1:1/healthz
  Latency Distribution
     99%    1.50ms
  15000 requests in 1.00s, 2.00MB read
Requests/sec:  15000.00
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_process_cpu_finds_this_process_in_its_session():
    found = load.process_cpu(os.getsid(0))
    ppid, cpu = found[os.getpid()]
    assert ppid == os.getppid() and cpu > 0


def test_worker_shares_count_the_servers_children_only():
    server = 10
    before = {10: (1, 1.0), 11: (10, 2.0), 12: (10, 3.0), 13: (11, 5.0)}
    # 11 and 12 are workers, 13 a worker's pool process, 14 a worker started during the run
    after = {10: (1, 1.5), 11: (10, 4.0), 12: (10, 3.1), 13: (11, 9.0), 14: (10, 0.5)}
    assert load.worker_shares(before, after, server, 2) == pytest.approx([0.8, 0.2])
    assert load.worker_shares(before, after, server, 4) == pytest.approx([2.0 / 2.6, 0.5 / 2.6, 0.1 / 2.6, 0.0])
    assert load.worker_shares(after, after, server, 2) == [0.0, 0.0]


def _split(monkeypatch, splits: list[tuple[float, float]]) -> list[int]:
    """Runs that give each worker the CPU in `splits`, in turn; returns the list wrk's calls are counted in."""
    runs: list[int] = []
    readings = iter([r for a, b in splits for r in ({11: (10, 0.0), 12: (10, 0.0)}, {11: (10, a), 12: (10, b)})])
    monkeypatch.setattr(load, "process_cpu", lambda sid: next(readings))
    monkeypatch.setattr(load, "run_wrk", lambda *a: runs.append(1) or WRK_OUT)
    return runs


def test_a_run_in_which_one_worker_got_every_connection_is_measured_again(monkeypatch, capsys):
    runs = _split(monkeypatch, [(3.0, 0.0), (1.6, 1.4)])
    result = load.measured("GET /healthz", URL, ARGS, None, 10)
    assert len(runs) == 2 and result.rps == 15000 and result.p99_ms == 1.5
    assert result.shares == pytest.approx([1.6 / 3, 1.4 / 3])
    assert "split 100/0 %" in capsys.readouterr().err
    assert "workers 53/47 %" in result.line()


def test_after_the_last_attempt_the_starved_run_is_reported_with_its_split(monkeypatch):
    runs = _split(monkeypatch, [(3.0, 0.1)] * load.ATTEMPTS)
    result = load.measured("GET /healthz", URL, ARGS, None, 10)
    assert len(runs) == load.ATTEMPTS and "workers 97/3 %" in result.line()


def test_an_uneven_split_that_keeps_both_workers_busy_is_kept(monkeypatch):
    runs = _split(monkeypatch, [(2.0, 1.0)])  # 6-2 connections: both workers are always busy
    load.measured("GET /healthz", URL, ARGS, None, 10)
    assert len(runs) == 1
