"""Training jobs behind POST /api/v1/train: the run proceeds in a thread and its log entries stream out as
newline-delimited JSON, one object per line:

    {"type": "queued", "position": 2}              while it waits for a slot (repeated every second)
    {"type": "start", "modules": [...], "weights": [...], ...}   the model (nn.Sequential's modules, weight keys)
    {"type": "log", "step": 10, "loss": ..., ...}   every `log_every` steps
    {"type": "summary", "torch_code": ..., "torch_expect": {...}, ...}   at the end
    {"type": "error", "code": "time_limit", "message": {"en", "zh"}}      a run that hit its time cap

At most `slots` runs train at once per worker (one per CPU core); up to MAX_WAITING more wait in line, told
their position; beyond that the request gets 503 with Retry-After. A closed connection (the page's Stop button
aborts its fetch) stops the run before its next step. A finished run's lines are kept, keyed by its canonical
configuration, so the next visitor of the same configuration (a lab's default) gets them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

from normlens.app.lessons import lessons
from normlens.app.responses import dumps
from normlens.app.trace_cache import ResponseCache
from normlens.train import Config, Trainer
from normlens.train.data import digits, digits_available
from normlens.train.optim import STATE_TENSORS
from normlens.train.script import expect, torch_code

MAX_WAITING = 8
TIME_LIMIT = 60.0  # seconds of training per run, whatever its configuration
CACHE_BYTES = 32 * 1024 * 1024


class Line:
    """A queue ticket: its turn comes when `ready` is set."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()


class Jobs:
    """A FIFO of runs per worker: `slots` train at once, MAX_WAITING wait, the rest are refused."""

    def __init__(self, slots: int) -> None:
        self.slots, self.running, self.waiting = slots, 0, deque[Line]()

    def full(self) -> bool:
        return self.running >= self.slots and len(self.waiting) >= MAX_WAITING

    def enter(self) -> Line:
        line = Line()
        if self.running < self.slots and not self.waiting:
            self.running += 1
            line.ready.set()
        else:
            self.waiting.append(line)
        return line

    def position(self, line: Line) -> int:
        return self.waiting.index(line) + 1 if line in self.waiting else 0

    def leave(self, line: Line) -> None:
        if line in self.waiting:
            self.waiting.remove(line)
            return
        self.running -= 1
        while self.waiting and self.running < self.slots:
            self.running += 1
            self.waiting.popleft().ready.set()


@cache
def jobs() -> Jobs:
    return Jobs(max(1, os.cpu_count() or 1))


@cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max(1, os.cpu_count() or 1), thread_name_prefix="train")


_saved = ResponseCache(CACHE_BYTES)


def warm() -> None:
    """At start-up, in a thread: the digits loaded (scikit-learn imported) before the first run needs them."""
    if digits_available():
        digits()


def line(obj: dict[str, Any]) -> bytes:
    return dumps(obj) + b"\n"


def summary(trainer: Trainer, logs: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    params = sum(p.size for p in trainer.params.values())
    buffers = sum(getattr(b, "size", 1) for layer in trainer.layers for b in layer.buffers.values())
    extra = trainer.opt.state_tensors(trainer.params)
    return {
        "type": "summary",
        "config": trainer.cfg.to_dict(),
        "steps": logs[-1]["step"] if logs else 0,
        "seconds": seconds,
        "parameters": params,
        "buffers": buffers,
        "optimizer_state": {
            "tensors_per_parameter": extra,
            "values": extra * params,
            "bytes": extra * params * 8,
            "gradient_values": params,
            "by_optimizer": STATE_TENSORS,
        },
        "torch_code": torch_code(trainer),
        "torch_expect": expect(trainer, logs),
    }


async def stream(cfg: Config, key: bytes) -> AsyncIterator[bytes]:
    """The run's lines: replayed when this configuration ran before, else trained now (see the module doc)."""
    if (saved := _saved.get(key)) is not None:
        yield saved
        return
    queue, ticket, stop = jobs(), None, threading.Event()
    try:
        ticket = queue.enter()
        while not ticket.ready.is_set():
            yield line({"type": "queued", "position": queue.position(ticket)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ticket.ready.wait(), timeout=1.0)
        out: list[bytes] = []
        async for chunk in _train(cfg, stop):
            out.append(chunk)
            yield chunk
        if b'"type":"summary"' in out[-1]:
            _saved.put(key, b"".join(out))
    finally:
        stop.set()  # a closed connection cancels this generator: the thread stops before its next step
        if ticket is not None:
            queue.leave(ticket)


async def _train(cfg: Config, stop: threading.Event) -> AsyncIterator[bytes]:
    loop, began = asyncio.get_running_loop(), time.monotonic()
    trainer = await loop.run_in_executor(_executor(), Trainer, cfg)
    timed_out = threading.Event()

    def halt() -> bool:
        if time.monotonic() - began > TIME_LIMIT:
            timed_out.set()
        return stop.is_set() or timed_out.is_set()

    spec = trainer.run.spec
    yield line(
        {
            "type": "start",
            "modules": [kind for kind, _ in spec],
            "weights": trainer.wkeys,
            "steps": cfg.steps,
            "log_every": cfg.log_every,
        }
    )
    entries, logs = trainer.steps(halt), []
    while (entry := await loop.run_in_executor(_executor(), next, entries, None)) is not None:
        logs.append(entry)
        yield line({"type": "log", **entry})
    if timed_out.is_set():
        words = lessons().message("errors", "train_time_limit")
        message = {"en": words["en"], "zh": words["zh"]}
        yield line({"type": "error", "code": "train_time_limit", "message": message, "logged": len(logs)})
        return
    if not stop.is_set():
        done = await loop.run_in_executor(_executor(), summary, trainer, logs, time.monotonic() - began)
        yield line(done)
