"""The training loop: mini-batch SGD-family training of a Sequential model, logged every `log_every` steps, the
same arithmetic a torch.nn/torch.optim loop does (forward, cross-entropy plus penalties, backward, step, then
the proximal L1 shrink when asked).

    >>> cfg = Config(dataset="moons", n=128, depth=2, width=8, steps=20, log_every=5)
    >>> logs = list(Trainer(cfg).steps()); logs[-1]["step"], sorted(logs[-1])[:3]
    (20, ['accuracy', 'grad_norms', 'layers'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from normlens.train.data import dataset
from normlens.train.layers import Array, Layer
from normlens.train.models import Spec, build, init_weights, lenet, mlp, weight_keys
from normlens.train.optim import Optimizer, penalty, proximal_l1

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
EVAL_MAX = 600  # accuracy at a log step is measured on at most this many samples (every k-th one)


@dataclass(frozen=True)
class Config:
    model: str = "mlp"  # mlp | lenet
    dataset: str = "moons"
    n: int = 256
    noise: float = 0.1
    depth: int = 2
    width: int = 16
    activation: str = "relu"
    norm: str = "none"  # mlp: none | batch | layer | group
    bn: tuple[bool, bool, bool] = (True, True, True)  # lenet: a BatchNorm after conv1, conv2, fc1
    pool: str = "avg"
    dropout: float = 0.0
    init_scale: float = 1.0
    optimizer: str = "sgd"
    lr: float | None = None  # None: the optimizer's PyTorch default (SGD: 0.1 here)
    momentum: float | None = None
    weight_decay: float | None = None
    l1: float = 0.0
    l2: float = 0.0
    proximal: bool = False  # L1 by soft-thresholding after each step instead of its subgradient
    batch: int = 32
    steps: int = 100
    log_every: int = 10
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"bn": list(self.bn)}


def model_spec(cfg: Config, inputs: int, classes: int) -> Spec:
    if cfg.model == "lenet":
        return lenet(cfg.bn, cfg.activation, cfg.pool, cfg.dropout)
    return mlp(inputs, classes, cfg.depth, cfg.width, cfg.activation, cfg.norm, cfg.dropout)


@dataclass
class Run:
    """Everything a run starts from (the torch script is built from the same): data, model, weights, order."""

    cfg: Config
    x: Array
    y: Array
    spec: Spec
    init: dict[str, Array]
    order: list[Array]  # the sample indices of each step's batch

    @classmethod
    def start(cls, cfg: Config) -> Run:
        x, y = dataset(cfg.dataset, cfg.n, cfg.noise, cfg.seed)
        if cfg.model == "mlp":
            x = x.reshape(len(x), -1)
        spec = model_spec(cfg, int(np.prod(x.shape[1:])), int(y.max()) + 1)
        init = init_weights(spec, np.random.default_rng([cfg.seed, 1]), cfg.init_scale)
        shuffle, per_epoch = np.random.default_rng([cfg.seed, 2]), max(1, len(x) // cfg.batch)
        order: list[Array] = []
        while len(order) < cfg.steps:  # a fresh permutation per epoch; the last incomplete batch is dropped
            perm = shuffle.permutation(len(x))
            order += [perm[i * cfg.batch : (i + 1) * cfg.batch] for i in range(per_epoch)]
        return cls(cfg, x, y, spec, init, order[: cfg.steps])


def cross_entropy(logits: Array, y: Array) -> tuple[float, Array]:
    """Mean softmax cross-entropy and its gradient with respect to the logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    grad = np.exp(logp)
    grad[np.arange(n), y] -= 1
    return float(-logp[np.arange(n), y].mean()), grad / n


def forward(layers: list[Layer], x: Array, train: bool, keep: list[Array] | None = None) -> Array:
    for layer in layers:
        x = layer.forward(x, train)
        if keep is not None:
            keep.append(x)
    return x


def params_of(layers: list[Layer]) -> dict[str, Array]:
    return {f"{i}.{k}": v for i, layer in enumerate(layers) for k, v in layer.params.items()}


class Trainer:
    """A run in progress: `steps()` trains and yields one log entry per `log_every` steps (and the last): step,
    loss (cross-entropy plus penalties, on the batch), accuracy (eval mode, on the data set or at most EVAL_MAX
    of its samples) and per-layer statistics;
    `state()` is the state dict to compare with torch's after it."""

    def __init__(self, cfg: Config) -> None:
        self.cfg, self.run = cfg, Run.start(cfg)
        self.layers = build(self.run.spec, self.run.init, np.random.default_rng([cfg.seed, 3]))
        self.opt = Optimizer(cfg.optimizer, cfg.lr, cfg.momentum, cfg.weight_decay)
        self.params, self.wkeys = params_of(self.layers), weight_keys(self.run.spec)

    def steps(self, stop: Callable[[], bool] = lambda: False) -> Iterator[dict[str, Any]]:
        """Train, yielding the log entries; `stop()` is asked before every step (a stopped run just ends)."""
        cfg, run = self.cfg, self.run
        for step, idx in enumerate(run.order, start=1):
            if stop():
                return
            outs: list[Array] = []
            logits = forward(self.layers, run.x[idx], train=True, keep=outs)
            ce, g = cross_entropy(logits, run.y[idx])
            weights = [self.params[k] for k in self.wkeys]
            pen, pen_grads = penalty(weights, 0.0 if cfg.proximal else cfg.l1, cfg.l2)
            for layer in reversed(self.layers):
                g = layer.backward(g)
            grads = {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()}
            for k, pg in zip(self.wkeys, pen_grads, strict=True):
                grads[k] = grads[k] + pg
            self.opt.step(self.params, grads)
            if cfg.proximal and cfg.l1:
                proximal_l1(weights, float(self.opt.lr or 0) * cfg.l1)
            if step % cfg.log_every == 0 or step == cfg.steps:
                yield self.log_entry(step, ce + pen, outs, grads)

    def state(self) -> dict[str, Any]:
        """The state dict (parameters and buffers) under nn.Sequential's keys."""
        out: dict[str, Any] = dict(self.params)
        for i, layer in enumerate(self.layers):
            out |= {f"{i}.{k}": v for k, v in layer.buffers.items()}
        return out

    def log_entry(self, step: int, loss: float, outs: list[Array], grads: dict[str, Array]) -> dict[str, Any]:
        every = -(-len(self.run.x) // EVAL_MAX)
        pred = forward(self.layers, self.run.x[::every], train=False).argmax(axis=1)
        stats = [
            {
                "mean": float(o.mean()),
                "std": float(o.std()),
                "zero": float((o == 0).mean()),
                "q": np.quantile(o, QUANTILES).tolist(),
            }
            for o in outs
        ]
        state_values = sum(v.size for st in self.opt.state.values() for v in st.values() if isinstance(v, np.ndarray))
        return {
            "step": step,
            "loss": loss,
            "accuracy": float((pred == self.run.y[::every]).mean()),
            "layers": stats,
            "grad_norms": {k: float(np.linalg.norm(v)) for k, v in grads.items()},
            "weight_norms": {k: float(np.linalg.norm(v)) for k, v in self.params.items()},
            "zeros": int(sum(int((self.params[k] == 0).sum()) for k in self.wkeys)),
            "state_values": int(state_values),
        }
