"""POST /api/v1/train: a training run streamed as newline-delimited JSON (normlens.app.training says what the
lines are). The body holds the run's knobs (normlens.train.knobs); a knob left out takes its default."""

# no `from __future__ import annotations`: FastAPI reads the endpoint's body model from its annotations
from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field, create_model, model_validator

from normlens.app import train_pages, training
from normlens.app.fields import StrictModel, field_error, knob_annotation, whole
from normlens.app.lessons import error_text
from normlens.app.previews import preview
from normlens.app.query_knobs import parse_query
from normlens.app.requests import JSONRoute
from normlens.app.responses import dumps
from normlens.app.routes.api import ERRORS
from normlens.app.settings import get_settings
from normlens.args import ArgumentError
from normlens.train.knobs import KNOBS, config

router = APIRouter(route_class=JSONRoute, tags=["training"])


class TrainBase(StrictModel):
    """The knobs, each by its bounds; then the rules that tie knobs together (normlens.train.knobs.config)."""

    @model_validator(mode="before")
    @classmethod
    def _integers(cls, data: Any) -> Any:
        ints = {k.name for k in KNOBS if k.type == "int"}
        return {k: whole(v) if k in ints else v for k, v in data.items()} if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _together(self) -> "TrainBase":
        try:
            config(self.model_dump())
        except ArgumentError as e:
            words = error_text(e, None)
            raise field_error("TrainKnobs", (e.param,), words.en, None, msg_zh=words.zh, code=e.code) from None
        return self


TrainKnobs = create_model(
    "TrainKnobs",
    __base__=TrainBase,
    __doc__="The knobs of a training run; a knob left out takes its default.",
    **{k.name: (knob_annotation(k), Field(k.default)) for k in KNOBS},  # type: ignore[call-overload]
)


class JobsOut(BaseModel):
    slots: int = Field(..., description="Runs that train at once in this worker (one per CPU core).")
    running: int
    waiting: int
    max_waiting: int


@router.get("/api/v1/train/jobs", response_model=JobsOut)
async def train_jobs() -> JobsOut:
    """This worker's training queue: runs training now, runs waiting for a slot."""
    q = training.jobs()
    return JobsOut(slots=q.slots, running=q.running, waiting=len(q.waiting), max_waiting=training.MAX_WAITING)


EXAMPLE = {"dataset": "moons", "norm": "batch", "optimizer": "adam", "steps": 100, "log_every": 10}
NDJSON = "application/x-ndjson"


STREAMED = "/api/v1/train"  # not gzipped (normlens.app.middleware.Compress): each line must leave at once


@router.post(
    STREAMED,
    response_class=StreamingResponse,
    responses={
        200: {"content": {NDJSON: {"schema": {"type": "string"}}}, "description": "One JSON object per line."},
        503: {"description": "Every training slot and queue place of this worker is taken; retry later."},
        **ERRORS,
    },
)
async def train(knobs: TrainKnobs = Body(openapi_examples={"batch_norm": {"value": EXAMPLE}})):  # type: ignore[valid-type]  # noqa: B008
    """Train a small network with NumPy and stream its log as newline-delimited JSON: queue position while it
    waits, a log line every `log_every` steps (loss, accuracy, per-layer statistics, gradient and weight
    norms), then a summary with `torch_code` (torch.nn + torch.optim from the same initial weights, data and
    batch order) and `torch_expect` (NormLens' logged losses and final state dict)."""
    cfg = config(knobs.model_dump())  # type: ignore[attr-defined]
    if training.jobs().full():
        words = error_text(ArgumentError("train", "train_busy"))
        detail = [{"loc": ["body"], "msg": words.en, "msg_zh": words.zh, "type": "busy", "code": "train_busy"}]
        headers = {"Retry-After": str(get_settings().retry_after_seconds)}
        return StreamingResponse(iter([dumps({"detail": detail})]), 503, headers, media_type="application/json")
    key = dumps(cfg.to_dict())
    return StreamingResponse(training.stream(cfg, key), media_type=NDJSON, headers={"Cache-Control": "no-store"})


# ---- the training lab's pages -------------------------------------------------------------------------------

pages = APIRouter(include_in_schema=False)


def page_state(slug: str, query: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The page's knob values from a query string (bad ones named and left at their defaults) and errors."""
    return parse_query(train_pages.page_knobs(slug), lambda given: train_pages.values(slug, given), query)


def lesson_view(slug: str, knobs: dict[str, Any]) -> dict[str, Any]:
    """What the page's script needs for a state: the runs' and sweeps' POST bodies and the permalink."""
    from urllib.parse import urlencode

    return {
        "values": knobs,
        "runs": train_pages.runs(slug, knobs),
        "sweeps": train_pages.sweeps(slug, knobs),
        "permalink": f"/labs/{slug}" + ("?" + urlencode(knobs) if knobs else ""),
    }


@router.get("/api/v1/train/lessons/{slug}", include_in_schema=False)
async def train_lesson(slug: str, request: Request) -> Any:
    if slug not in train_pages.slugs():
        raise HTTPException(404)
    knobs, errors = page_state(slug, dict(request.query_params))
    return lesson_view(slug, knobs) | {"errors": errors}


def render(request: Request, slug: str) -> HTMLResponse:
    from normlens.app.routes.pages import LANGS, base_context, plotly_url, request_lang, static_url, templates

    asked = request.query_params.get("lang")
    lang = asked if asked in LANGS else request_lang(request)
    knobs, errors = page_state(slug, {k: v for k, v in request.query_params.items() if k != "lang"})
    w = train_pages.lesson(slug)
    view = lesson_view(slug, knobs)
    ctx = base_context(request, lang, "train.js", "labs") | {
        "slug": slug,
        "w": w,
        "knob_list": train_pages.knob_inputs(slug, knobs),
        "errors": errors,
        "view": view,
        "figures": train_pages.figures(slug),
        "canonical": view["permalink"],
        "og": preview(w["title"], w["question"], view["permalink"], lang),
        "config": {
            "slug": slug,
            "lang_fixed": asked in LANGS,
            "knobs": [{"name": k.name, "type": k.type} for k in train_pages.page_knobs(slug)],
            "defaults": {k.name: k.default for k in train_pages.page_knobs(slug)},
            "view": view,
            "figures": train_pages.figures(slug),
            "title": w["title"],
            "plotly_url": plotly_url(request),
            "i18n": {code: static_url(f"i18n/{code}.json") for code in LANGS},
        },
    }
    return templates.TemplateResponse(request, "train.html", ctx)


def _add_page(slug: str) -> None:
    async def page(request: Request) -> HTMLResponse:
        return render(request, slug)

    pages.add_api_route(f"/labs/{slug}", page, methods=["GET"], response_class=HTMLResponse, name=f"train_{slug}")


for _slug in train_pages.slugs():
    _add_page(_slug)
