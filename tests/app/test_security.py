"""Security headers on every response, the request-body limit (checked before parsing), no tracebacks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from normlens.app.main import create_app
from normlens.app.middleware import BodyLimit
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
