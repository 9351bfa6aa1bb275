"""Browser tests: the app (`python -m normlens.app`) on a free 127.0.0.1 port, driven by Debian's chromium.

One browser context and page are shared by the checks of a module (each new context parses plotly.min.js
again, about 2 s). Every request the page makes is recorded, so a test can assert that none left the origin,
and every console error fails the run. Screenshots go to artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

# print(x) of a (2, 2, 2, 3) PyTorch tensor, as people paste it (the explainer's and compare view's tests)
PASTED = """tensor([[[[ 0.5000,  1.2000, -0.3000],
          [ 2.0000,  0.1000,  0.7000]],

         [[-1.0000,  3.0000,  0.2500],
          [ 0.0000, -2.5000,  1.7500]]],


        [[[ 1.5000, -0.5000,  0.9000],
          [-1.2000,  0.3000,  2.2000]],

         [[ 0.6000, -0.4000,  1.1000],
          [ 2.4000, -1.6000,  0.0500]]]], requires_grad=True)"""


ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NORMLENS_DATA_DIR": str(ROOT / "artifacts" / "e2e-data")}
    # the production entry point (`normlens`, as in the Docker image): same uvicorn options, no `server` header
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "normlens.app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the app did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def base_url(server_url: str) -> str:
    return server_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--disable-gpu",
            "--disable-quic",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
        ],
    }


class PageLog:
    """What a page did: console errors, failed requests, and every URL it asked for."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []

    def attach(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", self._failed)

    def _failed(self, request) -> None:
        # A fetch the page aborts itself (a newer trace or parse superseded it) is not a failure.
        if "ERR_ABORTED" not in (request.failure or ""):
            self.errors.append(f"request failed: {request.url} {request.failure}")


def new_page(browser, server_url: str, **context_args):
    context = browser.new_context(base_url=server_url, **context_args)
    page = context.new_page()
    log = PageLog()
    log.attach(page)
    page.log = log  # type: ignore[attr-defined]
    return context, page


def wait_ready(page) -> None:
    """Plotly loaded and both figures drawn."""
    page.wait_for_selector("html[data-plotly=ready]", timeout=20_000)
    page.wait_for_selector("#plot-tensor .main-svg", timeout=10_000)
    page.wait_for_selector("#plot-story .main-svg", timeout=10_000)


def shot(page, name: str, full_page: bool = False) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def wait_until(page, expression: str, timeout: float = 10.0, arg=None):
    """Poll a JavaScript expression until it is truthy. (page.wait_for_function compiles its predicate with
    eval, which the page's CSP forbids; page.evaluate goes through the DevTools protocol instead.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression) if arg is None else page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)
