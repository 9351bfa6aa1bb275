"""Lab batch-size (the batch-size explorer): one fixed sample (C, L) in batches of n = 1..64 whose other n - 1
samples are redrawn S times. BatchNorm in training normalizes it with its batch's statistics, so its output moves
with its batch-mates, less as n grows; GroupNorm and LayerNorm use the sample's own values only and do not move
at all. BatchNorm in evaluation (running statistics = the population's) gives one fixed output: the train/eval gap.

    >>> r = LAB.run(**LAB.resolve({"batch": 8}))   # C = 8, L = 1, S = 16 redraws
    >>> r.numbers["gn_spread"], r.numbers["bn_spread"] > 0.1
    (0.0, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from normlens.args import Param
from normlens.labs.base import LabResult, LabSpec, rng
from normlens.snippet import literal
from normlens.trace import Notice

Array = np.ndarray
EPS = 1e-5
SIZES = (1, 2, 4, 8, 16, 32, 64)  # the curve's batch sizes
MAX_EMBED = 2048  # values of redrawn batches torch_code embeds


def normalize(a: Array, axes: tuple[int, ...], of: Array | None = None) -> Array:
    """(x - mean) / sqrt(var + eps) of `of` (default: a itself), statistics (two-pass, biased) of a over `axes`."""
    mean = a.mean(axis=axes, keepdims=True)
    c = a - mean
    var = (c * c).mean(axis=axes, keepdims=True)
    return np.asarray((c if of is None else of - mean) / np.sqrt(var + EPS))


def spread(v: Array) -> float:
    """How much the sample's output moves over the redraws: the standard deviation over axis 0, averaged over
    the other axes, (S, C, L) -> (). Taken from the first redraw's values, so identical outputs give exactly 0."""
    d = v - v[:1]
    return float(np.sqrt(((d - d.mean(axis=0)) ** 2).mean(axis=0)).mean())


