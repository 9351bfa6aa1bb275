"""Every registered lab's torch_code, run by torch 2.13 in a fresh interpreter at the lab's defaults, prints
torch_expect (the labs' own tests also run it on randomized knobs, with their dtype's tolerance)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from normlens.labs import LABS
from tests.app.lab_helpers import SLUGS
from tests.core.labs.torch_run import assert_matches, run_torch


@pytest.fixture(scope="module")
def torch_outputs() -> dict[str, tuple[dict, dict]]:
    """Every lab's script at its defaults, two at a time (each pays torch's import)."""
    results = {slug: LABS[slug].run(**LABS[slug].defaults()) for slug in SLUGS}
    with ThreadPoolExecutor(2) as pool:
        got = dict(zip(SLUGS, pool.map(lambda s: run_torch(results[s].torch_code), SLUGS), strict=True))
    return {slug: (results[slug].torch_expect, got[slug]) for slug in SLUGS}


@pytest.mark.parametrize("slug", SLUGS)
def test_torch_code_prints_torch_expect_at_defaults(torch_outputs: dict, slug: str) -> None:
    expect, got = torch_outputs[slug]
    assert expect, f"{slug}: torch_expect is empty"
    # float32 labs hold 1e-5 relative; float64 ones far better (their own tests check 1e-10)
    assert_matches(expect, got, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("slug", SLUGS)
def test_torch_code_is_self_contained(slug: str) -> None:
    code = LABS[slug].run(**LABS[slug].defaults()).torch_code
    assert "import torch" in code and "normlens" not in code
    assert code.rstrip().splitlines()[-1].startswith("print(json.dumps(")
