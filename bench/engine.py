"""A full trace against its materialization floor and PyTorch's forward pass, on a (32, 32, 32, 32) float32 tensor.

    python -m bench.engine            # or: python bench/engine.py [--repeats 50] [--only LayerNorm] [--clock wall]

Per layer, four things are timed in the same process:

- "trace": `normlens.trace(...)`, forward only: arguments, statistics, every step's array, the PyTorch snippet.
- "floor": plain NumPy that writes each array of the trace once and does nothing else. For each distinct array
  the trace returns (group ids, centered, normalized, ...; one array the trace shares between steps, as `scaled`
  and `output` with gamma = 1 and beta = 0, counts once) the cheapest expression we found: `einsum` for a sum,
  BLAS dots for a sum of squares (float32 accumulation), one fresh array per elementwise step, NumPy's buffer
  sized to the rows as the trace's (`row_buffer`); no validation, no overflow checks, no float64. Before timing,
  the bench checks that the floor returns the trace's step ids, as many distinct full-size arrays, and the same
  values (to 1e-4).
- "torch": the module's forward pass (min-max: the same formula with torch.amin/amax), no_grad, BatchNorm and
  InstanceNorm in training mode (batch statistics, like the trace).
- "api": `trace_json(normlens.trace(...), "summary")`, what POST /api/v1/trace computes for a large tensor: the
  trace plus every step's words and summary (app/summary.py, app/derived.py). Shown apart: the 1.3x target is
  the trace's.

Timing: within each repeat, each of trace, torch and api runs in a pair with a floor run, the two in alternating
order, right after the same pair run untimed, so that each call finds what the other left, its own code run two
calls before (without a run before the pair the first of a pair paid for what ran before, torch's allocator or
the api's strings: trace/floor medians of 1.13-1.22 with the floor first and 1.42-1.73 with the trace first in
one run; with an untimed floor run alone, sessions 12-18 and `--prelude floor`, the floor's code was the one
run just before, a head start worth 0.05-0.15 of the trace's ratio and more of torch's: bench/README.md,
session 19); its ratio is to the floor run beside it. The garbage collector is off
during a call (as timeit does), and a full collection runs once per layer, not before every repeat: one leaves
the next few calls slower (the floor: 0.85, 0.54, 0.46, 0.43 ms after it, 0.35 without), a penalty that fell on
whichever call of a pair ran first. Time is this thread's CPU time (other jobs on a shared machine do not count;
`--clock wall` for wall time). NumPy's BLAS and torch use one thread. ms are medians; each ratio is the median of
the repeats' own ratios to the floor run beside them, so a slow moment moves it less; "trace-floor us" likewise
the median of their differences: what a trace costs beyond its passes (its arguments, the operations on the K
statistics, the steps' records, the snippet), which the ratio divides by the floor. The bench repeats one call,
so a trace finds its arguments prepared (core/prepared.py), as a repeated request does.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # NumPy's BLAS on one thread, like torch: before numpy loads
import numpy as np  # noqa: E402

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import normlens  # noqa: E402
from normlens.app.tracejson import trace_json  # noqa: E402
from normlens.rows import row_bufsize  # noqa: E402
from normlens.ufuncstate import reset, set_bufsize  # noqa: E402

SHAPE = (32, 32, 32, 32)
EPS = 1e-5
Arrays = dict[str, np.ndarray]


@dataclass
class Case:
    name: str
    layer: str
    params: dict[str, Any]
    floor: Callable[[], Arrays]
    torch: Callable[[], object] | None  # None: cases(x, with_torch=False)


def ids_floor(x: np.ndarray, view: tuple[int, int, int]) -> np.ndarray:
    """Group ids written in one pass: id k for every element of row k of the (P, K, Q) view."""
    ids = np.empty(x.shape, np.int32)
    ids.reshape(view)[...] = np.arange(view[1], dtype=np.int32)[:, None]
    return ids


def row_buffer(floor: Callable[..., Arrays]) -> Callable[..., Arrays]:
    """Run `floor(x, view, ...)` with the trace's NumPy buffer size for rows of Q values (Plan.bufsize): a pass
    that broadcasts one value per row of Q (x - mean) runs 1.5-1.8 times faster so, and the floor is the
    cheapest NumPy we found."""

    def run(x: np.ndarray, view: tuple[int, int, int], *args: Any) -> Arrays:
        token = set_bufsize(row_bufsize(view[2]))  # as np.setbufsize, set in one step as the trace does
        try:
            return floor(x, view, *args)
        finally:
            reset(token)

    return run


def normalize_floor(x: np.ndarray, view: tuple[int, int, int]) -> Arrays:
    """mean, centered, variance, std and normalized over the (P, K, Q) view: K statistics of P * Q values."""
    x3, m = x.reshape(view), view[0] * view[2]
    mean = np.einsum("pkq->k", x3) / m
    centered = x3 - mean[:, None]
    var = np.vecdot(centered, centered).sum(axis=0) / m  # BLAS dots: faster than einsum's sum of products
    std = np.sqrt(var + np.float32(EPS))
    normalized = centered * (1 / std)[:, None]
    out = {"input": x, "grouping": ids_floor(x, view), "mean": mean, "centered": centered, "variance": var}
    return out | {"std": std, "normalized": normalized}


@row_buffer
def batch_norm_floor(x: np.ndarray, view: tuple[int, int, int], gamma: Any = None, beta: Any = None) -> Arrays:
    """BatchNorm over the (N, C, H * W) view, the running statistics from their initial values, gamma and beta."""
    a = normalize_floor(x, view)
    m = view[0] * view[2]
    a["running_mean"] = np.float32(0.1) * a["mean"]  # from running_mean = 0, running_var = 1
    a["running_var"] = np.float32(0.9) + np.float32(0.1) * (a["variance"] * np.float32(m / (m - 1)))
    a["scaled"] = a["output"] = a["normalized"]
    if gamma is not None and beta is not None:
        a["scaled"] = a["normalized"] * gamma[:, None]
        a["output"] = a["scaled"] + beta[:, None]
    return a


@row_buffer
def per_sample_floor(x: np.ndarray, view: tuple[int, int, int], affine: bool = True) -> Arrays:
    """LayerNorm over (C, H, W) (view (1, N, C * H * W)), GroupNorm (1, N * G, ...) and InstanceNorm (1, N * C,
    H * W): gamma = 1, beta = 0."""
    a = normalize_floor(x, view)
    if affine:
        a["scaled"] = a["output"] = a["normalized"]
    return a


def rms_norm_floor(x: np.ndarray) -> Arrays:
    view = (1, x.shape[0], x[0].size)
    squares = np.square(x)
    ms = np.einsum("pkq->k", squares.reshape(view)) / view[2]
    rms = np.sqrt(ms + np.float32(np.finfo(np.float32).eps))
    normalized = x.reshape(view) * (1 / rms)[:, None]
    out = {"input": x, "grouping": ids_floor(x, view), "squares": squares, "mean_square": ms, "rms": rms}
    return out | {"normalized": normalized, "output": normalized}


def min_max_floor(x: np.ndarray) -> Arrays:
    """dim = 0: one (min, max) per (C, H, W) position, over the batch."""
    x2 = x.reshape(x.shape[0], -1)
    lo, hi = x2.min(axis=0), x2.max(axis=0)
    rng = hi - lo
    shifted = x2 - lo
    ids = np.empty(x.shape, np.int32)
    ids.reshape(x2.shape)[...] = np.arange(x2.shape[1], dtype=np.int32)
    out = {"input": x, "grouping": ids, "min": lo, "max": hi, "range": rng, "shifted": shifted}
    return out | {"output": shifted / rng}


def cases(x: np.ndarray, with_torch: bool = True) -> list[Case]:
    """The layers timed, each with its floor and (`with_torch`) PyTorch's forward pass on the same x."""
    rng = np.random.default_rng(1)
    gamma = rng.uniform(0.5, 2, 32).astype(np.float32)
    beta = rng.uniform(-1, 1, 32).astype(np.float32)
    N, C = x.shape[:2]
    bn, per = (N, C, x[0, 0].size), (lambda groups: (1, groups, x.size // groups))
    floors: list[tuple[str, str, dict[str, Any], Callable[[], Arrays]]] = [
        ("BatchNorm2d(32)", "batch_norm", {}, lambda: batch_norm_floor(x, bn)),
        ("BatchNorm2d(32), random γ, β", "batch_norm", {"gamma": gamma, "beta": beta},
         lambda: batch_norm_floor(x, bn, gamma, beta)),
        ("LayerNorm([32, 32, 32])", "layer_norm", {"normalized_shape": [32, 32, 32]},
         lambda: per_sample_floor(x, per(N))),
        ("GroupNorm(8, 32)", "group_norm", {"num_groups": 8}, lambda: per_sample_floor(x, per(N * 8))),
        ("InstanceNorm2d(32)", "instance_norm", {}, lambda: per_sample_floor(x, per(N * C), False)),
        ("RMSNorm([32, 32, 32])", "rms_norm", {"normalized_shape": [32, 32, 32]}, lambda: rms_norm_floor(x)),
        ("min-max, dim=0", "min_max", {"dim": 0}, lambda: min_max_floor(x)),
    ]  # fmt: skip
    runs = torch_runs(x, gamma, beta) if with_torch else [None] * len(floors)
    return [Case(*f, torch=t) for f, t in zip(floors, runs, strict=True)]


def torch_runs(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> list[Callable[[], object] | None]:
    """PyTorch's forward pass of each case of `cases`, in its order."""
    import torch
    from torch import nn

    torch.set_num_threads(1)
    xt = torch.from_numpy(x)
    bn_affine = nn.BatchNorm2d(32)
    with torch.no_grad():
        bn_affine.weight.copy_(torch.from_numpy(gamma))
        bn_affine.bias.copy_(torch.from_numpy(beta))

    def forward(m: nn.Module) -> Callable[[], object]:
        m.train()

        def run() -> object:
            with torch.no_grad():
                return m(xt)

        return run

    def min_max_torch() -> object:
        with torch.no_grad():
            lo, hi = xt.amin(0, keepdim=True), xt.amax(0, keepdim=True)
            return (xt - lo) / (hi - lo)

    modules = [nn.BatchNorm2d(32), bn_affine, nn.LayerNorm([32, 32, 32]), nn.GroupNorm(8, 32), nn.InstanceNorm2d(32)]
    return [*map(forward, modules), forward(nn.RMSNorm([32, 32, 32])), min_max_torch]


def check_floor(case: Case, x: np.ndarray) -> None:
    """The floor writes what the trace returns: the same step ids, the same distinct arrays, the same values."""
    tr = normlens.trace(case.layer, x, **case.params)
    ours = {s.id: s.values for s in tr.steps if s.values is not None}
    floor = case.floor()
    assert set(ours) == set(floor), f"{case.name}: trace {sorted(ours)} != floor {sorted(floor)}"
    for k, v in floor.items():
        np.testing.assert_allclose(ours[k].reshape(-1), np.asarray(v).reshape(-1), rtol=1e-4, atol=1e-5, err_msg=k)

    def distinct(arrays: Arrays) -> int:
        return len({id(a.base if a.base is not None else a) for a in arrays.values() if a.size == x.size})

    assert distinct(ours) == distinct(floor), f"{case.name}: {distinct(ours)} != {distinct(floor)} large arrays"


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def timed(fn: Callable[[], object]) -> float:
    """One call's time with the garbage collector off, as timeit does: a collection run by whichever call
    happens to cross the threshold is the whole process's debt, not that call's cost."""
    gc.disable()
    try:
        t0 = clock()
        fn()
        return clock() - t0
    finally:
        gc.enable()


def measure(case: Case, x: np.ndarray, repeats: int, warmup: int = 3, prelude: str = "pair") -> dict[str, float]:
    """Median ms of each of trace, floor, torch and api, and for each of trace, torch and api the median of its
    ratio to the floor run right beside it ("trace/floor", ...). Each is timed in a pair with its own floor run,
    the two in alternating order: a slow moment of a shared machine slows both sides of a pair, and what runs
    just before (torch's allocator, the api's strings) leaves the caches and the heap alike for both."""
    assert case.torch is not None, "cases(x, with_torch=False) are not for timing"
    fns = {
        "trace": lambda: normlens.trace(case.layer, x, **case.params),
        "floor": case.floor,
        "torch": case.torch,
        "api": lambda: trace_json(normlens.trace(case.layer, x, **case.params), "summary"),
    }
    subjects = ["trace", "torch", "api"]
    times: dict[str, list[float]] = {k: [] for k in fns}
    ratios: dict[str, list[float]] = {k: [] for k in subjects}
    over: dict[str, list[float]] = {k: [] for k in subjects}  # time beyond the floor run beside it
    gc.collect()  # once: it leaves the next few calls slower (the module's docstring)
    for i in range(warmup + repeats):
        for k in subjects[i % 3 :] + subjects[: i % 3]:
            pair = (k, "floor") if i % 2 else ("floor", k)  # each goes first in turn
            for j in pair if prelude == "pair" else ("floor",):  # untimed: see the docstring
                fns[j]()
            t = {j: timed(fns[j]) for j in pair}
            if i >= warmup:
                times[k].append(t[k])
                times["floor"].append(t["floor"])
                ratios[k].append(t[k] / t["floor"])
                over[k].append(t[k] - t["floor"])
    out = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    out |= {f"{k}-floor": statistics.median(v) * 1e6 for k, v in over.items()}  # us
    return out | {f"{k}/floor": statistics.median(v) for k, v in ratios.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30, help="timed runs per measurement (median reported)")
    ap.add_argument("--only", default="", help="run the layers whose name contains this text")
    ap.add_argument("--clock", choices=list(CLOCKS), default="cpu", help="this thread's CPU time, or wall time")
    ap.add_argument("--prelude", choices=["pair", "floor"], default="pair", help="run untimed before a pair")
    args = ap.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    print(f"input {SHAPE} float32, median of {args.repeats} interleaved runs, {args.clock} time, one thread")
    head = f"{'layer':<30} {'trace ms':>8} {'floor ms':>8} {'torch ms':>8} {'trace/floor':>11} {'torch/floor':>11}"
    print(f"{head} {'trace/torch':>11} {'api ms':>7} {'api/floor':>9} {'trace-floor us':>14}")
    worst = 0.0
    for case in cases(x):
        if args.only not in case.name:
            continue
        check_floor(case, x)
        t = measure(case, x, args.repeats, prelude=args.prelude)
        worst = max(worst, t["trace/floor"])
        row = f"{case.name:<30} {t['trace']:8.2f} {t['floor']:8.2f} {t['torch']:8.2f} {t['trace/floor']:11.2f}"
        row += f" {t['torch/floor']:11.2f} {t['trace/floor'] / t['torch/floor']:11.1f}"
        row += f" {t['api']:7.2f} {t['api/floor']:9.2f} {t['trace-floor']:14.0f}"
        print(row, flush=True)
    print(f"worst trace/floor: {worst:.2f} (target: at most 1.3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
