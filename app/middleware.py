"""Pure ASGI middleware: security headers on every response, and a request-body size limit.

The body limit acts before anything parses the body: a Content-Length over the limit is refused without
reading a byte, and a body without one (chunked) or with a false one is counted as it streams in. Refusals
are error items in both languages (msg, msg_zh; words in app/lessons/links.toml).
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from normlens.app.lessons import Text
from normlens.app.responses import dumps
from normlens.app.state import words

# Plotly sets inline styles, hence 'unsafe-inline' for styles only; no inline script is allowed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, headers: tuple[tuple[bytes, bytes], ...] = SECURITY_HEADERS) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=too_large_detail(limit))


def too_large_message(limit: int) -> Text:
    return words("errors", "body_too_large", limit=limit)


def error_item(loc: list[str], text: Text, type_: str) -> dict[str, object]:
    """An item of the API's {"detail": [...]}: the message in English (msg) and in Chinese (msg_zh)."""
    return {"loc": loc, "msg": text.en, "msg_zh": text.zh, "type": type_}


def too_large_detail(limit: int) -> list[dict[str, object]]:
    return [error_item(["body"], too_large_message(limit), "body_too_large")]


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                await self._reject(send, 400, words("errors", "bad_content_length"), "content_length_invalid")
                return
            if int(length) > self.max_bytes:
                await self._reject(send, 413, too_large_message(self.max_bytes), "body_too_large")
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # An HTTPException, so FastAPI's body reader passes it on to the 413 handler.
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:  # raised where no handler caught it (e.g. outside a route)
            if started:
                raise
            await self._reject(send, 413, too_large_message(self.max_bytes), "body_too_large")

    @staticmethod
    async def _reject(send: Send, status: int, text: Text, type_: str) -> None:
        loc = ["header", "content-length"] if status == 400 else ["body"]
        body = dumps({"detail": [error_item(loc, text, type_)]})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class Compress(GZipMiddleware):
    """gzip for pages and JSON, except under `precompressed_prefix`: those responses are compressed once at
    start-up, and Starlette's check of Accept-Encoding (a substring test) would otherwise gzip the 4.8 MB Plotly
    file again on every request from a client that sends `gzip;q=0`."""

    def __init__(self, app: ASGIApp, precompressed_prefix: str, minimum_size: int = 1024) -> None:
        super().__init__(app, minimum_size=minimum_size, compresslevel=6)
        self.prefix = precompressed_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)
