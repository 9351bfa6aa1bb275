"""torch_code for a training run: a self-contained script that trains the same nn.Sequential with torch.optim
from the same initial weights, data and batch order (and the same dropout masks, drawn with NumPy), and prints
the logged losses and the final state dict as one JSON object on its last line; `expect(trainer, logs)` gives
NormLens' values under the same keys."""

from __future__ import annotations

from typing import Any

from normlens.train.loop import Trainer

PRELUDE = '''import json

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)


class MaskDropout(nn.Module):
    """nn.Dropout's arithmetic, x * (mask / (1 - p)), for a mask drawn with NumPy's PCG64 (keep where u < 1 - p)
    in the same order as NormLens draws it, instead of torch's own generator."""

    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.from_numpy(self.rng.random(tuple(x.shape)) < 1 - self.p)
        return x * (keep / (1 - self.p))

'''

LOOP = """
model.train()
losses = []
for step, idx in enumerate(order, start=1):
    opt.zero_grad()
    out = model(x[idx])
    loss = F.cross_entropy(out, y[idx])
    weights = [model.get_parameter(k) for k in weight_keys]
    total = loss + sum(L1 * w.abs().sum() + L2 * (w * w).sum() for w in weights)
    total.backward()
    opt.step()
    if PROXIMAL and PROX_L1:
        with torch.no_grad():
            for w in weights:
                w.copy_(torch.sign(w) * torch.clamp(w.abs() - LR * PROX_L1, min=0))
    if step % LOG_EVERY == 0 or step == len(order):
        losses.append(total.item())
state = {"w:" + k: v.double().flatten().tolist() for k, v in model.state_dict().items()}
print(json.dumps({"loss": losses, **state}))
"""


def _module(kind: str, args: dict[str, Any]) -> str:
    if kind == "Dropout":
        return f"MaskDropout({args['p']!r}, masks)"
    return f"nn.{kind}(" + ", ".join(f"{k}={v!r}" for k, v in args.items()) + ")"


def _optimizer(t: Trainer) -> str:
    o = t.opt
    if o.kind in ("sgd", "momentum"):
        args = f"lr={o.lr!r}, momentum={o.momentum!r}, weight_decay={o.weight_decay!r}"
        return f"torch.optim.SGD(model.parameters(), {args})"
    args = f"lr={o.lr!r}, betas={o.betas!r}, eps={o.eps!r}, weight_decay={o.weight_decay!r}"
    return f"torch.optim.{'Adam' if o.kind == 'adam' else 'AdamW'}(model.parameters(), {args})"


def _data(t: Trainer) -> str:
    if t.cfg.dataset == "digits":
        load = "from sklearn.datasets import load_digits\n\ndigits = load_digits()\n"
        shape = "(-1, 1, 8, 8)" if t.cfg.model == "lenet" else "(-1, 64)"
        x = f"x = torch.from_numpy(digits.data.reshape{shape} / 16.0)\n"
        return load + x + "y = torch.from_numpy(digits.target.astype(np.int64))\n"
    return f"x = torch.tensor({t.run.x.tolist()!r})\ny = torch.tensor({t.run.y.tolist()!r})\n"


def torch_code(t: Trainer) -> str:
    cfg = t.cfg
    modules = ",\n    ".join(_module(kind, a) for kind, a in t.run.spec)
    init = {k: v.tolist() for k, v in t.run.init.items()}
    lines = [
        PRELUDE,
        _data(t),
        f"masks = np.random.default_rng([{cfg.seed}, 3])  # the dropout masks' generator\n",
        f"model = nn.Sequential(\n    {modules},\n)\n",
        f"model.load_state_dict({{k: torch.tensor(v) for k, v in {init!r}.items()}}, strict=False)\n",
        f"opt = {_optimizer(t)}\n",
        f"order = {[i.tolist() for i in t.run.order]!r}\n",
        f"weight_keys = {t.wkeys!r}\n",
        f"L1, L2, PROXIMAL, PROX_L1, LR, LOG_EVERY = {0.0 if cfg.proximal else cfg.l1!r}, {cfg.l2!r}, "
        f"{cfg.proximal!r}, {cfg.l1!r}, {t.opt.lr!r}, {cfg.log_every!r}\n",
        LOOP,
    ]
    return "".join(lines)


def expect(t: Trainer, logs: list[dict[str, Any]]) -> dict[str, Any]:
    """NormLens' values under the keys torch_code prints (after every step has run)."""
    state = {f"w:{k}": (v.ravel().tolist() if hasattr(v, "ravel") else [float(v)]) for k, v in t.state().items()}
    return {"loss": [entry["loss"] for entry in logs], **state}
