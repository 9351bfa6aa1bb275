"""How long a full trace takes next to PyTorch's own forward pass, on a (32, 32, 32, 32) float32 tensor.

    python -m bench.engine            # or: python bench/engine.py [--repeats 50]

"trace" is normlens.trace(...) plus normlens.app.tracejson.trace_json(..., "summary"): every step with its words
and every summary (what the API does for a large tensor). "torch" is the module's forward pass, one thread,
under no_grad (BatchNorm in training mode, so it computes batch statistics and updates its buffers like the
trace). Both are timed in the same process, median of the repeats after a warm-up. The last row uses random
gamma and beta, so that the scaled and output steps cannot share the normalized array (the default rows start
from a fresh layer, gamma = 1 and beta = 0, as PyTorch's do).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import normlens  # noqa: E402
from normlens.app.tracejson import trace_json  # noqa: E402

SHAPE = (32, 32, 32, 32)


def median_ms(fn: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def cases(x: np.ndarray) -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    import torch
    from torch import nn

    torch.set_num_threads(1)
    xt = torch.from_numpy(x)
    rng = np.random.default_rng(1)
    gamma = rng.uniform(0.5, 2, 32).astype(np.float32)
    beta = rng.uniform(-1, 1, 32).astype(np.float32)
    bn = nn.BatchNorm2d(32).train()
    bn_affine = nn.BatchNorm2d(32).train()
    with torch.no_grad():
        bn_affine.weight.copy_(torch.from_numpy(gamma))
        bn_affine.bias.copy_(torch.from_numpy(beta))
    ln = nn.LayerNorm([32, 32, 32])
    gn = nn.GroupNorm(8, 32)

    def forward(m: nn.Module) -> Callable[[], object]:
        def run() -> object:
            with torch.no_grad():
                return m(xt)

        return run

    def trace(layer: str, **params: object) -> Callable[[], object]:
        return lambda: trace_json(normlens.trace(layer, x, **params), "summary")

    return [
        ("BatchNorm2d(32)", trace("batch_norm"), forward(bn)),
        ("LayerNorm([32, 32, 32])", trace("layer_norm", normalized_shape=[32, 32, 32]), forward(ln)),
        ("GroupNorm(8, 32)", trace("group_norm", num_groups=8), forward(gn)),
        ("BatchNorm2d(32), random γ, β", trace("batch_norm", gamma=gamma, beta=beta), forward(bn_affine)),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30, help="timed runs per measurement (median reported)")
    args = ap.parse_args(argv)
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    print(f"input {SHAPE} float32, median of {args.repeats} runs, torch threads = 1")
    print(f"{'layer':<30} {'trace ms':>9} {'torch ms':>9} {'ratio':>6}")
    for name, ours, theirs in cases(x):
        a = median_ms(ours, args.repeats)
        b = median_ms(theirs, args.repeats)
        print(f"{name:<30} {a:9.2f} {b:9.2f} {a / b:6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
