"""Training runs against torch: for every model x optimizer x regularizer combination on small randomized
configurations, the script NormLens writes (torch.nn + torch.optim, same initial weights, data, batch order and
dropout masks) logs the same losses within 1e-8 relative over 50 steps, and ends on the same state dict."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from normlens.train import Config, Trainer
from normlens.train.script import expect, torch_code
from tests.core.labs.torch_run import assert_matches, run_torch_many

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
REGULARIZERS = ({}, {"l1": 1e-3}, {"l2": 1e-3}, {"l1": 1e-2, "proximal": True})


def configs() -> list[Config]:
    """Every combination once, each with randomized (seeded) sizes, activation, norm and dropout."""
    pick = random.Random(20261201)
    out = []
    for model, opt, reg in itertools.product(("mlp", "lenet"), OPTIMIZERS, REGULARIZERS):
        common = {
            "optimizer": opt,
            "seed": pick.randrange(1000),
            "steps": 50,
            "log_every": pick.choice([10, 25]),
            "activation": pick.choice(["relu", "sigmoid", "tanh"]),
            "dropout": pick.choice([0.0, 0.2]),
            **reg,
        }
        if model == "lenet":
            bn = tuple(pick.random() < 0.5 for _ in range(3))
            cfg = Config(
                model="lenet",
                dataset="digits",
                batch=pick.choice([8, 16]),
                bn=bn,
                pool=pick.choice(["avg", "max"]),
                **common,
            )
        else:
            cfg = Config(
                dataset=pick.choice(["moons", "spirals", "blobs"]),
                n=pick.choice([64, 96]),
                depth=pick.randint(1, 3),
                width=pick.choice([4, 8]),
                batch=pick.choice([8, 16]),
                norm=pick.choice(["none", "batch", "layer", "group"]),
                init_scale=pick.choice([0.5, 1.0, 2.0]),
                **common,
            )
        out.append(cfg)
    return out


@pytest.mark.parametrize("model", ["mlp", "lenet"])
def test_every_combination_trains_as_torch_does(model) -> None:
    runs = []
    for cfg in (c for c in configs() if c.model == model):
        trainer = Trainer(cfg)
        logs = list(trainer.steps())
        runs.append((cfg, torch_code(trainer), expect(trainer, logs)))
    results = run_torch_many([code for _, code, _ in runs])
    for (cfg, _, want), got in zip(runs, results, strict=True):
        assert len(want["loss"]) == len(range(cfg.log_every, 51, cfg.log_every)) + (50 % cfg.log_every != 0)
        assert_matches(want, got, rtol=1e-8, atol=1e-12)


def test_the_logged_entry_names_what_the_pages_draw() -> None:
    trainer = Trainer(Config(norm="batch", depth=2, width=8, steps=4, log_every=2, optimizer="adam"))
    last = list(trainer.steps())[-1]
    assert last["step"] == 4 and 0 <= last["accuracy"] <= 1 and np.isfinite(last["loss"])
    assert len(last["layers"]) == len(trainer.run.spec)  # one statistics row per module's output
    assert last["state_values"] == 2 * sum(p.size for p in trainer.params.values())  # Adam: m and v
    assert set(last["grad_norms"]) == set(trainer.params)


def test_a_linear_before_batch_norm_has_no_bias() -> None:
    spec = Trainer(Config(norm="batch", depth=2, steps=1)).run.spec
    assert [a.get("bias", True) for kind, a in spec if kind == "Linear"] == [False, False, True]


def test_with_and_without_batch_norm_start_from_the_same_weights() -> None:
    """BatchNorm adds modules (the Linear layers move to other indices) and drops the biases before it, but the
    weights are the same draws, so the two runs of the train-bn lab start alike."""
    plain = Trainer(Config(norm="none", depth=3, width=8, steps=1)).run.init
    bn = Trainer(Config(norm="batch", depth=3, width=8, steps=1)).run.init

    def weights(state: dict) -> list:
        return [state[k] for k in sorted(state, key=lambda k: int(k.split(".")[0])) if k.endswith("weight")]

    assert [k for k in bn if k.endswith("bias")] == ["9.bias"]  # only the classifier keeps its bias
    for a, b in zip(weights(plain), weights(bn), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(plain["6.bias"], bn["9.bias"])
