"""Models of the training lessons, declared once as a list of (module, arguments) in nn.Sequential's order, so
the NumPy engine builds them here and the torch script builds the same nn.Sequential from the same list.

    >>> spec = mlp(inputs=2, classes=2, depth=2, width=8, activation="relu", norm="batch")
    >>> [kind for kind, _ in spec], spec[0][1]["bias"]
    (['Linear', 'BatchNorm1d', 'ReLU', 'Linear', 'BatchNorm1d', 'ReLU', 'Linear'], False)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from normlens.train.conv import AvgPool2d, Conv2d, MaxPool2d
from normlens.train.layers import Array, Dropout, Flatten, Layer, Linear, Norm, ReLU, Sigmoid, Tanh

Spec = list[tuple[str, dict[str, Any]]]
ACTIVATIONS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}
NORMS = ("none", "batch", "layer", "group")


def _norm(norm: str, channels: int, conv: bool) -> list[tuple[str, dict[str, Any]]]:
    if norm == "batch":
        return [("BatchNorm2d" if conv else "BatchNorm1d", {"num_features": channels})]
    if norm == "layer" and not conv:
        return [("LayerNorm", {"normalized_shape": [channels]})]
    if norm == "group" or (norm == "layer" and conv):  # LayerNorm over (C, H, W) = GroupNorm(1, C) up to affine
        groups = 1 if norm == "layer" else max(g for g in (1, 2, 4) if channels % g == 0)
        return [("GroupNorm", {"num_groups": groups, "num_channels": channels})]
    return []


def mlp(inputs: int, classes: int, depth: int, width: int, activation: str, norm: str = "none", p: float = 0.0) -> Spec:
    """depth hidden layers of `width`: Linear -> [norm] -> activation -> [Dropout], then the classifier."""
    spec: Spec = []
    for i in range(depth):
        spec += [("Linear", {"in_features": inputs if i == 0 else width, "out_features": width})]
        spec += _norm(norm, width, conv=False) + [(ACTIVATIONS[activation], {})]
        spec += [("Dropout", {"p": p})] if p else []
    last = {"in_features": inputs if depth == 0 else width, "out_features": classes}
    return drop_bias_before_batch_norm(spec) + [("Linear", last)]


def lenet(bn: tuple[bool, bool, bool], activation: str, pool: str = "avg", p: float = 0.0) -> Spec:
    """A LeNet for 8x8 digits: conv(1->6) -> pool -> conv(6->16) -> pool -> 64 -> 32 -> 10, with a BatchNorm
    toggle after each of the first three layers (the d2l ablation)."""
    act: tuple[str, dict[str, Any]] = (ACTIVATIONS[activation], {})
    pooling = ("AvgPool2d" if pool == "avg" else "MaxPool2d", {"kernel_size": 2})
    spec: Spec = [("Conv2d", {"in_channels": 1, "out_channels": 6, "kernel_size": 3, "padding": 1})]
    spec += _norm("batch" if bn[0] else "none", 6, conv=True) + [act, pooling]
    spec += [("Conv2d", {"in_channels": 6, "out_channels": 16, "kernel_size": 3, "padding": 1})]
    spec += _norm("batch" if bn[1] else "none", 16, conv=True) + [act, pooling, ("Flatten", {})]
    spec += [("Linear", {"in_features": 64, "out_features": 32})]
    spec += _norm("batch" if bn[2] else "none", 32, conv=False) + [act]
    spec += [("Dropout", {"p": p})] if p else []
    return drop_bias_before_batch_norm(spec) + [("Linear", {"in_features": 32, "out_features": 10})]


def drop_bias_before_batch_norm(spec: Spec) -> Spec:
    """A Linear or Conv2d followed by BatchNorm gets bias=False: BN subtracts the batch mean, so the bias cancels
    and its gradient is zero up to rounding (the bias-before-BN lab), and Adam would turn that rounding noise
    into full-size steps."""
    out: Spec = []
    for i, (kind, a) in enumerate(spec):
        follows = i + 1 < len(spec) and spec[i + 1][0].startswith("BatchNorm")
        out.append((kind, a | {"bias": False}) if kind in ("Linear", "Conv2d") and follows else (kind, a))
    return out


def init_weights(spec: Spec, rng: np.random.Generator, scale: float = 1.0) -> dict[str, Array]:
    """PyTorch's default initialization law for Linear and Conv2d (weight and bias uniform in +-1/sqrt(fan_in)),
    drawn with NumPy in module order, weights times `scale` (the init-scale knob: 100 makes gradients explode)."""
    state: dict[str, Array] = {}
    for i, (kind, a) in enumerate(spec):
        if kind in ("Linear", "Conv2d"):
            fan_in = a["in_features"] if kind == "Linear" else a["in_channels"] * a["kernel_size"] ** 2
            shape = (
                (a["out_features"], a["in_features"])
                if kind == "Linear"
                else (a["out_channels"], a["in_channels"], a["kernel_size"], a["kernel_size"])
            )
            bound = 1 / math.sqrt(fan_in)
            state[f"{i}.weight"] = np.asarray(rng.uniform(-bound, bound, shape) * scale)
            bias = np.asarray(rng.uniform(-bound, bound, shape[0]))  # drawn either way: with or without a
            if a.get("bias", True):  # BatchNorm after it, the weights are the same draws (same init to compare)
                state[f"{i}.bias"] = bias
    return state


def build(spec: Spec, state: dict[str, Array], dropout_rng: np.random.Generator, eps: float = 1e-5) -> list[Layer]:
    """The NumPy layers of `spec`, with `state`'s weights (copied: training updates them in place)."""
    layers: list[Layer] = []
    for i, (kind, a) in enumerate(spec):
        w, b = state.get(f"{i}.weight"), state.get(f"{i}.bias")
        w, b = (None if w is None else w.copy()), (None if b is None else b.copy())
        if kind == "Linear":
            layers.append(Linear(w, b))  # type: ignore[arg-type]
        elif kind == "Conv2d":
            layers.append(Conv2d(w, b, a["padding"]))  # type: ignore[arg-type]
        elif kind.startswith("BatchNorm"):
            layers.append(Norm("batch", (a["num_features"],), eps))
        elif kind == "LayerNorm":
            layers.append(Norm("layer", tuple(a["normalized_shape"]), eps))
        elif kind == "GroupNorm":
            layers.append(Norm("group", (a["num_channels"],), eps, groups=a["num_groups"]))
        elif kind == "Dropout":
            layers.append(Dropout(a["p"], dropout_rng))
        else:
            simple = {"ReLU": ReLU, "Sigmoid": Sigmoid, "Tanh": Tanh, "Flatten": Flatten}
            pools = {"AvgPool2d": AvgPool2d, "MaxPool2d": MaxPool2d}
            layers.append(simple[kind]() if kind in simple else pools[kind](a["kernel_size"]))
    return layers


def weight_keys(spec: Spec) -> list[str]:
    """The parameters the L1/L2 penalties apply to: Linear and Conv2d weights (not biases, not norms)."""
    return [f"{i}.weight" for i, (kind, _) in enumerate(spec) if kind in ("Linear", "Conv2d")]
