"""Property-based tests of the whole API from its OpenAPI schema (schemathesis, in-process over ASGI).

Schemathesis generates valid and invalid requests for every operation; none may produce a server error, every
status must be documented, and responses must match their documented schemas and content types. Bounded and
derandomized so that CI runs the same examples in well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from normlens.app.fields import LAYER_NAMES
from normlens.app.links import store_at
from normlens.app.main import create_app
from normlens.app.routes import links as link_routes

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@pytest.fixture(autouse=True, scope="module")
def isolated_link_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Short links that the generated requests create go to a temporary database, not data/."""
    store = store_at(tmp_path_factory.mktemp("links"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(link_routes, "_store", lambda: store)
        yield


@schema.parametrize()
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_api_conforms_and_never_fails(case: schemathesis.Case) -> None:
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )


def test_openapi_has_a_worked_example_per_layer_and_the_error_shapes() -> None:
    openapi = create_app().openapi()
    post = openapi["paths"]["/api/v1/trace"]["post"]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    assert sorted(examples) == sorted(LAYER_NAMES)
    assert all(ex["value"]["layer"] == name for name, ex in examples.items())
    assert set(post["responses"]) == {"200", "413", "415", "422"}
    assert post["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TraceResponse"
    }
    request = openapi["components"]["schemas"]["TraceRequest"]
    assert request["additionalProperties"] is False and request["required"] == ["layer", "input"]
