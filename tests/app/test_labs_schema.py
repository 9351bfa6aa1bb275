"""The labs' operations against their own OpenAPI schema (schemathesis, in-process), with the checks of
tests/app/test_schemathesis.py: no server error, documented statuses, responses matching their schemas, requests
the schema refuses refused, and every request it accepts answered (no ST202: the schema is as strict as the
server), error items in both languages."""

from __future__ import annotations

import schemathesis
from hypothesis import settings

from tests.app.lab_helpers import labs_app
from tests.app.test_schemathesis import CHECKS, SETTINGS

schema = schemathesis.openapi.from_asgi("/openapi.json", labs_app())
schema.config.phases.update(phases=["examples", "fuzzing"])


@schema.include(path_regex=r"^/api/v1/labs").parametrize()
@settings(SETTINGS, max_examples=40)
def test_labs_api_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(**CHECKS)
