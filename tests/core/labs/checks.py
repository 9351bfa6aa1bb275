"""Checks every lab's tests make: a bad knob is refused by name, and the largest setting runs fast."""

from __future__ import annotations

import time
from typing import Any

import pytest

from normlens.args import ArgumentError
from normlens.labs.base import LabSpec


def assert_refused(lab: LabSpec, knob: str, value: object) -> ArgumentError:
    """`lab.resolve({knob: value})` raises an ArgumentError naming `knob`; returned for checks of its code."""
    with pytest.raises(ArgumentError) as e:
        lab.resolve({knob: value})
    assert e.value.param == knob
    return e.value


def assert_fast(lab: LabSpec, knobs: dict[str, Any], repeats: int = 5, seconds: float = 0.2) -> None:
    """After one warm-up run, `repeats` runs at `knobs` take under `seconds` each on average."""
    resolved = lab.resolve(knobs)
    lab.run(**resolved)
    t = time.perf_counter()
    for _ in range(repeats):
        lab.run(**resolved)
    assert (time.perf_counter() - t) / repeats < seconds
