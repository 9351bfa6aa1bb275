"""The training engine against PyTorch on the same work: the LeNet-like net on scikit-learn's 8x8 digits for
5 epochs (batch 32: 280 steps), SGD, BatchNorm after each of the first three layers, float64, in one process.

    python -m bench.train                 # median of 3 runs each; --repeats N, --epochs N

torch runs the script NormLens writes for the run (normlens.train.script.torch_code: the same nn.Sequential,
initial weights, batch order and loss), split so that only its training loop is timed, with one thread, as
NormLens' loop is (NumPy's BLAS is limited to one thread as well). The targets (issue 11): NormLens within 3x
of torch, and under 10 s.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from normlens.train import Config, Trainer  # noqa: E402
from normlens.train.script import torch_code  # noqa: E402

SPLIT = "\nmodel.train()\n"


def config(epochs: int) -> Config:
    steps = epochs * (1797 // 32)
    return Config(model="lenet", dataset="digits", optimizer="sgd", lr=0.1, batch=32, steps=steps, log_every=steps)


def ours(cfg: Config) -> tuple[float, float]:
    trainer = Trainer(cfg)
    began = time.perf_counter()
    loss = list(trainer.steps())[-1]["loss"]
    return time.perf_counter() - began, loss


def theirs(cfg: Config) -> tuple[float, float]:
    setup, loop = torch_code(Trainer(cfg)).split(SPLIT)
    scope: dict = {"__name__": "bench"}
    exec(compile(setup, "<setup>", "exec"), scope)  # noqa: S102  our own generated script
    began = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile("model.train()\n" + loop, "<loop>", "exec"), scope)  # noqa: S102
    return time.perf_counter() - began, scope["losses"][-1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)
    cfg = config(args.epochs)
    a = [ours(cfg) for _ in range(args.repeats)]
    b = [theirs(cfg) for _ in range(args.repeats)]
    t_ours, t_torch = statistics.median(x for x, _ in a), statistics.median(x for x, _ in b)
    print(f"LeNet on digits, {cfg.steps} steps (batch {cfg.batch}), float64, one thread, median of {args.repeats}")
    print(f"  NormLens {t_ours:7.2f} s   final loss {a[-1][1]:.12f}")
    print(f"  torch    {t_torch:7.2f} s   final loss {b[-1][1]:.12f}")
    ratio = t_ours / t_torch
    print(
        f"  ratio {ratio:.2f}x torch (target <= 3x): {'ok' if ratio <= 3 else 'MISSED'}; "
        f"{'under' if t_ours < 10 else 'OVER'} 10 s"
    )


if __name__ == "__main__":
    main()
