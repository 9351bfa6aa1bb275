"""Heavy request work in worker processes: parsing, validating and tracing a large body off the event loop's
process, so the loop keeps answering (a thread would not do: orjson, str.split and pydantic hold the GIL for
hundreds of milliseconds on a 4M-number body, and /healthz waited up to 0.7 s behind them).

The pool has NORMLENS_TRACE_SLOTS processes, started on first use with "spawn" (a fork of a process running
threads could inherit held locks); the admission gate (normlens.app.admission) bounds how many requests reach
it. A task gets the raw body bytes and returns the response (status, JSON bytes); after each, the process
gives its freed memory back to the system, so a 4M-element trace leaves no resident peak behind.

    run_work(TraceRequest, trace_work, body)  ->  (200, b'{"layer": ...}')  or  (422, b'{"detail": [...]}')
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from normlens.app.blas import one_blas_thread
from normlens.app.settings import get_settings

T = TypeVar("T")
SHUTDOWN_GRACE = 5.0  # seconds a pool process's running task may still take after the app's shutdown
NICE = 5  # pool processes run at a lower priority than the event loop's (about a third of its CPU share)


@cache
def pool() -> ProcessPoolExecutor:
    """This worker's process pool, one process per admission slot."""
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(get_settings().trace_slots, mp_context=context, initializer=_child)


def _child() -> None:
    """A pool process yields some CPU to the event loop's process (two busy pool processes on two cores
    otherwise delay every small request) and runs BLAS on one thread (app/blas.py); Ctrl-C reaches the whole
    process group, but stopping the pool is its parent's shutdown's job."""
    os.nice(NICE)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    one_blas_thread()  # the same numbers as the worker's own (app/blas.py)


def _ready() -> int:
    """A pool process's first task: its imports done (spawn re-imports the app), it answers with its pid."""
    import normlens.app.routes.api  # noqa: F401  the modules a task needs, loaded before the first real one

    return os.getpid()


async def warm() -> None:
    """Start every pool process and let it import the app now, so the first large request does not wait
    2-4 s for a spawn and its imports. Runs in the background at start-up; a failure only logs."""
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(pool(), _ready) for _ in range(get_settings().trace_slots)))


def shutdown(grace: float = SHUTDOWN_GRACE) -> threading.Thread | None:
    """Stop the pool (at the app's shutdown): queued work is cancelled, running work gets `grace` seconds, then
    its process is terminated, so no pool process outlives the app by more than that. A daemon thread waits,
    not the caller; it is returned (see stop)."""
    if not pool.cache_info().currsize:
        return None
    executor = pool()
    processes = list((executor._processes or {}).values())  # noqa: SLF001  the executor's own record
    manager = executor._executor_manager_thread  # noqa: SLF001  shutdown() forgets it
    executor.shutdown(wait=False, cancel_futures=True)
    pool.cache_clear()
    reaper = threading.Thread(target=_reap, args=(processes, grace, manager), name="normlens-pool-reaper", daemon=True)
    reaper.start()
    return reaper


async def stop(grace: float = SHUTDOWN_GRACE) -> None:
    """shutdown(), then wait off the event loop until the pool has ended, and release its queues' semaphores:
    the executor and its queues are in reference cycles, and uvicorn ends the process by raising the signal it
    caught, so no exit handler would release them (Python's resource tracker reported 5 leaked semaphores)."""
    reaper = shutdown(grace)
    if reaper is not None:
        await asyncio.to_thread(reaper.join, grace + 5)
        gc.collect()


def _reap(processes: list[Any], grace: float, manager: threading.Thread | None) -> None:
    """Terminate the processes still running after `grace` seconds, then wait for the executor's manager thread
    (it joins the processes and closes the queues, which it holds until it ends). Waits on the processes'
    sentinels, not with join(): the manager thread joins them too, and two threads calling waitpid on one child
    race (the loser gets ECHILD and Process.is_alive() reports a dead process alive)."""
    deadline, running = time.monotonic() + grace, list(processes)
    while running and (left := deadline - time.monotonic()) > 0:
        ready = multiprocessing.connection.wait([p.sentinel for p in running], timeout=left)  # any one of them
        running = [p for p in running if p.sentinel not in ready]
    for process in running:
        process.terminate()
    if manager is not None:
        manager.join(timeout=10)


async def in_process(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in the pool (fn and args picklable: module-level functions, models, bytes)."""
    return await asyncio.get_running_loop().run_in_executor(pool(), fn, *args)


def trim() -> None:
    """Hand freed memory back to the system (glibc keeps it in its arenas otherwise)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def rendered(handler: Callable[[Any, Exception], Coroutine[Any, Any, Any]], exc: Exception) -> tuple[int, bytes]:
    """An exception as normlens.app.errors' handler renders it (status, body): the same words as in the
    event loop's process. The handlers never await, so the coroutine finishes on its first step."""
    step = handler(None, exc)
    try:
        step.send(None)
    except StopIteration as done:
        return int(done.value.status_code), bytes(done.value.body)
    step.close()
    raise RuntimeError("an error handler awaited")


def run_validated(work: Callable[[T], bytes], request: T) -> tuple[int, bytes]:
    """(200, work(request)), or the error response of an Unprocessable request."""
    from normlens.app import errors

    try:
        return 200, work(request)
    except errors.Unprocessable as e:  # answered here: its constructor's arguments do not survive pickling
        return rendered(errors.unprocessable, e)
    finally:
        trim()


def run_work(model: type[BaseModel], work: Callable[[Any], bytes], body: bytes) -> tuple[int, bytes] | None:
    """Parse `body`, validate it as `model` and return (200, work(request)), or the error response as
    FastAPI and normlens.app.errors render it. None if the body is not JSON: the caller lets FastAPI say so."""
    from fastapi.exceptions import RequestValidationError

    from normlens.app import errors
    from normlens.app.requests import loads

    try:
        data = loads(body)
    except json.JSONDecodeError:
        return None
    try:
        request = model.model_validate(data)
    except ValidationError as e:
        invalid = RequestValidationError([{**err, "loc": ("body", *err["loc"])} for err in e.errors()], body=data)
        return rendered(errors.validation_error, invalid)
    finally:
        data = None
    return run_validated(work, request)
