"""Lab precision: n values x = offset + N(0, 1) stored as float64, float32, float16 and bfloat16 (the half types
cast from the float32 tensor, as .half() on a float32 model does); the variance of each by two-pass, naive
E[x^2] - E[x]^2 and Welford, each a left-to-right loop with one rounding per operation, in float64 for float64
and in float32 for the others (PyTorch on CPU accumulates half types in float32; the half results are rounded
to their type at the end). Errors are relative to float64 two-pass on the float64 values.

    >>> r = LAB.run(**LAB.resolve({"offset": 1e4}))  # x (n,) = (1000,), mean 1e4, std 1
    >>> r.numbers["naive_float32"] <= 0 or abs(r.numbers["naive_float32"] - 1) > 1, r.numbers["stored_float16"]
    (True, 0.0)
"""

from __future__ import annotations

import math
from typing import Any

import ml_dtypes
import numpy as np

from normlens.args import Param
from normlens.labs.base import LabResult, LabSpec, rng

DTYPES: dict[str, Any] = {
    "float64": np.float64,
    "float32": np.float32,
    "float16": np.float16,
    "bfloat16": ml_dtypes.bfloat16,
}
EPS = {"float64": 2.0**-52, "float32": 2.0**-23, "float16": 2.0**-10, "bfloat16": 2.0**-7}  # spacing at 1
ALGORITHMS = ("two_pass", "naive", "welford")
OFFSETS = np.geomspace(1.0, 3e4, 23)  # the sweep of the offset
FLOOR = 1e-17  # relative errors below it (0 included) are drawn at it on log axes


def stored(x: np.ndarray) -> dict[str, np.ndarray]:
    """x (float64) as each type: float32 rounded from float64, the half types rounded from that float32."""
    x32 = x.astype(np.float32)
    return {name: x if t is np.float64 else x32.astype(t) for name, t in DTYPES.items()}


