"""Row sums of the (P, K, Q) view and the buffer size for passes along its rows."""

from __future__ import annotations

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


def test_the_module_examples_hold():
    import doctest

    assert doctest.testmod(rows, extraglobs={"np": np}).failed == 0
