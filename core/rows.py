"""Sums over the rows of a (P, K, Q) view of x, and NumPy's buffer size for passes along them: the pieces of
`grouped` that read x row by row (K statistics of P * Q values each, `trace.Grouping.stat_view`).

    >>> x3 = np.arange(12, dtype=np.float32).reshape(2, 3, 2)  # P = 2, K = 3, Q = 2
    >>> group_sum(x3), group_mean(x3, 4)
    (array([14., 22., 30.]), array([3.5, 5.5, 7.5], dtype=float32))
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from normlens import args as A

Array = npt.NDArray[Any]
PART = 4096  # values: `row_parts`


def row_bufsize(q: int) -> int:
    """`Plan.bufsize` for rows of q values: q rounded up to 16 values from 256 up to NumPy's 8192, else 0."""
    return -(-q // 16) * 16 if 256 <= q < 8192 else 0


def row_sums(a: Array, b: Array | None = None) -> Array:
    """Sum over Q of a (or a * b) in a's dtype, (P, K, Q) -> (P, K): BLAS sums each row (more exact than einsum's
    sum: a matrix-vector product of the P * K rows with ones, as fast as einsum, a long row in parts
    (`row_parts`); or a dot per row of a and b). BLAS's own split between threads changes the last bits: the
    service runs it on one thread per process (app/blas.py), as the benchmarks do.

    On a large trace each call runs after passes that leave the CPU caches cold, and each Python function it
    goes through is fetched again from memory: `np.matmul`'s way through NumPy's generalized ufuncs was a tenth
    of what a LayerNorm trace adds to its passes (session 15), and the same products through `np.dot`'s
    dispatcher, two ones vectors' helpers and a shape's product took 142 us right after a floor run where
    written inline they take 100 (session 19, bench/README.md). So the ones come from one cached call and the
    products are ndarray's own `dot`: no Python frame between the passes."""
    P, K, Q = a.shape
    if b is not None:
        return np.vecdot(a, b) if Q > 1 else a[:, :, 0] * b[:, :, 0]
    if Q == 1:
        return a[:, :, 0]  # (P, K, 1) -> (P, K)
    ones, ones_n = _ones(Q, a.dtype.char) or (A.filled((Q,), 1.0, a.dtype), None)  # the rows in parts of ones.size
    sums: Array = a.reshape(-1, ones.size).dot(ones)  # (P * K * n,)
    return sums.reshape(P, K) if ones_n is None else sums.reshape(P * K, -1).dot(ones_n).reshape(P, K)


@lru_cache(maxsize=64)  # at most 64 * 2 vectors of PART values: 4 MB in float64
def _ones(q: int, dtype: str) -> tuple[Array, Array | None] | None:
    """The ones `row_sums` multiplies a row of q values with: one vector of q // n (n = `row_parts(q)`) and, when
    the row is in parts (n > 1), one of n for the partial sums; read-only, shared by every call. None for a
    long row that has no parts (no divisor to cut it in): its ones are made for the call, not kept."""
    n = row_parts(q)
    if q // n > PART:
        return None
    ones, ones_n = A.filled((q // n,), 1.0, np.dtype(dtype)), A.filled((n,), 1.0, np.dtype(dtype))
    return ones, (ones_n if n > 1 else None)


@lru_cache(maxsize=256)
def row_parts(q: int) -> int:
    """In how many equal parts `row_sums` sums a row of q > PART values: the fewest of at most PART values (and
    at least 256) each, 1 when q has no such divisor. The ones vector of a long row is read beside it, and
    read again from memory on every call, as the passes leave it out of the caches (128 KB for 32,768
    values); one of PART values stays in the first-level cache. A sum of partial sums is also more exact:
    the largest relative error of float32 row sums of 262,144 values against exact ones 5.3e-7 -> 3.7e-7
    (3e-7 -> 1e-7 with a mean of 10 or 1000), and no larger for any length. On (1, 32, 32768) float32, the
    LayerNorm trace's cache misses beyond its floor fall by a quarter (bench/README.md, session 14)."""
    return next((n for n in range(-(-q // PART), q // 256 + 1) if q % n == 0), 1)


def group_sum(a: Array, b: Array | None = None) -> npt.NDArray[np.float64]:
    """Sum over P and Q of a (or a * b) in float64, (P, K, Q) -> (K,): `row_sums`, the P row sums added in float64."""
    # the ufunc itself, not ndarray.sum's Python wrapper (a third of this function on a small trace)
    return np.asarray(np.add.reduce(row_sums(a, b), axis=0, dtype=np.float64))


def group_mean(a: Array, m: int, b: Array | None = None) -> Array:
    """The mean over P and Q of a (or a * b) in a's dtype, (P, K, Q) -> (K,): `group_sum` / m rounded once to a's
    dtype. With one row (P = 1: LayerNorm, GroupNorm, ...) the row sum divided in a's dtype is that very number:
    a float32 quotient of float32 numbers rounds as float64's quotient rounded to float32 does (53 >= 2 * 24 + 2
    bits), and m <= args.MAX_ELEMENTS = 2**22 is exact in float32; two small operations fewer, each costing as
    much as a tenth of a pass on a large trace, when the passes have left the CPU caches cold."""
    if a.shape[0] == 1:
        return row_sums(a, b)[0] / m  # type: ignore[no-any-return]
    return (group_sum(a, b) / m).astype(a.dtype)


def col(v: Array) -> Array:
    """A (K,) vector as (1, K, 1), to broadcast against a (P, K, Q) view."""
    return v.reshape(1, -1, 1)
