"""Optimizers with PyTorch's exact update rules and defaults (torch.optim.SGD, Adam, AdamW; single-tensor
arithmetic, no foreach fusion), and the L1/L2 penalties of the regularization lessons.

    >>> opt = Optimizer("adam", lr=1e-3)
    >>> p = {"w": np.ones(3)}; opt.step(p, {"w": np.full(3, 0.5)})
    >>> opt.state_tensors(p)       # Adam keeps two extra tensors per parameter
    2
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from normlens.train.layers import Array

# PyTorch's defaults: SGD has no default learning rate in torch (required); we pick 0.1 for the lessons
DEFAULTS: dict[str, dict[str, Any]] = {
    "sgd": {"lr": 0.1, "momentum": 0.0, "weight_decay": 0.0},
    "momentum": {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.0},
    "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    "adamw": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2},
}
STATE_TENSORS = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}  # extra tensors per parameter


@dataclass
class Optimizer:
    kind: str
    lr: float | None = None
    momentum: float | None = None
    weight_decay: float | None = None
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    state: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        d = DEFAULTS[self.kind]
        self.lr = d["lr"] if self.lr is None else self.lr
        self.weight_decay = d["weight_decay"] if self.weight_decay is None else self.weight_decay
        self.momentum = d.get("momentum", 0.0) if self.momentum is None else self.momentum

    def state_tensors(self, params: dict[str, Array]) -> int:
        return STATE_TENSORS[self.kind] if self.kind != "sgd" or not self.momentum else 1

    def step(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Update every parameter in place, in `params`' order."""
        for name, p in params.items():
            update = self._sgd if self.kind in ("sgd", "momentum") else self._adam
            update(name, p, grads[name])

    def _sgd(self, name: str, p: Array, g: Array) -> None:
        lr, mom, wd = float(self.lr or 0), float(self.momentum or 0), float(self.weight_decay or 0)
        if wd:
            g = g + wd * p
        if mom:
            st = self.state.setdefault(name, {})
            st["momentum_buffer"] = g.copy() if "momentum_buffer" not in st else mom * st["momentum_buffer"] + g
            g = st["momentum_buffer"]
        p -= lr * g

    def _adam(self, name: str, p: Array, g: Array) -> None:
        lr, wd = float(self.lr or 0), float(self.weight_decay or 0)
        (b1, b2), eps = self.betas, self.eps
        if self.kind == "adamw":
            p *= 1 - lr * wd  # decoupled: the decay never enters the moments
        elif wd:
            g = g + wd * p  # Adam's weight_decay is an L2 gradient, scaled by the adaptive step like any other
        st = self.state.setdefault(name, {"step": 0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)})
        st["step"] += 1
        t = st["step"]
        st["exp_avg"] += (g - st["exp_avg"]) * (1 - b1)  # torch: exp_avg.lerp_(grad, 1 - beta1)
        st["exp_avg_sq"] *= b2
        st["exp_avg_sq"] += (1 - b2) * g * g
        step_size = lr / (1 - b1**t)
        denom = np.sqrt(st["exp_avg_sq"]) / math.sqrt(1 - b2**t) + eps
        p -= step_size * (st["exp_avg"] / denom)


def penalty(weights: list[Array], l1: float, l2: float) -> tuple[float, list[Array]]:
    """l1 * sum|w| + l2 * sum w^2 over the weight matrices and kernels (not biases, not norm parameters), and
    its gradient: l1 * sign(w) (a subgradient: 0 at 0, as torch's abs backward) + 2 * l2 * w."""
    value = sum(l1 * float(np.abs(w).sum()) + l2 * float((w * w).sum()) for w in weights)
    return value, [l1 * np.sign(w) + 2 * l2 * w for w in weights]


def proximal_l1(weights: list[Array], threshold: float) -> None:
    """Soft-thresholding after the step, w <- sign(w) max(|w| - lr*l1, 0): the proximal operator of the L1
    penalty, which lands on exact zeros, where the subgradient only jitters around them."""
    for w in weights:
        np.copyto(w, np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0))
