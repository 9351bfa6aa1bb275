"""Lab bias-before-bn: Linear(in, out) (or a 1x1 Conv1d) with a bias b, then BatchNorm1d in training, beside
the same layer without b. The bias moves every feature's batch mean by exactly b, so z - mean, the output and
every gradient but b's are unchanged; BN's input gradient sums to zero over the batch, so dL/db = sum_n dL/dz_n is zero.

    >>> r = LAB.run(**LAB.resolve({"bias": 3.0}))  # x (N, in) = (16, 8) -> z (16, 4) -> BN -> y (16, 4)
    >>> r.numbers["saved"], r.numbers["max_output_diff"] < 1e-12
    (4, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from normlens import grouped
from normlens.args import Param, quiet
from normlens.labs.base import LabResult, LabSpec, rng
from normlens.trace import Grouping

DTYPES = ("float64", "float32")
LAYERS = ("linear", "conv1x1")
LENGTH = 4  # positions of a conv1x1's input, (N, in, L)
FLOOR = 1e-20  # |bias gradient| values below it (0 included) are drawn at it on a log axis


def run(batch: int, in_features: int, out_features: int, bias: float, layer: str, dtype: str, seed: int) -> LabResult:
    """Both networks on the same x, weights, BN parameters and upstream gradient dy (all drawn from `seed`).
    Linear: x (N, in) -> z (N, out); conv1x1: x (N, in, L) -> z (N, out, L), BN over N and L."""
    g, dt, positions = rng(seed), np.dtype(dtype), (LENGTH,) if layer == "conv1x1" else ()
    x = g.standard_normal((batch, in_features, *positions)).astype(dt)
    w = (g.standard_normal((out_features, in_features)) / np.sqrt(in_features)).astype(dt)
    b = (bias * g.standard_normal(out_features)).astype(dt)
    gamma = (1 + 0.2 * g.standard_normal(out_features)).astype(dt)
    beta = (0.2 * g.standard_normal(out_features)).astype(dt)
    dy = g.standard_normal((batch, out_features, *positions)).astype(dt)
    axes = (0, *range(2, x.ndim))  # every axis but the channel axis: (0,) or (0, 2)
    z0 = np.einsum("oi,ni...->no...", w, x)  # (N, in[, L]) -> (N, out[, L]); a 1x1 conv is a Linear per position
    z1 = z0 + b.reshape(-1, *(1,) * len(positions))
    t0, t1 = (batch_norm(z, gamma, beta, dy) for z in (z0, z1))
    dz0, dz1 = t0.grads["input"], t1.grads["input"]  # type: ignore[index]
    assert dz0 is not None and dz1 is not None
    grad_bias = dz1.sum(axis=axes)  # the layer's bias gradient: (N, out[, L]) -> (out,)
    gw0, gw1 = (np.tensordot(dz, x, axes=(axes, axes)) for dz in (dz0, dz1))  # sum over N[, L] -> (out, in)
    numbers = _numbers(b, (z0, z1), (t0.output, t1.output), dz1, (gw0, gw1))
    # the size of the terms BN's backward adds up: |gamma| / sqrt(var + eps) * sum |dy| over N (and L), (out,)
    std = np.sqrt(t1.stats["var"].astype(np.float64) + 1e-5)
    terms = np.abs(gamma) / std * np.abs(dy).sum(axis=axes, dtype=np.float64)
    numbers["grad_terms"] = float(terms.max())
    numbers["grad_bias_relative"] = numbers["max_grad_bias"] / numbers["grad_terms"]
    numbers |= {"params_with": in_features * out_features + out_features, "params_bn": 2 * out_features}
    numbers |= {"params_without": in_features * out_features, "saved": out_features}
    series: dict[str, Any] = {"feature": list(range(out_features)), "bias": b, "grad_bias": grad_bias}
    series |= {"z_with": z1, "z_without": z0, "mean_shift": z1.mean(axis=axes) - z0.mean(axis=axes)}
    series |= {"y_with": t1.output.ravel(), "y_without": t0.output.ravel()}
    series |= {"grad_bias_abs": np.maximum(np.abs(grad_bias), FLOOR), "grad_terms": terms}  # log axis: no zeros
    expect = {"y_with": t1.output, "y_without": t0.output, "grad_bias": grad_bias}
    expect |= {"grad_weight_with": gw1, "grad_weight_without": gw0}
    expect |= {k: numbers[k] for k in ("params_with", "params_without")}
    code = _code(dt, layer, (x, w, b, gamma, beta, dy))
    return LabResult(numbers, series, code, {k: _plain(v) for k, v in expect.items()})


@quiet
def batch_norm(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dy: np.ndarray) -> grouped.Result:
    """nn.BatchNorm1d in training on (N, C[, L]), eps = 1e-5, forward and backward of dy, on normlens' engine (what
    normlens.trace runs, without writing the trace's torch program)."""
    c, kept = z.shape[1], tuple((0, 1) if a == 1 else None for a in range(z.ndim))
    g = Grouping(z.shape, (c,), kept)
    plan = grouped.Plan(g, g.stat_view, (c,), ("N", "C", "L")[: z.ndim], tuple(0 if m else None for m in kept))
    return grouped.normalize(z, plan, grouped.Call(1e-5, gamma, beta), dy)


