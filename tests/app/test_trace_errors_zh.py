"""A core argument error reaches the page in both languages: the 422 item carries msg_zh beside msg."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.app.api_helpers import errors


def test_group_norm_divisibility_422_has_chinese(client: TestClient) -> None:
    body = {"layer": "group_norm", "input": {"random": {"shape": [2, 4, 3]}}, "params": {"num_groups": 3}}
    response = client.post("/api/v1/trace", json=body)
    assert response.status_code == 422
    [item] = errors(response)
    assert item["loc"] == ["body", "params", "num_groups"]
    assert "num_channels (4) must be divisible by num_groups (3)" in item["msg"]
    assert re.search(r"[\u4e00-\u9fff]", item["msg_zh"])
    assert "num_groups" in item["msg_zh"] and "4" in item["msg_zh"] and "3" in item["msg_zh"]


def test_a_schema_bound_reads_the_same_in_both_languages(client: TestClient) -> None:
    """eps = -1: "greater than 0" in English read "应大于 0.0" in Chinese (the bound as pydantic keeps it)."""
    body = {"layer": "batch_norm", "input": {"values": [[1, 2], [3, 4]]}, "params": {"eps": -1}}
    [item] = errors(client.post("/api/v1/trace", json=body))
    assert (item["msg"], item["msg_zh"]) == ("Input should be greater than 0", "应大于 0")
