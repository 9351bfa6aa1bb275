"""Lab dropout-bn-variance-shift: x -> Dropout(p) -> BatchNorm1d trained on `batches` batches of zero-mean x, then
evaluated on the last batch; beside it the fix, x -> BatchNorm1d -> Dropout(p). In training BN sees
Var(x * mask / (1 - p)) = Var(x) / (1 - p); at test time Dropout is the identity, so BN meets Var(x) with a
running variance 1/(1 - p) too large and its output std shrinks to about sqrt(1 - p).

    >>> r = LAB.run(**LAB.resolve({"p": 0.5}))   # inputs (batches, batch, features) = (50, 32, 8)
    >>> round(r.numbers["var_ratio"], 1), round(r.numbers["std_shift"], 1)   # 1/(1-p), sqrt(1-p)
    (2.0, 0.7)
"""

from __future__ import annotations

from typing import Any

import numpy as np

import normlens
from normlens.args import Param
from normlens.dropout import apply_mask
from normlens.labs.base import LabResult, LabSpec, rng
from normlens.snippet import literal
from normlens.trace import Notice

Array = np.ndarray
MOMENTUM, EPS = 0.1, 1e-5  # nn.BatchNorm1d's defaults


def feature_var(a: Array) -> Array:
    """Biased variance per feature over every axis but the last, two-pass: (T, B, F) -> (F,)."""
    flat = a.reshape(-1, a.shape[-1])
    centered = flat - flat.mean(axis=0)
    return np.asarray((centered * centered).mean(axis=0))


def train_history(seen: Array) -> tuple[Array, Array, Array, Array]:
    """BN's running mean and variance before each of the T steps (and after the last), each step's batch
    variance, and the variance pooled over all T batches, for the inputs BN sees in training:
    (T, B, F) -> (T + 1, F), (T + 1, F), (T, F), (F,)."""
    T, B, F = seen.shape
    mean = seen.mean(axis=1)  # (T, B, F) -> (T, F)
    var = ((seen - mean[:, None, :]) ** 2).mean(axis=1)  # biased: what BN normalizes with
    rm, rv = np.zeros((T + 1, F)), np.ones((T + 1, F))
    for t in range(T):  # running <- (1 - f) running + f * batch statistic, the variance unbiased
        rm[t + 1] = (1 - MOMENTUM) * rm[t] + MOMENTUM * mean[t]
        rv[t + 1] = (1 - MOMENTUM) * rv[t] + MOMENTUM * var[t] * (B / (B - 1))
    pooled = var.mean(axis=0) + feature_var(mean)  # equal batches: within-batch + between-batch variance
    return rm, rv, var, pooled


def last_step(train_in: Array, eval_in: Array, rm: Array, rv: Array) -> dict[str, Array]:
    """The last training step through normlens' BatchNorm (from the running statistics before it), then BN in
    evaluation on `eval_in`: outputs (B, F) and the running statistics after, (F,)."""
    kw = {"momentum": MOMENTUM, "eps": EPS}
    t = normlens.trace("batch_norm", train_in, training=True, running_mean=rm[-2], running_var=rv[-2], **kw)
    assert t.running is not None
    after = t.running["mean"], t.running["var"]
    e = normlens.trace("batch_norm", eval_in, training=False, running_mean=after[0], running_var=after[1], **kw)
    return {"train_out": t.output, "eval_out": e.output, "running_mean": after[0], "running_var": after[1]}


def shift_numbers(out: dict[str, Array], prefix: str) -> dict[str, float | None]:
    """Mean and std of BN's output over the last batch, in training and in evaluation, and their std ratio:
    None (undefined) when the training output is all 0, i.e. Dropout zeroed every value of the batch."""
    tr, ev = out["train_out"], out["eval_out"]
    n = {"train_out_mean": tr.mean(), "train_out_std": tr.std(), "eval_out_mean": ev.mean(), "eval_out_std": ev.std()}
    numbers: dict[str, float | None] = {prefix + k: float(v) for k, v in n.items()}
    numbers[prefix + "std_shift"] = float(n["eval_out_std"] / n["train_out_std"]) if n["train_out_std"] > 0 else None
    return numbers


def run(p: float, features: int, batch: int, batches: int, seed: int) -> LabResult:
    """Draw `batches` zero-mean batches (batch, features) and their keep masks; train both orders, evaluate both."""
    g = rng(seed)
    sd = g.uniform(0.5, 2.0, features)  # each feature its own scale: the ratio does not depend on it
    x = g.standard_normal((batches, batch, features)) * sd  # (T, B, F)
    keep = g.random((batches, batch, features)) < 1 - p  # P(keep) = 1 - p, as normlens.dropout draws it
    dropped = apply_mask(x, keep, p)  # x * mask / (1 - p): what BN sees in training
    rm, rv, bvar, train_var = train_history(dropped)  # (F,) pooled over all T * B samples
    frm, frv, fvar, eval_var = train_history(x)  # the fix: BN sees x itself, Dropout comes after it
    out = last_step(dropped[-1], x[-1], rm, rv)
    fix = last_step(x[-1], x[-1], frm, frv)
    numbers: dict[str, Any] = {"expected_ratio": 1 / (1 - p), "expected_std_shift": float(np.sqrt(1 - p))}
    numbers |= {"train_var": float(train_var.mean()), "eval_var": float(eval_var.mean())}
    numbers["var_ratio"] = float((train_var / eval_var).mean())
    numbers["running_var"] = float(rv[-1].mean())
    numbers["running_var_ratio"] = float((rv[-1] / eval_var).mean())
    numbers["fix_running_var_ratio"] = float((frv[-1] / eval_var).mean())
    numbers |= shift_numbers(out, "") | shift_numbers(fix, "fix_")
    series: dict[str, Any] = {
        "steps": list(range(batches + 1)),
        "batch_steps": list(range(1, batches + 1)),
        "target_train": numbers["train_var"],  # scalars: reference lines
        "target_eval": numbers["eval_var"],
        "train_std": [numbers["train_out_std"], numbers["fix_train_out_std"]],  # (Dropout -> BN, BN -> Dropout)
        "eval_std": [numbers["eval_out_std"], numbers["fix_eval_out_std"]],
        "running_var": rv.mean(axis=1),
        "fix_running_var": frv.mean(axis=1),
        "batch_var": bvar.mean(axis=1),
        "fix_batch_var": fvar.mean(axis=1),
        **{k: out[k].reshape(-1) for k in ("train_out", "eval_out")},
        **{"fix_" + k: fix[k].reshape(-1) for k in ("train_out", "eval_out")},
    }
    expect = expected(out, fix, numbers, dropped[-1], x[-1])
    code = torch_code(p, x[-1], keep[-1], (rm[-2], rv[-2], frm[-2], frv[-2]), batches)
    # with few values and a large p Dropout can zero the whole last batch (probability p^(batch * features))
    n = batch * features
    empty = (Notice("dropped_whole_batch", {"p": p, "batch": batch, "features": features, "n": n, "chance": p**n}),)
    return LabResult(numbers, series, code, expect, empty if numbers["std_shift"] is None else ())


