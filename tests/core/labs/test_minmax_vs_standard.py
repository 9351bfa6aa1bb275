"""Lab minmax-vs-standard: torch recomputes both methods and the sweep; one outlier squashes the others more
under min-max than under standardization; knobs are validated."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normlens.labs.minmax_vs_standard import LAB
from tests.core.labs.checks import assert_fast, assert_refused
from tests.core.labs.torch_run import assert_matches, run_torch, run_torch_many


def test_torch_agrees() -> None:
    """Three randomized settings and the largest one, each script in a fresh namespace of one interpreter."""
    results = [LAB.run(**LAB.resolve({"n": 500, "features": 8, "outlier": 1000.0, "seed": 5}))]
    for seed in range(3):
        g = np.random.default_rng(200 + seed)
        knobs = {"n": int(g.integers(3, 501)), "features": int(g.integers(1, 9)), "seed": seed}
        knobs["outlier"] = float(g.choice([0.1, g.uniform(0.1, 10), g.uniform(10, 1000)]))
        results.append(LAB.run(**LAB.resolve(knobs)))
    for r, got in zip(results, run_torch_many([r.torch_code for r in results]), strict=True):
        assert_matches(r.torch_expect, got, rtol=1e-10, atol=1e-12)


def test_torch_code_runs_alone() -> None:
    """The script a user copies runs by itself in a fresh interpreter."""
    r = LAB.run(**LAB.resolve({"n": 6, "features": 2, "outlier": 30.0}))
    assert_matches(r.torch_expect, run_torch(r.torch_code), rtol=1e-10, atol=1e-12)


def test_minmax_maps_onto_unit_interval() -> None:
    r = LAB.run(**LAB.resolve({"n": 40, "features": 4, "outlier": 50.0, "seed": 3}))
    mm, z = np.asarray(r.series["minmax"]), np.asarray(r.series["standard"])
    np.testing.assert_allclose(mm.min(axis=0), 0, atol=0)
    np.testing.assert_allclose(mm.max(axis=0), 1, atol=1e-15)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-12)
    assert r.numbers["outlier_minmax"] == 1.0  # the outlier is every feature's maximum
    assert r.numbers["clean_spread_standard"] == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(50, 500), features=st.integers(1, 8), outlier=st.floats(20, 1000), seed=st.integers(0, 2**31 - 1))
def test_minmax_squashes_more(n: int, features: int, outlier: float, seed: int) -> None:
    """A far outlier (D >= 20 std) shrinks the inliers' spread under both methods like 1 / D; min-max keeps
    (inlier range) / D of it, standardization about std * N / (sqrt(N - 1) * D): more from N ~ 30 on (the range of
    N normal samples grows like sqrt(log N), sqrt(N) faster). For tiny N the two are alike (test below)."""
    r = LAB.run(**LAB.resolve({"n": n, "features": features, "outlier": outlier, "seed": seed}))
    assert r.numbers["squash_minmax"] < r.numbers["squash_standard"] < 1
    assert r.numbers["advantage"] > 1
    assert r.numbers["outlier_standard"] <= np.sqrt(n - 1) + 1e-9  # |z| <= sqrt(N - 1) for any sample


@settings(max_examples=15, deadline=None)
@given(n=st.integers(3, 500), features=st.integers(1, 8), seed=st.integers(0, 2**31 - 1))
def test_sweep_is_monotone_far_out(n: int, features: int, seed: int) -> None:
    """Past about 10 std the outlier is every feature's max and the squash only grows with its distance."""
    r = LAB.run(**LAB.resolve({"n": n, "features": features, "seed": seed}))
    grid, mm, z = (np.asarray(r.series[k]) for k in ("grid", "sweep_minmax", "sweep_standard"))
    far = grid >= 10
    assert np.all(np.diff(mm[far]) < 0) and np.all(np.diff(z[far]) < 0)
    if n >= 50:
        assert np.all(mm[far] < z[far])


def test_tiny_batches_are_alike() -> None:
    """N = 4: the inliers' range is about 2 std and N / sqrt(N - 1) about 2.3, so neither method wins clearly."""
    ratios = [LAB.run(**LAB.resolve({"n": 4, "features": 1, "outlier": 500.0, "seed": s})).numbers["advantage"]
              for s in range(20)]  # fmt: skip
    assert min(ratios) < 1 < max(ratios)


def test_no_outlier_changes_little() -> None:
    """Outlier 0.1 std: sample 0 is an ordinary value; both methods keep (nearly) all of the others' spread."""
    r = LAB.run(**LAB.resolve({"n": 200, "features": 4, "outlier": 0.1, "seed": 6}))
    assert r.numbers["squash_minmax"] == pytest.approx(1.0, abs=1e-12)  # sample 0 is neither min nor max
    assert r.numbers["squash_standard"] == pytest.approx(1.0, abs=0.01)
    assert r.numbers["outlier_minmax"] < 1


def test_the_sweep_passes_through_the_setting() -> None:
    """At a grid distance the marker lies on the curve: the sweep and the table are the same computation."""
    grid = np.asarray(LAB.run(**LAB.defaults()).series["grid"])
    r = LAB.run(**LAB.resolve({"outlier": float(grid[20]), "n": 80, "seed": 2}))
    assert r.series["sweep_minmax"][20] == pytest.approx(r.numbers["squash_minmax"], rel=1e-12)
    assert r.series["sweep_standard"][20] == pytest.approx(r.numbers["squash_standard"], rel=1e-12)
    assert r.series["here"] == [float(grid[20])]


def test_series_shapes_do_not_depend_on_outlier() -> None:
    a, b = (LAB.run(**LAB.resolve({"outlier": v})) for v in (0.1, 999.0))
    for key in a.series:
        assert np.shape(a.series[key]) == np.shape(b.series[key]), key


@pytest.mark.parametrize(
    ("knob", "value"),
    [("n", 2), ("n", 501), ("features", 0), ("features", 9), ("outlier", 0.0), ("outlier", 1000.5),
     ("outlier", True), ("seed", -3), ("seed", "1"), ("bogus", 0)],
)  # fmt: skip
def test_bad_knobs(knob: str, value: object) -> None:
    assert_refused(LAB, knob, value)


def test_largest_setting_is_fast() -> None:
    assert_fast(LAB, {"n": 500, "features": 8, "outlier": 1000.0})
