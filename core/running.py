"""The running statistics of BatchNorm and InstanceNorm: an exponential moving average of batch statistics.

>>> stats = {"mean": np.array([3.0, 4.0]), "var": np.array([5.0, 5.0])}  # (C,) = (2,)
>>> running_update((np.zeros(2), np.ones(2)), stats, 4, (0.1, ""), 0, True)[0]  # running_var takes 5 * 4/3
{'mean': array([0.3, 0.4]), 'var': array([1.56666667, 1.56666667]), 'num_batches_tracked': 1}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from normlens.grouped import Array, freeze
from normlens.trace import Step


def running_update(
    old: tuple[Array | None, ...], stats: dict[str, Array], m: int, how: tuple[float, str], nbt: int, train: bool
) -> tuple[dict[str, Any] | None, list[Step]]:
    """The buffers after the call (None: not tracked) and, in training, the update's steps: running <- (1 - f)
    running + f * batch statistic, `how` = (f, variant), the variance unbiased (m / (m - 1); kept when m = 1).
    BatchNorm counts the batch in nbt; InstanceNorm's (N, C) statistics update one copy per instance, averaged."""
    (old_mean, old_var), mean, var, (factor, variant) = old, stats["mean"], stats["var"], how
    if old_mean is None or old_var is None or not train:  # evaluation leaves them as they are
        return None if old_mean is None else {"mean": old_mean, "var": old_var, "num_batches_tracked": nbt}, []
    dtype, per_instance = old_mean.dtype, mean.ndim > 1
    f = dtype.type(factor)
    new_mean = (1 - f) * old_mean + f * mean
    new_var = (1 - f) * old_var + f * (var * dtype.type(m / (m - 1))) if m > 1 else np.broadcast_to(old_var, var.shape)
    if per_instance:
        new_mean, new_var = (a.mean(axis=0).astype(dtype) for a in (new_mean, new_var))  # (N, C) -> (C,)
    freeze(new_mean, new_var := np.array(new_var, dtype=dtype))
    scalars: dict[str, Any] = {"f": factor, "m": m, "m_minus_1": m - 1} | ({} if per_instance else {"nbt": nbt + 1})
    steps = [
        Step("running_mean", new_mean, "stat", variant=variant, scalars=scalars),
        Step("running_var", new_var, "stat", variant="single" if m == 1 else variant, scalars=scalars),
    ]
    return {"mean": new_mean, "var": new_var, "num_batches_tracked": nbt if per_instance else nbt + 1}, steps
