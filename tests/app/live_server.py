"""Real servers for the tests that need a socket (restarts, two replicas, streamed responses, disconnects):
`python -m normlens.app` on free loopback ports, each with its own data directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from normlens.app.settings import ROOT
from tests.app.pg_cluster import free_port


def serve(port: int, data_dir: Path, database_url: str | None = None, **env_extra: str) -> subprocess.Popen:
    """`python -m normlens.app` on a loopback port, ready to answer (its /healthz polled)."""
    env = {**os.environ, "NORMLENS_DATA_DIR": str(data_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("NORMLENS_DATABASE_URL", None)
    env |= ({"NORMLENS_DATABASE_URL": database_url} if database_url else {}) | env_extra
    cmd = [sys.executable, "-m", "normlens.app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start in 60 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stderr:
        proc.stderr.close()


@contextmanager
def servers(tmp_path: Path, count: int, database_url: str | None = None, **env: str) -> Iterator[list[str]]:
    """`count` app processes (started together) on free ports; yields their base URLs."""
    ports = [free_port() for _ in range(count)]
    procs = [serve(port, tmp_path / f"data-{port}", database_url, **env) for port in ports]
    try:
        for proc, port in zip(procs, ports, strict=True):
            wait_ready(proc, port)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for proc in procs:
            stop(proc)
