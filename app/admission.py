"""Admission control: at most `slots` heavy requests (large bodies, large traces) run at once in a worker,
`queue` more wait their turn, and the rest are refused at once with 503 and Retry-After.

A 4M-element trace holds a few hundred MB while it runs (the body, its parsed numbers, each step's array), so
32 of them at once took a worker past 1.4 GB; with a bound the peak is about `slots` traces. The bound is per
event loop task: a request admitted once (its large body) is not counted again (its large trace).

    >>> gate = Admission(slots=1, queue=0, retry_after=3)
    >>> gate.slots, gate.running
    (1, 0)
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import cache

from fastapi import HTTPException

from normlens.app.settings import get_settings

_ADMITTED: ContextVar[bool] = ContextVar("normlens_admitted", default=False)


class Busy(HTTPException):
    """503: every slot is taken and the queue is full; the client should retry after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        from normlens.app.state import words  # imported late: state imports the schemas, which import this

        text = words("errors", "busy", retry_after=retry_after)
        item = {"loc": ["body"], "msg": text.en, "msg_zh": text.zh, "type": "busy"}
        super().__init__(503, detail=[item], headers={"Retry-After": str(retry_after)})


class Admission:
    """Counts running and waiting heavy requests of one process. Waiters are futures of the loop they wait
    on, so the gate holds no loop-bound primitive (tests run several event loops in one process)."""

    def __init__(self, slots: int, queue: int, retry_after: int) -> None:
        self.slots, self.queue, self.retry_after = slots, queue, retry_after
        self.running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Run the body of the `async with` in a slot: now, after waiting in the queue, or never (Busy)."""
        if _ADMITTED.get():
            yield
            return
        await self._acquire()
        token = _ADMITTED.set(True)
        try:
            yield
        finally:
            _ADMITTED.reset(token)
            self._release()

    async def _acquire(self) -> None:
        if self.running < self.slots and not self._waiters:
            self.running += 1
            return
        if len(self._waiters) >= self.queue:
            raise Busy(self.retry_after)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # _release hands its slot over: running is not decremented in between
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed a slot while being cancelled: pass it on
            else:
                self._waiters.remove(waiter)
            raise

    def _release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.running -= 1


@cache
def gate() -> Admission:
    """The gate of this worker process."""
    settings = get_settings()
    return Admission(settings.trace_slots, settings.trace_queue, settings.retry_after_seconds)
