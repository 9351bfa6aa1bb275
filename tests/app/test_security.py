"""Security headers on every response (a CSP without 'unsafe-inline', HSTS over https, no `server` banner), the
request-body limit (checked before parsing), no tracebacks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from normlens.app import assets, cli
from normlens.app.main import create_app
from normlens.app.middleware import CSP, STYLE_ATTR_HASHES, BodyLimit
from normlens.app.settings import Settings
from tests.app.api_helpers import errors

LIMIT = 4096
TRACE = "/api/v1/trace"
JSON = {"content-type": "application/json"}
TOO_LARGE = "the request body is larger than the limit of 4,096 bytes (NORMLENS_MAX_BODY_BYTES)"
TOO_LARGE_ZH = "请求体超过了 4,096 字节的上限（NORMLENS_MAX_BODY_BYTES）"


@pytest.fixture(scope="module")
def small() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(max_body_bytes=LIMIT))) as c:
        yield c


def directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/healthz", {}),
        ("GET", "/openapi.json", {}),
        ("GET", "/docs", {}),
        ("GET", "/no-such-page", {}),
        ("POST", TRACE, {"json": {"layer": "nope"}}),
        ("POST", TRACE, {"content": b"{}", "headers": {"content-type": "text/plain"}}),
        ("GET", TRACE, {}),
    ],
)
def test_security_headers_on_every_response(client: TestClient, method: str, path: str, kwargs: Any) -> None:
    r = client.request(method, path, **kwargs)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] in ("same-origin", "strict-origin-when-cross-origin")
    csp = directives(r.headers["content-security-policy"])
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval, no CDN
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert set(csp["img-src"]) == {"'self'", "data:", "blob:"}
    assert "'unsafe-inline'" not in r.headers["content-security-policy"]
    assert csp["style-src"][0] == "'self'" and all(v.startswith("'sha256-") for v in csp["style-src"][1:])
    assert csp["style-src-attr"] == ["'unsafe-hashes'", *STYLE_ATTR_HASHES]
    assert "strict-transport-security" not in r.headers  # plain http
    assert "server" not in r.headers


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_only_style_attributes_allowed_are_plotlys_three_constants() -> None:
    """'unsafe-hashes' lets through exactly these values of a style attribute, all written by plotly.js 4.1.1
    itself: the empty reset of a colorbar's fill rectangles, the image-rendering declarations that keep a
    heatmap of small cells sharp (src/constants/pixelated_image.js), and the size of a tick label's exponent
    (<sup>, src/lib/svg_text_utils.js). tests/e2e/test_csp.py draws all three."""
    pixelated = "".join(
        f"image-rendering: {v}; "
        for v in (
            "optimizeSpeed",
            "-moz-crisp-edges",
            "-o-crisp-edges",
            "-webkit-optimize-contrast",
            "optimize-contrast",
            "crisp-edges",
            "pixelated",
        )
    )
    assert (csp_hash(""), csp_hash(pixelated), csp_hash("font-size:70%")) == STYLE_ATTR_HASHES
    bundle = assets.plotly_bundle().identity
    assert b'sup:"font-size:70%"' in bundle  # the exponent of a tick label such as 1x10^-300
    assert b'.attr("style","")' in bundle  # the colorbar reset
    assert b'["image-rendering","optimizeSpeed"]' in bundle and b'["image-rendering","pixelated"]' in bundle
    assert "'unsafe-inline'" not in CSP and "'unsafe-eval'" not in CSP


def test_hsts_only_over_https() -> None:
    """Strict-Transport-Security on responses to https requests only (uvicorn sets the scheme from a trusted
    proxy's X-Forwarded-Proto); a client's own X-Forwarded-Proto over plain http changes nothing."""
    app = create_app()
    with TestClient(app, base_url="https://testserver") as tls:
        for path in ("/healthz", "/explain", "/no-such-page"):
            assert tls.get(path).headers["strict-transport-security"] == "max-age=31536000", path
    with TestClient(app) as plain:
        r = plain.get("/healthz", headers={"x-forwarded-proto": "https"})
        assert "strict-transport-security" not in r.headers


def test_headers_also_on_the_body_limit_rejection(small: TestClient) -> None:
    r = small.post(TRACE, content=b"x" * (LIMIT + 1), headers=JSON)
    assert r.status_code == 413
    assert r.headers["x-content-type-options"] == "nosniff"


def test_body_over_the_limit_with_content_length(small: TestClient) -> None:
    r = small.post(TRACE, content=b"[" + b"0," * LIMIT + b"0]", headers=JSON)
    assert r.status_code == 413
    (err,) = errors(r)
    assert err["loc"] == ["body"] and f"{LIMIT:,} bytes" in err["msg"]
    assert err["msg"] == TOO_LARGE and err["msg_zh"] == TOO_LARGE_ZH


def test_streamed_body_without_content_length_is_counted(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"layer": "batch_norm", "input": {"values": ['
        for _ in range(100):
            yield b"1.0, " * 20
        yield b"1.0]}}"

    r = small.post(TRACE, content=chunks(), headers=JSON)
    assert r.request.headers.get("content-length") is None  # really sent chunked
    assert r.status_code == 413
    assert errors(r)[0]["type"] == "body_too_large"
    assert errors(r)[0]["msg"] == TOO_LARGE and errors(r)[0]["msg_zh"] == TOO_LARGE_ZH


def test_lying_content_length_is_counted(small: TestClient) -> None:
    body = b'{"layer": "batch_norm", "input": {"values": [' + b"1.0, " * 2000 + b"1.0]}}"
    r = small.post(TRACE, content=body, headers={**JSON, "content-length": "100"})
    assert r.status_code == 413
    assert errors(r)[0]["type"] == "body_too_large" and errors(r)[0]["msg_zh"] == TOO_LARGE_ZH


def test_body_under_the_limit_reaches_validation(small: TestClient) -> None:
    r = small.post(TRACE, json={"layer": "batch_norm"})
    assert r.status_code == 422
    assert ["body", "input"] in [e["loc"] for e in errors(r)]


def test_invalid_content_length_header(small: TestClient) -> None:
    r = small.post(TRACE, content=b"{}", headers={**JSON, "content-length": "12abc"})
    assert r.status_code == 400
    assert errors(r)[0]["loc"] == ["header", "content-length"]
    assert errors(r)[0]["msg"] == "invalid Content-Length header"
    assert errors(r)[0]["msg_zh"] == "Content-Length 请求头无效"


def test_big_content_length_is_refused_before_reading_the_body() -> None:
    async def inner(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> Any:
        raise AssertionError("the body must not be read")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": TRACE, "headers": [(b"content-length", b"1000000000")]}
    asyncio.run(BodyLimit(inner, max_bytes=LIMIT)(scope, receive, send))
    assert sent[0]["status"] == 413
    (item,) = orjson.loads(sent[1]["body"])["detail"]
    assert item == {
        "loc": ["body"],
        "msg": TOO_LARGE,
        "msg_zh": TOO_LARGE_ZH,
        "type": "body_too_large",
    }


def test_unexpected_errors_are_json_without_traceback() -> None:
    app = create_app()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    assert r.json() == {"detail": "internal server error"}
    assert "secret" not in r.text and "Traceback" not in r.text


def test_the_cli_turns_the_server_banner_off(monkeypatch) -> None:
    """`normlens` (the Docker image's CMD, tests/e2e's server) asks uvicorn for no `server` header."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: seen.update(kwargs, app=app))
    cli.main(["--port", "0"])
    assert seen["app"] == cli.APP and seen["server_header"] is False


def test_no_response_of_the_real_server_has_a_server_header(tmp_path: Path) -> None:
    """The banner is added by uvicorn outside the app, so only a real server shows it: pages, API successes and
    errors, static files, Plotly, the body limit's own 413 and a 404."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "NORMLENS_DATA_DIR": str(tmp_path), "NORMLENS_MAX_BODY_BYTES": str(LIMIT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "normlens.app", "--port", str(port), "--log-level", "warning"],
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    requests = [
        ("GET", "/healthz", None),
        ("GET", "/explain", None),
        ("GET", "/docs", None),
        ("GET", "/static/css/normlens.css", None),
        ("GET", assets.plotly_bundle().url, None),
        ("GET", "/no-such-page", None),
        ("POST", TRACE, b'{"layer": "nope"}'),
        ("POST", TRACE, b"x" * (LIMIT + 1)),
    ]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        statuses = []
        for method, path, body in requests:
            request = urllib.request.Request(base + path, data=body, method=method, headers=JSON)
            try:
                with urllib.request.urlopen(request, timeout=30) as r:
                    status, headers = r.status, r.headers
            except urllib.error.HTTPError as e:
                status, headers = e.code, e.headers
            assert headers.get("server") is None, (path, headers.get("server"))
            assert headers.get("content-security-policy") == CSP
            statuses.append(status)
        assert statuses == [200, 200, 200, 200, 200, 404, 422, 413]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
