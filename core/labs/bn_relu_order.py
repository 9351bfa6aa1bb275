"""Lab bn-relu-order: z = Linear(x) (no bias) on x drawn around `shift`, then BatchNorm1d (training) -> ReLU
beside ReLU -> BatchNorm1d. Distributions at every point, units that are zero for the whole batch (dead), and
the statistics BN sees after ReLU next to the rectified Gaussian's: for z ~ N(mu, s^2) and a = mu / s,
E[relu z] = mu Phi(a) + s phi(a), E[relu(z)^2] = (mu^2 + s^2) Phi(a) + mu s phi(a); at mu = 0: s / sqrt(2 pi).

    >>> r = LAB.run(**LAB.resolve({"shift": 2.0}))  # x (N, width) = (64, 16) -> z (64, 16) -> both orders
    >>> r.numbers["dead_bn_relu"], r.numbers["dead_relu_bn"] > 0
    (0.0, True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from normlens import grouped
from normlens.args import Param, quiet
from normlens.labs.base import LabResult, LabSpec, rng
from normlens.trace import Grouping

SHIFTS = np.linspace(-3.0, 3.0, 25)  # the sweep of the input shift


def rectified(mu: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of relu(z) for z ~ N(mu, s^2), elementwise: (K,), (K,) -> (K,), (K,)."""
    a = mu / np.maximum(s, np.finfo(np.float64).tiny)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in a.ravel()]).reshape(a.shape)
    pdf = np.exp(-0.5 * a**2) / math.sqrt(2 * math.pi)
    mean = mu * cdf + s * pdf
    return mean, np.maximum((mu**2 + s**2) * cdf + mu * s * pdf - mean**2, 0.0)


