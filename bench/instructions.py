"""Instructions per request, counted by valgrind's callgrind: a measure of what a small uncached trace costs
next to /healthz that does not move with the machine's load (timings here swing 10-30 % between identical runs).

    python -m bench.instructions                 # bench.load's small trace and /healthz, 200 requests each
    python -m bench.instructions --requests 100

Drives the ASGI app in process (no HTTP, no server: uvicorn's share would be the same for both endpoints) under
`valgrind --tool=callgrind`, twice per endpoint: `WARM` requests, then `WARM + requests`. The difference over
`requests` is one request's instructions, with the interpreter's start-up, the imports and the first requests'
caches cancelled out. Prints each endpoint's count and /healthz's as a share of the trace's: the in-process
form of `bench.load`'s ratio. A count is not a time (NumPy's loops retire more instructions per cycle than the
interpreter does), but the same work gives the same count to a few hundredths of a percent, so a change that
saves 3 % shows in one run. The response cache is off: every trace is computed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.load import TRACE_BODY

WARM = 20  # requests before the counted ones, in both runs: first-request caches and lazy imports
ENDPOINTS = {"healthz": ("GET", "/healthz", b""), "trace": ("POST", "/api/v1/trace", json.dumps(TRACE_BODY).encode())}


async def drive(endpoint: str, n: int) -> None:
    """`n` requests to `endpoint` through the app in this process; each must answer 200."""
    from normlens.app.main import create_app

    app, (method, path, body) = create_app(), ENDPOINTS[endpoint]
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }

    async def one() -> None:
        sent, status = False, 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app({**scope, "state": {}}, receive, send)
        if status != 200:
            raise SystemExit(f"{endpoint} answered {status}")

    for _ in range(n):
        await one()


def count(endpoint: str, n: int, data_dir: str) -> int:
    """Instructions callgrind counts for a whole run of `n` requests, start-up included."""
    env = {
        **os.environ,
        "NORMLENS_TRACE_CACHE_BYTES": "0",
        "NORMLENS_WARM_POOL": "false",
        "NORMLENS_DATA_DIR": data_dir,
    }
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
        + ["-m", "bench.instructions", "--drive", endpoint, str(n)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"callgrind run of {endpoint} failed:\n{run.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="counted requests per endpoint (default 200)")
    parser.add_argument("--drive", nargs=2, metavar=("ENDPOINT", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive:
        asyncio.run(drive(args.drive[0], int(args.drive[1])))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("bench.instructions needs valgrind (Debian: apt-get install valgrind)")
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    with tempfile.TemporaryDirectory() as data, ThreadPoolExecutor(max_workers=2) as pool:
        runs = {
            (name, n): pool.submit(count, name, n, data) for name in ENDPOINTS for n in (WARM, WARM + args.requests)
        }
        per = {
            name: (runs[name, WARM + args.requests].result() - runs[name, WARM].result()) / args.requests
            for name in ENDPOINTS
        }
    for name, ir in per.items():
        print(f"{name:<8} {ir:>12,.0f} instructions per request")
    print(f"/healthz / trace: {per['healthz'] / per['trace']:.3f} (in process; bench.load's ratio includes HTTP)")


if __name__ == "__main__":
    main()
