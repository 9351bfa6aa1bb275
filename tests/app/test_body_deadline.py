"""A body read deadline (NORMLENS_BODY_READ_SECONDS): a client that sends its body a byte at a time gets 408
and its connection closed, against a real server on loopback (uvicorn, raw sockets)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from normlens.app.settings import ROOT
from tests.app.pg_cluster import free_port

HOST = "127.0.0.1"
DEADLINE = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`python -m normlens.app` on a free loopback port with a one-second body deadline."""
    port = free_port()
    data_dir: Path = tmp_path_factory.mktemp("data")
    env = {**os.environ, "NORMLENS_DATA_DIR": str(data_dir), "NORMLENS_BODY_READ_SECONDS": str(DEADLINE)}
    env.pop("NORMLENS_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "normlens.app", "--host", HOST, "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start in 60 s"
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _head(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def _drip(port: int, path: str, body: bytes, every: float, limit: float) -> tuple[bytes, float, bool]:
    """Sends the body a byte every `every` seconds (at most `limit` seconds): what came back, when the answer
    started, and whether the server then closed the connection."""
    with socket.create_connection((HOST, port), timeout=limit) as s:
        s.sendall(_head(path, len(body)))
        t0 = time.monotonic()
        s.setblocking(False)
        answer = b""
        for byte in body:
            try:
                s.send(bytes([byte]))
            except OSError:
                break
            time.sleep(every)
            try:
                answer += s.recv(65536)
            except BlockingIOError:
                continue
            if answer or time.monotonic() - t0 > limit:
                break
        elapsed = time.monotonic() - t0
        s.setblocking(True)
        s.settimeout(5)
        closed = False
        try:
            while chunk := s.recv(65536):
                answer += chunk
            closed = True
        except (TimeoutError, ConnectionResetError):
            closed = isinstance(sys.exc_info()[1], ConnectionResetError)
        return answer, elapsed, closed


def test_a_body_sent_a_byte_a_second_gets_408_and_the_connection_is_closed(server):
    body = b'{"text": "' + b"1 " * 200 + b'"}'
    answer, elapsed, closed = _drip(server, "/api/v1/parse", body, every=0.25, limit=10)
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"connection: close" in head.lower()
    assert b"body_timeout" in payload and b"NORMLENS_BODY_READ_SECONDS" in payload
    assert "秒内传完".encode() in payload
    assert DEADLINE <= elapsed < DEADLINE + 4
    assert closed


def test_a_body_that_arrives_in_time_is_served(server):
    body = b'{"text": "1 2 3"}'
    with socket.create_connection((HOST, server), timeout=10) as s:
        s.sendall(_head("/api/v1/parse", len(body)))
        for i in range(0, len(body), 4):  # in pieces, but well within the deadline
            s.sendall(body[i : i + 4])
            time.sleep(0.01)
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
