"""The JSON API: POST /api/v1/trace, POST /api/v1/parse, GET /api/v1/layers, GET /healthz.

Routers hold the HTTP concerns only: the request models check the form, `core` computes, and a core
ValueError (a wrong rank, groups that do not divide the channels, ...) becomes a 422 whose loc names the
argument it is about.
Small traces run on the event loop, large ones in a worker process (see Settings.inline_max_elements), at most
Settings.trace_slots of them at once per worker (normlens.app.admission): the rest wait in a bounded queue or get 503.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import metadata
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body
from starlette.concurrency import run_in_threadpool

from normlens.app.admission import gate
from normlens.app.api_models import ErrorResponse, Health, LayerSpecOut, ParseResponse, TraceResponse
from normlens.app.errors import Unprocessable, request_words
from normlens.app.inputs import InputError, cast
from normlens.app.lessons import error_text, layer_json
from normlens.app.offload import in_process, run_validated
from normlens.app.paste_words import paste_error_parts
from normlens.app.requests import JSONRoute, off_process
from normlens.app.responses import JSONBytes, dumps
from normlens.app.schemas import GradFill, GradRandom, ParseRequest, TraceRequest
from normlens.app.settings import get_settings
from normlens.app.trace_cache import ResponseCache
from normlens.app.tracejson import trace_json
from normlens.args import ArgumentError

router = APIRouter(route_class=JSONRoute)

ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "The body is larger than NORMLENS_MAX_BODY_BYTES."},
    408: {"model": ErrorResponse, "description": "The body did not arrive within NORMLENS_BODY_READ_SECONDS."},
    415: {"model": ErrorResponse, "description": "The body is not declared as JSON."},
    422: {"model": ErrorResponse, "description": "Invalid request; each error's loc names the field."},
    503: {
        "model": ErrorResponse,
        "description": "Every slot for large requests is taken (NORMLENS_TRACE_SLOTS); "
        "retry after the Retry-After header's seconds.",
    },
}
TEXT_IN_THREAD = 65_536  # characters of pasted text parsed off the event loop


def examples() -> dict[str, dict[str, Any]]:
    """One worked example per layer for /docs, declared by each layer in the registry
    (tests/app/test_api_trace.py runs every one)."""
    import normlens

    return {
        name: {"summary": f"{spec.torch_classes[0]}: {name}", "value": {"layer": name, **spec.example}}
        for name, spec in normlens.LAYERS.items()
    }


EXAMPLES = examples()


@cache
def version() -> str:
    try:
        return metadata.version("normlens")
    except metadata.PackageNotFoundError:  # a source checkout that was never installed
        return "0+unknown"


@router.get("/healthz", response_model=Health, tags=["service"])
async def healthz() -> dict[str, str]:
    return {"status": "ok", "version": version()}


@cache
def _layers_json() -> bytes:
    import normlens

    return dumps([layer_json(spec) for spec in normlens.specs()])


@router.get(
    "/api/v1/layers",
    response_class=JSONBytes,
    responses={200: {"model": list[LayerSpecOut], "description": "Every layer with its arguments."}},
    tags=["api"],
)
async def layers() -> JSONBytes:
    """Every layer with its arguments: types, defaults, ranges and en/zh descriptions (the page's forms)."""
    return JSONBytes(_layers_json())


def checked_size(request: TraceRequest) -> int:
    """The input's element count; Unprocessable if detail "full" was asked for a tensor too large for it."""
    settings = get_settings()
    size = math.prod(request.input_shape())
    if request.detail == "full" and size > settings.full_max_elements:
        words = request_words("full_too_large", limit=settings.full_max_elements, size=size)
        raise Unprocessable(["body", "detail"], words.en, msg_zh=words.zh)
    return size


def trace_work(request: TraceRequest) -> bytes:
    """The answer to a trace request with a large body, in a worker process (normlens.app.offload)."""
    checked_size(request)
    return compute(request)


@router.post(
    "/api/v1/trace",
    response_class=JSONBytes,
    responses={
        200: {"model": TraceResponse, "description": "Every step of the layer with its arrays."},
        **ERRORS,
    },
    tags=["api"],
)
@off_process(trace_work)
async def trace(request: Annotated[TraceRequest, Body(openapi_examples=EXAMPLES)]) -> JSONBytes:
    """Run a layer on a tensor; return every intermediate step (and the backward pass with grad_output)."""
    settings = get_settings()
    size = checked_size(request)
    if size > settings.inline_max_elements:
        async with gate().admit():  # a bounded number at once per worker (memory); the rest wait or get 503
            status, answer = await in_process(run_validated, compute, request)
        return JSONBytes(answer, status_code=status)
    saved = response_cache()
    key = dumps(request.model_dump()) if size <= settings.auto_max_values and saved.max_bytes else None
    body = saved.get(key) if key is not None else None
    if body is None:
        body = compute(request)
        if key is not None:
            saved.put(key, body)
    return JSONBytes(body)


@cache
def response_cache() -> ResponseCache:
    """One per process; only touched on the event loop (small traces), so it needs no lock."""
    return ResponseCache(get_settings().trace_cache_bytes)


def compute(request: TraceRequest) -> bytes:
    """The trace as JSON bytes (POST /api/v1/trace)."""
    return dumps(trace_response(request))


def trace_response(request: TraceRequest) -> dict[str, Any]:
    """The one tracing path of the API and the pages: request -> arrays -> engine -> words. An
    ArgumentError of the engine becomes Unprocessable at the argument it names, in both languages."""
    settings = get_settings()
    try:
        x = cast(request.input_array(), request.dtype, "input")
    except InputError as e:
        raise Unprocessable(["body", "input"], str(e), msg_zh=e.zh) from None
    try:
        grad = request.grad_array()
        grad = None if grad is None else cast(grad, request.dtype, "grad_output")
    except InputError as e:
        raise Unprocessable(["body", "grad_output"], str(e), msg_zh=e.zh) from None
    import normlens

    try:  # every layer silences NumPy's overflow warnings (normlens.args.quiet): it checks its results itself
        result = normlens.trace(request.layer, x, grad_output=grad, **request.params)
    except ArgumentError as e:
        words = error_text(e, request.layer)
        raise Unprocessable(error_loc(e), words.en, msg_zh=words.zh, code=e.code) from None
    out = trace_json(result, request.detail, settings.auto_max_values)
    if request.input.kind == "text":
        out["input_format"] = request.input.parsed_format
        out["input_notes"] = request.input.parsed_notes
    out["labels"] = request.axis_labels()
    out["request"] = echo(request)
    return out


def error_loc(error: ArgumentError) -> list[str]:
    """Where an engine error points: the argument it names.

    >>> error_loc(ArgumentError("num_groups", "not_divisible"))
    ['body', 'params', 'num_groups']
    """
    if error.param in ("input", "grad_output", "layer"):
        return ["body", error.param]
    return ["body", "params", error.param]


def echo(request: TraceRequest) -> dict[str, Any]:
    """The request as understood, tensors left out (they are in the steps)."""
    inp = request.input
    described: dict[str, Any] = {"kind": inp.kind, "shape": list(inp.raw_shape())}
    if inp.random is not None:
        described["random"] = inp.random.model_dump(exclude_none=True)
    g = request.grad_output
    grad: Any = None
    if isinstance(g, GradFill):
        grad = {"fill": g.fill}
    elif isinstance(g, GradRandom):
        grad = {"random": g.random.model_dump(exclude_none=True)}
    elif g is not None:
        grad = {"kind": "values"}
    return {
        "layer": request.layer,
        "input": described,
        "shape": list(request.input_shape()),
        "params": request.params,
        "grad_output": grad,
        "dtype": request.dtype,
        "detail": request.detail,
    }


def parse_work(request: ParseRequest) -> bytes:
    """The answer to a parse request with a large body, in a worker process (normlens.app.offload)."""
    return parse_text(request.text)


@router.post(
    "/api/v1/parse",
    response_class=JSONBytes,
    responses={200: {"model": ParseResponse, "description": "How the text was read."}, **ERRORS},
    tags=["api"],
)
@off_process(parse_work)
async def parse(request: ParseRequest) -> JSONBytes:
    """Read pasted text as a tensor; errors carry the line and column for the editor."""
    text = request.text
    body = await run_in_threadpool(parse_text, text) if len(text) > TEXT_IN_THREAD else parse_text(text)
    return JSONBytes(body)


def parse_text(text: str) -> bytes:
    from normlens.app.paste_words import paste_notes
    from normlens.paste import parse as paste

    settings = get_settings()
    try:
        parsed = paste(text, settings.max_elements, settings.max_depth)
    except ValueError as e:
        message, extra = paste_error_parts(e)
        raise Unprocessable(["body", "text"], message, "paste_error", **extra) from None
    values = np.asarray(parsed.values)
    notes = paste_notes(parsed.notes)
    return dumps(
        {
            "format": parsed.format,
            "shape": list(parsed.shape),
            "dtype": parsed.dtype,
            "values": values.reshape(parsed.shape) if values.size <= settings.auto_max_values else None,
            "notes": notes["en"],
            "notes_zh": notes["zh"],
            "labels": parsed.labels,
        }
    )
