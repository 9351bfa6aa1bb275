"""Mixed load: small traces and /healthz while large traces and 12.6 MB pastes run on the same worker.

    python -m bench.mixed                    # 60 s, one worker, 127.0.0.1 only
    python -m bench.mixed --duration 15      # a shorter check

Starts `python -m normlens.app` (one worker, so every request shares one event loop) on a free loopback port.
A quarter of the time is the baseline: `--small` clients post a small BatchNorm trace in a loop while one
prober gets /healthz every 20 ms. The rest mixes in `--large` clients that post, in turn, a 4,194,304-element
trace given as JSON values, the malformed 12.6 MB paste of issue 12 ("1, " 4,194,304 times, a trailing comma)
and a 4M-element random-input trace. Before the load, the malformed paste and its well-formed twin are timed
alone. Latencies come from the client (httpx, asyncio, bounded concurrency); the worker's RSS is sampled from
/proc every 100 ms. Every figure is also printed as a ratio to the same run's baseline, since the two cores
are shared and absolute numbers move with the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
import numpy as np
import orjson

from bench.load import HOST, TRACE_BODY, free_port, stop_server, wait_healthy, wait_quiet

MALFORMED = orjson.dumps({"text": "1, " * 4_194_304})
WELL_FORMED = orjson.dumps({"text": "1, " * 4_194_303 + "1"})
RANDOM_4M = orjson.dumps({"layer": "batch_norm", "input": {"random": {"shape": [4, 16, 256, 256], "seed": 1}}})


def values_4m() -> bytes:
    x = np.round(np.random.default_rng(0).standard_normal((4, 16, 256, 256)), 3)
    return orjson.dumps({"layer": "batch_norm", "input": {"values": x}}, option=orjson.OPT_SERIALIZE_NUMPY)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:  # the process just ended
        pass
    return 0.0


def children(pid: int) -> list[int]:
    """The worker's child processes (its process pool)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def pool_rss_mb(pid: int) -> float:
    return sum(rss_mb(child) for child in children(pid))


def p99(samples: list[float]) -> float:
    return float(np.percentile(samples, 99)) * 1000 if samples else float("nan")


class Run:
    """Latencies (seconds) and status codes per kind of request, for the phase being recorded."""

    def __init__(self) -> None:
        self.phase = "baseline"
        self.times: dict[tuple[str, str], list[float]] = {}
        self.codes: dict[tuple[str, str], dict[int, int]] = {}
        self.peak_rss = self.peak_pool = 0.0

    async def timed(self, client: httpx.AsyncClient, kind: str, method: str, path: str, body: bytes = b"") -> None:
        t0 = time.perf_counter()
        try:
            r = await client.request(method, path, content=body or None, headers={"content-type": "application/json"})
            code = r.status_code
        except httpx.HTTPError:
            code = 0
        key = (self.phase, kind)
        self.times.setdefault(key, []).append(time.perf_counter() - t0)
        counts = self.codes.setdefault(key, {})
        counts[code] = counts.get(code, 0) + 1


async def loop(run: Run, client: httpx.AsyncClient, stop: float, kind: str, jobs: list[tuple[str, bytes]]) -> None:
    i = 0
    while time.monotonic() < stop:
        path, body = jobs[i % len(jobs)]
        await run.timed(client, kind, "POST", path, body)
        i += 1


async def sample_rss(run: Run, stop: float, pid: int) -> None:
    while time.monotonic() < stop:
        run.peak_rss = max(run.peak_rss, rss_mb(pid))
        run.peak_pool = max(run.peak_pool, pool_rss_mb(pid))
        await asyncio.sleep(0.1)


def probe(port: int, switch: float, stop: float, out: Connection) -> None:
    """GET /healthz every 20 ms on one keep-alive connection, in a process of its own: measured from an event
    loop shared with the load's clients, the latency was mostly the clients' own Python time. Sends back
    (phase, seconds) pairs."""
    found: list[tuple[str, float]] = []
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    while (now := time.monotonic()) < stop:
        try:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=60)
        found.append(("baseline" if now < switch else "mixed", time.monotonic() - now))
        time.sleep(0.02)
    out.send(found)
    out.close()


async def alone(client: httpx.AsyncClient, body: bytes) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = await client.post("/api/v1/parse", content=body, headers={"content-type": "application/json"})
    return time.perf_counter() - t0, r.status_code


