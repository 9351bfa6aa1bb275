"""BatchNorm (nn.BatchNorm1d/2d/3d): one mean and variance per channel, over the batch and the spatial axes; in
training from the batch (the running ones updated), in evaluation the running ones. Channels-last input too.

    >>> t = batch_norm(np.arange(8, dtype=np.float32).reshape(4, 2))  # (N, C) = (4, 2): statistics (C,)
    >>> t.stats["mean"], t.running["num_batches_tracked"]
    (array([3., 4.], dtype=float32), 1)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from normlens import args as A
from normlens import grouped, snippet
from normlens.prepared import Setup, prepared
from normlens.running import running_setup, running_update
from normlens.trace import Grouping, Notice, Trace, assemble, subscripts

CF_NAMES = {2: ("N", "C"), 3: ("N", "C", "L"), 4: ("N", "C", "H", "W"), 5: ("N", "C", "D", "H", "W")}
LAYOUTS = ("channels_first", "channels_last")
TORCH_CLASS = {2: "nn.BatchNorm1d", 3: "nn.BatchNorm1d", 4: "nn.BatchNorm2d", 5: "nn.BatchNorm3d"}
RUNNING = (("running_mean", 0.0), ("running_var", 1.0))  # the buffers and their initial values
Perm = tuple[str, str]  # the permutes around the module's call: channels last to first and back


@A.quiet
def batch_norm(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace nn.BatchNorm1d/2d/3d on x (float32 or float64; the computation runs in x's dtype)."""
    x = grouped.input_array(x)
    s = prepared(_batch_norm, x, params)
    run, notices = s.more
    dy = None if grad_output is None else A.grad_output_array(grad_output, x)
    res = grouped.normalize(x, s.plan, s.call, dy)
    running, run_steps = running_update(run, res.stats)
    res.forward += run_steps  # the running update follows the forward pass
    code = snippet.program(x, s.body, dy)
    parameters = {"gamma": s.call.gamma, "beta": s.call.beta, "running_mean": run.old[0], "running_var": run.old[1]}
    return assemble("batch_norm", res, dict(s.params), TORCH_CLASS[x.ndim], code, list(notices), parameters, running)


def _batch_norm(shape: tuple[int, ...], dtype: np.dtype[Any], params: dict[str, Any]) -> Setup:
    a = A.resolve(SPEC, params)
    training, affine, track = (A.flag(k, a[k]) for k in ("training", "affine", "track_running_stats"))
    last = A.choice("layout", a["layout"], LAYOUTS) == "channels_last"
    want = "2D or 3D" if len(shape) < 2 else "5D"  # what BatchNorm1d / BatchNorm3d would say
    A.rank("batch_norm", shape, SPEC.input_ranks, f"expected {want} input (got {len(shape)}D input)")
    use_batch = training or not track  # PyTorch's bn_training: batch statistics are used
    eps = A.eps_arg(a["eps"], torch_message=use_batch)
    momentum = A.momentum_arg(a["momentum"])
    nbt = A.integer("num_batches_tracked", a["num_batches_tracked"], 0)
    C = shape[-1 if last else 1]
    gamma, beta = (A.param_arg(k, a[k], (C,), dtype, f, affine, "affine") for k, f in (("gamma", 1.0), ("beta", 0.0)))
    rm, rv = (A.param_arg(k, a[k], (C,), dtype, f, track, "track_running_stats") for k, f in RUNNING)
    plan = _plan(shape, last)
    fixed = None if use_batch or rm is None or rv is None else (rm, rv)
    call = grouped.Call(eps, gamma, beta, fixed, training and track)
    how = (1 / (nbt + 1), "cumulative") if momentum is None else (momentum, "")  # None: a cumulative average
    size = ", ".join(map(str, (shape[0], C, *shape[1:-1]) if last else shape))  # as PyTorch sees it
    torch = f"Expected more than 1 value per channel when training, got input size torch.Size([{size}])"
    notices = (Notice("one_value_per_channel", {}, torch),) if use_batch and plan.grouping.group_size == 1 else ()
    p = {"training": training, "eps": eps, "momentum": momentum, "affine": affine, "track_running_stats": track}
    buffers = snippet.changed(gamma, beta, running_mean=rm, running_var=rv)
    buffers["num_batches_tracked"] = nbt if track and nbt else None
    module, perm = running_module(TORCH_CLASS[len(shape)], C, dtype, p, len(shape) if last else 0)
    run = running_setup((rm, rv), plan.grouping.group_size, how, nbt, training)
    body, more = snippet.module_lines(module, buffers, training, *perm), (run, notices)
    return Setup(plan, call, body, {**p, "num_batches_tracked": nbt, "layout": a["layout"]}, more)


def running_module(cls: str, C: int, dtype: np.dtype[Any], p: dict[str, Any], last: int = 0) -> tuple[str, Perm]:
    """BatchNorm's or InstanceNorm's module (C channels), and for channels-last input of rank `last` the permutes
    that take x to channels first before the call and back after it."""
    kw = {k: p[k] for k in ("eps", "momentum", "affine", "track_running_stats")}
    module, r = snippet.module(cls, dtype.type.__name__, C, **kw), last
    if r <= 2:
        return module, ("", "")
    return module, (
        f".permute(0, {r - 1}, {', '.join(map(str, range(1, r - 1)))})",
        f".permute(0, {', '.join(map(str, range(2, r)))}, 1)",
    )


@lru_cache(maxsize=256)  # a plan depends on the shape alone, and its strings cost more than some passes
def _plan(shape: tuple[int, ...], last: bool) -> grouped.Plan:
    """Every axis but the channel axis is reduced: (N, C, H, W) -> (C,), viewed as (N, C, H*W)."""
    names = CF_NAMES[len(shape)]
    names = (names[0], *names[2:], names[1]) if last else names
    C = shape[names.index("C")]
    grouping = Grouping(shape, (C,), tuple((0, 1) if n == "C" else None for n in names))
    reduced = [i for i, n in enumerate(names) if n != "C"]
    over = ",".join(names[i].lower() for i in reduced)
    scalars = {"reduced": " · ".join(names[i] for i in reduced), "sizes": " · ".join(str(shape[i]) for i in reduced)}
    param_axes = tuple(0 if n == "C" else None for n in names)
    notation = subscripts(names, "c", over, "c", over)
    return grouped.Plan(grouping, grouping.stat_view, (C,), names, param_axes, notation, {**scalars, "C": C})


SPEC = A.LayerSpec(
    name="batch_norm",
    torch_classes=("nn.BatchNorm1d", "nn.BatchNorm2d", "nn.BatchNorm3d"),
    input_ranks=(2, 3, 4, 5),
    params=(*A.running_layer_params(on=True), A.Param("layout", "enum", "channels_first", choices=LAYOUTS)),
    run=batch_norm,
    example={
        "input": {"values": [[[[1, 2], [3, 4]], [[2, 0], [1, 1]]], [[[5, 6], [7, 8]], [[0, 3], [2, 2]]]]},
        "params": {"training": True, "gamma": [2, 5], "beta": [3, 8]},
        "grad_output": {"fill": 1},
    },
)
SPECS = (SPEC,)
