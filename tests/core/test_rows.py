"""Row sums of the (P, K, Q) view and the buffer size for passes along its rows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from normlens import rows


@pytest.mark.parametrize("q, size", [(1, 0), (255, 0), (256, 256), (1000, 1008), (2304, 2304), (8191, 8192), (8192, 0)])
def test_rows_of_256_to_8191_values_get_a_buffer_no_longer_than_a_row(q, size):
    assert rows.row_bufsize(q) == size


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("view", [(1, 7, 300), (1, 3, 1), (5, 4, 33), (6, 2, 1)])
def test_a_group_mean_is_the_float64_mean_rounded_once_to_x_dtype(view, dtype):
    """With one row the division runs in x's dtype: the same number as float64's quotient rounded."""
    x3 = (np.random.default_rng(sum(view)).standard_normal(view) * 3 + 1).astype(dtype)
    m = view[0] * view[2]
    for b in (None, x3):
        want = (rows.group_sum(x3, b) / m).astype(dtype)
        got = rows.group_mean(x3, m, b)
        assert got.dtype == dtype and got.tobytes() == want.tobytes()


@pytest.mark.parametrize(
    "q, parts", [(4096, 1), (4097, 1), (8192, 2), (12288, 3), (32768, 8), (32767, 31), (2**22, 1024), (100_003, 1)]
)
def test_a_long_row_is_summed_in_the_fewest_equal_parts_of_256_to_4096_values(q, parts):
    assert rows.row_parts(q) == parts
    assert parts == 1 or (q % parts == 0 and 256 <= q // parts <= rows.PART)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("view", [(1, 3, 32768), (2, 2, 12288), (1, 2, 32767), (1, 2, 4097), (3, 2, 4096)])
def test_row_sums_in_parts_are_within_a_few_roundings_of_the_exact_sums(view, dtype):
    """Against the exact sums of the same values, rows with an offset (x - mean cancels there): within 8
    roundings of the largest sum (a long float32 sum by BLAS drifts by a few; a naive loop by 20 on 32,768
    values), as one matrix-vector product with a ones vector of the whole row is; and to the bit the sums of
    the parts' sums (BLAS's, over all P * K rows at once), the whole row's product when it is not split."""
    x3 = (np.random.default_rng(view[2]).standard_normal(view) + 10).astype(dtype)
    exact = np.array([[math.fsum(row) for row in plane] for plane in x3.astype(np.float64)])
    got, whole = rows.row_sums(x3), np.dot(x3.reshape(-1, view[2]), np.ones(view[2], dtype)).reshape(view[:2])
    assert got.dtype == dtype and got.shape == view[:2]
    scale = np.finfo(dtype).eps * np.abs(exact).max()
    assert np.abs(got - exact).max() <= 8 * scale and np.abs(whole - exact).max() <= 8 * scale
    n = rows.row_parts(view[2])
    parts = np.dot(x3.reshape(-1, view[2] // n), np.ones(view[2] // n, dtype)).reshape(-1, n)
    assert got.tobytes() == np.dot(parts, np.ones(n, dtype)).reshape(view[:2]).tobytes()
    assert n > 1 or got.tobytes() == whole.tobytes()


@pytest.mark.parametrize("q", [4097, 12_289, 100_003])
def test_the_ones_of_a_long_row_without_parts_are_made_for_the_call_not_kept(q):
    """Rows that no divisor cuts in parts are multiplied with ones of their whole length (up to 4M values):
    summed as such, and the ones are not kept beside the small vectors `row_sums` reuses."""
    x3 = np.random.default_rng(q).standard_normal((1, 2, q)).astype(np.float32)
    got = rows.row_sums(x3)
    assert rows._ones(q, "f") is None and rows.row_parts(q) == 1
    assert got.tobytes() == np.dot(x3.reshape(2, q), np.ones(q, np.float32)).reshape(1, 2).tobytes()
    kept = rows._ones(32768, "f")
    assert kept is not None and kept[0].size == rows.PART and not kept[0].flags.writeable


def test_the_module_examples_hold():
    import doctest

    assert doctest.testmod(rows, extraglobs={"np": np}).failed == 0
