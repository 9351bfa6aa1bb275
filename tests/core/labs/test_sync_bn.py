"""Lab sync-bn: torch_code recomputes torch_expect (plain BatchNorm1d per device, SyncBatchNorm's merge); SyncBN
equals BatchNorm on the whole batch; with one device it is plain BatchNorm exactly; knobs are validated."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import normlens
from normlens.labs.base import LabResult
from normlens.labs.sync_bn import LAB, diff_curve, merge, split_sizes
from tests.core.labs.checks import assert_refused
from tests.core.labs.torch_run import Case, assert_case_matches, assert_matches, run_torch


def run(**knobs: object) -> LabResult:
    return LAB.run(**LAB.resolve(knobs))


def test_torch_code_recomputes_torch_expect_at_defaults() -> None:
    """The script as a user runs it: a fresh interpreter. Float64; differences that are 0 in exact arithmetic are
    compared absolutely."""
    r = run()
    got = run_torch(r.torch_code)
    assert_matches(r.torch_expect, got, rtol=1e-10, atol=1e-12)


CASES = [
    {"devices": 3, "batch": 17, "features": 2, "uneven": True, "seed": 5},
    {"devices": 1, "batch": 16, "features": 1, "uneven": False, "seed": 0},
    {"devices": 8, "batch": 16, "features": 16, "uneven": True, "seed": 2**32 - 1},  # two samples per device
]


def random_knobs() -> dict[str, object]:
    """A new draw every run, at the largest embedded batch; the knobs are in the failure's message."""
    g = np.random.default_rng()
    return {
        "devices": int(g.integers(2, 9)),
        "batch": 64,
        "features": 16,
        "uneven": bool(g.integers(2)),
        "seed": int(g.integers(0, 2**32)),
    }


# torch_runs (conftest.py): each of CASES and one random_knobs() draw, run by torch in one interpreter
@pytest.mark.parametrize("case", range(len(CASES) + 1))
def test_torch_code_recomputes_torch_expect(torch_runs: list[Case], case: int) -> None:
    assert_case_matches(torch_runs[case], rtol=1e-10, atol=1e-12)
    # the script also shows that SyncBN's math equals BatchNorm on the whole batch
    knobs, _, got = torch_runs[case]
    shown = float(got["__stdout__"].split("max difference:")[1].split()[0])
    assert shown < 1e-12, knobs


def test_sync_equals_batch_norm_on_the_whole_batch() -> None:
    r = run(devices=5, batch=40, features=6, uneven=True, seed=9)
    x = whole_batch(40, 6, 9)
    full = normlens.trace("batch_norm", x, training=True)
    np.testing.assert_allclose(r.series["mean"], full.stats["mean"], rtol=1e-14)  # type: ignore[index]
    np.testing.assert_allclose(r.series["var"], full.stats["var"], rtol=1e-13)  # type: ignore[index]
    np.testing.assert_allclose(np.reshape(r.series["y_sync_flat"], (40, 6)), full.output, rtol=1e-12, atol=1e-14)
    assert r.numbers["sync_vs_full"] < 1e-13
    assert full.running is not None
    np.testing.assert_allclose(r.torch_expect["running_var"], full.running["var"], rtol=1e-14)
    np.testing.assert_allclose(r.torch_expect["running_mean"], full.running["mean"], rtol=1e-14, atol=1e-16)


def whole_batch(batch: int, features: int, seed: int) -> np.ndarray:
    """The lab's global batch, drawn the same way."""
    g = np.random.default_rng(seed)
    mu, sd = g.uniform(-2, 2, features), g.uniform(0.5, 2, features)
    return np.asarray(mu + sd * g.standard_normal((batch, features)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_device_is_batch_norm_exactly(seed: int) -> None:
    """k = 1: the merge returns the device's own statistics bit for bit, so SyncBN is plain BN: same output,
    same running statistics, no difference at all."""
    r = run(devices=1, batch=24, features=3, seed=seed)
    assert r.numbers["out_diff_max"] == 0.0 and r.numbers["sync_vs_full"] == 0.0
    assert r.numbers["running_mean_diff"] == 0.0 and r.numbers["running_var_diff"] == 0.0
    assert r.numbers["mean_offset_rms"] == 0.0 and r.numbers["var_ratio_min"] == r.numbers["var_ratio_max"] == 1.0
    assert r.torch_expect["y_local"] == r.torch_expect["y_sync"]
    full = normlens.trace("batch_norm", whole_batch(24, 3, seed), training=True)
    assert r.torch_expect["y_sync"] == full.output.tolist()
    assert r.series["curve_diff_rms"][0] == 0.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(2, 9), min_size=1, max_size=8), st.integers(1, 5), st.integers(0, 99))
