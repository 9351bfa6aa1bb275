"""The JSON API: POST /api/v1/trace, POST /api/v1/parse, GET /api/v1/layers, GET /healthz.

Routers hold the HTTP concerns only: the request models check the form, `core` computes, and a core
ValueError (a wrong rank, groups that do not divide the channels, ...) becomes a 422 whose loc names the
argument it is about.
Small traces run on the event loop, large ones in a worker thread (see Settings.inline_max_elements).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import metadata
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body
from starlette.concurrency import run_in_threadpool

from normlens.app.errors import Unprocessable
from normlens.app.formulas import with_mathml
from normlens.app.inputs import InputError, cast
from normlens.app.requests import JSONRoute
from normlens.app.responses import JSONBytes, dumps
from normlens.app.schemas import (
    ErrorResponse,
    GradFill,
    GradRandom,
    Health,
    LayerSpecOut,
    ParseRequest,
    ParseResponse,
    TraceRequest,
    TraceResponse,
    paste_error_parts,
)
from normlens.app.settings import get_settings
from normlens.app.trace_cache import ResponseCache

router = APIRouter(route_class=JSONRoute)

ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "The body is larger than NORMLENS_MAX_BODY_BYTES."},
    415: {"model": ErrorResponse, "description": "The body is not declared as JSON."},
    422: {"model": ErrorResponse, "description": "Invalid request; each error's loc names the field."},
}
TEXT_IN_THREAD = 65_536  # characters of pasted text parsed off the event loop

# One worked example per layer for /docs; tests/app/test_api_trace.py runs every one.
EXAMPLES: dict[str, dict[str, Any]] = {
    "batch_norm": {
        "summary": "BatchNorm2d: two 2x2 maps with two channels, gamma (2, 5), beta (3, 8)",
        "value": {
            "layer": "batch_norm",
            "input": {"values": [[[[1, 2], [3, 4]], [[2, 0], [1, 1]]], [[[5, 6], [7, 8]], [[0, 3], [2, 2]]]]},
            "params": {"training": True, "gamma": [2, 5], "beta": [3, 8]},
            "grad_output": {"fill": 1},
        },
    },
    "layer_norm": {
        "summary": "LayerNorm([4]): 2 sentences of 3 tokens with 4 features each",
        "value": {
            "layer": "layer_norm",
            "input": {"random": {"shape": [2, 3, 4], "seed": 0}},
            "params": {"normalized_shape": [4]},
            "grad_output": {"random": {"seed": 1}},
        },
    },
    "group_norm": {
        "summary": "GroupNorm(2, 4): 4 channels in 2 groups",
        "value": {
            "layer": "group_norm",
            "input": {"random": {"shape": [2, 4, 2, 2], "seed": 0, "distribution": "integers", "low": -3, "high": 3}},
            "params": {"num_groups": 2},
        },
    },
    "instance_norm": {
        "summary": "InstanceNorm1d: a pasted (1, 2, 4) tensor",
        "value": {
            "layer": "instance_norm",
            "input": {"text": "[[[1, 2, 3, 4], [2, 4, 6, 8]]]"},
            "params": {"affine": True},
            "dtype": "float64",
        },
    },
    "rms_norm": {
        "summary": "RMSNorm([4]) in float64 with a gain",
        "value": {
            "layer": "rms_norm",
            "input": {"values": [[1.0, 2.0, 3.0, 4.0], [0.5, -0.5, 1.5, -1.5]]},
            "params": {"normalized_shape": [4], "gamma": [1, 1, 0.5, 2]},
            "grad_output": {"fill": 1},
            "dtype": "float64",
        },
    },
    "dropout": {
        "summary": "Dropout(p=0.5) in training, a flat list reshaped to (2, 6)",
        "value": {
            "layer": "dropout",
            "input": {"values": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]},
            "shape": [2, -1],
            "params": {"p": 0.5, "training": True, "seed": 0},
        },
    },
}


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

    return dumps([spec.to_dict() for spec in normlens.specs()])


@router.get(
    "/api/v1/layers",
    response_class=JSONBytes,
    responses={200: {"model": list[LayerSpecOut], "description": "Every layer with its arguments."}},
    tags=["api"],
)
async def layers() -> JSONBytes:
    """Every layer with its arguments: types, defaults, ranges and en/zh descriptions (the page's forms)."""
    return JSONBytes(_layers_json())


@router.post(
    "/api/v1/trace",
    response_class=JSONBytes,
    responses={
        200: {"model": TraceResponse, "description": "Every step of the layer with its arrays."},
        **ERRORS,
    },
    tags=["api"],
)
async def trace(request: Annotated[TraceRequest, Body(openapi_examples=EXAMPLES)]) -> JSONBytes:
    """Run a layer on a tensor; return every intermediate step (and the backward pass with grad_output)."""
    settings = get_settings()
    size = int(np.prod(request.input_shape()))
    if request.detail == "full" and size > settings.full_max_elements:
        raise Unprocessable(
            ["body", "detail"],
            f'detail "full" is limited to inputs of at most {settings.full_max_elements:,} elements '
            f'(this one has {size:,}); use "auto" or "summary"',
        )
    if size > settings.inline_max_elements:
        return JSONBytes(await run_in_threadpool(compute, request))
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
    """The trace as JSON bytes; a ValueError of the core becomes Unprocessable naming the argument."""
    settings = get_settings()
    try:
        x = cast(request.input_array(), request.dtype, "input")
    except InputError as e:
        raise Unprocessable(["body", "input"], str(e)) from None
    try:
        grad = request.grad_array()
        grad = None if grad is None else cast(grad, request.dtype, "grad_output")
    except InputError as e:
        raise Unprocessable(["body", "grad_output"], str(e)) from None
    import normlens

    try:
        # The core checks its results for overflow itself; NumPy's warnings would only be noise in the logs.
        with np.errstate(all="ignore"):
            result = normlens.trace(request.layer, x, grad_output=grad, **request.params)
    except ValueError as e:
        # core's ArgumentError words the message in Chinese too; the page shows msg_zh when its language is zh
        zh = getattr(e, "zh", None)
        extra = {"msg_zh": zh} if zh else {}
        raise Unprocessable(error_loc(request.layer, str(e)), str(e), **extra) from None
    out = with_mathml(result.to_dict(request.detail, settings.auto_max_values))  # formula_mathml per step
    if request.input.kind == "text":
        out["input_format"] = request.input.parsed_format
        out["input_notes"] = request.input.parsed_notes
    out["request"] = echo(request)
    return dumps(out)


def error_loc(layer: str, message: str) -> list[str]:
    """Where a core error points: the first argument the message names, else the input, else the body.

    >>> error_loc("group_norm", "num_channels (4) must be divisible by num_groups (3)")
    ['body', 'params', 'num_groups']
    """
    import normlens

    spec, _ = normlens.LAYERS[layer]
    hits: list[tuple[int, list[str]]] = []
    for name in [p.name for p in spec.params]:
        m = re.search(rf"\b{re.escape(name)}\b", message)
        if m:
            hits.append((m.start(), ["body", "params", name]))
    for name in ("grad_output", "input"):
        m = re.search(rf"\b{name}\b", message)
        if m:
            hits.append((m.start(), ["body", name]))
    return min(hits)[1] if hits else ["body"]


def echo(request: TraceRequest) -> dict[str, Any]:
    """The request as understood, tensors left out (they are in the steps)."""
    inp = request.input
    described: dict[str, Any] = {"kind": inp.kind, "shape": list(inp.raw_shape())}
    if inp.random is not None:
        described["random"] = inp.random.model_dump(exclude_none=True)
    g = request.grad_output
    grad: Any = None
    if isinstance(g, GradFill):
        grad = g.model_dump()
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


@router.post(
    "/api/v1/parse",
    response_class=JSONBytes,
    responses={200: {"model": ParseResponse, "description": "How the text was read."}, **ERRORS},
    tags=["api"],
)
async def parse(request: ParseRequest) -> JSONBytes:
    """Read pasted text as a tensor; errors carry the line and column for the editor."""
    text = request.text
    body = await run_in_threadpool(parse_text, text) if len(text) > TEXT_IN_THREAD else parse_text(text)
    return JSONBytes(body)


def parse_text(text: str) -> bytes:
    from normlens.paste import parse as paste

    settings = get_settings()
    try:
        parsed = paste(text, settings.max_elements, settings.max_depth)
    except ValueError as e:
        message, extra = paste_error_parts(e)
        raise Unprocessable(["body", "text"], message, "paste_error", **extra) from None
    values = np.asarray(parsed.values)
    return dumps(
        {
            "format": parsed.format,
            "shape": list(parsed.shape),
            "dtype": parsed.dtype,
            "values": values.reshape(parsed.shape) if values.size <= settings.auto_max_values else None,
            "notes": list(parsed.notes or []),
            "notes_zh": list(getattr(parsed, "notes_zh", None) or []),
        }
    )
