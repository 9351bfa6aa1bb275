"""Fixtures shared by the labs' tests."""

from __future__ import annotations

import pytest

from tests.core.labs.torch_run import Case, run_cases


@pytest.fixture(scope="module")
def torch_runs(request: pytest.FixtureRequest) -> list[Case]:
    """The requesting module's `CASES` and one `random_knobs()` draw of its `LAB`, every torch_code in one
    interpreter (torch imported once); a test takes `torch_runs[i]`, the random draw last."""
    module = request.module
    return run_cases(module.LAB, [*module.CASES, module.random_knobs()])
