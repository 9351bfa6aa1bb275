"""Invariants of normalization, checked by Hypothesis on random shapes and values (float64, so the bounds are
tight).

After normalization each group has mean 0 and variance var / (var + eps); GroupNorm with G = 1 is LayerNorm
over (C, *), with G = C it is InstanceNorm; a constant channel comes out as exactly beta; the input gradient
of a training-mode layer sums to 0 over each group.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import normlens

SETTINGS = settings(max_examples=40, deadline=None)

values = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)


@st.composite
def tensors(draw, min_rank=2, max_rank=4, min_side=1):
    rank = draw(st.integers(min_rank, max_rank))
    shape = tuple(draw(st.lists(st.integers(min_side, 4), min_size=rank, max_size=rank)))
    return draw(arrays(np.float64, shape, elements=values))


def _per_group(tr, a: np.ndarray) -> np.ndarray:
    """a (input-shaped) as (number of statistics, m) rows, using the trace's group ids."""
    ids = tr.step("grouping").values.reshape(-1)
    order = np.argsort(ids, kind="stable")
    k = int(np.prod(tr.grouping.stat_shape))
    return a.reshape(-1)[order].reshape(k, -1)


def _check_normalized(tr, eps: float) -> None:
    x_hat = _per_group(tr, tr.step("normalized").values)
    x = _per_group(tr, tr.step("input").values)
    var = tr.stats["var"].reshape(-1)
    scale = 1 + np.abs(x).max(axis=1) / np.sqrt(var + eps)  # rounding of x - mean, seen through 1/std
    np.testing.assert_array_less(np.abs(x_hat.mean(axis=1)), 1e-13 * scale)
    np.testing.assert_array_less(np.abs(x_hat.var(axis=1) - var / (var + eps)), 1e-12 * scale**2)


@SETTINGS
@given(tensors(), st.sampled_from([1e-5, 1e-2]))
def test_batch_norm_normalizes_each_channel(x, eps):
    if x.shape[0] * int(np.prod(x.shape[2:])) == 1:
        x = np.concatenate([x, x + 1])
    _check_normalized(normlens.trace("batch_norm", x, eps=eps), eps)


@SETTINGS
@given(tensors(1, 4), st.integers(1, 3), st.sampled_from([1e-5, 1e-2]))
def test_layer_norm_normalizes_each_sample(x, k, eps):
    k = min(k, x.ndim)
    _check_normalized(normlens.trace("layer_norm", x, normalized_shape=list(x.shape[x.ndim - k :]), eps=eps), eps)


@SETTINGS
@given(tensors(2, 4), st.data())
def test_group_norm_normalizes_each_group_and_matches_layer_and_instance_norm(x, data):
    C = x.shape[1]
    G = data.draw(st.sampled_from([g for g in range(1, C + 1) if C % g == 0]))
    tr = normlens.trace("group_norm", x, num_groups=G)
    _check_normalized(tr, 1e-5)
    # G = 1: LayerNorm over (C, *) with gamma = 1, beta = 0
    ln = normlens.trace("layer_norm", x, normalized_shape=list(x.shape[1:]))
    np.testing.assert_allclose(normlens.trace("group_norm", x, num_groups=1).output, ln.output, atol=1e-12)
    # G = C: InstanceNorm
    if x.ndim >= 3:
        inorm = normlens.trace("instance_norm", x)
        np.testing.assert_allclose(normlens.trace("group_norm", x, num_groups=C).output, inorm.output, atol=1e-12)
        np.testing.assert_allclose(normlens.trace("group_norm", x, num_groups=C).stats["var"], inorm.stats["var"])


@SETTINGS
@given(
    tensors(2, 4, min_side=2),
    st.floats(-1e4, 1e4, allow_subnormal=False),
    st.sampled_from([np.float32, np.float64]),
    st.floats(-3, 3),
    st.floats(-3, 3),
)
def test_constant_channel_gives_exactly_beta(x, value, dtype, gamma, beta):
    x = x.astype(dtype)
    x[:, 0] = dtype(value)
    C = x.shape[1]
    g, b = [gamma] * C, [beta] * C
    out = normlens.trace("batch_norm", x, gamma=g, beta=b).output
    assert (out[:, 0] == dtype(beta)).all()
    if x.ndim >= 3:
        out = normlens.trace("instance_norm", x, affine=True, gamma=g, beta=b).output
        assert (out[:, 0] == dtype(beta)).all()
    row = np.full(x.shape[1:], dtype(value))
    out = normlens.trace("layer_norm", row[None], normalized_shape=list(row.shape), beta=np.full(row.size, beta)).output
    assert (out == dtype(beta)).all()


@SETTINGS
@given(tensors(2, 4, min_side=2), st.sampled_from(["batch_norm", "layer_norm", "group_norm", "instance_norm"]))
def test_input_gradient_sums_to_zero_over_each_group(x, layer):
    if layer == "instance_norm" and x.ndim < 3:
        x = x[..., None].repeat(2, axis=-1)
    dy = np.random.default_rng(0).standard_normal(x.shape)
    tr = normlens.trace(layer, x, grad_output=dy)
    dx = _per_group(tr, tr.grads["input"])
    r = 1 / tr.step("std").values.reshape(-1)
    np.testing.assert_array_less(np.abs(dx.sum(axis=1)), 1e-9 * (1 + r * np.abs(dy).sum()))
