"""The training lab's arguments, declared once (they drive validation here and the API's schema), and the cost
cap: a run may not exceed WORK_LIMIT multiply-adds (steps x batch x the model's per-sample multiply-adds, about
10 s of CPU here), nor log more than MAX_LOGS entries.

    >>> config({"dataset": "blobs", "optimizer": "adam", "steps": 200}).optimizer
    'adam'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from normlens.args import ArgumentError, Param
from normlens.labs.base import LabSpec
from normlens.train.loop import Config, Run

WORK_LIMIT = 400_000_000
MAX_LOGS = 500

KNOBS = (
    Param("model", "enum", "mlp", choices=("mlp", "lenet")),
    Param("dataset", "enum", "moons", choices=("moons", "spirals", "blobs", "digits")),
    Param("n", "int", 256, minimum=16, maximum=2000),
    Param("noise", "float", 0.1, minimum=0, maximum=1),
    Param("depth", "int", 2, minimum=0, maximum=12),
    Param("width", "int", 16, minimum=2, maximum=128),
    Param("activation", "enum", "relu", choices=("relu", "sigmoid", "tanh")),
    Param("norm", "enum", "none", choices=("none", "batch", "layer", "group")),
    Param("bn1", "bool", True),
    Param("bn2", "bool", True),
    Param("bn3", "bool", True),
    Param("pool", "enum", "avg", choices=("avg", "max")),
    Param("dropout", "float", 0.0, minimum=0, maximum=0.9),
    Param("init_scale", "float", 1.0, minimum=0.01, maximum=100),
    Param("optimizer", "enum", "sgd", choices=("sgd", "momentum", "adam", "adamw")),
    Param("lr", "float", 0.0, minimum=0, maximum=10),  # 0: the optimizer's default
    Param("momentum", "float", 0.9, minimum=0, maximum=0.999),
    Param("weight_decay", "float", -1.0, minimum=-1, maximum=1),  # -1: the optimizer's default
    Param("l1", "float", 0.0, minimum=0, maximum=1),
    Param("l2", "float", 0.0, minimum=0, maximum=1),
    Param("proximal", "bool", False),
    Param("batch", "int", 32, minimum=1, maximum=256),
    Param("steps", "int", 200, minimum=1, maximum=3000),
    Param("log_every", "int", 10, minimum=1, maximum=500),
    Param("seed", "int", 0, minimum=0, maximum=2**31 - 1),
)
# the knobs checked like a lab's (types, bounds, unknown names)
SPEC = LabSpec("train", KNOBS, run=lambda **_: None)  # type: ignore[arg-type]


def config(body: Mapping[str, Any]) -> Config:
    """A validated Config, or ArgumentError naming the knob (torch's own words where torch refuses too)."""
    k = SPEC.resolve(body)
    if k["model"] == "lenet" and k["dataset"] != "digits":
        raise ArgumentError("dataset", "lenet_needs_digits", got=k["dataset"])
    opt = k["optimizer"]
    cfg = Config(
        model=k["model"],
        dataset=k["dataset"],
        n=k["n"],
        noise=k["noise"],
        depth=k["depth"],
        width=k["width"],
        activation=k["activation"],
        norm=k["norm"],
        bn=(k["bn1"], k["bn2"], k["bn3"]),
        pool=k["pool"],
        dropout=k["dropout"],
        init_scale=k["init_scale"],
        optimizer=opt,
        lr=k["lr"] or None,
        momentum=k["momentum"] if opt == "momentum" else None,
        weight_decay=None if k["weight_decay"] < 0 else k["weight_decay"],
        l1=k["l1"],
        l2=k["l2"],
        proximal=k["proximal"],
        batch=k["batch"],
        steps=k["steps"],
        log_every=k["log_every"],
        seed=k["seed"],
    )
    samples = 1797 if cfg.dataset == "digits" else cfg.n
    if cfg.batch > samples:
        raise ArgumentError("batch", "batch_over_samples", got=cfg.batch, samples=samples)
    if -(-cfg.steps // cfg.log_every) > MAX_LOGS:
        raise ArgumentError("log_every", "too_many_logs", steps=cfg.steps, log_every=cfg.log_every, limit=MAX_LOGS)
    uses_bn = (cfg.model == "mlp" and cfg.norm == "batch" and cfg.depth > 0) or (cfg.model == "lenet" and cfg.bn[2])
    if cfg.batch == 1 and uses_bn:
        width = cfg.width if cfg.model == "mlp" else 32
        torch = f"Expected more than 1 value per channel when training, got input size torch.Size([1, {width}])"
        raise ArgumentError("batch", "batch_of_one_bn", torch)
    if (work := cfg.steps * cfg.batch * macs(cfg)) > WORK_LIMIT:
        raise ArgumentError("steps", "too_much_work", work=work, limit=WORK_LIMIT)
    return cfg


def macs(cfg: Config) -> int:
    """Multiply-adds of one sample's forward pass through the model's Linear and Conv2d layers."""
    if cfg.model == "lenet":
        return 8 * 8 * 6 * 9 + 4 * 4 * 16 * 54 + 64 * 32 + 32 * 10
    inputs, classes = (64, 10) if cfg.dataset == "digits" else (2, 3 if cfg.dataset == "blobs" else 2)
    widths = [inputs, *[cfg.width] * cfg.depth, classes]
    return sum(a * b for a, b in zip(widths, widths[1:], strict=False))


__all__ = ["KNOBS", "Run", "config", "macs"]