def test_merge_is_the_statistics_of_the_concatenation(counts: list[int], C: int, seed: int) -> None:
    """Count-weighted merging of per-slice (mean, biased variance) gives the whole batch's, for any split."""
    g = np.random.default_rng(seed)
    parts = [g.normal(g.uniform(-3, 3), g.uniform(0.1, 3), (n, C)) for n in counts]
    mean, var = merge(np.stack([p.mean(0) for p in parts]), np.stack([p.var(0) for p in parts]), counts)
    whole = np.concatenate(parts)
    np.testing.assert_allclose(mean, whole.mean(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, whole.var(0), rtol=1e-11)


def test_merge_of_one_slice_is_that_slice() -> None:
    m, v = np.array([[0.1, -3.3]]), np.array([[2.2, 0.7]])
    mean, var = merge(m, v, [7])
    assert mean.tolist() == m[0].tolist() and var.tolist() == v[0].tolist()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8), st.integers(16, 64), st.booleans(), st.integers(0, 2**32 - 1))
def test_split_sizes(k: int, N: int, uneven: bool, seed: int) -> None:
    sizes = split_sizes(N, k, uneven, np.random.default_rng(seed))
    assert len(sizes) == k and sum(sizes) == N and min(sizes) >= 2
    if not uneven:
        assert max(sizes) - min(sizes) <= 1


def test_uneven_splits_vary() -> None:
    g = np.random.default_rng(0)
    seen = {tuple(split_sizes(32, 4, True, g)) for _ in range(50)}
    assert len(seen) > 10  # random cut points, not one fixed pattern


def test_per_device_effective_batch() -> None:
    r = run(devices=8, batch=20, features=2, seed=1)
    assert r.series["device_batch"] == [3, 3, 3, 3, 2, 2, 2, 2]  # np.array_split's order
    assert (r.numbers["per_device_min"], r.numbers["per_device_max"]) == (2, 3)
    assert r.series["device_numbers"] == list(range(1, 9))
    assert r.numbers["global_batch"] == 20 and r.numbers["devices"] == 8


def test_local_statistics_are_each_slices_own() -> None:
    r = run(devices=4, batch=16, features=3, seed=2)
    x = whole_batch(16, 3, 2)
    for d, part in enumerate(np.split(x, 4)):
        np.testing.assert_allclose(r.torch_expect["local_mean"][d], part.mean(0), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(r.torch_expect["local_var"][d], part.var(0), rtol=1e-13)
        local = (part - part.mean(0)) / np.sqrt(part.var(0) + 1e-5)
        np.testing.assert_allclose(r.torch_expect["y_local"][4 * d : 4 * d + 4], local, rtol=1e-12, atol=1e-14)
        running_var = 0.9 + 0.1 * part.var(0) * 4 / 3  # PyTorch's update with the unbiased variance
        np.testing.assert_allclose(r.torch_expect["local_running_var"][d], running_var, rtol=1e-14)


def test_more_devices_move_outputs_further_on_average() -> None:
    """Smaller slices estimate the statistics worse: averaged over seeds the difference grows with k."""
    curves = np.array([diff_curve(whole_batch(64, 8, s), 8) for s in range(10)]).mean(axis=0)
    assert curves[0] == 0.0
    assert np.all(np.diff(curves) > 0), curves


def test_series_shapes() -> None:
    r = run(devices=3, batch=30, features=5, seed=4)
    assert len(r.series["y_local_flat"]) == len(r.series["y_sync_flat"]) == 150
    assert len(r.series["device_mean_offset"]) == len(r.series["device_var_ratio"]) == 3
    assert len(r.series["curve_devices"]) == len(r.series["curve_diff_rms"]) == 8
    assert r.series["diagonal"][0] == -r.series["diagonal"][1] < 0
    assert np.shape(r.series["local_mean"]) == (3, 5) and np.shape(r.series["mean"]) == (5,)
    assert r.notices == ()


def test_determinism() -> None:
    a, b = run(seed=3), run(seed=3)
    assert a.numbers == b.numbers and a.torch_code == b.torch_code
    assert run(seed=4).numbers != a.numbers


def test_torch_code_names_what_it_reproduces() -> None:
    code = run().torch_code
    assert "batch_norm_gather_stats_with_counts" in code and "nn.BatchNorm1d" in code and "F.batch_norm" in code
    assert code.strip().splitlines()[-1] == "print(json.dumps(out))"


@pytest.mark.parametrize(
    ("knob", "value", "code"),
    [
        ("devices", 0, "below_minimum"),
        ("devices", 9, "out_of_range"),
        ("batch", 15, "below_minimum"),
        ("batch", 129, "out_of_range"),
        ("features", 0, "below_minimum"),
        ("features", 17, "out_of_range"),
        ("uneven", 1, "not_bool"),
        ("seed", 2**32, "out_of_range"),
        ("seed", "1", "not_integer"),
        ("world_size", 2, "unknown_argument"),
    ],
)
def test_bad_knobs_name_the_knob(knob: str, value: object, code: str) -> None:
    assert assert_refused(LAB, knob, value).code == code


def test_spec() -> None:
    assert LAB.slug == "sync-bn" and LAB.seeds == ("004 d2l",)
    assert [k.name for k in LAB.knobs] == ["devices", "batch", "features", "uneven", "seed"]
    for edge in ({"devices": 8, "batch": 16}, {"devices": 8, "batch": 16, "uneven": True}, {"devices": 1}):
        run(**edge)  # every combination of bounds is valid: two samples per device at least
