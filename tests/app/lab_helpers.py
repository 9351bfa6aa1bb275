"""Shared by the labs' service tests: the app (app/main.py includes the labs router), every registered lab that
has its words, and the values a knob must refuse."""

from __future__ import annotations

from fastapi import FastAPI

from normlens.app import labs
from normlens.app.main import create_app
from normlens.labs import LABS

SLUGS = [slug for slug in LABS if labs.ready(slug)]


def labs_app() -> FastAPI:
    return create_app()


def out_of_bounds(knob: dict) -> list[object]:
    """Values the API must refuse for a knob (from GET /api/v1/labs): just past each bound, the wrong type."""
    kind = knob["type"]
    if kind == "bool":
        return ["yes", 1]
    if kind == "enum":
        return ["no such choice", 3]
    low, high = knob["minimum"], knob["maximum"]
    step = 1 if kind == "int" else max((high - low) * 1e-3, 1e-9)
    bad: list[object] = [low - step, high + step, "3", True]
    if knob["exclusive_minimum"]:
        bad.append(low)
    if knob["exclusive_maximum"]:
        bad.append(high)
    if kind == "int":
        bad.append(low + 0.5)
    return bad
