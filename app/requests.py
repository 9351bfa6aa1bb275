"""A route class for JSON endpoints: bodies parsed by orjson, large ones validated off the event loop.

FastAPI parses bodies with the standard library's json module; orjson is 2.5x faster on a 4M-number body
(0.8 s instead of 1.9 s for 80 MB). orjson refuses NaN, Infinity and numbers like 1e999, so those bodies are
parsed again by the standard library, which reads them as floats: validation then names the field that holds
them instead of answering with a bare "JSON decode error" at a byte offset.

An endpoint decorated with `off_process(work)` has a body over THREAD_BYTES parsed, validated and answered by
`work` in a worker process (normlens.app.offload): in a thread, orjson and pydantic would still hold the GIL.
Otherwise FastAPI validates the body on the event loop. For a model whose validation is heavy (a pasted 4M-number text
takes 1.5-2 s to read) that would stall every other request of the worker, so a body model that inherits
`OffLoopValidation` is validated in a worker thread when the body is large, and FastAPI is handed the result
instead of validating again. Bodies that are not JSON get 415 before any parsing. A body announced as large
(or chunked) waits for a slot of the worker's admission gate (normlens.app.admission) before it is read.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast, get_type_hints

import orjson
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError, ValidatorFunctionWrapHandler, model_validator
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
        work = _OFFLOAD.get(self.endpoint)
        direct = self._direct_body()

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
                    return await validate_off_loop(request, heavy, handler)
            if direct is not None and (answer := await answer_directly(request, self.endpoint, direct)) is not None:
                return answer
            return await validate_off_loop(request, heavy, handler)

        return route_handler

    def _direct_body(self) -> ModelField | None:
        """The body field of an endpoint that `answer_directly` may call: a coroutine whose one parameter is
        its JSON body (no path, query, header or cookie parameters, no dependencies) and which returns a
        Response, so that FastAPI would add nothing to what it returns."""
        d, returns = self.dependant, get_type_hints(self.endpoint).get("return")
        if len(d.body_params) != 1 or self._embed_body_fields or not inspect.iscoroutinefunction(self.endpoint):
            return None
        others = (d.path_params, d.query_params, d.header_params, d.cookie_params, d.dependencies)
        special = [d.request_param_name, d.websocket_param_name, d.http_connection_param_name, d.response_param_name]
        special += [d.background_tasks_param_name, d.security_scopes_param_name]
        if any(others) or any(n is not None for n in special):
            return None
        return d.body_params[0] if isinstance(returns, type) and issubclass(returns, Response) else None


async def answer_directly(request: JSONRequest, endpoint: Callable[..., Any], field: ModelField) -> Response | None:
    """The endpoint's answer to a small JSON body that validates, the endpoint called with it as FastAPI's
    handler would (its dependency solving, content-type parsing and error context cost a small trace a seventh
    of its time); None when the body is empty, large, not JSON or not valid: FastAPI's handler then answers,
    with its own errors, from the body and the parse this left on the request."""
    body = await request.body()
    if not body or len(body) > THREAD_BYTES:
        return None
    try:
        data = await request.json()
    except json.JSONDecodeError:  # orjson's too
        return None
    value, errors = field.validate(data, {}, loc=("body",))
    if errors:
        return None
    return cast(Response, await endpoint(**{field.name: value}))


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


async def validate_off_loop(
    request: Request, heavy: type[OffLoopValidation] | None, handler: Callable[[Request], Coroutine[Any, Any, Response]]
) -> Response:
    """Validate a large body in a worker thread and hand the model to FastAPI; a small one as FastAPI does."""
    if heavy is None or len(await request.body()) <= THREAD_BYTES:
        return await handler(request)
    try:
        data = await request.json()
    except json.JSONDecodeError:
        return await handler(request)  # FastAPI reports it as json_invalid
    try:
        validated = await run_in_threadpool(heavy.model_validate, data)
    except ValidationError as e:  # the same errors FastAPI would report, under "body"
        raise RequestValidationError([{**err, "loc": ("body", *err["loc"])} for err in e.errors()], body=data) from None
    token = _PREVALIDATED.set((data, validated))
    try:
        return await handler(request)
    finally:
        _PREVALIDATED.reset(token)
