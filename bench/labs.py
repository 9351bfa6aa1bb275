"""Each lab's server time at its largest setting, against a baseline measured in the same run.

    python -m bench.labs                 # or: python bench/labs.py [--repeats 7] [--only running-stats]

"Server time" is what POST /api/v1/labs/<slug> spends on a cache miss: `normlens.app.labs.compute`, i.e. the lab's
run, its words and the JSON bytes. The largest setting of a lab: every integer knob (sizes, counts) at its
minimum or maximum, all combinations, the rest at their defaults; the slowest combination is reported. The
baseline, timed interleaved with it (so a busy machine slows both alike), is a fixed NumPy workload of known cost
(a (256, 256) float64 matrix product and a sort of 250,000 numbers): divide by it to compare runs on other machines.
Issue 10's budget is 200 ms per lab at its largest setting; a lab over it must lower its bounds.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))

BUDGET_MS = 200.0


def baseline() -> None:
    a = np.random.default_rng(0).normal(size=(256, 256))
    a @ a
    np.sort(np.random.default_rng(1).normal(size=250_000))


def settings(slug: str) -> list[dict[str, Any]]:
    """Every integer knob at its bounds, all combinations (the others at defaults)."""
    from normlens.labs import LABS

    spec = LABS[slug]
    ints = [k for k in spec.knobs if k.type == "int" and k.name != "seed"]
    out = []
    for ends in itertools.product(*[(k.minimum, k.maximum) for k in ints]):
        out.append(spec.defaults() | {k.name: int(v) for k, v in zip(ints, ends, strict=True)})
    return out or [spec.defaults()]


def ms(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def measure(slug: str, repeats: int) -> tuple[dict[str, Any], float, float]:
    """(the slowest setting, its median ms, the baseline's median ms in the same loop)."""
    from normlens.app.labs import canonical, compute

    timed = []
    for knobs in settings(slug):
        knobs = canonical(slug, knobs)
        compute(slug, knobs)  # warm-up
        timed.append((statistics.median(ms(lambda k=knobs: compute(slug, k)) for _ in range(2)), knobs))
    worst = max(timed, key=lambda t: t[0])[1]
    lab_ms, base_ms = [], []
    for _ in range(repeats):
        lab_ms.append(ms(lambda: compute(slug, worst)))
        base_ms.append(ms(baseline))
    return worst, statistics.median(lab_ms), statistics.median(base_ms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", default=None, help="one lab's slug")
    args = parser.parse_args(argv)
    from normlens.app import labs

    slugs = [s for s in labs.LABS if labs.ready(s) and (args.only is None or s == args.only)]
    print(f"{'lab':28} {'ms':>8} {'baseline ms':>12} {'ratio':>7}  largest setting")
    over = []
    for slug in slugs:
        knobs, lab_ms, base_ms = measure(slug, args.repeats)
        sizes = {k: v for k, v in knobs.items() if isinstance(v, int) and not isinstance(v, bool) and k != "seed"}
        flag = "  OVER BUDGET" if lab_ms > BUDGET_MS else ""
        print(f"{slug:28} {lab_ms:8.1f} {base_ms:12.1f} {lab_ms / base_ms:7.2f}  {sizes}{flag}")
        if lab_ms > BUDGET_MS:
            over.append(slug)
    print(f"budget {BUDGET_MS:.0f} ms per lab at its largest setting: " + (f"over: {over}" if over else "all within"))
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
