"""Compact summaries of arrays, so callers can show big tensors without shipping every value.

    >>> s = summarize(np.arange(8, dtype=np.float32))
    >>> s["min"], s["max"], s["mean"], len(s["histogram"]["counts"])
    (0.0, 7.0, 3.5, 32)

min, max, mean and std use every value (std is the population one). Sums are taken over blocks of `BLOCK`
values in the array's dtype and the block sums are added in float64; std comes from the sums of values and of
squares when the mean is small next to the spread (no cancellation to fear), otherwise from a second pass over
x - mean. The 32-bin histogram over [min, max] counts every value up to `HISTOGRAM_EXACT_MAX` elements; beyond
that it counts a systematic sample (every k-th element in memory order) so that summaries never dominate the
cost of a trace. `histogram.sampled` says how many values were counted.

Summaries known without a scan (a trace's group ids, a large normalization's arrays: `normlens.app.derived`) are
`remember`ed; read-only arrays are summarized once however many steps show them (the engine shares one array
between steps when a step changes nothing, e.g. gamma = 1). `summarize_all` does a trace's small arrays in one
pass of NumPy calls over all of them.
"""

from __future__ import annotations

import math
import threading
import weakref
from itertools import accumulate
from typing import Any

import numpy as np

BINS = 32
HISTOGRAM_EXACT_MAX = 65_536
SMALL = 64  # arrays up to this many values are summarized together (`summarize_all`): NumPy's per-call overhead
# would otherwise dominate (a trace of 16 values has 18 arrays to summarize)
BLOCK = 1024
# one-pass variance only when mean^2 <= ONE_PASS_RATIO * variance: the float rounding of the sums is then
# amplified at most (1 + ONE_PASS_RATIO) times, a few 1e-7 relative for float32
ONE_PASS_RATIO = 16.0

# id(array) -> (weak reference to the array, its summary); entries vanish with their arrays
_known: dict[int, tuple[weakref.ref[np.ndarray], dict[str, Any]]] = {}


def remember(a: np.ndarray, summary: dict[str, Any]) -> None:
    """Record `summary` as the summary of `a`, which is made read-only so the record cannot go stale."""
    a.flags.writeable = False
    key = id(a)

    def forget(ref: weakref.ref[np.ndarray], key: int = key) -> None:
        entry = _known.get(key)
        if entry is not None and entry[0] is ref:
            del _known[key]

    _known[key] = (weakref.ref(a, forget), summary)


def summarize(a: np.ndarray) -> dict[str, Any]:
    (s,) = summarize_all([a])
    assert s is not None  # only None has no summary
    return s


def summarize_all(arrays: list[np.ndarray | None]) -> list[dict[str, Any] | None]:
    """The summary of each array (None for None): the small ones together, in one pass of NumPy calls."""
    out: list[dict[str, Any] | None] = [None] * len(arrays)
    small: dict[int, tuple[np.ndarray, list[int]]] = {}  # id -> the array and where it is (steps share arrays)
    for i, a in enumerate(arrays):
        if a is None:
            continue
        entry = _known.get(id(a))
        if entry is not None and entry[0]() is a:
            out[i] = entry[1]
        elif 0 < a.size <= SMALL:
            small.setdefault(id(a), (a, []))[1].append(i)
        else:
            out[i] = _keep(a, _summarize(a))
    for (a, where), s in zip(small.values(), _summarize_small([np.ravel(a) for a, _ in small.values()]), strict=True):
        for i in where:
            out[i] = s
        _keep(a, s)
    return out


def _keep(a: np.ndarray, s: dict[str, Any]) -> dict[str, Any]:
    if isinstance(a, np.ndarray) and _frozen(a):
        remember(a, s)  # nothing can change it any more
    return s


def _frozen(a: np.ndarray) -> bool:
    """True when neither `a` nor any array it is a view of can be written to."""
    while isinstance(a, np.ndarray):
        if a.flags.writeable:
            return False
        if a.base is None:
            return True
        a = a.base
    return False  # memory owned by some other object (a buffer): cannot tell


