"""Lab sync-bn: one global batch (N, C) split over k simulated devices. Plain BatchNorm1d on each device (DataParallel
or DDP without SyncBatchNorm) normalizes with its own slice's statistics, an effective batch of about N/k;
SyncBatchNorm gathers every device's (mean, variance, count) and merges them, count-weighted, into the global
batch's statistics, so its output and running statistics equal BatchNorm on the whole batch.

    >>> r = LAB.run(**LAB.resolve({"devices": 4, "batch": 32}))   # 4 devices of 8 samples, C = 4
    >>> r.numbers["per_device_max"], r.numbers["sync_vs_full"] < 1e-12
    (8, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

import normlens
from normlens.args import Param
from normlens.labs.base import LabResult, LabSpec, rng
from normlens.snippet import literal

Array = np.ndarray
MOMENTUM, EPS = 0.1, 1e-5  # nn.BatchNorm1d's and nn.SyncBatchNorm's defaults


def split_sizes(N: int, k: int, uneven: bool, g: np.random.Generator) -> list[int]:
    """k slice sizes summing to N, each at least 2 (one value per channel cannot train): as even as possible, or
    random cut points."""
    if not uneven:
        return [len(a) for a in np.array_split(np.arange(N), k)]
    slots = N - k - 1  # stars and bars: N - 2k spare samples and k - 1 bars, each arrangement equally likely
    bars = np.sort(g.choice(slots, size=k - 1, replace=False))
    return [int(s) + 1 for s in np.diff(np.concatenate([[-1], bars, [slots]]))]


def merge(means: Array, variances: Array, counts: list[int]) -> tuple[Array, Array]:
    """SyncBatchNorm's reduction: the global (mean, biased variance) from each device's, count-weighted,
    (k, C) -> (C,). With one device it returns that device's statistics unchanged."""
    w = (np.asarray(counts, dtype=np.float64) / sum(counts))[:, None]  # (k, 1)
    mean = (w * means).sum(axis=0)
    return mean, (w * (variances + (means - mean) ** 2)).sum(axis=0)


def per_device(x: Array, sizes: list[int]) -> dict[str, Array]:
    """Plain BatchNorm1d in training on each slice (normlens' engine), and SyncBatchNorm's output on each slice:
    BatchNorm with the merged statistics. Outputs (N, C); statistics and running buffers (k, C) or (C,)."""
    parts = np.split(x, np.cumsum(sizes)[:-1])
    traces = [normlens.trace("batch_norm", p, training=True, momentum=MOMENTUM, eps=EPS) for p in parts]
    stats, bufs = [t.stats or {} for t in traces], [t.running or {} for t in traces]
    local = {"y_local": np.concatenate([t.output for t in traces])}
    local |= {"local_" + k: np.stack([s[k] for s in stats]) for k in ("mean", "var")}
    local |= {"local_running_" + k: np.stack([b[k] for b in bufs]) for k in ("mean", "var")}
    mean, var = merge(local["local_mean"], local["local_var"], sizes)
    # every device normalizes its slice with the merged statistics: BatchNorm with given statistics on all of x
    y_sync = normlens.trace("batch_norm", x, training=False, running_mean=mean, running_var=var, eps=EPS).output
    N = len(x)  # the running variance takes the global batch's unbiased variance
    running = {"running_mean": MOMENTUM * mean, "running_var": (1 - MOMENTUM) * 1.0 + MOMENTUM * (var * (N / (N - 1)))}
    return local | {"y_sync": y_sync, "mean": mean, "var": var} | running


def diff_curve(x: Array, most: int) -> list[float]:
    """RMS of (plain - synchronized) output when the same batch is split evenly over 1..most devices."""
    out = []
    for k in range(1, most + 1):
        parts = np.array_split(x, k)
        y = np.concatenate([(p - p.mean(axis=0)) / np.sqrt(p.var(axis=0) + EPS) for p in parts])
        out.append(float(np.sqrt(np.mean((y - (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + EPS)) ** 2))))
    return out


def run(devices: int, batch: int, features: int, uneven: bool, seed: int) -> LabResult:
    """Draw the global batch, split it, normalize per device and synchronized, compare."""
    g = rng(seed)
    mu, sd = g.uniform(-2, 2, features), g.uniform(0.5, 2, features)
    x = mu + sd * g.standard_normal((batch, features))  # (N, C)
    sizes = split_sizes(batch, devices, uneven, g)
    r = per_device(x, sizes)
    full = normlens.trace("batch_norm", x, training=True, momentum=MOMENTUM, eps=EPS)
    diff = r["y_local"] - r["y_sync"]
    numbers: dict[str, Any] = {"devices": devices, "global_batch": batch}
    numbers |= {"per_device_min": min(sizes), "per_device_max": max(sizes)}
    z = (r["local_mean"] - r["mean"]) / np.sqrt(r["var"])  # each device's mean, in global standard deviations
    numbers["mean_offset_rms"] = float(np.sqrt(np.mean(z**2)))
    ratio = r["local_var"] / r["var"]
    numbers |= {"var_ratio_min": float(ratio.min()), "var_ratio_max": float(ratio.max())}
    numbers |= {"out_diff_max": float(np.abs(diff).max()), "out_diff_rms": float(np.sqrt(np.mean(diff**2)))}
    numbers["running_mean_diff"] = float(np.abs(r["local_running_mean"][0] - r["running_mean"]).max())
    numbers["running_var_diff"] = float(np.abs(r["local_running_var"][0] - r["running_var"]).max())
    numbers["sync_vs_full"] = float(np.abs(r["y_sync"] - full.output).max())
    curve = diff_curve(x, 8)
    series: dict[str, Any] = {"device_numbers": list(range(1, devices + 1)), "device_batch": sizes}
    series["device_mean_offset"] = np.sqrt((z**2).mean(axis=1))  # (k, C) -> (k,)
    series["device_var_ratio"] = ratio.mean(axis=1)
    series |= {"y_local_flat": r["y_local"].reshape(-1), "y_sync_flat": r["y_sync"].reshape(-1)}
    edge = float(np.abs(r["y_sync"]).max())
    series |= {"diagonal": [-edge, edge], "curve_devices": list(range(1, len(curve) + 1)), "curve_diff_rms": curve}
    series |= {k: r[k] for k in ("local_mean", "local_var", "mean", "var")}
    keys = ("y_local", "y_sync", "local_mean", "local_var", "local_running_mean", "local_running_var")
    expect: dict[str, Any] = {k: r[k].tolist() for k in (*keys, "mean", "var", "running_mean", "running_var")}
    expect |= {k: numbers[k] for k in ("out_diff_max", "out_diff_rms")}
    return LabResult(numbers, series, torch_code(x, sizes), expect)


