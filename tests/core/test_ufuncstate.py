"""NumPy's ufunc state set in one step: the same effect as np.errstate and np.setbufsize, kept per context."""

from __future__ import annotations

import doctest
import threading
import warnings

import numpy as np
import pytest

from normlens import ufuncstate


@ufuncstate.quiet
def _inverse(a: np.ndarray) -> tuple[np.ndarray, dict[str, str], int]:
    """1 / a, with an invalid operation and an overflow beside it: none warns."""
    np.sqrt(-a), np.square(a + np.float32(3e38))
    return 1 / a, np.geterr(), np.getbufsize()


def test_quiet_ignores_division_overflow_and_invalid_and_gives_the_state_back():
    before = np.geterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would fail the test
        out, inside, size = _inverse(np.array([0.0, 2.0], np.float32))
        assert out[0] == np.inf
    assert inside == {"divide": "ignore", "over": "ignore", "under": before["under"], "invalid": "ignore"}
    assert size == np.getbufsize() and np.geterr() == before


def test_quiet_keeps_the_callers_other_settings_and_restores_them():
    """Derived from the state it runs in: the caller's buffer size and under= stay; a raise in fn resets too."""
    with np.errstate(under="raise"):
        old = np.setbufsize(4096)
        try:
            _, inside, size = _inverse(np.ones(2))
            assert inside["under"] == "raise" and inside["divide"] == "ignore" and size == 4096
            with pytest.raises(ZeroDivisionError):
                ufuncstate.quiet(lambda: 1 // 0)()
            assert np.geterr()["divide"] == "warn" and np.getbufsize() == 4096
        finally:
            np.setbufsize(old)


@pytest.mark.parametrize("size", [0, 256, 1008, 4096])
def test_set_bufsize_sets_the_buffer_and_reset_gives_the_old_one_back(size):
    before = np.getbufsize()
    with np.errstate(divide="ignore"):
        token = ufuncstate.set_bufsize(size)
        try:
            assert np.getbufsize() == (size or before) and np.geterr()["divide"] == "ignore"
        finally:
            ufuncstate.reset(token)
        assert np.getbufsize() == before and np.geterr()["divide"] == "ignore"


def test_a_state_set_in_one_thread_is_not_seen_in_another():
    seen: list[tuple[str, int]] = []
    started, done = threading.Event(), threading.Event()

    @ufuncstate.quiet
    def hold() -> None:
        token = ufuncstate.set_bufsize(1008)
        started.set()
        done.wait(5)
        ufuncstate.reset(token)

    worker = threading.Thread(target=hold)
    worker.start()
    started.wait(5)
    seen.append((np.geterr()["divide"], np.getbufsize()))
    done.set()
    worker.join()
    assert seen == [("warn", 8192)]


def test_derived_states_are_kept_a_bounded_number():
    """A caller's np.errstate makes a new current state each time: at most KEPT derived states are kept."""
    for _ in range(3 * ufuncstate.KEPT):
        with np.errstate(over="warn"):
            _inverse(np.ones(1))
    assert 0 < len(ufuncstate._derived) <= ufuncstate.KEPT


def test_the_module_example_runs():
    assert doctest.testmod(ufuncstate, extraglobs={"np": np}).failed == 0