def _numbers(b: Any, z: tuple[Any, Any], y: tuple[Any, Any], dz: Any, gw: tuple[Any, Any]) -> dict[str, Any]:
    """How equal the two networks are: output, statistics and weight-gradient differences, the bias gradient."""
    axes = (0, *range(2, dz.ndim))
    mean0, mean1 = (a.mean(axis=axes, dtype=np.float64) for a in z)  # (N, out[, L]) -> (out,)
    var0, var1 = (a.var(axis=axes, dtype=np.float64) for a in z)
    grad_bias = dz.sum(axis=axes)
    return {
        "max_output_diff": float(np.abs(y[1] - y[0]).max()),
        "max_mean_shift_error": float(np.abs(mean1 - mean0 - b).max()),
        "max_var_diff": float(np.abs(var1 - var0).max()),
        "max_grad_bias": float(np.abs(grad_bias).max()),
        "max_grad_weight_diff": float(np.abs(gw[1] - gw[0]).max()),
        "eps": float(np.finfo(dz.dtype).eps),
    }


def _plain(v: Any) -> Any:
    return v.tolist() if isinstance(v, np.ndarray) else v


def _code(dt: np.dtype, layer: str, arrays: tuple[Any, ...]) -> str:
    """Both networks in torch: nn.Linear (or nn.Conv1d with kernel_size=1) with and without bias, then
    nn.BatchNorm1d in training, backward of dy."""
    names = ("x", "w", "b", "gamma", "beta", "dy")
    make = "nn.Linear(in_features, out_features"
    make = "nn.Conv1d(in_features, out_features, kernel_size=1" if layer == "conv1x1" else make
    data = "\n".join(f"{n} = torch.tensor({a.tolist()!r}, dtype=dt)" for n, a in zip(names, arrays, strict=True))
    return f"""import json
import torch
from torch import nn

dt = torch.{dt.name}
{data}
out_features, in_features = w.shape


def network(with_bias):
    linear = {make}, bias=with_bias, dtype=dt)
    bn = nn.BatchNorm1d(out_features, dtype=dt)  # training mode: the batch's mean and variance
    with torch.no_grad():
        linear.weight.copy_(w.reshape(linear.weight.shape))  # a 1x1 conv's weight is (out, in, 1)
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
        if with_bias:
            linear.bias.copy_(b)
    y = bn(linear(x))
    y.backward(dy)
    return linear, y


lin1, y1 = network(True)
lin0, y0 = network(False)
out = {{
    "y_with": y1.tolist(), "y_without": y0.tolist(), "grad_bias": lin1.bias.grad.tolist(),
    "grad_weight_with": lin1.weight.grad.reshape(w.shape).tolist(),
    "grad_weight_without": lin0.weight.grad.reshape(w.shape).tolist(),
    "params_with": sum(p.numel() for p in lin1.parameters()),
    "params_without": sum(p.numel() for p in lin0.parameters()),
}}
print(json.dumps(out))
"""


LAB = LabSpec(
    slug="bias-before-bn",
    knobs=(
        Param("batch", "int", 16, minimum=2, maximum=64),
        Param("in_features", "int", 8, minimum=1, maximum=16),
        Param("out_features", "int", 4, minimum=1, maximum=16),
        Param("bias", "float", 3.0, minimum=-100, maximum=100),
        Param("layer", "enum", "linear", choices=LAYERS),
        Param("dtype", "enum", "float64", choices=DTYPES),
        Param("seed", "int", 0, minimum=0, maximum=2**31 - 1),
    ),
    run=run,
    seeds=("004",),
    examples=("bn-parameter-count",),
)
