"""Summaries of arrays for the JSON responses (normlens.app.summary), and those a trace implies without a scan
(normlens.app.derived). Moved from tests/core/test_trace.py: summaries are a presentation concern."""

from __future__ import annotations

import gc
import json
import math
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import normlens
from normlens.app import summary
from normlens.app.derived import derive_summaries
from normlens.app.responses import dumps
from normlens.app.routes.api import EXAMPLES


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.bool_])
@pytest.mark.parametrize("n", [1, 7, 1000, 5000])
def test_summary_matches_numpy(dtype, n):
    a = (np.random.default_rng(n).standard_normal(n) * 5 + 3).astype(dtype)
    s = summary.summarize(a)
    f = a.astype(np.float64)
    assert s["count"] == n and s["min"] == f.min() and s["max"] == f.max()
    np.testing.assert_allclose(s["mean"], f.mean(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(s["std"], f.std(), rtol=1e-5, atol=1e-9)
    if f.max() > f.min():
        counts, edges = np.histogram(f, bins=summary.BINS, range=(f.min(), f.max()))
        np.testing.assert_allclose(s["histogram"]["edges"], edges)
        assert np.abs(s["histogram"]["counts"] - counts).sum() <= 2  # a value on a bin edge may round either way


def test_summary_of_a_large_array_samples_the_histogram_only():
    a = np.random.default_rng(1).standard_normal(300_000).astype(np.float32) + 1e3  # mean >> std: two-pass std
    s = summary.summarize(a)
    assert s["count"] == 300_000 and s["histogram"]["sampled"] < summary.HISTOGRAM_EXACT_MAX + 1
    assert s["min"] == float(a.min()) and s["max"] == float(a.max())
    np.testing.assert_allclose(s["std"], a.astype(np.float64).std(), rtol=1e-5)
    np.testing.assert_allclose(s["mean"], a.astype(np.float64).mean(), rtol=1e-7)


def test_summary_skips_non_finite_values():
    s = summary.summarize(np.array([1.0, np.nan, 3.0, np.inf]))
    assert s["count"] == 4 and s["min"] == 1.0 and s["max"] == 3.0 and s["mean"] == 2.0
    assert summary.summarize(np.array([np.nan]))["mean"] is None
    assert summary.summarize(np.array([], np.float32))["count"] == 0
    c = summary.summarize(np.full(10, 2.5))
    assert c["std"] == 0 and c["histogram"]["counts"][summary.BINS // 2] == 10


def test_summaries_are_cached_for_frozen_arrays_only():
    a = np.arange(10.0)
    assert summary.summarize(a) is not summary.summarize(a)  # writable: recomputed every time
    a.flags.writeable = False
    first = summary.summarize(a)
    assert summary.summarize(a) is first
    frozen = np.arange(4.0)
    frozen.flags.writeable = False
    view = frozen.reshape(2, 2)  # read-only, and so is its base
    assert summary.summarize(view) is summary.summarize(view)
    base = np.arange(4.0)
    v = base.reshape(2, 2)
    v.flags.writeable = False
    assert summary.summarize(v) is not summary.summarize(v)  # its base can still change
    key = id(a)
    del a
    gc.collect()
    assert key not in summary._known


def test_remembered_summary_is_used_and_freezes_the_array():
    ids = np.zeros(5, np.int32)
    fake = {"count": 5, "min": 0.0, "max": 0.0, "mean": 0.0, "std": 0.0, "histogram": None}
    summary.remember(ids, fake)
    assert summary.summarize(ids) is fake and not ids.flags.writeable


def test_group_id_summary_is_exact():
    x = np.random.default_rng(2).standard_normal((3, 6, 2)).astype(np.float32)
    tr = normlens.trace("group_norm", x, num_groups=3)
    derive_summaries(tr)  # the app knows a group-id array's summary from the grouping, without a scan
    ids = tr.step("grouping").values
    s = summary.summarize(ids)
    f = ids.astype(np.float64)
    assert (s["min"], s["max"], s["count"]) == (0.0, 8.0, 36)
    np.testing.assert_allclose([s["mean"], s["std"]], [f.mean(), f.std()], rtol=1e-12)
    counts, _ = np.histogram(f, bins=summary.BINS, range=(0, 8))
    assert s["histogram"]["counts"].tolist() == counts.tolist()


@pytest.mark.parametrize(
    ("layer", "params"),
    [
        ("batch_norm", {}),
        ("batch_norm", {"gamma": [-2.0, 0.5, 0.0, 1.5], "beta": [1.0, 0.0, -3.0, 2.0]}),
        ("layer_norm", {"normalized_shape": [4, 64, 64]}),
        ("group_norm", {"num_groups": 2}),
        ("instance_norm", {"affine": True, "gamma": [-1.0, 2.0, 3.0, 0.5], "beta": [0.0, 1.0, 2.0, 3.0]}),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_derived_summaries_equal_direct_ones(layer, params, dtype):
    """Large traces derive their summaries from the statistics; they must match a direct pass over each
    array."""
    x = (np.random.default_rng(4).standard_normal((8, 4, 64, 64)) * 3 + 100).astype(dtype)
    x[:, 1, :3] = 7.25  # a constant stripe, and a large mean: the std is two-pass in a direct summary
    tr = normlens.trace(layer, x, **params)
    derive_summaries(tr)  # what trace_json does first
    assert x.size > summary.HISTOGRAM_EXACT_MAX
    derived = 0
    for s in tr.steps:
        if s.values.size < summary.HISTOGRAM_EXACT_MAX:
            continue
        derived += id(s.values) in summary._known  # remembered by the trace, before anyone summarized it
        got, want = summary.summarize(s.values), summary._summarize(s.values)
        assert (got["count"], got["min"], got["max"]) == (want["count"], want["min"], want["max"]), s.id
        np.testing.assert_allclose(got["mean"], want["mean"], rtol=1e-6, atol=1e-6 * want["std"], err_msg=s.id)
        np.testing.assert_allclose(got["std"], want["std"], rtol=1e-5, err_msg=s.id)
        np.testing.assert_array_equal(got["histogram"]["edges"], want["histogram"]["edges"])
        if s.id != "grouping":  # group ids: every value counted (exact), not a sample
            np.testing.assert_array_equal(got["histogram"]["counts"], want["histogram"]["counts"], err_msg=s.id)
        else:
            assert got["histogram"]["sampled"] == x.size
    assert derived >= (6 if params else 4)  # input, grouping, centered, normalized (+ scaled, output)


def test_summaries_are_derived_only_where_the_statistics_describe_a_large_x():
    """Running statistics say nothing about this x, and a small x is summarized exactly anyway: no derivation
    (the group ids are still known)."""
    x = (np.random.default_rng(5).standard_normal((8, 4, 64, 64)) + 3).astype(np.float32)
    for tr in (normlens.trace("batch_norm", x, training=False), normlens.trace("batch_norm", x[:1, :, :4, :4])):
        derive_summaries(tr)
        assert id(tr.step("grouping").values) in summary._known
        assert not {id(tr.step(k).values) for k in ("input", "centered", "normalized")} & summary._known.keys()
    tr = normlens.trace("rms_norm", x, normalized_shape=[64, 64])  # no centering: nothing derived but the ids
    derive_summaries(tr)
    assert id(tr.step("input").values) not in summary._known


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_summary_of_huge_values_does_not_overflow(dtype):
    big = np.finfo(dtype).max / 2
    a = np.array([big, -big, big / 2, 0.0] * 300, dtype=dtype)
    s = summary.summarize(a)  # warnings are errors here: no overflow warning may escape
    f = a.astype(np.float64) / big
    np.testing.assert_allclose([s["mean"] / big, s["std"] / big], [f.mean(), f.std()], rtol=1e-5)


def assert_same_summary(small, big):
    assert small["count"] == big["count"] and small["min"] == big["min"] and small["max"] == big["max"]
    if big["histogram"] is None:
        assert small == big
        return
    assert list(small["histogram"]["counts"]) == list(big["histogram"]["counts"])
    assert list(small["histogram"]["edges"]) == list(big["histogram"]["edges"])
    assert small["histogram"]["sampled"] == big["histogram"]["sampled"]
    np.testing.assert_allclose([small["mean"], small["std"]], [big["mean"], big["std"]], rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 16, summary.SMALL])
def test_small_summary_path_equals_the_numpy_path(dtype, n):
    rng = np.random.default_rng(n)
    arrays = [(rng.standard_normal(n) * 3).astype(dtype), np.full(n, 2.5, dtype), rng.integers(-3, 3, n).astype(dtype)]
    for a, small in zip(arrays, summary._summarize_small(arrays), strict=True):
        assert_same_summary(small, summary._summarize(a))


def test_small_arrays_summarized_together_each_get_their_own_summary():
    """One batch mixing sizes, dtypes, constant arrays, non-finite values and overflowing moments: every summary
    equals the NumPy path's for that array alone (the odd ones are redone by it)."""
    rng, big = np.random.default_rng(7), np.finfo(np.float64).max / 2
    arrays = [
        rng.standard_normal(5).astype(np.float32),
        np.array([3.0]),
        np.arange(12, dtype=np.int32) // 3,
        np.array([True, False, True]),
        np.array([1.0, np.nan, 3.0, np.inf]),
        np.full(7, -0.75, np.float32),
        np.array([big, -big, big / 2, 0.0]),
        np.array([np.nan, np.nan]),
        rng.standard_normal(summary.SMALL) * 1e-30 + 1e6,
        np.array([-np.inf, 1.0]),
    ]
    with np.errstate(all="raise", under="ignore"):  # no warning may escape the batch
        got = summary._summarize_small(arrays)
    for a, s in zip(arrays, got, strict=True):
        assert_same_summary(s, summary._summarize(a))


SMALL_ARRAYS = st.lists(
    st.sampled_from([np.float32, np.float64, np.int32]).flatmap(
        lambda dtype: hnp.arrays(dtype, st.integers(1, summary.SMALL), elements=hnp.from_dtype(np.dtype(dtype)))
    ),
    min_size=1,
    max_size=20,
)


def exact_moments(a: np.ndarray) -> tuple[float, float] | None:
    """(mean, population std) of a's values in exact rational arithmetic, rounded once; None when they (or the
    range) hold a non-finite value or leave float64 (the batch leaves those to the NumPy path)."""
    values = a.astype(np.float64)
    if not np.isfinite(values).all() or not math.isfinite(float(values.max()) - float(values.min())):
        return None
    exact = [Fraction(v) for v in values.tolist()]
    mean = sum(exact, Fraction(0)) / len(exact)
    var, width = sum(((v - mean) ** 2 for v in exact), Fraction(0)) / len(exact), max(exact) - min(exact)
    if width == 0:
        return float(mean), 0.0
    return float(mean), float(width) * math.sqrt(float(var / width**2))  # var itself may underflow a float


@settings(max_examples=300, deadline=None)
@given(SMALL_ARRAYS)
def test_any_batch_of_small_arrays_summarizes_as_each_alone(arrays):
    """Any values NumPy's dtypes hold (subnormals, extremes, inf, NaN, -0.0, constant arrays far from zero): the
    bins, edges, min and max equal the NumPy path's; mean and std agree with exact arithmetic to 1e-12 of the
    values' magnitude and 1e-9 of the std (a constant array's std is exactly 0)."""
    with np.errstate(all="raise", under="ignore"):  # NumPy's default ignores underflow
        got = summary._summarize_small(arrays)
    for a, s in zip(arrays, got, strict=True):
        big, exact = summary._summarize(a), exact_moments(a)
        if exact is None or math.isinf(summary.BINS / (s["max"] - s["min"] or 1.0)):  # redone by the NumPy path
            assert_same_summary(s, big)
            continue
        assert_same_summary({**s, "mean": big["mean"], "std": big["std"]}, big)
        mean, std = exact
        scale = max(abs(s["min"]), abs(s["max"]))
        assert abs(s["mean"] - mean) <= 1e-12 * scale, (s["mean"], mean)
        assert abs(s["std"] - std) <= 1e-9 * std + 1e-12 * (s["max"] - s["min"]), (s["std"], std)


def test_summarize_all_summarizes_a_shared_array_once_and_remembers_frozen_ones():
    a = np.linspace(-1.0, 1.0, 9).copy()  # owns its memory
    a.flags.writeable = False
    b = np.ones(70_000, np.float32)  # beyond SMALL: the NumPy path
    out = summary.summarize_all([a, None, b, a])
    assert out[1] is None and out[0] is out[3] and out[2]["count"] == 70_000
    assert summary.summarize(a) is out[0]  # remembered: a is frozen
    w = np.linspace(-1.0, 1.0, 9)
    assert summary.summarize_all([w])[0] is not summary.summarize_all([w])[0]  # writable: recomputed


@pytest.mark.parametrize("n", [4, 1000])
def test_summary_of_a_range_wider_than_float64_bins_every_value(n):
    a = np.resize(np.array([1e308, -1e308, 0.0, 5e307]), n)
    s = summary.summarize(a)
    edges = np.asarray(s["histogram"]["edges"], dtype=np.float64)
    assert s["min"] == -1e308 and s["max"] == 1e308 and np.isfinite(s["std"]) and np.isfinite(edges).all()
    assert edges[0] == -1e308 and edges[-1] == 1e308 and (np.diff(edges) > 0).all()
    assert sum(s["histogram"]["counts"]) == n and s["histogram"]["counts"][BIN_OF_ZERO] >= n // 4


@pytest.mark.parametrize("n", [3, 70_000])
@pytest.mark.parametrize("tiny", [5e-324, 1e-310, 1e-300])
def test_a_subnormal_range_is_binned(n, tiny):
    """BINS / range overflows below about 1e-307: the values are divided by the range instead (both paths)."""
    a = np.resize(np.array([0.0, tiny, tiny]), n)  # beyond HISTOGRAM_EXACT_MAX every 2nd value is counted
    s = summary.summarize(a)
    counts = list(s["histogram"]["counts"])
    assert s["min"] == 0.0 and s["max"] == tiny and sum(counts) == s["histogram"]["sampled"]
    assert counts[0] > 0 and counts[-1] > 0 and counts[0] + counts[-1] == sum(counts)


@pytest.mark.parametrize(("dtype", "magnitude"), [(np.float64, 1e-160), (np.float32, 1e-20), (np.float64, 1e-310)])
def test_tiny_values_keep_their_std(dtype, magnitude):
    """Squares of values this small are subnormal or zero in their dtype: the moments are taken on the values
    scaled by a power of two (the NumPy path; the batch path works in units of the range)."""
    a = (np.random.default_rng(3).standard_normal(5000) * magnitude).astype(dtype)  # float32 blocks: float32 sums
    s, f = summary.summarize(a), a.astype(np.float64) / magnitude
    np.testing.assert_allclose([s["mean"], s["std"]], [f.mean() * magnitude, f.std() * magnitude], rtol=1e-5)


BIN_OF_ZERO = summary.BINS // 2


# --- the page's summaries (static/js/summary.js) of the arrays the service sends whole ----------------------------

SUMMARY_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "summary.js"
READ_AND_SUMMARIZE = f"""
import {{ summarize }} from {json.dumps(SUMMARY_JS.as_uri())};
let text = "";
process.stdin.on("data", (d) => (text += d));
process.stdin.on("end", () => console.log(JSON.stringify(JSON.parse(text).map(([v, d]) => summarize(v, d)))));
"""


def page_summaries(cases: list[tuple[Any, str]]) -> list[dict[str, Any]]:
    """summarize(values, dtype) of static/js/summary.js on each case, run by Node; the values serialized as the
    API serializes them (float32 in its shortest form)."""
    done = subprocess.run(
        ["node", "--input-type=module", "-e", READ_AND_SUMMARIZE],
        input=dumps(cases),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def assert_page_matches(page: dict[str, Any], server: dict[str, Any], dtype: str) -> None:
    """Identical count, min, max and histogram; mean and std equal to rounding: the page sums in float64, the
    service sums the blocks of a float32 array of more than 64 values in float32 (`block_sums`)."""
    assert {k: page[k] for k in ("count", "min", "max")} == {k: server[k] for k in ("count", "min", "max")}
    assert page["histogram"] == {k: list(v) if k != "sampled" else v for k, v in server["histogram"].items()}
    scale, std = max(abs(server["min"]), abs(server["max"])), server["std"]
    tol = (1e-13 * scale, 1e-13 * scale) if dtype == "float64" else (2**-20 * scale, 2**-20 * (std + scale))
    assert abs(page["mean"] - server["mean"]) <= tol[0], (page["mean"], server["mean"])
    assert abs(page["std"] - std) <= tol[1], (page["std"], std)


def _arrays() -> list[np.ndarray]:
    """Arrays of 1-4096 values the way traces hold them, and the cases that are hard to bin."""
    rng = np.random.default_rng(7)
    out: list[np.ndarray] = []
    for n in (1, 2, 3, 16, 63, 64, 65, 500, 4096):
        for dtype in (np.float32, np.float64):
            out.append((rng.standard_normal(n) * 3 + 1).astype(dtype))
            out.append((rng.standard_normal(n) + 1e4).astype(dtype))  # far from zero: x - min is what counts
            out.append(rng.integers(-3, 4, n).astype(dtype))  # many values on bin edges
            out.append(np.full(n, 0.1, dtype))  # constant
    tiny, huge = [0.0, 5e-324, 5e-324, 0.0], [-1.7e308, 1.7e308, 0.0, 5e307]
    out += [np.array(tiny), np.array(huge), np.array([1e-310, -3e-310, 2e-310]), np.arange(64, dtype=np.int32)]
    out += [np.array([True, False, True]), np.array([1.5e14] * 5), np.array([1e-45, 0.0], np.float32)]
    return out


def test_the_page_summarizes_an_array_as_the_service_does():
    arrays = _arrays()
    dtypes = ["float32" if a.dtype == np.float32 else "float64" for a in arrays]
    cases = list(zip(arrays, dtypes, strict=True))
    for (a, dtype), page in zip(cases, page_summaries(cases), strict=True):
        assert_page_matches(page, summary.summarize(a), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_page_summarizes_every_step_of_every_layer_as_the_service_would(client, dtype):
    """Each layer's example (and a random tensor), sent whole ("full": no summaries) and summarized ("summary":
    no values): the page's summaries of the whole arrays equal the service's."""
    bodies = [{**example["value"], "dtype": dtype} for example in EXAMPLES.values()]
    bodies += [{**b, "input": {"random": {"shape": SHAPES[b["layer"]], "seed": 3}}} for b in bodies]
    cases, summaries = [], []
    for body in bodies:
        whole, summarized = (client.post("/api/v1/trace", json={**body, "detail": d}) for d in ("full", "summary"))
        assert whole.status_code == summarized.status_code == 200, (whole.text, summarized.text)
        for w, s in zip(whole.json()["steps"], summarized.json()["steps"], strict=True):
            assert w["summary"] is None and s["values"] is None
            cases.append((w["values"], dtype))
            summaries.append(s["summary"])
    for page, server in zip(page_summaries(cases), summaries, strict=True):
        assert_page_matches(page, server, dtype)


# a random tensor per layer that its example's arguments take (gamma's size, normalized_shape, groups)
SHAPES = {
    "batch_norm": [4, 2, 5, 3],
    "layer_norm": [6, 5, 4],
    "group_norm": [3, 4, 5, 2],
    "instance_norm": [2, 3, 7],
    "rms_norm": [9, 4],
    "dropout": [6, 10],
    "min_max": [7, 3],
}
