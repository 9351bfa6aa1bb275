"""POST /api/v1/compare (one tensor through every normalization layer) and the /compare page.

The endpoint follows POST /api/v1/trace's rules for large requests: a body over 256 KB is parsed, validated and
answered in a worker process (normlens.app.requests.off_process), a tensor over Settings.inline_max_elements is
traced in the pool behind the admission gate, and a tensor over normlens.app.compare.MAX_ELEMENTS gets 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from normlens.app.admission import gate
from normlens.app.api_models import ErrorItem, TraceResponse
from normlens.app.compare import CompareRequest, checked, compare_response
from normlens.app.offload import in_process, run_validated
from normlens.app.requests import JSONRoute, off_process
from normlens.app.responses import JSONBytes, dumps
from normlens.app.routes.api import ERRORS
from normlens.app.settings import get_settings

router = APIRouter(route_class=JSONRoute)


class LayerError(ErrorItem):
    layer: str = Field(..., description="The layer that refused the tensor or its arguments.")


class CompareResponse(BaseModel):
    """Each layer's trace, as POST /api/v1/trace returns it, and the layers that could not run."""

    traces: dict[str, TraceResponse] = Field(..., description="Layer name -> its trace, in the page's order.")
    errors: dict[str, LayerError] = Field(
        ...,
        description="Layer name -> why it cannot run on this tensor with these arguments (a rank it refuses, a G "
        "that does not divide C, ...), in English and Chinese; loc names the argument as this request spells it.",
    )


EXAMPLES: dict[str, dict[str, Any]] = {
    "random": {
        "summary": "A random (N, C, L) tensor through every layer",
        "value": {"input": {"random": {"shape": [2, 6, 4], "seed": 0}}},
    },
    "pasted": {
        "summary": "A pasted PyTorch print-out, GroupNorm with 2 groups, BatchNorm in eval mode",
        "value": {
            "input": {"text": "tensor([[[1., 2.], [3., 4.]],\n        [[0., 2.], [5., 1.]]])"},
            "dtype": "float64",
            "params": {"group_norm": {"num_groups": 1}, "batch_norm": {"training": False}},
        },
    },
}


def compute(request: CompareRequest) -> bytes:
    return dumps(compare_response(request))


def compare_work(request: CompareRequest) -> bytes:
    """The answer to a compare request with a large body, in a worker process (normlens.app.offload)."""
    return compute(request)


@router.post(
    "/api/v1/compare",
    response_class=JSONBytes,
    responses={
        200: {"model": CompareResponse, "description": "Every normalization layer's trace of the tensor."},
        **ERRORS,
    },
    tags=["api"],
)
@off_process(compare_work)
async def compare(request: Annotated[CompareRequest, Body(openapi_examples=EXAMPLES)]) -> JSONBytes:
    """Run one tensor through BatchNorm, LayerNorm, InstanceNorm, GroupNorm, RMSNorm and min-max; each trace is
    exactly what POST /api/v1/trace returns for that layer and its arguments (defaults: LayerNorm and RMSNorm over
    every axis but the first, GroupNorm with the largest G < C that divides C). A layer that cannot take the tensor
    gets an entry in "errors" instead of failing the request; at most 65,536 elements."""
    size = checked(request)
    if size > get_settings().inline_max_elements:
        async with gate().admit():  # as /api/v1/trace: a bounded number at once per worker, the rest wait or 503
            status, answer = await in_process(run_validated, compute, request)
        return JSONBytes(answer, status_code=status)
    return JSONBytes(compute(request))


@router.get("/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(request: Request) -> HTMLResponse:
    """The compare view; its state is the query string (normlens.app.compare_page)."""
    from normlens.app.compare_page import render

    return render(request)
