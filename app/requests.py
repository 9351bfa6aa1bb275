"""A route class for JSON endpoints: bodies parsed by orjson, large ones validated off the event loop.

FastAPI parses bodies with the standard library's json module; orjson is 2.5x faster on a 4M-number body
(0.8 s instead of 1.9 s for 80 MB). orjson refuses NaN, Infinity and numbers like 1e999, so those bodies are
parsed again by the standard library, which reads them as floats: validation then names the field that holds
them instead of answering with a bare "JSON decode error" at a byte offset.

An endpoint decorated with `off_process(work)` has a body over THREAD_BYTES parsed, validated and answered by
`work` in a worker process (normlens.app.offload): in a thread, orjson and pydantic would still hold the GIL.
An endpoint whose one parameter is its body and which returns a Response is called by the route itself with
the validated body (`answer_directly`): FastAPI's handler would add nothing but its cost. A large body is parsed
in a worker thread, and validated there too when its model inherits `OffLoopValidation` (a pasted 4M-number text
takes 1.5-2 s to read: on the event loop it would stall every other request of the worker). A body that is
empty, not JSON or not valid gets FastAPI's own answer. Bodies that are not declared JSON get 415 before any
parsing. A body announced as large (or chunked) waits for a slot of the worker's admission gate
(normlens.app.admission) before it is read.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any, cast, get_type_hints

import orjson
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from normlens.app.admission import gate
from normlens.app.offload import in_process, run_work

if TYPE_CHECKING:
    from fastapi._compat import ModelField  # the type of APIRoute.body_field

THREAD_BYTES = 1 << 18  # bodies larger than this are parsed and validated off the event loop

# endpoint -> the work of its large bodies, done in a worker process: validated body model -> response bytes
_OFFLOAD: dict[Callable[..., Any], Callable[[Any], bytes]] = {}


def off_process(work: Callable[[Any], bytes]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate an endpoint (below its route decorator): a body larger than THREAD_BYTES is parsed, validated
    and answered by `work` (a module-level function: the body model -> JSON bytes) in a worker process."""

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        _OFFLOAD[endpoint] = work
        return endpoint

    return register


def loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # really malformed: report orjson's message and position
            raise error from None


class OffLoopValidation(BaseModel):
    """Marks a body model whose validation is heavy: JSONRoute validates a large body of it in a worker thread,
    then calls the endpoint with the model."""


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
        work = _OFFLOAD.get(self.endpoint)
        direct = self._direct_body()
        if heavy is not None and direct is None:
            raise TypeError(f"{self.path}: an OffLoopValidation body needs an endpoint that JSONRoute can call")
        call = (
            self.endpoint if inspect.iscoroutinefunction(self.endpoint) else partial(run_in_threadpool, self.endpoint)
        )

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
            if expects_body and declared_large(request):  # admitted before its body is read: most of its memory
                async with gate().admit():
                    if work is not None and isinstance(annotation, type) and issubclass(annotation, BaseModel):
                        return await answer_off_process(request, annotation, work, handler)
                    return await answer(request)
            return await answer(request)

        async def answer(request: JSONRequest) -> Response:
            if direct is not None:
                done = await answer_directly(request, call, direct, in_thread=heavy is not None)
                if done is not None:
                    return done
            return await handler(request)

        return route_handler

    def _direct_body(self) -> ModelField | None:
        """The body field of an endpoint that `answer_directly` may call: one whose one parameter is its JSON
        body (no path, query, header or cookie parameters, no dependencies) and which returns a Response, so
        that FastAPI would add nothing to what it returns."""
        d, returns = self.dependant, get_type_hints(self.endpoint).get("return")
        if len(d.body_params) != 1 or self._embed_body_fields:
            return None
        others = (d.path_params, d.query_params, d.header_params, d.cookie_params, d.dependencies)
        special = [d.request_param_name, d.websocket_param_name, d.http_connection_param_name, d.response_param_name]
        special += [d.background_tasks_param_name, d.security_scopes_param_name]
        if any(others) or any(n is not None for n in special):
            return None
        return d.body_params[0] if isinstance(returns, type) and issubclass(returns, Response) else None


async def answer_directly(
    request: JSONRequest, call: Callable[..., Any], field: ModelField, in_thread: bool
) -> Response | None:
    """The endpoint's answer to a JSON body that validates, the endpoint called with the value as FastAPI's
    handler would (its dependency solving, content-type parsing and error context cost a small trace a tenth
    of its time). A large body is parsed in a worker thread and, `in_thread`, validated there too, its errors
    raised as FastAPI's; otherwise None when the body is empty, not JSON or not valid: FastAPI's handler then
    answers with its own errors, from the body and the parse this left on the request."""
    body = await request.body()
    if not body:
        return None
    try:
        data = await request.json()  # in a worker thread when large
    except json.JSONDecodeError:  # orjson's too
        return None
    if in_thread and len(body) > THREAD_BYTES:  # a pasted 4M-number text takes 1.5-2 s to read
        value, errors = await run_in_threadpool(field.validate, data, {}, loc=("body",))
        if errors:
            raise RequestValidationError(errors, body=data)
    else:
        value, errors = field.validate(data, {}, loc=("body",))
        if errors:
            return None
    return cast(Response, await call(**{field.name: value}))


async def answer_off_process(
    request: Request,
    model: type[BaseModel],
    work: Callable[[Any], bytes],
    handler: Callable[[Request], Coroutine[Any, Any, Response]],
) -> Response:
    """A large body answered by `work` in a worker process; a small one (a false Content-Length, a short
    chunked body) by the handler, and a body that is not JSON by FastAPI (json_invalid)."""
    body = await request.body()
    if len(body) <= THREAD_BYTES:
        return await handler(request)
    outcome = await in_process(run_work, model, work, body)
    if outcome is None:
        return await handler(request)
    status, content = outcome
    return Response(content, status_code=status, media_type="application/json")


def declared_large(request: Request) -> bool:
    """A body announced as larger than THREAD_BYTES, or of unknown length (chunked)."""
    length = request.headers.get("content-length")
    if length is None:
        return "transfer-encoding" in request.headers
    return length.strip().isdigit() and int(length) > THREAD_BYTES
