"""Response models of the labs API: documentation for OpenAPI only (responses are orjson bytes, never validated
against these; tests/app/test_schemathesis.py checks that the answers match them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from normlens.app.api_models import BoundsOut, TextOut


class KnobOut(BoundsOut):
    name: str
    type: Literal["bool", "int", "float", "enum"]
    default: Any
    label: TextOut
    help: TextOut | None
    step: float | None = Field(None, description="The slider's step (null: the page's default).")
    scale: Literal["linear", "log"]
    choices_words: dict[str, TextOut] | None = Field(None, description="Words of each choice (enum knobs).")


class LabCardOut(BaseModel):
    slug: str = Field(..., examples=["running-stats"])
    url: str = Field(..., examples=["/labs/running-stats"])
    title: TextOut
    question: TextOut = Field(..., description="The seed question the lab answers.")
    seeds: list[str] = Field(..., description='The seed notes it answers, e.g. ["000 Q6"].')
    examples: list[str] = Field(..., description="Slugs of the gallery cards that link to it.")
    knobs: list[KnobOut]


class NumberRowOut(BaseModel):
    key: str
    label: TextOut
    help: TextOut | None
    value: float | int | bool | None = Field(..., description="null: undefined here (a ratio over 0); see warnings.")
    text: str = Field(..., description="The value as the table shows it (the lesson file's format); — if null.")


class LabWarningOut(BaseModel):
    code: str
    message: TextOut
    torch_error: str | None


class LabWordsOut(BaseModel):
    title: TextOut
    question: TextOut
    answer: TextOut = Field(..., description="Plain text; a blank line starts a paragraph; `code` in backticks.")
    note: TextOut | None
    seeds: list[str]
    knobs: dict[str, Any] = Field(..., description="Per knob: label, help, step, scale, choices (words).")
    numbers: list[NumberRowOut]
    figures: list[dict[str, Any]] = Field(..., description="Figure specs (the lesson file's), texts filled.")


class LabResponseOut(BaseModel):
    slug: str
    knobs: dict[str, float | int | bool | str] = Field(
        ..., description="The knobs as used: canonical, defaults filled."
    )
    permalink: str = Field(..., description="The page of this state, e.g. /labs/running-stats?seed=3")
    numbers: dict[str, float | int | bool | None] = Field(..., description="null: undefined here; see warnings.")
    series: dict[str, Any] = Field(..., description="Arrays (nested lists) and numbers the figures draw.")
    torch_code: str = Field(..., description="A torch 2.13 script; its last output line is torch_expect as JSON.")
    torch_expect: dict[str, Any] = Field(..., description="NormLens' values under the keys torch_code prints.")
    warnings: list[LabWarningOut]
    words: LabWordsOut
