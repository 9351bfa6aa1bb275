"""Lab running-stats: BatchNorm's running mean and variance over a stream of batches, under the momentum conventions
of PyTorch (0.1), Keras (0.99), d2l-zh (0.9) and momentum=None (the cumulative average), against the whole
stream's statistics, and what eval mode makes of one sample with each.

    >>> r = LAB.run(**LAB.defaults())
    >>> len(r.series["mean_pytorch"]) == LAB.defaults()["batches"]   # one running mean per batch, shape (B,)
    True
"""

from __future__ import annotations

import json

import numpy as np

from normlens.args import Array, Param
from normlens.labs.base import LabResult, LabSpec, Number, rng

EPS = 1e-5  # nn.BatchNorm1d's default, used for every convention (Keras' own default is 1e-3)
# convention -> (momentum as its framework writes it, in PyTorch's sense?, variance kept unbiased?)
CONVENTIONS = {
    "pytorch": (0.1, True, True),
    "keras": (0.99, False, False),  # Keras: moving = 0.99 moving + 0.01 batch, biased batch variance
    "d2l": (0.9, False, False),  # d2l-zh's from-scratch BN: the Keras sense, biased variance
    "cumulative": (None, True, True),  # PyTorch momentum=None: the plain average of every batch so far
}


def torch_from_keras(momentum: float) -> float:
    """Keras' (and d2l-zh's) momentum as PyTorch's: the weight of the new batch, 1 - m. 0.99 -> 0.01."""
    return 1.0 - momentum


def keras_from_torch(momentum: float) -> float:
    """PyTorch's momentum as Keras': the weight of the old value, 1 - m. 0.1 -> 0.9."""
    return 1.0 - momentum


def ema(stats: Array, factors: Array, start: float) -> Array:
    """running <- (1 - f_b) running + f_b stat_b after each batch b, as PyTorch updates its buffers.
    (B,), (B,) -> (B,)"""
    out, running = np.empty_like(stats), start
    for b, (stat, f) in enumerate(zip(stats, factors, strict=True)):
        running = (1 - f) * running + f * stat
        out[b] = running
    return out


def stream(mean: float, std: float, drift: float, batches: int, batch_size: int, seed: int) -> Array:
    """The batches: normal(mean, std), batch b's mean moved by b * drift. -> (B, n)"""
    return rng(seed).normal(mean, std, (batches, batch_size)) + drift * np.arange(batches)[:, None]


def running_stats(x: Array, custom: float) -> dict[str, tuple[Array, Array]]:
    """Per convention, the running mean and variance after each batch. (B, n) -> {name: ((B,), (B,))}"""
    b, n = x.shape
    mean, biased = x.mean(axis=1), x.var(axis=1)  # (B, n) -> (B,)
    unbiased = biased * n / (n - 1)
    out = {}
    for name, (m, torch_sense, unbiased_var) in {**CONVENTIONS, "custom": (custom, True, True)}.items():
        f = 1 / np.arange(1, b + 1) if m is None else np.full(b, m if torch_sense else torch_from_keras(m))
        out[name] = (ema(mean, f, 0.0), ema(unbiased if unbiased_var else biased, f, 1.0))
    return out