def _summarize(a: np.ndarray) -> dict[str, Any]:
    flat = np.ravel(a)  # a view for contiguous arrays
    n = flat.size
    if n == 0:
        return {"count": 0, "min": None, "max": None, "mean": None, "std": None, "histogram": None}
    if flat.dtype.kind in "biu":
        flat = flat.astype(np.float64)
    lo, hi = flat.min(), flat.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):  # inf/nan propagate into min or max
        flat = flat[np.isfinite(flat)]
        if flat.size == 0:
            return {"count": n, "min": None, "max": None, "mean": None, "std": None, "histogram": None}
        lo, hi = flat.min(), flat.max()
    magnitude = max(abs(float(lo)), abs(float(hi)))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        mean, std = _moments(flat)
        # squares beyond the dtype's range, or below its normal numbers (digits lost): moments of the values
        # divided by a power of two near their magnitude (exact), times it
        if not (np.isfinite(mean) and np.isfinite(std)) or 0 < magnitude < _squares_lose_digits(flat.dtype):
            scale = math.ldexp(1.0, math.frexp(magnitude)[1] - 1)  # <= magnitude: the scaled values lie in (-2, 2)
            mean, std = _moments(flat / flat.dtype.type(scale))
            mean, std = mean * scale, std * scale
    return {
        "count": n,
        "min": float(lo),
        "max": float(hi),
        "mean": mean,
        "std": std,
        "histogram": histogram(flat, float(lo), float(hi)),
    }


def _squares_lose_digits(dtype: np.dtype) -> float:
    """Below this magnitude the squares of a dtype's values fall short of its normal numbers by less than 2^40."""
    return math.sqrt(float(np.finfo(dtype).tiny)) * 2.0**20


def _summarize_small(flats: list[np.ndarray]) -> list[dict[str, Any]]:
    """The summaries of a few small 1-D arrays, each as `_summarize` makes it, computed together: for 64
    values a NumPy call costs more than its arithmetic, so each step below is one call for all the arrays. The
    bins and edges use the same float64 operations as `counts` (identical histograms); the moments are those of
    x - min (exact differences where the values are close) in units of the range, summed in float64, std in two
    passes. An array with a non-finite value, whose moments or range leave float64, or whose range is so narrow
    that BINS / range overflows goes through `_summarize`, which handles those."""
    if not flats:
        return []
    k, n = len(flats), [f.size for f in flats]
    sizes, starts = np.array(n), np.array([0, *accumulate(n[:-1])])
    v = np.concatenate(flats, dtype=np.float64)
    which = np.repeat(np.arange(k), sizes)
    with np.errstate(all="ignore"):  # the arrays that overflow or hold NaN are redone by `_summarize`
        lo, hi = np.minimum.reduceat(v, starts), np.maximum.reduceat(v, starts)
        spread = hi > lo
        width = np.where(spread, hi - lo, 1.0)
        w = v - lo[which]  # exact for values within a factor 2 of lo (Sterbenz): a large mean costs no digits
        shift = np.add.reduceat(w, starts) / sizes
        u = (w - shift[which]) / width[which]  # deviations in units of the range, whatever the values' magnitude:
        # no square overflows, and the largest is at least 1/4, so those that underflow do not count
        mean, std = lo + shift, width * np.sqrt(np.add.reduceat(u * u, starts) / sizes)  # constant: lo, 0 exactly
        scale = BINS / width
        # NaN and inf values propagate into the range or the moments; a subnormal range overflows the scale
        ok = np.isfinite(std) & np.isfinite(hi - lo) & np.isfinite(scale)
        idx = (w * scale[which]).astype(np.intp)  # truncation = floor, since w >= 0
        np.minimum(idx, BINS - 1, out=idx)  # hi itself goes in the last bin
        idx[~(spread & ok)[which]] = BINS // 2  # a constant array: all in the middle bin (the others are redone)
        counts = np.bincount(idx + BINS * which, minlength=BINS * k).reshape(k, BINS)
        half = np.where(spread, 0.0, 0.5)  # a constant array's range is one wide, around its value
        edge_lo, edge_hi = lo - half, hi + half
        edges = np.empty((k, BINS + 1))
        np.multiply(_BIN_INDEX, ((edge_hi - edge_lo) / BINS)[:, None], out=edges[:, :BINS])
        edges[:, :BINS] += edge_lo[:, None]  # edge_lo + i * step, as np.linspace computes them
        edges[:, BINS] = edge_hi
    rows = zip(n, lo.tolist(), hi.tolist(), mean.tolist(), std.tolist(), edges.tolist(), counts.tolist(), strict=True)
    return [
        {"count": c, "min": a, "max": b, "mean": m, "std": s, "histogram": {"edges": e, "counts": h, "sampled": c}}
        if good
        else _summarize(f)
        for f, good, (c, a, b, m, s, e, h) in zip(flats, ok.tolist(), rows, strict=True)
    ]


_BIN_INDEX = np.arange(BINS, dtype=np.float64)


def _moments(flat: np.ndarray) -> tuple[float, float]:
    """(mean, population std) of a finite 1-D array."""
    total, squares = block_sums(flat)
    mean = total / flat.size
    var = squares / flat.size - mean * mean
    if not (var > 0 and mean * mean <= ONE_PASS_RATIO * var):
        d = flat - flat.dtype.type(mean)
        var = float(np.dot(d, d)) / flat.size
    return float(mean), float(np.sqrt(max(var, 0.0)))


