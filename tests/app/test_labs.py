"""The labs API, generic over every registered lab: GET /api/v1/labs, POST /api/v1/labs/<slug> round trips,
knob bounds refused with a 422 naming the knob in both languages, canonical knobs, the cache."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient

from normlens.app import labs
from normlens.app.lab_models import LabResponseOut
from normlens.labs import LABS
from tests.app.lab_helpers import SLUGS, labs_app, out_of_bounds

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(labs_app()) as c:
        yield c


@pytest.fixture(scope="module")
def index(client: TestClient) -> list[dict]:
    res = client.get("/api/v1/labs")
    assert res.status_code == 200
    return res.json()


def test_index_lists_every_lab_with_bounded_knobs(index: list[dict]) -> None:
    assert [c["slug"] for c in index] == SLUGS
    assert "running-stats" in SLUGS
    for card in index:
        assert card["url"] == f"/labs/{card['slug']}"
        assert card["title"]["en"] and CJK.search(card["title"]["zh"] + card["question"]["zh"])
        for k in card["knobs"]:
            assert k["label"]["en"] and k["label"]["zh"]
            if k["type"] in ("int", "float"):  # every slider has both ends
                assert k["minimum"] is not None and k["maximum"] is not None, (card["slug"], k["name"])
            if k["type"] == "enum":
                assert k["choices"] and set(k["choices_words"]) == set(k["choices"])


@pytest.mark.parametrize("slug", SLUGS)
def test_round_trip_at_defaults(client: TestClient, slug: str) -> None:
    res = client.post(f"/api/v1/labs/{slug}", json={})
    assert res.status_code == 200, res.text
    body = res.json()
    spec = LABS[slug]
    assert body["slug"] == slug
    assert body["knobs"] == spec.defaults()
    assert body["permalink"] == f"/labs/{slug}"
    assert set(body) >= {"numbers", "series", "torch_code", "torch_expect", "warnings", "words"}
    assert body["torch_code"].strip().splitlines()[-1].startswith("print(")
    for w in body["warnings"]:
        assert w["message"]["en"] and CJK.search(w["message"]["zh"])
    # the same request twice: the same bytes (from the cache)
    assert client.post(f"/api/v1/labs/{slug}", json=spec.defaults()).content == res.content


@pytest.mark.parametrize("slug", SLUGS)
def test_every_knob_out_of_bounds_is_a_422_naming_it(client: TestClient, index: list[dict], slug: str) -> None:
    card = next(c for c in index if c["slug"] == slug)
    for knob in card["knobs"]:
        for bad in out_of_bounds(knob):
            res = client.post(f"/api/v1/labs/{slug}", json={knob["name"]: bad})
            assert res.status_code == 422, (knob["name"], bad, res.text)
            item = res.json()["detail"][0]
            assert item["loc"] == ["body", knob["name"]], item
            assert knob["name"] in item["msg"] or item["type"] != "value_error", item
            assert CJK.search(item["msg_zh"]), item


@pytest.mark.parametrize("slug", SLUGS)
def test_bounds_themselves_are_accepted(client: TestClient, index: list[dict], slug: str) -> None:
    card = next(c for c in index if c["slug"] == slug)
    for knob in card["knobs"]:
        if knob["type"] not in ("int", "float"):
            continue
        for edge, open_ in (("minimum", "exclusive_minimum"), ("maximum", "exclusive_maximum")):
            if knob[open_]:
                continue
            res = client.post(f"/api/v1/labs/{slug}", json={knob["name"]: knob[edge]})
            assert res.status_code == 200, (knob["name"], knob[edge], res.text)


def test_an_undefined_number_is_null_with_a_dash_and_a_warning(client: TestClient) -> None:
    """Found by schemathesis: Dropout zeroed the whole last batch, so BN's output std ratio was inf, sent as
    null where the schema said a number. Now it is null by the schema, — in the table and the answer, and a
    warning in both languages says why."""
    knobs = {"batches": 13, "features": 13, "batch": 2, "p": 0.8999999999999998, "seed": 41297}
    res = client.post("/api/v1/labs/dropout-bn-variance-shift", json=knobs)
    assert res.status_code == 200, res.text
    body = LabResponseOut.model_validate_json(res.content).model_dump()
    assert body["numbers"]["std_shift"] is None and body["numbers"]["train_out_std"] == 0.0
    (row,) = [r for r in body["words"]["numbers"] if r["key"] == "std_shift"]
    assert (row["value"], row["text"]) == (None, "—")
    assert "a factor of — (" in body["words"]["answer"]["en"] and "缩小为 — 倍" in body["words"]["answer"]["zh"]
    (warning,) = body["warnings"]
    assert warning["code"] == "dropped_whole_batch" and "p^26" in warning["message"]["en"]
    assert CJK.search(warning["message"]["zh"]) and "p^26" in warning["message"]["zh"]


def test_unknown_knob_lists_the_known_ones(client: TestClient) -> None:
    res = client.post("/api/v1/labs/running-stats", json={"momentun": 0.1})
    assert res.status_code == 422
    item = res.json()["detail"][0]
    assert item["loc"] == ["body", "momentun"] and item["type"] == "extra_forbidden"
    assert "momentum" in item["msg"] and "momentum" in item["msg_zh"]


def test_bad_bodies(client: TestClient) -> None:
    assert client.post("/api/v1/labs/running-stats", json=[1]).status_code == 422
    assert (
        client.post(
            "/api/v1/labs/running-stats", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    res = client.post("/api/v1/labs/running-stats", content=b"x=1", headers={"content-type": "text/plain"})
    assert res.status_code == 415 and res.json()["detail"][0]["msg_zh"]
    res = client.post("/api/v1/labs/no-such-lab", json={})
    assert res.status_code == 404 and CJK.search(res.json()["detail"][0]["msg_zh"])


def test_integer_knob_may_be_written_as_a_whole_float(client: TestClient) -> None:
    a = client.post("/api/v1/labs/running-stats", json={"batches": 12.0}).json()
    assert a["knobs"]["batches"] == 12 and isinstance(a["knobs"]["batches"], int)


def test_canonical_knobs_and_permalink(client: TestClient) -> None:
    body = client.post("/api/v1/labs/running-stats", json={"seed": 3, "momentum": 0.1}).json()
    assert body["permalink"] == "/labs/running-stats?momentum=0.1&seed=3"  # the spec's order, defaults left out
    assert body["knobs"]["seed"] == 3 and body["knobs"]["batches"] == LABS["running-stats"].defaults()["batches"]


def test_answer_runs_in_the_lab_threads_once_per_state() -> None:
    knobs = labs.canonical("running-stats", {"seed": 4321})

    async def many() -> list[bytes]:
        return await asyncio.gather(*(labs.answer("running-stats", knobs) for _ in range(5)))

    bodies = asyncio.run(many())
    assert len(set(bodies)) == 1
    assert orjson.loads(bodies[0])["knobs"]["seed"] == 4321
    assert labs.key_of("running-stats", knobs) not in labs._running  # finished work is forgotten


def test_from_query_types_and_reports_bad_values() -> None:
    knobs, errors = labs.from_query("running-stats", {"momentum": "0.1", "batches": "12", "seed": "x", "std": "0"})
    assert knobs["momentum"] == 0.1 and knobs["batches"] == 12
    assert knobs["seed"] == 0 and knobs["std"] == LABS["running-stats"].defaults()["std"]
    assert {e["loc"][-1] for e in errors} == {"seed", "std"}
    assert all(CJK.search(e["msg_zh"]) for e in errors)


def test_openapi_has_one_strict_operation_per_lab(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for slug in SLUGS:
        op = doc["paths"][f"/api/v1/labs/{slug}"]["post"]
        content = op["requestBody"]["content"]["application/json"]
        assert content["examples"]["defaults"]["value"] == LABS[slug].defaults()
        ref = content["schema"]["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][ref]
        assert schema["additionalProperties"] is False
        assert set(schema["properties"]) == {k.name for k in LABS[slug].knobs}
        for k in LABS[slug].knobs:
            prop = schema["properties"][k.name]
            if k.type in ("int", "float"):
                assert ("minimum" in prop or "exclusiveMinimum" in prop) and (
                    "maximum" in prop or "exclusiveMaximum" in prop
                )
        assert "422" in op["responses"]
