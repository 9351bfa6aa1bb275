"""NumPy's ufunc state for a call, set in one step: floating-point errors ignored (`quiet`), a buffer size for
the passes along rows (`set_bufsize`).

NumPy 2 keeps both, with the error callback, in one object held by a context variable: `np.errstate` and
`np.setbufsize` each build a new object from the current one on every call (keywords parsed in C) and set it.
A layer sets its state twice per call, and a large trace does so after passes that leave the CPU caches cold,
where building one costs more than the arithmetic on its statistics. Here each state is built once from the
state it modifies and kept (a few per process: the default state, a caller's own `np.errstate`), so a call
only sets and resets the context variable, with NumPy's own semantics: the caller's callback and the settings
not named are kept, every thread and task has its own. The two private names come from numpy/_core/umath,
where `np.errstate` takes them; pyproject.toml pins NumPy (tests/core/test_ufuncstate.py checks them).

    >>> @quiet
    ... def inverse(a): return 1 / a
    >>> inverse(np.zeros(1)), np.geterr()["divide"]
    (array([inf]), 'warn')
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import Token
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from numpy._core.umath import _extobj_contextvar, _make_extobj

F = TypeVar("F", bound=Callable[..., Any])
KEPT = 64  # derived states kept; a caller's `np.errstate` makes a new current state on each entry
if TYPE_CHECKING:
    from typing_extensions import CapsuleType as State  # NumPy's opaque state object
_derived: dict[tuple[State, int], State] = {}  # (current state, bufsize or 0 for quiet) -> derived state


def _state(bufsize: int) -> State:
    """The current state with floating-point errors ignored (bufsize 0) or with this buffer size, derived from
    the current one (`_make_extobj` starts from the context's state)."""
    key = (_extobj_contextvar.get(), bufsize)
    if (made := _derived.get(key)) is None:
        if bufsize:
            made = _make_extobj(bufsize=bufsize)
        else:
            made = _make_extobj(over="ignore", invalid="ignore", divide="ignore")
        if len(_derived) >= KEPT:
            _derived.clear()
        _derived[key] = made
    return made


def quiet(fn: F) -> F:
    """Run fn with overflow, invalid operations and division by zero ignored, as np.errstate(over="ignore",
    invalid="ignore", divide="ignore") as a decorator: a layer divides by statistics that can be 0."""

    @wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        token = _extobj_contextvar.set(_state(0))
        try:
            return fn(*args, **kwargs)
        finally:
            _extobj_contextvar.reset(token)

    return call  # type: ignore[return-value]


def set_bufsize(size: int) -> Token[State] | None:
    """Set NumPy's ufunc buffer size in this context, as np.setbufsize(size) does; 0 leaves it as it is. Give
    the token to `reset` after."""
    return _extobj_contextvar.set(_state(size)) if size else None


def reset(token: Token[State] | None) -> None:
    """Back to the state before `set_bufsize`."""
    if token is not None:
        _extobj_contextvar.reset(token)
