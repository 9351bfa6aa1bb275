"""A route class for JSON endpoints: bodies parsed by orjson, large ones validated off the event loop.

FastAPI parses bodies with the standard library's json module; orjson is 2.5x faster on a 4M-number body
(0.8 s instead of 1.9 s for 80 MB). orjson refuses NaN, Infinity and numbers like 1e999, so those bodies are
parsed again by the standard library, which reads them as floats: validation then names the field that holds
them instead of answering with a bare "JSON decode error" at a byte offset.

FastAPI validates the body on the event loop. For a model whose validation is heavy (a pasted 4M-number text
takes 1.5-2 s to read) that would stall every other request of the worker, so a body model that inherits
`OffLoopValidation` is validated in a worker thread when the body is large, and FastAPI is handed the result
instead of validating again. Bodies that are not JSON get 415 before any parsing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

import orjson
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError, ValidatorFunctionWrapHandler, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

THREAD_BYTES = 1 << 20  # bodies larger than this are parsed and validated off the event loop

# (the parsed body, the model validated from it) for the request being handled, if validated already
_PREVALIDATED: ContextVar[tuple[Any, BaseModel] | None] = ContextVar("normlens_prevalidated", default=None)


def loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # really malformed: report orjson's message and position
            raise error from None


class OffLoopValidation(BaseModel):
    """Mixin for body models whose validation is heavy: JSONRoute validates large bodies in a thread."""

    @model_validator(mode="wrap")
    @classmethod
    def _reuse_prevalidated(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        held = _PREVALIDATED.get()
        if held is not None and held[0] is data and type(held[1]) is cls:
            return held[1]
        return handler(data)


class JSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            self._json = await run_in_threadpool(loads, body) if len(body) > THREAD_BYTES else loads(body)
        return self._json


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))


class JSONRoute(APIRoute):
    """An APIRoute that parses bodies with orjson, validates large ones off the event loop, and answers 415
    to a body that is not declared JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        expects_body = self.body_field is not None
        annotation = self.body_field.field_info.annotation if self.body_field is not None else None
        # the body model, when its validation should leave the event loop for large bodies
        heavy = annotation if isinstance(annotation, type) and issubclass(annotation, OffLoopValidation) else None

        async def route_handler(request: Request) -> Response:
            if expects_body and not is_json(request.headers.get("content-type")):
                has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
                if has_body:
                    raise HTTPException(
                        415,
                        detail=[
                            {
                                "loc": ["header", "content-type"],
                                "msg": "the body must be JSON: send Content-Type: application/json",
                                "type": "unsupported_media_type",
                            }
                        ],
                    )
            request = JSONRequest(request.scope, request.receive)
            if heavy is not None and len(await request.body()) > THREAD_BYTES:
                try:
                    data = await request.json()
                except json.JSONDecodeError:
                    return await handler(request)  # FastAPI reports it as json_invalid
                try:
                    validated = await run_in_threadpool(heavy.model_validate, data)
                except ValidationError as e:  # the same errors FastAPI would report, under "body"
                    raise RequestValidationError(
                        [{**err, "loc": ("body", *err["loc"])} for err in e.errors()], body=data
                    ) from None
                token = _PREVALIDATED.set((data, validated))
                try:
                    return await handler(request)
                finally:
                    _PREVALIDATED.reset(token)
            return await handler(request)

        return route_handler
