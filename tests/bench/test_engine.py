"""bench.engine's harness: the floors write what the traces return, and each timed pair runs under the same
conditions for both of its calls (the pair run untimed just before it, in the same order)."""

from __future__ import annotations

import numpy as np
import pytest

from bench import engine

X = np.random.default_rng(0).standard_normal(engine.SHAPE).astype(np.float32)


@pytest.mark.parametrize("case", engine.cases(X, with_torch=False), ids=lambda c: c.name)
def test_each_floor_writes_the_traces_arrays(case):
    engine.check_floor(case, X)


def test_each_timed_pair_is_run_untimed_right_before_in_the_same_order(monkeypatch):
    """Before each timed pair its two calls run untimed in the same order: each timed call then finds the other's
    leftovers and its own code run two calls before. An untimed floor run alone gave the floor's code a head start
    over every subject's (bench/README.md, session 19)."""
    calls: list[tuple[str, bool]] = []
    clock = {"timing": False}

    def record(name):
        return lambda *a, **k: calls.append((name, clock["timing"]))

    case = engine.Case("t", "layer_norm", {}, floor=record("floor"), torch=record("torch"))
    monkeypatch.setattr(engine.normlens, "trace", record("trace"))  # the api's call records as the trace's
    monkeypatch.setattr(engine, "trace_json", lambda *a: None)

    def timed(fn):
        clock["timing"] = True
        fn()
        clock["timing"] = False
        return 1.0

    monkeypatch.setattr(engine, "timed", timed)
    engine.measure(case, X, repeats=4, warmup=2)
    assert len(calls) == 3 * 6 * 4  # trace, torch and api in each of warmup + repeats rounds: a pair, twice
    for k in range(0, len(calls), 4):
        (a, ta), (b, tb), (c, tc), (d, td) = calls[k : k + 4]
        assert (a, b) == (c, d) and "floor" in (a, b) and a != b, calls[k : k + 4]
        assert (ta, tb, tc, td) == (False, False, True, True), calls[k : k + 4]
