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
between steps when a step changes nothing, e.g. gamma = 1).
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import Any

import numpy as np

BINS = 32
HISTOGRAM_EXACT_MAX = 65_536
SMALL = 64  # up to this many values, plain Python beats NumPy's per-call overhead (a 16-value summary: 8 vs 60 us)
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
    entry = _known.get(id(a))
    if entry is not None and entry[0]() is a:
        return entry[1]
    s = _summarize(a)
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
    if 0 < n <= SMALL:
        return _summarize_small(flat.tolist(), n)
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
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = _moments(flat)
        if not (np.isfinite(mean) and np.isfinite(std)):  # squares beyond the dtype's range: rescale first
            scale = max(abs(float(lo)), abs(float(hi)))
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


def _summarize_small(values: list[float], n: int) -> dict[str, Any]:
    """The same summary for a few values, in Python floats: fsum sums exactly, the bins use the same float64
    arithmetic as `counts`, so the histogram is identical."""
    finite = values if all(map(math.isfinite, values)) else [v for v in values if math.isfinite(v)]
    if not finite:
        return {"count": n, "min": None, "max": None, "mean": None, "std": None, "histogram": None}
    lo, hi, k = float(min(finite)), float(max(finite)), len(finite)
    try:
        mean, std = _moments_small(finite)
    except OverflowError:  # sums beyond float64's range: the moments of the values scaled into range
        scale = max(abs(lo), abs(hi))
        mean, std = _moments_small([v / scale for v in finite])
        mean, std = mean * scale, std * scale
    c = [0] * (BINS + 1)  # one spare slot: the maximum itself lands at index BINS and joins the last bin
    if hi > lo:
        h = 0.5 if math.isinf(hi - lo) else 1.0  # a range beyond float64's: bin the halves, exactly as counts()
        scale = BINS / (hi * h - lo * h)
        for v in finite:
            c[int((v * h - lo * h) * scale)] += 1
        c[BINS - 1] += c.pop()
        edge_lo, edge_hi = lo, hi
    else:
        c.pop()
        c[BINS // 2] = k
        edge_lo, edge_hi = lo - 0.5, hi + 0.5
    if math.isinf(edge_hi - edge_lo):
        edges = [edge_lo * (1 - i / BINS) + edge_hi * (i / BINS) for i in range(BINS + 1)]  # cannot overflow
    else:
        step = (edge_hi - edge_lo) / BINS
        edges = [edge_lo + i * step for i in range(BINS)] + [edge_hi]  # as np.linspace computes them
    return {
        "count": n,
        "min": lo,
        "max": hi,
        "mean": mean,
        "std": std,
        "histogram": {"edges": edges, "counts": c, "sampled": k},
    }


def _moments_small(values: list[float]) -> tuple[float, float]:
    """(mean, population std) by exact summation; OverflowError when a sum leaves float64's range."""
    k = len(values)
    mean = math.fsum(values) / k
    var = math.fsum([(v - mean) * (v - mean) for v in values]) / k
    if math.isinf(var):
        raise OverflowError("squares beyond float64's range")
    return mean, math.sqrt(var)


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
        w *= BINS / (hi * h - lo * h)
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
