"""Exception handlers: every failure becomes JSON in FastAPI's {"detail": [{"loc", "msg", "type"}]} shape.

Validation errors are cleaned before they are sent: the offending input is echoed only when it is a short
scalar (FastAPI echoes whole bodies, which for a bad 4M-number tensor is megabytes), and a pasted-text error's
line and column are lifted next to the message so the editor can point at them:

    >>> clean_error({"loc": ("body", "input", "text"), "msg": "bad", "type": "value_error",
    ...              "ctx": {"line": 2, "column": 5}})
    {'loc': ['body', 'input', 'text'], 'msg': 'bad', 'type': 'value_error', 'line': 2, 'column': 5}
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from normlens.app.responses import json_response

log = logging.getLogger("normlens")
_SCALARS = (str, int, float, bool)
LIFTED = ("line", "column", "code", "msg_zh")  # pasted-text errors: position, stable code, Chinese message
# (core's argument errors carry msg_zh too: app.routes.api.compute puts it straight into the Unprocessable item)


class Unprocessable(Exception):
    """A well-formed request that cannot be traced, e.g. a 3-D input for BatchNorm2d (core's ValueError)."""

    def __init__(self, loc: Sequence[str | int], msg: str, type_: str = "value_error", **extra: Any) -> None:
        super().__init__(msg)
        self.item = {"loc": list(loc), "msg": msg, "type": type_, **extra}


def clean_error(err: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "loc": list(err.get("loc", ())),
        "msg": err.get("msg", ""),
        "type": err.get("type", ""),
    }
    ctx = dict(err.get("ctx") or {})
    if out["type"] == "json_invalid" and "error" in ctx:
        out["msg"] = f"invalid JSON: {ctx.pop('error')}"
    for key in LIFTED:
        if key in ctx:
            out[key] = ctx.pop(key)
    if ctx:
        out["ctx"] = {k: v if v is None or isinstance(v, _SCALARS) else str(v) for k, v in ctx.items()}
    value = err.get("input")
    if isinstance(value, _SCALARS) and not (isinstance(value, str) and len(value) > 200):
        out["input"] = value
    return out


async def validation_error(_: Request, exc: Exception) -> Any:
    assert isinstance(exc, RequestValidationError)
    return json_response({"detail": [clean_error(e) for e in exc.errors()]}, status_code=422)


async def unprocessable(_: Request, exc: Exception) -> Any:
    assert isinstance(exc, Unprocessable)
    return json_response({"detail": [exc.item]}, status_code=422)


async def http_error(_: Request, exc: Exception) -> Any:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    return json_response({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def server_error(request: Request, exc: Exception) -> Any:
    # Last line of defence: log the traceback, send none.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_response({"detail": "internal server error"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Unprocessable, unprocessable)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, server_error)
