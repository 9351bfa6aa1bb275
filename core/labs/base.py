"""A lab: a small, seeded experiment over one or more layers whose key numbers PyTorch can recompute. Maths only;
its words (title, seed question, answer, knob and number labels, figure layout) live in
`app/lessons/lab_<slug with _>.toml` under `[labs.<slug>]`.

    >>> spec = LABS["bias-before-bn"]                    # registry in normlens.labs
    >>> r = spec.run(**spec.resolve({"bias": 3.0}))      # knobs validated, defaults filled
    >>> sorted(r.torch_expect) == sorted(json.loads(run_torch(r.torch_code)))   # what the tests check
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from normlens.args import ArgumentError, Param, choice, flag, integer, number
from normlens.trace import Notice

Number = float | int | bool | None  # None: undefined (a ratio over 0), printed as —


@dataclass
class LabResult:
    """What a lab computes. `numbers`: the numbers table (scalars, keys are word keys); `series`: the arrays its
    figures draw (any nesting of lists/arrays, keys named by the figure specs; a leading "frame" axis is
    documented per series in the lesson file); `torch_code`: a self-contained torch 2.13 script that recomputes
    `torch_expect`'s keys from the same inputs and prints them as one JSON object on its last line."""

    numbers: dict[str, Number]
    series: dict[str, Any]
    torch_code: str
    torch_expect: dict[str, Any]
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class LabSpec:
    """One lab in the registry. Every knob is bounded (minimum and maximum, or choices) so that the largest
    setting runs in at most 200 ms on the server (bench/labs.py measures it)."""

    slug: str  # its URL: /labs/{slug}; POST /api/v1/labs/{slug}
    knobs: tuple[Param, ...]  # type int, float, enum or bool
    run: Callable[..., LabResult] = field(compare=False, repr=False)
    seeds: tuple[str, ...] = ()  # the seed notes it answers, e.g. ("000 Q14",)
    examples: tuple[str, ...] = ()  # slugs of the gallery cards (app/lessons/examples.toml) that link to it

    def defaults(self) -> dict[str, Any]:
        return {k.name: k.default for k in self.knobs}

    def resolve(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Knobs validated and defaults filled; a bad knob raises ArgumentError(param=knob name, ...)."""
        known = sorted(k.name for k in self.knobs)
        for name in given:
            if name not in known:
                raise ArgumentError(name, "unknown_argument", layer=self.slug, name=name, known=known)
        return {k.name: knob_value(k, given.get(k.name, k.default)) for k in self.knobs}

    def to_dict(self) -> dict[str, Any]:
        return {"slug": self.slug, "knobs": [k.to_dict() for k in self.knobs], "seeds": list(self.seeds)}


def knob_value(k: Param, value: Any) -> Any:
    if k.type == "bool":
        return flag(k.name, value)
    if k.type == "enum":
        return choice(k.name, value, k.choices or ())
    if k.type == "int":
        return integer(k.name, value, int(k.minimum or 0), None if k.maximum is None else int(k.maximum))
    v = number(k.name, value)
    low, high = k.minimum, k.maximum
    if (low is not None and (v < low or (k.exclusive_minimum and v == low))) or (
        high is not None and (v > high or (k.exclusive_maximum and v == high))
    ):
        raise ArgumentError(k.name, "knob_range", got=v, low=low, high=high)
    return v


def rng(seed: int) -> np.random.Generator:
    """Every lab draws from NumPy's PCG64 with the user's seed; torch_code receives the drawn arrays as literals
    (never torch's own generator), so both sides compute on the same numbers."""
    return np.random.default_rng(seed)