def expected(out: dict[str, Array], fix: dict[str, Array], n: dict[str, Any], seen: Array, x: Array) -> dict[str, Any]:
    """The numbers torch_code recomputes: the last batch's outputs and running statistics, both orders."""
    keys = ("train_out", "eval_out", "running_mean", "running_var")
    e: dict[str, Any] = {k: out[k].tolist() for k in keys} | {"fix_" + k: fix[k].tolist() for k in keys}
    e |= {k: n[k] for k in ("train_out_std", "eval_out_std", "std_shift", "fix_std_shift")}
    e["last_var_ratio"] = float((feature_var(seen) / feature_var(x)).mean())
    return e


def torch_code(p: float, x: Array, keep: Array, buffers: tuple[Array, ...], batches: int) -> str:
    """A script: the last batch through Dropout -> BN and BN -> Dropout, train then eval, from the running
    statistics NormLens computed over the batches before it."""
    B, F = x.shape
    rm, rv, frm, frv = (literal(b) for b in buffers)
    return f"""import json

import torch
from torch import nn

p = {p!r}
# the last of {batches} training batches, (batch, features) = ({B}, {F}), drawn by NumPy
x = torch.tensor({literal(x)}, dtype=torch.float64)
# nn.Dropout(p) would draw its own mask with torch's generator; this is NormLens' mask (1 = kept), applied
# exactly as nn.Dropout applies its mask in training: y = x * mask / (1 - p)
mask = torch.tensor({literal(keep.astype(np.int8))}, dtype=torch.float64)


def batch_norm(running_mean, running_var):
    bn = nn.BatchNorm1d({F}, eps={EPS!r}, momentum={MOMENTUM!r}, dtype=torch.float64)
    with torch.no_grad():  # the running statistics after the first {batches - 1} batches, as NormLens computed them
        bn.running_mean.copy_(torch.tensor(running_mean, dtype=torch.float64))
        bn.running_var.copy_(torch.tensor(running_var, dtype=torch.float64))
    return bn


def var(a):  # per feature, over the batch
    return a.var(dim=0, correction=0)


def std_ratio(a, b):  # None (undefined) when b is all 0: Dropout zeroed the whole batch
    s = b.std(correction=0)
    return None if s == 0 else (a.std(correction=0) / s).item()


bn = batch_norm({rm}, {rv})  # x -> Dropout(p) -> BatchNorm1d
bn.train()
train_out = bn(x * mask / (1 - p))  # training: BN sees the scaled, dropped-out batch
bn.eval()
eval_out = bn(x)  # evaluation: Dropout is the identity, BN uses its running statistics
fix = batch_norm({frm}, {frv})  # x -> BatchNorm1d -> Dropout(p): BN sees x in both modes
fix.train()
fix_train_out = fix(x)
fix.eval()
fix_eval_out = fix(x)
with torch.no_grad():
    out = {{
        "train_out": train_out.tolist(), "eval_out": eval_out.tolist(),
        "running_mean": bn.running_mean.tolist(), "running_var": bn.running_var.tolist(),
        "fix_train_out": fix_train_out.tolist(), "fix_eval_out": fix_eval_out.tolist(),
        "fix_running_mean": fix.running_mean.tolist(), "fix_running_var": fix.running_var.tolist(),
        "train_out_std": train_out.std(correction=0).item(), "eval_out_std": eval_out.std(correction=0).item(),
        "std_shift": std_ratio(eval_out, train_out), "fix_std_shift": std_ratio(fix_eval_out, fix_train_out),
        "last_var_ratio": (var(x * mask / (1 - p)) / var(x)).mean().item(),
    }}
print(json.dumps(out))
"""


LAB = LabSpec(
    slug="dropout-bn-variance-shift",
    knobs=(
        Param("p", "float", 0.5, minimum=0, maximum=0.9),
        Param("features", "int", 8, minimum=1, maximum=16),
        Param("batch", "int", 32, minimum=2, maximum=64),
        Param("batches", "int", 50, minimum=1, maximum=100),
        Param("seed", "int", 0, minimum=0, maximum=2**32 - 1),
    ),
    run=run,
    seeds=("000 Q14",),
    examples=("dropout-train", "dropout-eval"),
)