def block_sums(flat: np.ndarray) -> tuple[float, float]:
    """(sum of values, sum of squares) of a 1-D float array: BLAS dots per block, blocks added in float64."""
    k = flat.size // BLOCK
    head, tail = flat[: k * BLOCK].reshape(k, BLOCK), flat[k * BLOCK :].astype(np.float64)
    total = float(np.vecdot(head, _ones(flat.dtype)).sum(dtype=np.float64)) + float(tail.sum())
    squares = float(np.vecdot(head, head).sum(dtype=np.float64)) + float(np.dot(tail, tail))
    return total, squares


_ONES = {np.dtype(t): np.ones(BLOCK, dtype=t) for t in (np.float32, np.float64)}


def _ones(dtype: np.dtype) -> np.ndarray:
    return _ONES[dtype] if dtype in _ONES else np.ones(BLOCK, dtype=dtype)


def sample_step(n: int) -> int:
    """Every k-th element is counted in the histogram of an array of n values."""
    return max(1, -(-n // HISTOGRAM_EXACT_MAX))


def histogram(flat: np.ndarray, lo: float, hi: float) -> dict[str, Any]:
    """32 equal bins over [lo, hi]; the last bin is closed, as in np.histogram."""
    return counts(flat[:: sample_step(flat.size)], lo, hi)


def counts(sample: np.ndarray, lo: float, hi: float, weight: int = 1) -> dict[str, Any]:
    """The histogram of `sample` (each value standing for `weight` values) over [lo, hi]."""
    if hi > lo:
        w, idx = _scratch(sample.size)
        h = 0.5 if math.isinf(hi - lo) else 1.0  # a range beyond float64's: bin the halves (exact scaling)
        np.multiply(sample, h, out=w.reshape(sample.shape), dtype=np.float64)
        w -= lo * h
        if math.isinf(scale := BINS / (span := hi * h - lo * h)):  # a subnormal range: BINS / range overflows
            w /= span
            w *= BINS
        else:
            w *= scale
        np.copyto(idx, w, casting="unsafe")  # truncation = floor, since w >= 0
        np.minimum(idx, BINS - 1, out=idx)  # hi itself goes in the last bin
        c = np.bincount(idx, minlength=BINS)
    else:  # a constant array: everything in the middle bin of a unit-wide range
        c = np.zeros(BINS, dtype=np.int64)
        c[BINS // 2] = sample.size
        lo, hi = lo - 0.5, hi + 0.5
    if math.isinf(hi - lo):
        t = np.arange(BINS + 1) / BINS
        edges = lo * (1 - t) + hi * t  # cannot overflow
    else:
        edges = np.linspace(lo, hi, BINS + 1)
    return {"edges": edges, "counts": c * weight if weight != 1 else c, "sampled": int(sample.size) * weight}


_local = threading.local()


def _scratch(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-thread float64 and intp work arrays of n values, reused: allocating fresh ones each time costs more
    than the arithmetic (large blocks come from mmap, and each new page faults)."""
    if n > 4 * HISTOGRAM_EXACT_MAX:
        return np.empty(n), np.empty(n, dtype=np.intp)
    bufs = getattr(_local, "bufs", None)
    if bufs is None or bufs[0].size < n:
        bufs = _local.bufs = (np.empty(n), np.empty(n, dtype=np.intp))
    return bufs[0][:n], bufs[1][:n]


def from_groups(
    count: int, lo: float, hi: float, means: np.ndarray, m2: np.ndarray, sample: np.ndarray
) -> dict[str, Any]:
    """The summary of an array made of equal-size groups, from what is known about its groups.

    `lo`, `hi` are the array's exact min and max, `means` and `m2` each group's mean and sum of squared
    deviations from it (float64), `sample` the array's systematic sample (`flat[::sample_step(count)]`, the
    very values `summarize` would count). mean and std combine the groups (Chan et al.: total M2 = sum of M2 +
    m (mean_g - mean)^2), so they agree with `summarize` up to rounding, and the histogram is identical."""
    means = np.asarray(means, dtype=np.float64).reshape(-1)
    m = count // means.size
    mean = float(means.mean())
    m2_total = float(np.asarray(m2, dtype=np.float64).sum() + m * np.dot(means - mean, means - mean))
    return {
        "count": count,
        "min": float(lo),
        "max": float(hi),
        "mean": mean,
        "std": float(np.sqrt(max(m2_total, 0.0) / count)),
        "histogram": counts(sample, float(lo), float(hi)),
    }