def outputs(batches: Array, G: int, mu: Array, var: Array) -> dict[str, Array]:
    """Sample 0's output in each of S batches (S, n, C, L) -> (S, C, L): BatchNorm in training (statistics per
    channel over n and L), GroupNorm (per sample and group) and LayerNorm (per sample over C and L), whose
    statistics need nothing but the sample; and BatchNorm in evaluation with running statistics (mu, var), (C, L)."""
    S, n, C, L = batches.shape
    bn = normalize(batches, (1, 3), of=batches[:, :1])[:, 0]
    sample = batches[:, 0]  # (S, C, L)
    gn = normalize(sample.reshape(S, G, C // G * L), (2,)).reshape(S, C, L)
    ln = normalize(sample, (1, 2))
    ev = (batches[0, 0] - mu[:, None]) / np.sqrt(var[:, None] + EPS)
    return {"bn": bn, "gn": gn, "ln": ln, "bn_eval": ev}


def measures(o: dict[str, Array], n: int, L: int) -> dict[str, float | None]:
    """Spread of each layer's output over the redraws and BN's train/eval gap (RMS); None where PyTorch refuses
    BatchNorm in training (one value per channel)."""
    refused = n * L == 1
    gap = float(np.sqrt(np.mean((o["bn"] - o["bn_eval"]) ** 2)))
    m: dict[str, float | None] = {"bn_spread": None if refused else spread(o["bn"]), "gap": None if refused else gap}
    return m | {"gn_spread": spread(o["gn"]), "ln_spread": spread(o["ln"])}


def scatter(o: dict[str, Array]) -> dict[str, Any]:
    """The sample's C outputs (at position 0 of L) in every redraw, frame axis first: (S, C) per layer, their
    channel positions, (C,) (offset per layer so the markers sit side by side), and BN's evaluation output, (C,)."""
    c = np.arange(o["bn"].shape[1], dtype=np.float64)
    out: dict[str, Any] = {k + "_outputs": o[k][:, :, 0] for k in ("bn", "gn", "ln")}
    out |= {"x_" + k: c + dx for k, dx in (("bn", -0.2), ("gn", 0.0), ("ln", 0.2))}
    return out | {"eval_output": o["bn_eval"][:, 0], "x_eval": c - 0.2}


def run(batch: int, num_groups: int, group_channels: int, length: int, redraws: int, seed: int) -> LabResult:
    """The fixed sample, then for every batch size of the curve (and the chosen one) S batches around it."""
    channels = num_groups * group_channels  # G groups of C/G channels: every G divides C
    g = rng(seed)
    mu, sd = g.uniform(-2, 2, channels), g.uniform(0.5, 2, channels)
    sample = mu[:, None] + sd[:, None] * g.standard_normal((channels, length))  # (C, L)

    def draw(n: int) -> Array:  # (S, n, C, L): the sample first, n - 1 redrawn batch-mates after it
        mates = mu[:, None] + sd[:, None] * g.standard_normal((redraws, n - 1, channels, length))
        return np.concatenate([np.broadcast_to(sample, (redraws, 1, channels, length)), mates], axis=1)

    drawn = {n: draw(n) for n in (*SIZES, *(() if batch in SIZES else (batch,)))}
    out = {n: outputs(b, num_groups, mu, sd**2) for n, b in drawn.items()}
    curve = {n: measures(out[n], n, length) for n in SIZES}
    here = out[batch]
    numbers: dict[str, Any] = {"batch": batch, "channels": channels, "bn_values": batch * length}
    numbers |= {"gn_values": group_channels * length, "ln_values": channels * length}  # values per statistic
    numbers |= {k: v for k, v in measures(here, batch, length).items() if v is not None}
    numbers |= {"bn_spread_2": curve[2]["bn_spread"], "bn_spread_64": curve[64]["bn_spread"]}
    numbers["gap_64"] = curve[64]["gap"]
    trains = [n for n in SIZES if curve[n]["bn_spread"] is not None]  # BatchNorm in training: not one value
    series: dict[str, Any] = {"sizes": list(SIZES), "bn_sizes": trains}
    series |= {k: [curve[n][k] for n in trains] for k in ("bn_spread", "gap")}
    series |= {k: [curve[n][k] for n in SIZES] for k in ("gn_spread", "ln_spread")}
    series |= scatter(here)
    notices: tuple[Notice, ...] = ()
    if batch * length == 1:
        size = f"torch.Size([1, {channels}])"
        msg = f"Expected more than 1 value per channel when training, got input size {size}"
        notices = (Notice("one_value_per_channel", {}, msg),)
    embed = drawn[batch][: max(1, min(redraws, MAX_EMBED // (batch * channels * length)))]
    if length == 1:
        embed = embed[..., 0]  # (R, n, C): BatchNorm1d's (N, C) input
    code = torch_code(embed, num_groups, mu, sd**2)
    return LabResult(numbers, series, code, expected(here, embed, batch * length == 1), notices)


def expected(o: dict[str, Array], embed: Array, refused: bool) -> dict[str, Any]:
    """What torch_code prints: sample 0's outputs in the embedded redraws and their spreads."""
    R, shape = len(embed), embed.shape[2:]
    e: dict[str, Any] = {"bn_raises": refused, "bn_eval": o["bn_eval"].reshape(shape).tolist()}
    for k in ("gn", "ln") if refused else ("bn", "gn", "ln"):
        e[k] = o[k][:R].reshape(R, *shape).tolist()
        e[k + "_spread"] = spread(o[k][:R])
    return e


def torch_code(x: Array, G: int, mean: Array, var: Array) -> str:
    """A script: the embedded batches through nn.BatchNorm1d (train, then eval with given running statistics),
    nn.GroupNorm and nn.LayerNorm; sample 0's outputs and their spread over the batches."""
    R, n, C = x.shape[:3]
    shape = list(x.shape[2:])
    return f"""import json

import torch
from torch import nn

# {R} batches of {n} drawn by NumPy: the same sample first in each, its batch-mates redrawn
x = torch.tensor({literal(x)}, dtype=torch.float64)
bn = nn.BatchNorm1d({C}, eps={EPS!r}, dtype=torch.float64)
gn = nn.GroupNorm({G}, {C}, eps={EPS!r}, dtype=torch.float64)
ln = nn.LayerNorm({shape}, eps={EPS!r}, dtype=torch.float64)


def spread(v):  # std over the batches of the sample's output, averaged over its values
    d = v - v[:1]
    return (d - d.mean(dim=0)).pow(2).mean(dim=0).sqrt().mean().item()


out = {{"bn_raises": False}}
with torch.no_grad():
    try:
        bn.train()
        y = torch.stack([bn(b)[0] for b in x])
        out |= {{"bn": y.tolist(), "bn_spread": spread(y)}}
    except ValueError as e:
        print(e)  # BatchNorm cannot train on one value per channel
        out["bn_raises"] = True
    for name, layer in (("gn", gn), ("ln", ln)):
        y = torch.stack([layer(b)[0] for b in x])
        out |= {{name: y.tolist(), name + "_spread": spread(y)}}
    # evaluation: running statistics of a converged training, the population's mean and variance
    bn.running_mean.copy_(torch.tensor({literal(mean)}, dtype=torch.float64))
    bn.running_var.copy_(torch.tensor({literal(var)}, dtype=torch.float64))
    bn.eval()
    out["bn_eval"] = bn(x[0])[0].tolist()
print(json.dumps(out))
"""


LAB = LabSpec(
    slug="batch-size",
    knobs=(
        Param("batch", "int", 8, minimum=1, maximum=64),
        Param("num_groups", "int", 2, minimum=1, maximum=4),
        Param("group_channels", "int", 4, minimum=1, maximum=4),  # C/G; C = G * C/G
        Param("length", "int", 1, minimum=1, maximum=2),
        Param("redraws", "int", 16, minimum=2, maximum=32),
        Param("seed", "int", 0, minimum=0, maximum=2**32 - 1),
    ),
    run=run,
    seeds=("004 d2l", "001 §4"),
    examples=("bn-batch-of-one",),
)
