"""Assertions shared by the API tests (imported as a plain module: pytest puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any


def errors(response: Any) -> list[dict[str, Any]]:
    """The detail list of an error response, checked for FastAPI's shape."""
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("detail"), list), body
    for item in body["detail"]:
        assert {"loc", "msg", "type"} <= set(item), item
        assert "Traceback" not in item["msg"]
    return body["detail"]


def locs(response: Any) -> list[list[Any]]:
    return [e["loc"] for e in errors(response)]