def torch_code(x: Array, sizes: list[int]) -> str:
    """A script: plain BatchNorm1d per device, SyncBatchNorm's forward math without a process group, and
    BatchNorm1d on the whole batch."""
    N, C = x.shape
    return f"""import json

import torch
import torch.nn.functional as F
from torch import nn

eps, momentum = {EPS!r}, {MOMENTUM!r}
# one global batch, (N, C) = ({N}, {C}), drawn by NumPy, split over {len(sizes)} simulated devices
x = torch.tensor({literal(x)}, dtype=torch.float64)
sizes = {sizes}
xs = torch.split(x, sizes)

# without SyncBatchNorm (DataParallel, or DDP with nn.BatchNorm1d): each device normalizes its own slice
local = [nn.BatchNorm1d({C}, eps=eps, momentum=momentum, dtype=torch.float64) for _ in xs]
y_local = torch.cat([bn(x_d) for bn, x_d in zip(local, xs)])

# nn.SyncBatchNorm needs a process group; this is the arithmetic of its forward (torch/nn/modules/_functions.py).
# Each device: torch.batch_norm_stats(x_d, eps) -> (mean, invstd) (a CUDA-only op; var_mean gives the same).
stats = [torch.var_mean(x_d, dim=0, correction=0) for x_d in xs]
mean_all = torch.stack([m for _, m in stats])
invstd_all = torch.stack([1 / torch.sqrt(v + eps) for v, _ in stats])
counts = [float(x_d.shape[0]) for x_d in xs]
# all_gather, then torch.batch_norm_gather_stats_with_counts (no CPU kernel): its CUDA kernel's count-weighted merge
n, mean, var_n = 0.0, torch.zeros({C}, dtype=torch.float64), torch.zeros({C}, dtype=torch.float64)
for m, invstd, count in zip(mean_all, invstd_all, counts):
    v = (1 / invstd**2 - eps) * count
    factor = 1 / (n + count)
    var_n = var_n + v + (mean - m) ** 2 * n * count * factor
    mean = n * factor * mean + count * factor * m
    n += count
var = var_n / n
running_mean = (1 - momentum) * torch.zeros({C}, dtype=torch.float64) + momentum * mean
running_var = (1 - momentum) * torch.ones({C}, dtype=torch.float64) + momentum * var_n / (n - 1)  # unbiased
# every device: torch.batch_norm_elemt(x_d, weight, bias, mean, invstd, eps), i.e. BatchNorm with these statistics
y_sync = torch.cat([F.batch_norm(x_d, mean, var, eps=eps) for x_d in xs])
full = nn.BatchNorm1d({C}, eps=eps, momentum=momentum, dtype=torch.float64)
y_full = full(x)  # SyncBatchNorm equals BatchNorm on the whole global batch
print("SyncBatchNorm vs BatchNorm on the whole batch, max difference:", (y_sync - y_full).abs().max().item())
with torch.no_grad():
    diff = y_local - y_sync
    out = {{
        "y_local": y_local.tolist(), "y_sync": y_sync.tolist(),
        "local_mean": mean_all.tolist(), "local_var": torch.stack([v for v, _ in stats]).tolist(),
        "local_running_mean": torch.stack([bn.running_mean for bn in local]).tolist(),
        "local_running_var": torch.stack([bn.running_var for bn in local]).tolist(),
        "mean": mean.tolist(), "var": var.tolist(),
        "running_mean": running_mean.tolist(), "running_var": running_var.tolist(),
        "out_diff_max": diff.abs().max().item(), "out_diff_rms": diff.pow(2).mean().sqrt().item(),
    }}
print(json.dumps(out))
"""


LAB = LabSpec(
    slug="sync-bn",
    knobs=(
        Param("devices", "int", 4, minimum=1, maximum=8),
        Param("batch", "int", 32, minimum=16, maximum=64),  # two samples for each of up to 8 devices
        Param("features", "int", 4, minimum=1, maximum=16),
        Param("uneven", "bool", False),
        Param("seed", "int", 0, minimum=0, maximum=2**32 - 1),
    ),
    run=run,
    seeds=("004 d2l",),
    examples=("bn-per-device",),
)
