"""Property-based tests of the whole API from its OpenAPI schema (schemathesis, in-process over ASGI).

Schemathesis generates valid and invalid requests for every operation and runs every one of its checks on the
answers: no server error, every status documented, responses matching their schemas and content types,
schema-violating requests rejected, schema-valid ones accepted. One check is narrowed, not dropped: a
schema-valid request may still be refused (422) when every error is of a type in app.errors.BEYOND_SCHEMA, the
rules JSON Schema cannot state (a ragged tensor, a reshape that does not fit, a rank or length the layer
refuses, pasted text that is not a tensor, float32 overflow). A refusal for anything the schema can state fails,
as schemathesis' own positive_data_acceptance (ST202) would. Every error item must carry msg and msg_zh.

The stateful phase follows the OpenAPI links: POST /api/v1/links, then GET /api/v1/links/{link_id} with the id
it returned, and it must read a stored link back. Bounded and derandomized: about 1,400 cases in about a minute.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import Failure
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from normlens.app import training
from normlens.app.errors import BEYOND_SCHEMA
from normlens.app.fields import LAYER_NAMES
from normlens.app.links import SqliteLinkStore, store_at
from normlens.app.main import create_app
from normlens.app.routes import links as link_routes

APP = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# Phases: the worked examples, then fuzzing (positive and negative), then stateful. The coverage phase is left
# out: it enumerates boundary values of every field of every layer's form, over 6,000 requests per operation.
schema.config.phases.update(phases=["examples", "fuzzing", "stateful"])
OPENAPI = APP.openapi()
CJK = re.compile(r"[\u4e00-\u9fff]")
SENT: Counter[str] = Counter()  # operation -> cases sent by the property test
STATEFUL: Counter[tuple[str, int]] = Counter()  # (operation, status) -> responses in the stateful phase
SCENARIOS = itertools.count()


STORES: list[Path] = []  # the folder of this module's temporary link databases


@pytest.fixture(autouse=True, scope="module")
def isolated_link_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Short links that the generated requests create go to a temporary database, not data/."""
    STORES.append(tmp_path_factory.mktemp("links"))
    store = store_at(STORES[-1])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(link_routes, "_store", lambda: store)
        yield


class BilingualErrors(Failure):
    """An error item without its message in both languages."""

    kind_title = "Error item without msg and msg_zh"

    @property
    def _unique_key(self) -> str:
        return self.message