async def scenario(url: str, port: int, pid: int, args: argparse.Namespace) -> dict[str, object]:
    small = [("/api/v1/trace", json.dumps(TRACE_BODY).encode())]
    large = [("/api/v1/trace", values_4m()), ("/api/v1/parse", MALFORMED), ("/api/v1/trace", RANDOM_4M)]
    limits = httpx.Limits(max_connections=args.small + args.large + 2)
    async with httpx.AsyncClient(base_url=url, timeout=args.timeout, limits=limits) as client:
        for _ in range(20):  # warm-up: imports, caches
            await client.post(*small[0][:1], content=small[0][1], headers={"content-type": "application/json"})
        await alone(client, MALFORMED)  # starts the worker's process pool
        pastes = {name: await alone(client, body) for name, body in (("well", WELL_FORMED), ("bad", MALFORMED))}
        await asyncio.sleep(1)
        rss_before, pool_before = rss_mb(pid), pool_rss_mb(pid)
        run = Run()
        start = time.monotonic()
        stop = start + args.duration
        switch = start + args.duration / 4
        receiver, sender = multiprocessing.Pipe(duplex=False)
        prober = multiprocessing.get_context("spawn").Process(target=probe, args=(port, switch, stop, sender))
        prober.start()
        tasks = [asyncio.create_task(sample_rss(run, stop, pid))]
        tasks += [asyncio.create_task(loop(run, client, stop, "small", small)) for _ in range(args.small)]
        await asyncio.sleep(switch - time.monotonic())
        run.phase = "mixed"
        tasks += [asyncio.create_task(loop(run, client, stop, "large", large)) for _ in range(args.large)]
        await asyncio.gather(*tasks)
        for phase, seconds in await asyncio.to_thread(receiver.recv):
            run.times.setdefault((phase, "healthz"), []).append(seconds)
        prober.join()
        await asyncio.sleep(3)  # let the worker settle before the last RSS reading
        rss_after, pool_after = rss_mb(pid), pool_rss_mb(pid)
    return {
        "pastes": pastes,
        "run": run,
        "rss": (rss_before, run.peak_rss, rss_after),
        "pool_rss": (pool_before, run.peak_pool, pool_after),
    }


def report(result: dict[str, object], args: argparse.Namespace) -> dict[str, object]:
    run = result["run"]
    assert isinstance(run, Run)
    (well, _), (bad, bad_code) = result["pastes"].values()  # type: ignore[attr-defined]
    before, peak, after = result["rss"]  # type: ignore[misc]
    pool_before, pool_peak, pool_after = result["pool_rss"]  # type: ignore[misc]
    figures = {
        "small_p99_ms": (p99(run.times[("baseline", "small")]), p99(run.times[("mixed", "small")])),
        "healthz_p99_ms": (p99(run.times[("baseline", "healthz")]), p99(run.times[("mixed", "healthz")])),
        "healthz_max_ms": max(run.times[("mixed", "healthz")]) * 1000,
        "malformed_paste_s": bad,
        "malformed_paste_status": bad_code,
        "well_formed_paste_s": well,
        "rss_mb": (before, peak, after),
        "pool_rss_mb": (pool_before, pool_peak, pool_after),
        "large_status": run.codes.get(("mixed", "large"), {}),
        "large_p50_s": float(np.median(run.times.get(("mixed", "large"), [float("nan")]))),
    }
    print(
        f"one worker, {args.small} small clients + /healthz every 20 ms; {args.large} large clients after "
        f"{args.duration / 4:g} s of {args.duration:g} s; NORMLENS_TRACE_SLOTS={args.slots}"
    )
    for name in ("small_p99_ms", "healthz_p99_ms"):
        base, mixed = figures[name]  # type: ignore[misc]
        print(f"{name:<16} baseline {base:8.1f}   mixed {mixed:8.1f}   ratio {mixed / base:6.2f}")
    print(f"healthz max under load {figures['healthz_max_ms']:.0f} ms (target p99 < 50 ms)")
    print(
        f"malformed 12.6 MB paste alone: {bad:.2f} s ({bad_code}), well-formed {well:.2f} s, "
        f"ratio {bad / well:.2f} (target < 1.5 s)"
    )
    print(
        f"RSS MB: before {before:.0f}, peak {peak:.0f} (x{peak / before:.2f}), after {after:.0f} "
        f"(x{after / before:.2f}); target peak < 800"
    )
    print(f"pool processes' RSS MB (sum): before {pool_before:.0f}, peak {pool_peak:.0f}, after {pool_after:.0f}")
    print(f"large requests: status counts {figures['large_status']}, p50 {figures['large_p50_s']:.2f} s")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60; 1/4 baseline)")
    parser.add_argument("--small", type=int, default=4, help="clients posting small traces (default 4)")
    parser.add_argument("--large", type=int, default=3, help="clients posting large requests (default 3)")
    parser.add_argument("--slots", type=int, default=2, help="NORMLENS_TRACE_SLOTS of the server (default 2)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a request is given up (default 60)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    port = free_port()
    url = f"http://{HOST}:{port}"
    env = {**os.environ, "NORMLENS_TRACE_SLOTS": str(args.slots)}
    cmd = [sys.executable, "-m", "normlens.app", "--host", HOST, "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(cmd, env=env, cwd=Path(__file__).resolve().parent.parent, start_new_session=True)
    try:
        wait_healthy(url, server)
        print(f"start-up work settled after {wait_quiet(server.pid):.1f} s", file=sys.stderr)
        bound = args.duration + 3 * args.timeout + 60
        result = asyncio.run(asyncio.wait_for(scenario(url, port, server.pid, args), bound))
    finally:
        stop_server(server)
    figures = report(result, args)
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
