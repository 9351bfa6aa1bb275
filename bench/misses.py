"""Cache misses a large trace adds to its floor, counted by valgrind's cachegrind: bench.engine's comparison in
a measure that does not move with the machine's load (its timings swing by a third between hours).

    python -m bench.misses                 # every layer of bench.engine, 20 counted calls each; needs valgrind
    python -m bench.misses --only LayerNorm --calls 10

Per layer, two runs of `--drive` under `valgrind --tool=cachegrind --cache-sim=yes`: after WARM rounds of
(floor, trace), `calls` rounds of (floor, trace), then of (floor, floor). The difference over `calls` is what one
trace adds to a floor run, the floor's own share cancelled out: instructions, misses of the first-level caches
(32 KB each for code and data) and of a last level of 1 MB, this machine's L2. A trace's passes over 4 MB arrays
leave its code and Python objects out of L2, so its own work beyond the passes fetches them again from L3, or
from memory when other tenants of the machine crowd L3: those last-level misses, about 40 cycles each at best,
are most of what bench.engine's "trace-floor us" measures, and they are what grows when the machine is busy.
A contiguous array the trace reads that the floor does not (BLAS's ones vector: 128 KB, 2,048 lines) counts
here in full, though the CPU prefetches it. Hash seed and address layout are fixed (PYTHONHASHSEED=0, `setarch
-R`), so a repeated run gives the same counts to within a few misses. One run takes about 2 minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

WARM = 3  # rounds before the counted ones: the trace's prepared arguments, the first calls' caches
CACHES = ["--I1=32768,8,64", "--D1=32768,8,64", "--LL=1048576,16,64"]  # size, ways, line: L1i, L1d, L2
EVENTS = {"I": "instructions", "I1": "L1 code misses", "D1": "L1 data misses", "LL": "L2 misses"}


def drive(name: str, calls: int, trace: bool) -> None:
    """WARM rounds of (floor, trace), then `calls` rounds of (floor, trace) or, with trace False, (floor, floor)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import normlens
    from bench.engine import SHAPE, cases

    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    case = next(c for c in cases(x, with_torch=False) if c.name == name)

    def run() -> object:
        return normlens.trace(case.layer, x, **case.params)

    for _ in range(WARM):
        case.floor(), run()
    second = run if trace else case.floor
    for _ in range(calls):
        case.floor(), second()


def count(name: str, calls: int, trace: bool) -> dict[str, int]:
    """cachegrind's totals for a whole `--drive` run, start-up included."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=yes", *CACHES, "--cachegrind-out-file=/dev/null"]
    command += [sys.executable, "-m", "bench.misses", "--drive", name, str(calls), "trace" if trace else "floor"]
    if shutil.which("setarch"):
        command = ["setarch", "-R", *command]  # the same addresses each run: the same cache sets
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800, check=False)
    totals = parse(run.stderr)
    if run.returncode != 0 or set(totals) != set(EVENTS):
        raise SystemExit(f"cachegrind run of {name} failed:\n{run.stderr[-2000:]}")
    return totals


def parse(report: str) -> dict[str, int]:
    """The totals of cachegrind's summary: "I refs", "I1 misses", "D1 misses" and "LL misses" (code and data)."""
    found = re.findall(r"==\d+== (I|I1|D1|LL) +(?:refs|misses): +([\d,]+)", report)
    return {event: int(number.replace(",", "")) for event, number in found}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20, help="counted calls per layer (default 20)")
    parser.add_argument("--only", default="", help="the layers whose name contains this text")
    parser.add_argument("--drive", nargs=3, metavar=("NAME", "CALLS", "SECOND"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive:
        drive(args.drive[0], int(args.drive[1]), args.drive[2] == "trace")
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("bench.misses needs valgrind (Debian: apt-get install valgrind)")
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    from bench.engine import SHAPE, cases

    names = [c.name for c in cases(np.zeros(SHAPE, np.float32), with_torch=False) if args.only in c.name]
    print(f"input {SHAPE} float32, per trace beyond a floor run, {args.calls} calls, cachegrind ({', '.join(CACHES)})")
    print(f"{'layer':<30}" + "".join(f"{v:>17}" for v in EVENTS.values()))
    with ThreadPoolExecutor(max_workers=2) as pool:
        for name in names:
            both = [pool.submit(count, name, args.calls, trace) for trace in (True, False)]
            (with_trace, floors) = (f.result() for f in both)
            extra = {k: (with_trace[k] - floors[k]) / args.calls for k in EVENTS}
            print(f"{name:<30}" + "".join(f"{extra[k]:>17,.0f}" for k in EVENTS), flush=True)


if __name__ == "__main__":
    main()