def accepted_unless_beyond_schema(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """positive_data_acceptance, except a 422 whose every error is a rule the schema cannot state."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        items = response.json().get("detail") if response.status_code == 422 else None
        if isinstance(items, list) and items and all(e.get("type") in BEYOND_SCHEMA for e in items):
            return None
        raise


def errors_in_both_languages(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """Every error item of a 4xx answer has msg and msg_zh, the latter in Chinese."""
    if response.status_code < 400 or "json" not in (response.headers.get("content-type") or [""])[0]:
        return None
    items = response.json().get("detail")
    for item in items if isinstance(items, list) else [{"msg": items}]:
        if not (item.get("msg") and CJK.search(item.get("msg_zh") or "")):
            raise BilingualErrors(operation=case.operation.label, message=f"no msg/msg_zh in {item}")
    return None


CHECKS: dict[str, Any] = {
    "excluded_checks": [positive_data_acceptance],
    "additional_checks": [accepted_unless_beyond_schema, errors_in_both_languages],
}
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


# A request body with a tensor, a layer and its arguments takes about 0.25 s of CPU to generate (nested lists up
# to 8 deep), a path or a pasted text far less: the budget is spent where it buys the most cases.
HEAVY = r"^/api/v1/(trace|links|permalink|compare)$"
TRAIN = r"^/api/v1/train$"  # its own test: a valid request trains


@schema.include(method="POST", path_regex=HEAVY).parametrize()
@settings(SETTINGS, max_examples=150)
def test_api_conforms_and_never_fails(case: schemathesis.Case) -> None:
    SENT[case.operation.label] += 1
    case.call_and_validate(**CHECKS)


@schema.exclude(method="POST", path_regex=HEAVY).exclude(path_regex=TRAIN).parametrize()
@settings(SETTINGS, max_examples=290)
def test_api_conforms_and_never_fails_light(case: schemathesis.Case) -> None:
    SENT[case.operation.label] += 1
    case.call_and_validate(**CHECKS)


@schema.include(method="POST", path_regex=TRAIN).parametrize()
@settings(SETTINGS, max_examples=100)
def test_training_api_conforms_and_never_fails(case: schemathesis.Case) -> None:
    """A valid training request trains: each case gets a 50 ms budget (the server's time cap, honoured before
    every step; the stream then ends with its time-limit line), so 100 cases take seconds, not hours."""
    SENT[case.operation.label] += 1
    cap, training.TIME_LIMIT = training.TIME_LIMIT, 0.05
    try:
        case.call_and_validate(**CHECKS)
    finally:
        training.TIME_LIMIT = cap


def test_at_least_a_thousand_cases_reached_every_operation() -> None:
    if len(SENT) < 2:
        pytest.skip("runs after test_api_conforms_and_never_fails*")
    operations = {op.ok().label for op in schema.get_all_operations()}
    assert set(SENT) == operations, SENT
    assert all(n >= 100 for op, n in SENT.items() if op not in WITHOUT_INPUT), SENT
    assert sum(SENT.values()) >= 1000, SENT  # an operation without parameters is one request


# operations with no parameter and no body (GET /healthz, /api/v1/layers, ...): one request covers them
WITHOUT_INPUT = {
    f"{method.upper()} {path}"
    for path, item in OPENAPI["paths"].items()
    for method, op in item.items()
    if not op.get("parameters") and "requestBody" not in op
}


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        # A fresh database per scenario: ids come from the content, so a link made in an earlier scenario would
        # turn this one's 201 into a 200, and Hypothesis needs every scenario to replay the same way.
        store = SqliteLinkStore(STORES[-1] / f"{next(SCENARIOS)}.sqlite3")
        link_routes._store = lambda: store  # the module fixture puts the original back

    def validate_response(
        self, response: Any, case: schemathesis.Case, additional_checks: Any = None, **kw: Any
    ) -> None:
        STATEFUL[(case.operation.label, response.status_code)] += 1
        case.validate_response(response, **CHECKS, transport_kwargs=kw or None, recorder=self.recorder)


def test_a_new_short_link_links_to_reading_it_back() -> None:
    """The OpenAPI links that the stateful phase follows (its own guess read the id from a "link_id" field)."""
    responses = OPENAPI["paths"]["/api/v1/links"]["post"]["responses"]
    for status in ("201", "200"):
        (link,) = responses[status]["links"].values()
        assert link["parameters"] == {"link_id": "$response.body#/id"}
        assert link["operationRef"] == "#/paths/~1api~1v1~1links~1{link_id}/get"
        body = responses[status]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ShortLinkOut"}


def test_stateful_creates_short_links_and_reads_them_back() -> None:
    # It never reached a stored link: every POST /api/v1/links was refused (a schema looser than the server).
    Workflow.run(settings=settings(SETTINGS, max_examples=40, stateful_step_count=4))
    assert STATEFUL[("POST /api/v1/links", 201)] > 0, STATEFUL
    assert STATEFUL[("GET /api/v1/links/{link_id}", 200)] > 0, STATEFUL


# --- the schema is as strict as the server ---------------------------------------------------------------------


def body_schema(path: str) -> dict[str, Any]:
    return OPENAPI["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]


def schema_valid(path: str, body: Any) -> bool:
    """Whether `body` is valid for the request body of POST `path` in the OpenAPI document."""
    root = {"components": OPENAPI["components"], **body_schema(path)}
    return jsonschema_rs.Draft202012Validator(root).is_valid(body)


STATE = {"layer": "batch_norm", "input": {"values": [[1.0, 2.0], [3.0, 4.0]]}}
LOOSER = [  # schema-valid on the old main, every one refused with 422: schemathesis reported ST202
    ("/api/v1/links", {**STATE, "shape": [0]}),
    ("/api/v1/permalink", {**STATE, "shape": [0]}),
    ("/api/v1/parse", {"text": ""}),
    ("/api/v1/trace", {"layer": "dropout", "input": {"values": [1.0, 2.0]}, "params": {"affine": True}}),
    ("/api/v1/trace", {"layer": "batch_norm", "input": {"values": None, "text": "1, 2"}}),
    ("/api/v1/trace", {"layer": "batch_norm", "input": {"values": [[1.0], 2.0]}}),
    ("/api/v1/links", {**STATE, "input": {"random": {"shape": [2, 3], "distribution": "uniform", "std": 1.0}}}),
    ("/api/v1/links", {**STATE, "view": {"group": -1}}),
    ("/api/v1/parse", {"text": "no digits here"}),
]


@pytest.mark.parametrize(("path", "body"), LOOSER)
def test_what_the_server_refuses_the_schema_refuses(client: Any, path: str, body: Any) -> None:
    assert client.post(path, json=body).status_code == 422
    assert not schema_valid(path, body)


INTEGRAL = [  # JSON Schema counts 2.0 an integer: the server takes it as 2, as it takes 2
    ("/api/v1/trace", {**STATE, "shape": [2.0, -1.0], "layer": "dropout"}),
    (
        "/api/v1/trace",
        {"layer": "group_norm", "input": {"random": {"shape": [2.0, 4.0], "seed": 3.0}}, "params": {"num_groups": 2.0}},
    ),  # fmt: skip
    ("/api/v1/links", {**STATE, "view": {"group": 1.0}}),
    ("/api/v1/permalink", {**STATE, "v": 1.0}),
]


@pytest.mark.parametrize(("path", "body"), INTEGRAL)
def test_whole_floats_are_integers_as_in_json_schema(client: Any, path: str, body: Any) -> None:
    assert schema_valid(path, body)
    assert client.post(path, json=body).status_code in (200, 201)


def test_each_layer_has_its_own_form_with_its_own_arguments() -> None:
    components = OPENAPI["components"]["schemas"]
    for name in ("TraceRequest", "ViewState"):
        union = components[name]
        assert union["discriminator"]["propertyName"] == "layer"
        mapping = union["discriminator"]["mapping"]
        assert sorted(mapping) == sorted(LAYER_NAMES)
        assert [f["$ref"] for f in union["oneOf"]] == [mapping[layer] for layer in LAYER_NAMES]
        for layer, ref in mapping.items():
            form = components[ref.rsplit("/", 1)[1]]
            assert form["properties"]["layer"]["const"] == layer and form["required"] == ["layer", "input"]
            assert form["additionalProperties"] is False
            params = components[form["properties"]["params"]["$ref"].rsplit("/", 1)[1]]
            assert params["additionalProperties"] is False
            import normlens

            assert list(params["properties"]) == [p.name for p in normlens.LAYERS[layer].params]
    assert "affine" not in components["DropoutParams"]["properties"]
    assert components["GroupNormParams"]["properties"]["num_groups"]["minimum"] == 1


def test_openapi_has_a_worked_example_per_layer_and_the_error_shapes() -> None:
    post = OPENAPI["paths"]["/api/v1/trace"]["post"]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    assert sorted(examples) == sorted(LAYER_NAMES)
    assert all(ex["value"]["layer"] == name for name, ex in examples.items())
    assert all(schema_valid("/api/v1/trace", ex["value"]) for ex in examples.values())
    assert {"200", "413", "415", "422"} <= set(post["responses"])
    assert post["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TraceResponse"
    }
    assert body_schema("/api/v1/trace") == {"$ref": "#/components/schemas/TraceRequest"}
    state = {"$ref": "#/components/schemas/ViewState"}
    assert body_schema("/api/v1/links") == body_schema("/api/v1/permalink") == state