def sums(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-pass and naive variances of the rows of v (..., n), in v's dtype: np.cumsum adds left to right, one
    rounding per addition, as the loop in torch_code does. Returns (two_pass, naive, mean), each (...)."""
    n = v.dtype.type(v.shape[-1])
    mean = np.cumsum(v, axis=-1)[..., -1] / n
    d = v - mean[..., None]
    two_pass = np.cumsum(d * d, axis=-1)[..., -1] / n
    naive = np.cumsum(v * v, axis=-1)[..., -1] / n - mean * mean
    return two_pass, naive, mean


def welford(values: list[Any], one: Any) -> Any:
    """Welford's update, one value at a time, in the type of `one` (a Python float or an np.float32)."""
    mean = m2 = k = one * 0
    for v in values:
        k = k + one
        d = v - mean
        mean = mean + d / k
        m2 = m2 + d * (v - mean)
    return m2 / k


def variances(values: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """{algorithm: {dtype: variance}}: float64 in float64, the others computed in float32 and rounded back to
    their own type (a no-op for float32)."""
    out: dict[str, dict[str, float]] = {a: {} for a in ALGORITHMS}
    for name, v in values.items():
        wide = v.astype(np.float64 if name == "float64" else np.float32)
        two, naive, _ = sums(wide)
        one = 1.0 if name == "float64" else np.float32(1)
        w = welford(wide.tolist() if name == "float64" else list(wide), one)
        for algo, result in zip(ALGORITHMS, (two, naive, w), strict=True):
            out[algo][name] = float(np.asarray(result).astype(DTYPES[name]))
    return out


def run(n: int, offset: float, seed: int) -> LabResult:
    """Draw, store in every type, and compute: the table, the errors per type and the offset sweep (float32)."""
    e = np.clip(rng(seed).standard_normal(n), -8, 8)  # clipped: float16 must hold offset + e (max 65504)
    x = offset + e
    values = stored(x)
    ref = float(sums(x)[0])
    var = variances(values)
    numbers: dict[str, Any] = {"reference": ref}
    for name, v in values.items():
        numbers[f"spacing_{name}"] = EPS[name] * 2.0 ** math.floor(math.log2(offset))
        numbers[f"stored_{name}"] = float(sums(v.astype(np.float64))[0])
        numbers |= {f"{algo}_{name}": var[algo][name] for algo in ALGORITHMS}
    series: dict[str, Any] = {f"error_{a}": [_error(var[a][t], ref) for t in DTYPES] for a in ALGORITHMS}
    series["error_stored"] = [_error(numbers[f"stored_{t}"], ref) for t in DTYPES]
    series |= {f"deviation_{t}": v.astype(np.float64) - offset for t, v in values.items()}
    series |= _sweep(e, offset) | {"here_naive": series["error_naive"][1:2]}  # float32's naive error, the table's
    expect: dict[str, Any] = {a: [var[a][t] for t in DTYPES] for a in ALGORITHMS}
    expect["torch_var"] = [ref] + [float(np.float64(numbers[f"stored_{t}"]).astype(DTYPES[t])) for t in DTYPES][1:]
    return LabResult(numbers, series, _code(x), expect)


def _error(value: float, ref: float) -> float:
    return max(abs(value - ref) / ref, FLOOR)


def _sweep(e: np.ndarray, offset: float) -> dict[str, Any]:
    """float32 two-pass and naive relative errors at every offset of OFFSETS on the same draws: (G,) each."""
    x = OFFSETS[:, None] + e  # (G, n)
    ref = sums(x)[0]
    two, naive, _ = sums(x.astype(np.float32))
    err = [np.maximum(np.abs(v.astype(np.float64) - ref) / ref, FLOOR) for v in (two, naive)]
    return {"offsets": OFFSETS, "sweep_two_pass": err[0], "sweep_naive": err[1], "here": [offset]}


def _code(x: np.ndarray) -> str:
    """The same loops with torch tensors (one rounding per operation), and torch.var on each stored type (what
    PyTorch computes for half types on CPU)."""
    return f"""import json
import torch

x = torch.tensor({x.tolist()!r}, dtype=torch.float64)
x32 = x.to(torch.float32)
stored = {{"float64": x, "float32": x32, "float16": x32.to(torch.float16), "bfloat16": x32.to(torch.bfloat16)}}


def variances(v):  # v: (rows, n); left to right, one rounding per operation, in v's dtype
    n = torch.tensor(float(v.shape[1]), dtype=v.dtype)
    s = q = mean_w = m2 = k = torch.zeros(v.shape[0], dtype=v.dtype)
    one = torch.ones((), dtype=v.dtype)
    for i in range(v.shape[1]):
        s = s + v[:, i]
        q = q + v[:, i] * v[:, i]
        k = k + one
        d = v[:, i] - mean_w
        mean_w = mean_w + d / k
        m2 = m2 + d * (v[:, i] - mean_w)
    mean = s / n
    sq = torch.zeros(v.shape[0], dtype=v.dtype)
    for i in range(v.shape[1]):
        dev = v[:, i] - mean
        sq = sq + dev * dev
    return {{"two_pass": sq / n, "naive": q / n - mean * mean, "welford": m2 / n}}


wide = variances(x[None])  # float64 in float64
narrow = variances(torch.stack([stored[t].to(torch.float32) for t in ("float32", "float16", "bfloat16")]))
out = {{}}
for algo in ("two_pass", "naive", "welford"):
    halves = [narrow[algo][i].to(dt).item() for i, dt in ((1, torch.float16), (2, torch.bfloat16))]
    out[algo] = [wide[algo][0].item(), narrow[algo][0].item(), *halves]
out["torch_var"] = [torch.var(stored[t], correction=0).item() for t in stored]
print(json.dumps(out))
"""


LAB = LabSpec(
    slug="precision",
    knobs=(
        Param("n", "int", 1000, minimum=2, maximum=4096),
        Param("offset", "float", 1e4, minimum=0.01, maximum=3e4),
        Param("seed", "int", 0, minimum=0, maximum=2**31 - 1),
    ),
    run=run,
    seeds=(),
    examples=("bn-float32-near-10000",),
)
