"""Run a lab's `torch_code` the way a user would: a fresh interpreter, torch imported by the script itself; the
last line of its output is one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np

from normlens.labs.base import LabResult, LabSpec

# one case of a lab: its knobs, its result and what its torch_code printed (stdout kept under "__stdout__")
Case = tuple[dict[str, object], LabResult, dict[str, Any]]


def run_torch(code: str, timeout: float = 120) -> dict[str, Any]:
    # the script on stdin, not as an argument: a lab's literals can pass the 128 KB limit of one argv string
    done = subprocess.run(
        [sys.executable, "-"], input=code, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"torch_code failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def assert_matches(expect: dict[str, Any], got: dict[str, Any], rtol: float, atol: float = 0.0) -> None:
    """Same keys; every number (nested lists too) within rtol (relative) or atol."""
    assert sorted(expect) == sorted(got), (sorted(expect), sorted(got))
    for key, want in expect.items():
        a, b = np.asarray(want, dtype=np.float64), np.asarray(got[key], dtype=np.float64)
        assert a.shape == b.shape, (key, a.shape, b.shape)
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, err_msg=key)


DRIVER = """
import contextlib, io, json, sys
out = []
for code in json.load(sys.stdin):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, "<torch_code>", "exec"), {"__name__": "__main__"})
    out.append(json.loads(buf.getvalue().strip().splitlines()[-1]) | {"__stdout__": buf.getvalue()})
print(json.dumps(out))
"""


def run_torch_many(codes: list[str], timeout: float = 600, keep_stdout: bool = False) -> list[dict[str, Any]]:
    """Several scripts in one fresh interpreter (torch imported once: on two shared cores an import takes
    5-15 s), each in its own namespace; with `keep_stdout` each script's whole output is under "__stdout__"."""
    done = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps(codes),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"torch_code failed:\n{done.stderr[-3000:]}"
    found: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return found if keep_stdout else [without_stdout(g) for g in found]


def without_stdout(got: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in got.items() if k != "__stdout__"}


def run_cases(lab: LabSpec, knobs: list[dict[str, object]]) -> list[Case]:
    """Each knob set's result, and its torch_code run in one interpreter (torch imported once)."""
    results = [lab.run(**lab.resolve(k)) for k in knobs]
    return list(zip(knobs, results, run_torch_many([r.torch_code for r in results], keep_stdout=True), strict=True))


def assert_case_matches(case: Case, rtol: float, atol: float = 0.0) -> None:
    """assert_matches on a case's torch_expect and the numbers its script printed; its knobs in the message."""
    knobs, r, got = case
    try:
        assert_matches(r.torch_expect, without_stdout(got), rtol=rtol, atol=atol)
    except AssertionError as e:
        raise AssertionError(f"knobs {knobs}: {e}") from None
