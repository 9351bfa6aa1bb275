"""Summaries a trace implies without scanning its arrays, recorded with `summary.remember` before the JSON is built.

    >>> tr = normlens.trace("batch_norm", np.ones((300, 4, 64), np.float32) + np.arange(64, dtype=np.float32))
    >>> derive_summaries(tr); summary.summarize(tr.step("grouping").values)["histogram"]["sampled"]
    76800

A group-id array ("grouping" step) covers each of its K ids equally often: its summary is exact and free. A
large normalization trace with batch statistics knows each group's mean and variance, so the summaries of
input, centered, normalized (and scaled, output when gamma, beta are one value per group) follow from one min,
one max and one sum pass instead of a full summary of each array. x - mean, * r, * gamma and + beta are
monotonic within a group, so min and max come from x's per-group ones by the same float operations (exact);
the histogram counts the very values `summarize` samples (identical); mean and std combine the groups
(`summary.from_groups`), equal to a direct pass up to rounding.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from normlens.app import summary
from normlens.rows import group_sum
from normlens.trace import Trace

MIN_ROW = 8  # per-group min and max reduce rows of Q values: with shorter rows a direct summary is as fast


def derive_summaries(trace: Trace) -> None:
    """Remember every summary `trace` implies; arrays it says nothing about are summarized as usual."""
    g = trace.grouping
    if g is None:
        return
    for s in trace.steps:
        if s.id == "grouping" and s.values is not None:
            summary.remember(s.values, ids_summary(s.values.size, s.values.size // g.group_size))
    if trace.stats is None or "var" not in trace.stats or "centered" not in [s.id for s in trace.steps]:
        return  # not a centering normalization (RMSNorm, min-max, dropout)
    x = trace.step("input").values
    if trace.step("mean").variant == "running" or x is None:  # running statistics say nothing about this x
        return
    if x.size > summary.HISTOGRAM_EXACT_MAX and g.stat_view[2] >= MIN_ROW:
        _derive(trace, x)


@lru_cache(maxsize=1024)  # per (n, k): every trace of a shape and grouping has the same one (read, never changed)
def ids_summary(n: int, k: int) -> dict[str, Any]:
    """The exact summary of n group ids, each of 0 .. k-1 covering n / k of them."""
    return {
        "count": n,
        "min": 0.0,
        "max": float(k - 1),
        "mean": (k - 1) / 2,
        "std": float(np.sqrt((k * k - 1) / 12)),
        "histogram": summary.counts(np.arange(k), 0.0, float(k - 1), weight=n // k),
    }


def _derive(trace: Trace, x: np.ndarray) -> None:
    """input, centered, normalized, scaled, output: (P, K, Q) views, K groups of m = P * Q values each."""
    assert trace.grouping is not None and trace.stats is not None
    view, m = trace.grouping.stat_view, trace.grouping.group_size
    mean, var = (trace.stats[k].reshape(-1) for k in ("mean", "var"))
    centered, x_hat = trace.step("centered").values, trace.step("normalized").values
    assert centered is not None and x_hat is not None
    x3 = x.reshape(view)
    lo, hi = x3.min(axis=(0, 2)), x3.max(axis=(0, 2))  # (P, K, Q) -> (K,)
    shift = group_sum(centered.reshape(view)) / m  # each group's mean of x - mean: the rounding of mean
    m2 = np.maximum(var.astype(np.float64) * m - m * shift**2, 0)  # squared deviations from the group's mean
    _remember(x, lo, hi, mean.astype(np.float64) + shift, m2)
    lo, hi = lo - mean, hi - mean
    _remember(centered, lo, hi, shift, m2)
    r = (1 / np.sqrt(var + var.dtype.type(trace.params["eps"]))).astype(var.dtype)
    lo, hi, means, m2 = lo * r, hi * r, shift * r, m2 * r.astype(np.float64) ** 2
    _remember(x_hat, lo, hi, means, m2)
    scaled = trace.step("scaled").values if "scaled" in [s.id for s in trace.steps] else x_hat
    if scaled is not x_hat and scaled is not None:
        g = _per_group(trace, trace.parameters.get("gamma"))
        if g is None:
            return
        lo, hi = np.minimum(lo * g, hi * g), np.maximum(lo * g, hi * g)  # a negative gamma swaps them
        means, m2 = means * g, m2 * g.astype(np.float64) ** 2
        _remember(scaled, lo, hi, means, m2)
    if trace.output is not scaled:
        b = _per_group(trace, trace.parameters.get("beta"))
        if b is not None:
            _remember(trace.output, lo + b, hi + b, means + b, m2)


def _remember(a: np.ndarray, lo: np.ndarray, hi: np.ndarray, means: np.ndarray, m2: np.ndarray) -> None:
    """`a`'s summary from its per-group min, max, mean and squared deviations, and the sample `summarize` takes."""
    flat = a.reshape(-1)
    sample = flat[:: summary.sample_step(flat.size)]
    summary.remember(a, summary.from_groups(flat.size, lo.min(), hi.max(), means, m2, sample))


def _per_group(trace: Trace, v: np.ndarray | None) -> np.ndarray | None:
    """gamma or beta as one value per statistic group, (K,), when every axis it varies along is a kept axis
    (BatchNorm: the channel's; InstanceNorm: group (n, c) has channel c's); else None (LayerNorm)."""
    g = trace.grouping
    if v is None or g is None or trace.param_axes is None:
        return None
    shape = [1] * len(g.stat_shape)
    for axis, p in enumerate(trace.param_axes):
        kept = g.axis_map[axis]
        if p is not None and (kept is None or kept[1] != 1):
            return None
        if p is not None and kept is not None:
            shape[kept[0]] = v.shape[p]
    return np.broadcast_to(v.reshape(shape), g.stat_shape).reshape(-1)
