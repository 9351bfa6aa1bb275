"""Pure ASGI middleware: security headers on every response, and a request-body size limit.

The body limit acts before anything parses the body: a Content-Length over the limit is refused without
reading a byte, and a body without one (chunked) or with a false one is counted as it streams in. Refusals
are error items in both languages (msg, msg_zh; words in app/lessons/links.toml).
"""

from __future__ import annotations

import asyncio

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from normlens.app.lessons import Text
from normlens.app.responses import dumps
from normlens.app.state import words

# No inline script and no inline style. Plotly's base stylesheet comes from our origin (static/css/plotly.css;
# plotly.js issue #2355, PR #7109); style changes made from script through CSSOM (el.style.x = ...) are not
# governed by CSP. plotly.js 4.1.1 still writes three fixed style *attributes* with setAttribute, which only
# 'unsafe-hashes' with their hashes allows (nothing else can be put in a style attribute):
#   sha256-47DEQ...: "" (empty), the reset of a colorbar's fill rectangles (src/components/colorbar/draw.js);
#   sha256-AR/cK...: "image-rendering: optimizeSpeed; ... image-rendering: pixelated; " (src/constants/
#   pixelated_image.js), which keeps a heatmap of small cells sharp instead of blurred;
#   sha256-S+l+c...: "font-size:70%", the exponent of a tick label such as 1x10^-300 (<sup> in
#   src/lib/svg_text_utils.js), on axes and colour bars of very small or very large values.
# The full bundle (the fallback) also injects maplibre-gl's stylesheet for its map traces when it loads: its
# hash lets that one <style> element through, so the console stays clean without the partial bundle too.
STYLE_ATTR_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-AR/cKIZjWPcPmBUPDA6oti9XBiTbJvz0Cro2J1VzzS8='",
    "'sha256-S+l+cz1wXqs2B0FcjqqT7NvjwGmhD1UjJswXjlSkj0s='",
)
STYLE_ELEMENT_HASHES = ("'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",)
CSP = (
    f"default-src 'self'; script-src 'self'; style-src 'self' {' '.join(STYLE_ELEMENT_HASHES)}; "
    f"style-src-attr 'unsafe-hashes' {' '.join(STYLE_ATTR_HASHES)}; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
# Only on responses to https requests: over plain http the header is ignored anyway (RFC 6797 8.1). uvicorn sets
# the scheme from X-Forwarded-Proto when the proxy is trusted (--forwarded-allow-ips, default 127.0.0.1).
# No includeSubDomains: other hosts of the domain are not ours to pin to https.
HSTS = (b"strict-transport-security", b"max-age=31536000")
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

        headers = (*self.headers, HSTS) if scope.get("scheme") == "https" else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in headers if k not in present]
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


class BodyTimeout(HTTPException):
    """408: the body did not arrive within the deadline; the connection is closed after the answer."""

    def __init__(self, seconds: float) -> None:
        item = error_item(["body"], words("errors", "body_timeout", seconds=seconds), "body_timeout")
        super().__init__(408, detail=[item], headers={"Connection": "close"})


class BodyLimit:
    """Refuses a body over `max_bytes` (413) and one still incomplete `read_seconds` after the app first asked
    for it (408): a client sending a byte a second would otherwise hold its connection and buffers forever."""

    def __init__(self, app: ASGIApp, max_bytes: int, read_seconds: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_seconds = read_seconds

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
        started = done = False
        deadline: float | None = None  # loop time by which the whole body must be in

        async def counting_receive() -> Message:
            nonlocal received, done, deadline
            if done:  # the body is complete: waiting for a disconnect has no deadline
                return await receive()
            if deadline is None:
                deadline = asyncio.get_running_loop().time() + self.read_seconds
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(self.read_seconds) from None
            if message["type"] == "http.request":
                done = not message.get("more_body", False)
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
        except BodyTimeout:
            if started:
                raise
            text = words("errors", "body_timeout", seconds=self.read_seconds)
            await self._reject(send, 408, text, "body_timeout")

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
    file again on every request from a client that sends `gzip;q=0`. Streamed responses (`streamed` paths) go
    out as they are: gzip would hold each line back until its buffer fills."""

    def __init__(
        self, app: ASGIApp, precompressed_prefix: str, streamed: tuple[str, ...] = (), minimum_size: int = 1024
    ) -> None:
        super().__init__(app, minimum_size=minimum_size, compresslevel=6)
        self.prefix, self.streamed = precompressed_prefix, streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"].startswith(self.prefix) or scope["path"] in self.streamed):
            await self.app(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)
