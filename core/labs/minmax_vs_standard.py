"""Lab minmax-vs-standard: n samples of F features, sample 0 moved `outlier` standard deviations above its
feature's mean, through min-max normalization (normlens' min_max, dim=0) and standardization (x - mean) / std
(population std, over the samples). The spread of the other n - 1 samples after each, against the same
method applied without sample 0, shows how much one outlier squashes them.

    >>> r = LAB.run(**LAB.resolve({"outlier": 100.0}))  # x (N, F) = (50, 3) -> both (50, 3)
    >>> r.numbers["squash_minmax"] < r.numbers["squash_standard"]
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

import normlens
from normlens.args import Param
from normlens.labs.base import LabResult, LabSpec, rng

GRID = np.geomspace(1.0, 1000.0, 31)  # outlier distances of the sweep, in standard deviations


def _standardize(x: np.ndarray) -> np.ndarray:
    """(x - mean) / std over axis -2 (the samples), population std: (..., N, F) -> (..., N, F)."""
    mean = x.mean(axis=-2, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=-2, keepdims=True)))


def _minmax(x: np.ndarray) -> np.ndarray:
    lo = x.min(axis=-2, keepdims=True)
    return np.asarray((x - lo) / (x.max(axis=-2, keepdims=True) - lo))


def _spread(y: np.ndarray, start: int = 1) -> np.ndarray:
    """Population std of samples start..N-1 per feature (1: the inliers), averaged over features: (..., N, F) ->
    (...)."""
    return np.asarray(y[..., start:, :].std(axis=-2).mean(axis=-1))


def run(n: int, features: int, outlier: float, seed: int) -> LabResult:
    """Feature j: mean mu_j, std sd_j (drawn); sample 0 at mu_j + outlier * sd_j in every feature."""
    g = rng(seed)
    mu, sd = 10 * g.standard_normal(features), np.exp(g.standard_normal(features))
    x = mu + sd * g.standard_normal((n, features))
    x[0] = mu + outlier * sd
    mm = normlens.trace("min_max", x, dim=0).output  # (N, F) -> (N, F), each feature onto [0, 1]
    z = _standardize(x)
    clean_mm, clean_z = _spread(_minmax(x[1:]), 0), _spread(_standardize(x[1:]), 0)  # without sample 0
    swept = np.broadcast_to(x, (GRID.size, n, features)).copy()
    swept[:, 0, :] = mu + GRID[:, None] * sd  # (G, N, F): sample 0 at each distance of the grid
    sweep_mm, sweep_z = _spread(_minmax(swept)) / clean_mm, _spread(_standardize(swept)) / clean_z
    numbers: dict[str, Any] = {
        "inlier_spread_minmax": float(_spread(mm)),
        "inlier_spread_standard": float(_spread(z)),
        "clean_spread_minmax": float(clean_mm),
        "clean_spread_standard": float(clean_z),
        "inlier_range_minmax": float(np.ptp(mm[1:], axis=0).mean()),
        "inlier_range_standard": float(np.ptp(z[1:], axis=0).mean()),
        "outlier_minmax": float(mm[0].mean()),
        "outlier_standard": float(z[0].mean()),
    }
    numbers["squash_minmax"] = numbers["inlier_spread_minmax"] / numbers["clean_spread_minmax"]
    numbers["squash_standard"] = numbers["inlier_spread_standard"] / numbers["clean_spread_standard"]
    numbers["advantage"] = numbers["squash_standard"] / numbers["squash_minmax"]  # about sqrt(N) / (range / std)
    series: dict[str, Any] = {"sample": list(range(n)), "x": x, "minmax": mm, "standard": z}
    series |= {"minmax_inliers": mm[1:], "standard_inliers": z[1:], "minmax_0": mm[:, 0], "standard_0": z[:, 0]}
    series |= {"grid": GRID, "sweep_minmax": sweep_mm, "sweep_standard": sweep_z}
    series |= {"here": [outlier], "here_minmax": [numbers["squash_minmax"]]}
    series["here_standard"] = [numbers["squash_standard"]]
    keys = ("inlier_spread_minmax", "inlier_spread_standard", "squash_minmax", "squash_standard")
    expect: dict[str, Any] = {"minmax": mm.tolist(), "standard": z.tolist(), **{k: numbers[k] for k in keys}}
    expect |= {"sweep_minmax": sweep_mm.tolist(), "sweep_standard": sweep_z.tolist()}
    return LabResult(numbers, series, _code(x, mu, sd), expect)


def _code(x: np.ndarray, mu: np.ndarray, sd: np.ndarray) -> str:
    """Both methods in torch (torch.amin/amax; mean and std with correction=0 over the samples) and the sweep."""
    return f"""import json
import torch

x = torch.tensor({x.tolist()!r}, dtype=torch.float64)
mu = torch.tensor({mu.tolist()!r}, dtype=torch.float64)
sd = torch.tensor({sd.tolist()!r}, dtype=torch.float64)
grid = torch.logspace(0, 3, 31, dtype=torch.float64)


def minmax(x):
    lo, hi = x.amin(0, keepdim=True), x.amax(0, keepdim=True)
    return (x - lo) / (hi - lo)


def standard(x):
    return (x - x.mean(0, keepdim=True)) / x.std(0, correction=0, keepdim=True)


def spread(y, start=1):  # std of samples start.. per feature, averaged over features
    return y[start:].std(0, correction=0).mean().item()


out = {{"minmax": minmax(x).tolist(), "standard": standard(x).tolist()}}
for name, f in (("minmax", minmax), ("standard", standard)):
    clean = spread(f(x[1:]), 0)  # the same method without sample 0
    out["inlier_spread_" + name] = spread(f(x))
    out["squash_" + name] = spread(f(x)) / clean
    sweep = []
    for v in grid:
        moved = x.clone()
        moved[0] = mu + v * sd
        sweep.append(spread(f(moved)) / clean)
    out["sweep_" + name] = sweep
print(json.dumps(out))
"""


LAB = LabSpec(
    slug="minmax-vs-standard",
    knobs=(
        Param("n", "int", 50, minimum=3, maximum=500),
        Param("features", "int", 3, minimum=1, maximum=8),
        Param("outlier", "float", 20.0, minimum=0.1, maximum=1000),
        Param("seed", "int", 0, minimum=0, maximum=2**31 - 1),
    ),
    run=run,
    seeds=("000 Q4",),
    examples=("bn1d-feature-columns",),
)