@quiet
def batch_norm(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """nn.BatchNorm1d in training, gamma = 1, beta = 0, eps = 1e-5, on normlens' engine (what normlens.trace runs,
    without writing the trace's torch program): (N, C) -> output (N, C), batch mean (C,), biased variance (C,)."""
    n, c = z.shape
    g = Grouping((n, c), (c,), (None, (0, 1)))
    res = grouped.normalize(z, grouped.Plan(g, g.stat_view, (c,), ("N", "C"), (None, 0)), grouped.Call(1e-5))
    return res.output, res.stats["mean"], res.stats["var"]


def _dead(y: np.ndarray) -> float:
    """Fraction of units (columns of (N, K)) that are zero for every sample of the batch."""
    return float(np.all(y == 0, axis=0).mean())


def run(width: int, batch: int, shift: float, seed: int) -> LabResult:
    """Both orders on the same z; BN with gamma = 1, beta = 0 (a fresh layer), batch statistics."""
    g = rng(seed)
    e = g.standard_normal((batch, width))
    w = g.standard_normal((width, width)) / math.sqrt(width)  # keeps var(z) near var(x) = 1
    x = e + shift
    z = x @ w.T  # (N, width) @ (width, width) -> (N, width)
    a = batch_norm(z)[0]
    y_a = np.maximum(a, 0.0)  # BN -> ReLU
    r = np.maximum(z, 0.0)
    y_b, relu_mean, relu_var = batch_norm(r)  # ReLU -> BN, and the statistics BN sees after ReLU
    pred_mean, pred_var = rectified(z.mean(axis=0), z.std(axis=0))  # (N, width) -> (width,)
    live = relu_var > 0
    sz = z.std(axis=0)
    numbers: dict[str, Any] = {
        "dead_bn_relu": _dead(y_a),
        "dead_relu_bn": _dead(r),
        "zeros_bn_relu": float((y_a == 0).mean()),
        "zeros_relu_bn": float((r == 0).mean()),
        "out_mean_bn_relu": float(y_a.mean()),
        "out_var_bn_relu": float(y_a.var(axis=0).mean()),
        "out_mean_relu_bn": float(y_b.mean()),
        "out_var_relu_bn": float(y_b.var(axis=0).mean()),
        "half_gaussian_mean": 1 / math.sqrt(2 * math.pi),
        "half_gaussian_var": 0.5 - 1 / (2 * math.pi),
        "relu_mean_ratio": float((relu_mean / sz)[live].mean()) if live.any() else 0.0,
        "relu_var_ratio": float((relu_var / sz**2)[live].mean()) if live.any() else 0.0,
        "predicted_mean_ratio": float((pred_mean / sz)[live].mean()) if live.any() else 0.0,
        "predicted_var_ratio": float((pred_var / sz**2)[live].mean()) if live.any() else 0.0,
    }
    series: dict[str, Any] = {"z": z, "bn": a, "bn_relu": y_a, "relu": r, "relu_bn": y_b}
    series |= {"unit": list(range(width)), "pre_mean": z.mean(axis=0), "pre_std": sz}
    series |= {"relu_mean": relu_mean, "relu_var": relu_var, "predicted_mean": pred_mean, "predicted_var": pred_var}
    series |= {"dead": [numbers["dead_bn_relu"], numbers["dead_relu_bn"]]}
    series |= {"zeros": [numbers["zeros_bn_relu"], numbers["zeros_relu_bn"]]}
    series |= _sweep(e @ w.T, w.sum(axis=1)) | {"here_shift": [shift], "here_dead": [numbers["dead_relu_bn"]]}
    expect: dict[str, Any] = {"y_bn_relu": y_a.tolist(), "y_relu_bn": y_b.tolist()}
    expect |= {"relu_mean": relu_mean.tolist(), "relu_var_unbiased": (relu_var * batch / (batch - 1)).tolist()}
    expect |= {k: numbers[k] for k in ("dead_bn_relu", "dead_relu_bn", "zeros_bn_relu", "zeros_relu_bn")}
    return LabResult(numbers, series, _code(x, w), expect)


def _sweep(z0: np.ndarray, rows: np.ndarray) -> dict[str, Any]:
    """Dead units at every shift of SHIFTS: z = z0 + shift * (row sums of W), (S, N, width). BN removes each
    unit's offset, so BN -> ReLU is the same at every shift; ReLU -> BN loses the units pushed below zero."""
    z = z0[None] + SHIFTS[:, None, None] * rows  # (S, N, width)
    centered = z - z.mean(axis=1, keepdims=True)
    dead_a = np.all(centered <= 0, axis=1).mean(axis=1)  # BN keeps the sign of z - mean: (S, N, width) -> (S,)
    dead_b = np.all(z <= 0, axis=1).mean(axis=1)
    return {"shifts": SHIFTS, "sweep_dead_bn_relu": dead_a, "sweep_dead_relu_bn": dead_b}


def _code(x: np.ndarray, w: np.ndarray) -> str:
    """Both orders with torch modules; momentum=1.0 makes BN's running buffers its batch statistics."""
    return f"""import json
import torch
from torch import nn

x = torch.tensor({x.tolist()!r}, dtype=torch.float64)
w = torch.tensor({w.tolist()!r}, dtype=torch.float64)
width = w.shape[0]
linear = nn.Linear(width, width, bias=False, dtype=torch.float64)
with torch.no_grad():
    linear.weight.copy_(w)
bn_first = nn.BatchNorm1d(width, dtype=torch.float64)  # training mode: batch statistics
bn_after = nn.BatchNorm1d(width, momentum=1.0, dtype=torch.float64)  # running buffers = this batch's statistics
relu = nn.ReLU()
with torch.no_grad():
    z = linear(x)
    y_bn_relu = relu(bn_first(z))
    r = relu(z)
    y_relu_bn = bn_after(r)


def dead(y):  # units zero for the whole batch
    return (y == 0).all(dim=0).double().mean().item()


out = {{
    "y_bn_relu": y_bn_relu.tolist(), "y_relu_bn": y_relu_bn.tolist(),
    "relu_mean": bn_after.running_mean.tolist(), "relu_var_unbiased": bn_after.running_var.tolist(),
    "dead_bn_relu": dead(y_bn_relu), "dead_relu_bn": dead(r),
    "zeros_bn_relu": (y_bn_relu == 0).double().mean().item(), "zeros_relu_bn": (r == 0).double().mean().item(),
}}
print(json.dumps(out))
"""


LAB = LabSpec(
    slug="bn-relu-order",
    knobs=(
        Param("width", "int", 16, minimum=1, maximum=32),
        Param("batch", "int", 64, minimum=2, maximum=128),
        Param("shift", "float", 0.0, minimum=-3, maximum=3),
        Param("seed", "int", 0, minimum=0, maximum=2**31 - 1),
    ),
    run=run,
    seeds=("001 §5", "000 Q1"),
    examples=("bn-before-relu",),
)
