"""The running statistics of BatchNorm and InstanceNorm: an exponential moving average of batch statistics.

>>> run = running_setup((np.zeros(2), np.ones(2)), 4, (0.1, ""), 0, True)  # (C,) = (2,), groups of m = 4
>>> running_update(run, {"mean": np.array([3.0, 4.0]), "var": np.array([5.0, 5.0])})[0]  # var takes 5 * 4/3
{'mean': array([0.3, 0.4]), 'var': array([1.56666667, 1.56666667]), 'num_batches_tracked': 1}
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from normlens.grouped import Array, freeze
from normlens.trace import Step


class Running(NamedTuple):
    """What the update computes with, from the arguments and the shape alone (a layer's prepared Setup): the
    buffers before the call, and in training (1 - f) times each, f, the unbiasing m / (m - 1) (None: m = 1, the
    variance is kept) and the steps' numbers."""

    old: tuple[Array | None, Array | None]
    nbt: int
    kept: tuple[Array, Array] | None  # (1 - f) running_mean, (1 - f) running_var; None: no update
    f: Any  # f in the buffers' dtype
    unbias: Any
    variant: str
    scalars: dict[str, Any]  # read-only: each step gets a copy


def running_setup(
    old: tuple[Array | None, Array | None],
    m: int,
    how: tuple[float, str],
    nbt: int,
    train: bool,
    per_instance: bool = False,
) -> Running:
    """running <- (1 - f) running + f * batch statistic in training, `how` = (f, variant), the variance unbiased
    (m / (m - 1)); BatchNorm counts the batch in nbt, InstanceNorm's (N, C) statistics update one copy per
    instance, averaged (`per_instance`)."""
    old_mean, old_var = old
    if old_mean is None or old_var is None or not train:  # evaluation leaves them as they are
        return Running(old, nbt, None, None, None, "", {})
    factor, variant = how
    f = old_mean.dtype.type(factor)
    kept = (1 - f) * old_mean, (1 - f) * old_var
    freeze(*kept)
    unbias = old_mean.dtype.type(m / (m - 1)) if m > 1 else None
    scalars: dict[str, Any] = {"f": factor, "m": m, "m_minus_1": m - 1} | ({} if per_instance else {"nbt": nbt + 1})
    return Running(old, nbt, kept, f, unbias, variant, scalars)


def running_update(run: Running, stats: dict[str, Array]) -> tuple[dict[str, Any] | None, list[Step]]:
    """The buffers after the call (None: not tracked) and, in training, the update's steps."""
    (old_mean, old_var), nbt = run.old, run.nbt
    if run.kept is None:
        return None if old_mean is None else {"mean": old_mean, "var": old_var, "num_batches_tracked": nbt}, []
    mean, var, dtype, f = stats["mean"], stats["var"], run.kept[0].dtype, run.f
    new_mean = run.kept[0] + f * mean
    if run.unbias is not None:
        new_var = run.kept[1] + f * (var * run.unbias)
    else:  # one value per group: no unbiased variance, the buffer is kept
        assert old_var is not None  # `kept` is None without buffers
        new_var = np.broadcast_to(old_var, var.shape)
    if per_instance := mean.ndim > 1:
        new_mean, new_var = (a.mean(axis=0).astype(dtype) for a in (new_mean, new_var))  # (N, C) -> (C,)
    freeze(new_mean, new_var := np.array(new_var, dtype=dtype))
    single = "single" if run.unbias is None else run.variant
    steps = [
        Step("running_mean", new_mean, "stat", variant=run.variant, scalars={**run.scalars}),
        Step("running_var", new_var, "stat", variant=single, scalars={**run.scalars}),
    ]
    return {"mean": new_mean, "var": new_var, "num_batches_tracked": nbt if per_instance else nbt + 1}, steps
