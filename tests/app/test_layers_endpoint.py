"""GET /api/v1/layers: every layer with its arguments, exactly as core declares them, and consistent with the
validation the trace endpoint applies."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

import normlens
from normlens.app.fields import LAYER_NAMES
from normlens.app.layer_params import params_model
from normlens.app.lessons import layer_json


@pytest.fixture(scope="module")
def layers(client: TestClient) -> list[dict[str, Any]]:
    r = client.get("/api/v1/layers")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    return r.json()


def test_every_layer_is_listed_as_core_declares_it(layers: list[dict[str, Any]]) -> None:
    assert [layer["name"] for layer in layers] == list(normlens.LAYERS) == list(LAYER_NAMES)
    import json

    assert layers == json.loads(json.dumps([layer_json(spec) for spec in normlens.specs()]))


def test_texts_are_bilingual(layers: list[dict[str, Any]]) -> None:
    for layer in layers:
        for text in (layer["title"], layer["description"], layer["input_layout"]):
            assert text["en"] and text["zh"]
        for param in layer["params"]:
            assert param["description"]["en"] and param["description"]["zh"], param["name"]


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_defaults_pass_validation(layers: list[dict[str, Any]], name: str) -> None:
    spec = next(layer for layer in layers if layer["name"] == name)
    defaults = {p["name"]: p["default"] for p in spec["params"]}
    assert params_model(name).model_validate(defaults).model_dump() == defaults


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_bounds_are_enforced_as_declared(client: TestClient, layers: list[dict[str, Any]], name: str) -> None:
    spec = next(layer for layer in layers if layer["name"] == name)
    for param in spec["params"]:
        for bound, outside in (("minimum", -1), ("maximum", 1)):
            limit = param[bound]
            if limit is None:
                continue
            exclusive = param[f"exclusive_{bound}"]
            value: float = limit if exclusive else limit + outside * (1 if param["type"].startswith("int") else 1e-3)
            if param["type"].startswith("int"):
                value = int(value)
            r = client.post(
                "/api/v1/trace",
                json={"layer": name, "input": {"values": [[1.0, 2.0]]}, "params": {param["name"]: value}},
            )
            assert r.status_code == 422
            assert r.json()["detail"][0]["loc"] == ["body", "params", param["name"]], (param["name"], value)
        if param["choices"]:
            r = client.post(
                "/api/v1/trace",
                json={"layer": name, "input": {"values": [[1.0, 2.0]]}, "params": {param["name"]: "?"}},
            )
            assert r.json()["detail"][0]["loc"] == ["body", "params", param["name"]]
