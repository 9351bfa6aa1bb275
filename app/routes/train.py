"""POST /api/v1/train: a training run streamed as newline-delimited JSON (normlens.app.training says what the
lines are). The body holds the run's knobs (normlens.train.knobs); a knob left out takes its default."""

# no `from __future__ import annotations`: FastAPI reads the endpoint's body model from its annotations
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, create_model, model_validator

from normlens.app import training
from normlens.app.fields import StrictModel, field_error, knob_annotation, whole
from normlens.app.lessons import error_text
from normlens.app.responses import dumps
from normlens.app.routes.api import ERRORS
from normlens.app.settings import get_settings
from normlens.args import ArgumentError
from normlens.train.knobs import KNOBS, config

router = APIRouter(tags=["training"])


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