def run(
    mean: float, std: float, drift: float, batches: int, batch_size: int, momentum: float, sample: float, seed: int
) -> LabResult:
    x = stream(mean, std, drift, batches, batch_size, seed)
    stats = running_stats(x, momentum)
    full_mean, full_var = float(x.mean()), float(x.var())  # the whole stream, biased: (B, n) -> ()
    series: dict[str, object] = {"batch": np.arange(1, batches + 1), "batch_mean": x.mean(axis=1), "stream": x}
    series |= {"all": x.ravel(), "full_mean": full_mean, "full_var": full_var, "batch_var": x.var(axis=1)}
    numbers: dict[str, Number] = {
        "keras_momentum": keras_from_torch(momentum),
        "d2l_momentum": keras_from_torch(momentum),
    }
    expect: dict[str, object] = {}
    for name, (rm, rv) in stats.items():
        out = (sample - rm) / np.sqrt(rv + EPS)  # eval mode after each batch, gamma 1, beta 0: (B,)
        series |= {f"mean_{name}": rm, f"var_{name}": rv, f"eval_{name}": out}
        numbers |= {f"mean_{name}": float(rm[-1]), f"var_{name}": float(rv[-1]), f"eval_{name}": float(out[-1])}
        expect |= {f"mean_{name}": rm.tolist(), f"var_{name}": rv.tolist(), f"eval_{name}": float(out[-1])}
    eval_full = (sample - full_mean) / np.sqrt(full_var + EPS)
    numbers |= {"full_mean": full_mean, "full_var": full_var, "eval_full": float(eval_full)}
    expect |= {"full_mean": full_mean, "full_var": full_var, "eval_full": float(eval_full)}
    series["eval_full"] = float(eval_full)
    series["final_eval"] = [numbers[f"eval_{c}"] for c in (*CONVENTIONS, "custom")] + [float(eval_full)]
    return LabResult(numbers, series, torch_code(x, momentum, sample), expect)


TORCH = """\
import json
import torch
from torch import nn

x = torch.tensor({x}, dtype=torch.float64)  # the stream: batch b is x[b], {n} values of one feature
sample = torch.tensor([[{sample!r}]], dtype=torch.float64)  # one sample, shape (1, 1), in eval mode
# PyTorch's momentum is the weight of the NEW batch; Keras' and d2l-zh's is the weight of the OLD value
conventions = {{"pytorch": 0.1, "keras": 1 - 0.99, "d2l": 1 - 0.9, "cumulative": None, "custom": {m!r}}}
biased_var = {{"keras", "d2l"}}  # they keep the biased batch variance; PyTorch keeps the unbiased one
out = {{}}
for name, momentum in conventions.items():
    bn = nn.BatchNorm1d(1, momentum=momentum, affine=False, dtype=torch.float64)
    means, variances, kept = [], [], torch.ones(1, dtype=torch.float64)
    for batch in x:
        bn.train()
        bn(batch[:, None])  # (n, 1): updates running_mean and running_var
        kept = (1 - momentum) * kept + momentum * batch.var(unbiased=False) if name in biased_var else bn.running_var
        means.append(bn.running_mean.item())
        variances.append(kept.item())
    bn.running_var.copy_(kept)
    bn.eval()
    out["mean_" + name], out["var_" + name] = means, variances
    out["eval_" + name] = bn(sample).item()
out["full_mean"], out["full_var"] = x.mean().item(), x.var(unbiased=False).item()
full = nn.functional.batch_norm(sample, x.mean().reshape(1), x.var(unbiased=False).reshape(1), training=False)
out["eval_full"] = full.item()
print(json.dumps(out))
"""


def torch_code(x: Array, momentum: float, sample: float) -> str:
    return TORCH.format(x=json.dumps(x.tolist()), n=x.shape[1], sample=sample, m=momentum)


LAB = LabSpec(
    "running-stats",
    (
        Param("mean", "float", 2.0, minimum=-5, maximum=5),
        Param("std", "float", 1.0, minimum=0.1, maximum=5),
        Param("drift", "float", 0.0, minimum=-0.5, maximum=0.5),
        Param("batches", "int", 40, minimum=2, maximum=100),
        Param("batch_size", "int", 16, minimum=2, maximum=64),
        Param("momentum", "float", 0.05, minimum=0, maximum=1),
        Param("sample", "float", 3.0, minimum=-10, maximum=10),
        Param("seed", "int", 0, minimum=0, maximum=9999),
    ),
    run,
    seeds=("000 Q6", "000 Q10", "001 §4"),
    examples=("bn-train-running-stats", "bn-eval-running-stats"),
)
