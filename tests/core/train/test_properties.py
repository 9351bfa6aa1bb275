"""The laws the training lessons draw, checked on the engine: sigmoid's derivative is at most 1/4, so a deep
sigmoid MLP's first-layer gradient is bounded by 0.25^(depth-1) times the last hidden layer's, times the
spectral norms of the weights between them; with large initial weights it explodes instead."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from normlens.train.layers import Linear
from normlens.train.loop import cross_entropy, forward
from normlens.train.models import build, init_weights, mlp


def gradients(depth: int, width: int, scale: float, activation: str, seed: int) -> tuple[list, list, np.ndarray]:
    """One sample through a fresh MLP: each hidden Linear's weight gradient and input activation norm."""
    spec = mlp(2, 2, depth, width, activation)
    layers = build(spec, init_weights(spec, np.random.default_rng(seed), scale), np.random.default_rng(0))
    x = np.random.default_rng(seed + 1).normal(size=(1, 2))
    _, g = cross_entropy(forward(layers, x, train=True), np.array([seed % 2]))
    for layer in reversed(layers):
        g = layer.backward(g)
    linears = [layer for layer in layers if isinstance(layer, Linear)]
    grads = [np.linalg.norm(lin.grads["weight"]) for lin in linears]
    inputs = [np.linalg.norm(lin.x) for lin in linears]
    return grads, inputs, [lin.params["weight"] for lin in linears]


@given(depth=st.integers(2, 8), width=st.integers(2, 16), seed=st.integers(0, 10_000))
def test_sigmoid_first_layer_gradient_is_below_the_quarter_power_bound(depth, width, seed) -> None:
    grads, inputs, weights = gradients(depth, width, 1.0, "sigmoid", seed)
    delta = [g / a for g, a in zip(grads, inputs, strict=True)]  # |dL/dz_k| for batch 1: |grad W_k| / |a_(k-1)|
    between = np.prod([np.linalg.norm(w, 2) for w in weights[1:depth]])  # W_2 ... W_depth
    assert delta[0] <= 0.25 ** (depth - 1) * between * delta[depth - 1] * (1 + 1e-12)


def amplification(depth: int, scale: float, activation: str, seed: int) -> float | None:
    """How much the gradient grows from the last hidden layer's pre-activation back to the first one's
    (None when the loss is saturated and nothing flows back at all)."""
    grads, inputs, _ = gradients(depth, 16, scale, activation, seed)
    last = grads[depth - 1] / inputs[depth - 1]
    return None if last == 0 else (grads[0] / inputs[0]) / last


def test_the_gradient_vanishes_with_sigmoid_and_explodes_with_weights_of_100() -> None:
    sigmoid = [amplification(8, 1.0, "sigmoid", s) for s in range(8)]
    assert all(a is not None and a < 1e-4 for a in sigmoid)  # 0.25^7 = 6e-5 times the weights' norms
    exploding = [a for s in range(8) if (a := amplification(8, 100.0, "relu", s)) is not None]
    assert len(exploding) >= 3 and min(exploding) > 1e6  # each ReLU layer passes the gradient times |W| ~ 100
