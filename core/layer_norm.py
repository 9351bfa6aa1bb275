"""LayerNorm, GroupNorm and InstanceNorm: statistics per sample, never across the batch. LayerNorm over [D]: one
mean per (b, s); GroupNorm: one per (n, g); InstanceNorm: GroupNorm with G = C, plus running statistics.

    >>> x = np.arange(12, dtype=np.float64).reshape(2, 2, 3)  # (B, S, D) or (N, C, L)
    >>> layer_norm(x).stats["mean"].shape, group_norm(x, num_groups=2).stats["mean"].shape
    ((2, 2), (2, 2))
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from normlens import args as A
from normlens import grouped, snippet
from normlens.batch_norm import CF_NAMES, RUNNING, running_module
from normlens.prepared import Prepare, Setup, prepared
from normlens.running import running_setup, running_update
from normlens.trace import Grouping, Notice, Trace, assemble, subscripts

# the usual names of the axes of a tensor of each rank (channels first: batch_norm.CF_NAMES)
LN_NAMES = {1: ("D",), 2: ("N", "D"), 3: ("B", "S", "D"), 4: ("N", "C", "H", "W"), 5: ("N", "C", "D", "H", "W")}
IN_MODULES = ("auto", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d")


@A.quiet
def layer_norm(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace nn.LayerNorm(normalized_shape) on x (float32 or float64; the computation runs in x's dtype)."""
    return _normalized("layer_norm", "nn.LayerNorm", _layer_norm, x, grad_output, params)


def _normalized(layer: str, cls: str, prepare: Prepare[Setup], x: Any, grad_output: Any, params: Any) -> Trace:
    """The trace of a layer with no running statistics and nothing of its own to add (LayerNorm, GroupNorm)."""
    x = grouped.input_array(x)
    s = prepared(prepare, x, params)
    dy = None if grad_output is None else A.grad_output_array(grad_output, x)
    res = grouped.normalize(x, s.plan, s.call, dy)
    code = snippet.program(x, s.body, dy)
    return assemble(layer, res, dict(s.params), cls, code)


def _layer_norm(shape: tuple[int, ...], dtype: np.dtype[Any], params: dict[str, Any]) -> Setup:
    a = A.resolve(LAYER_NORM, params)
    A.rank("layer_norm", shape, LAYER_NORM.input_ranks)
    ns = A.normalized_shape(a["normalized_shape"], shape)
    eps = A.eps_arg(a["eps"])
    affine, bias = A.flag("elementwise_affine", a["elementwise_affine"]), A.flag("bias", a["bias"])
    if a["beta"] is not None and affine and not bias:
        raise A.ArgumentError("beta", "given_but_off", switch="bias")
    gamma = A.param_arg("gamma", a["gamma"], ns, dtype, 1.0, affine, "elementwise_affine")
    beta = A.param_arg("beta", a["beta"], ns, dtype, 0.0, affine and bias, "elementwise_affine")
    call = grouped.Call(eps, gamma, beta, fresh=(a["gamma"] is None, a["beta"] is None))
    module = snippet.module("nn.LayerNorm", dtype.type.__name__, ns, eps=eps, elementwise_affine=affine, bias=bias)
    buffers = snippet.changed(*((None, None) if all(call.fresh) else (gamma, beta)))
    p = {"normalized_shape": list(ns), "eps": eps, "elementwise_affine": affine, "bias": bias}
    return Setup(per_sample_plan(shape, len(ns)), call, snippet.module_lines(module, buffers, True), p)


@lru_cache(maxsize=256)  # a plan depends on the shape alone, and its strings cost more than some passes
def per_sample_plan(shape: tuple[int, ...], k: int, center: bool = True) -> grouped.Plan:
    """LayerNorm's (and RMSNorm's) layout: the last k axes reduced, one statistic per leading index; (B, S, D)
    over [D] gives (B, S) statistics. A single statistic still has shape (1,): JSON has no 0-d arrays."""
    names, n = LN_NAMES[len(shape)], len(shape) - k
    lead, low = shape[:n] or (1,), [a.lower() for a in names]
    grouping = Grouping(shape, lead, tuple((i, 1) for i in range(n)) + (None,) * k)
    notation = subscripts(names, "".join(low[:n]), ",".join(low[n:]), "".join(low[n:]), ",".join(low[:n]))
    notation["stat_idx"] = "(" + ",".join(low[:n]) + ")" if n else "0"
    notation["axes"], notation["param_axes_text"] = "(" + ", ".join(names[n:]) + ")", "(" + ", ".join(names[:n]) + ")"
    param_axes = tuple(None if i < n else i - n for i in range(len(shape)))
    scalars = {"k": k, "sizes": " · ".join(map(str, shape[n:])), "lead": "(" + ", ".join(names[:n]) + ")"}
    B, D = math.prod(lead), math.prod(shape[n:])
    return grouped.Plan(grouping, (B, D, 1), shape[n:], names, param_axes, notation, {**scalars, "B": B}, center)


@lru_cache(maxsize=256)
def channel_plan(shape: tuple[int, ...], G: int) -> grouped.Plan:
    """GroupNorm's layout: (N, C, *spatial) seen as (N, G, C/G, *spatial), one statistic per (n, g), each group
    one contiguous run of C/G * spatial values."""
    (N, C), names, Cg = shape[:2], CF_NAMES[len(shape)], shape[1] // G
    grouping = Grouping(shape, (N, G), ((0, 1), (1, Cg)) + (None,) * (len(shape) - 2))
    spatial, view = [n.lower() for n in names[2:]], (N, C, math.prod(shape[2:]))
    param_axes = tuple(0 if i == 1 else None for i in range(len(shape)))
    notation = subscripts(names, "ng", ",".join(["c \\in g", *spatial]), "c", ",".join(["n", *spatial]))
    notation |= {"axes": "(" + ", ".join([f"C/G = {Cg}", *names[2:]]) + ")", "Cg": str(Cg)}
    scalars = {"G": G, "Cg": Cg, "sizes": " · ".join(map(str, (Cg, *shape[2:])))}
    return grouped.Plan(grouping, view, (C,), names, param_axes, notation, scalars)


@lru_cache(maxsize=256)
def instance_plan(shape: tuple[int, ...], batched: bool) -> grouped.Plan:
    """InstanceNorm's layout: one statistic per (n, c) of (N, C, *spatial), GroupNorm's with G = C; an unbatched
    (C, *spatial) sample, PyTorch's batch of one without its batch axis, has one per channel: (C, H, W) -> (C,)."""
    k = 2 if batched else 1  # the kept axes, (N, C) or (C,)
    names = CF_NAMES[len(shape) + 2 - k][2 - k :]
    grouping = Grouping(shape, shape[:k], tuple((i, 1) for i in range(k)) + (None,) * (len(shape) - k))
    spatial = ",".join(n.lower() for n in names[k:])
    notation = subscripts(names, "nc"[2 - k :], spatial, "c", "n," * (k - 1) + spatial)
    view, sizes = (math.prod(shape[: k - 1]), shape[k - 1], math.prod(shape[k:])), " · ".join(map(str, shape[k:]))
    param_axes = tuple(0 if n == "C" else None for n in names)
    variant = "" if batched else "unbatched"  # the grouping's wording
    return grouped.Plan(grouping, view, (shape[k - 1],), names, param_axes, notation, {"sizes": sizes}, variant=variant)


@A.quiet
def group_norm(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace nn.GroupNorm(num_groups, C) on (N, C, *) input."""
    return _normalized("group_norm", "nn.GroupNorm", _group_norm, x, grad_output, params)


def _group_norm(shape: tuple[int, ...], dtype: np.dtype[Any], params: dict[str, Any]) -> Setup:
    a = A.resolve(GROUP_NORM, params)
    torch = f"Expected at least 2 dimensions for input tensor but received {len(shape)}" if len(shape) < 2 else None
    A.rank("group_norm", shape, GROUP_NORM.input_ranks, torch)
    G, C = A.integer("num_groups", a["num_groups"], 1), shape[1]
    if C % G:
        divisors = [d for d in range(1, C + 1) if C % d == 0]
        torch = f"num_channels ({C}) must be divisible by num_groups ({G})"
        raise A.ArgumentError("num_groups", "not_divisible", torch, C=C, G=G, divisors=divisors)
    eps, affine = A.eps_arg(a["eps"]), A.flag("affine", a["affine"])
    gamma, beta = (A.param_arg(k, a[k], (C,), dtype, f, affine, "affine") for k, f in (("gamma", 1.0), ("beta", 0.0)))
    module = snippet.module("nn.GroupNorm", dtype.type.__name__, G, C, eps=eps, affine=affine)
    body, p = (
        snippet.module_lines(module, snippet.changed(gamma, beta), True),
        {"num_groups": G, "eps": eps, "affine": affine},
    )
    return Setup(channel_plan(shape, G), grouped.Call(eps, gamma, beta), body, p)


@A.quiet
def instance_norm(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace nn.InstanceNorm1d/2d/3d on (N, C, *spatial) input or one unbatched (C, *spatial) sample."""
    x = grouped.input_array(x)
    s = prepared(_instance_norm, x, params)
    run, notices, (cls, N, C) = s.more
    dy = None if grad_output is None else A.grad_output_array(grad_output, x)
    res = grouped.normalize(x, s.plan, s.call, dy)
    stats = {k: v.reshape(N, C) for k, v in res.stats.items()}  # one copy per instance, averaged over N
    running, run_steps = running_update(run, stats)
    res.forward += run_steps  # the running update follows the forward pass
    code = snippet.program(x, s.body, dy)
    parameters = {"gamma": s.call.gamma, "beta": s.call.beta, "running_mean": run.old[0], "running_var": run.old[1]}
    return assemble("instance_norm", res, dict(s.params), cls, code, list(notices), parameters, running)


def _instance_norm(shape: tuple[int, ...], dtype: np.dtype[Any], params: dict[str, Any]) -> Setup:
    a = A.resolve(INSTANCE_NORM, params)
    d, batched = _reading(A.choice("module", a["module"], IN_MODULES), shape)
    training, affine, track = (A.flag(k, a[k]) for k in ("training", "affine", "track_running_stats"))
    eps, momentum = A.eps_arg(a["eps"]), A.momentum_arg(a["momentum"])
    nbt = A.integer("num_batches_tracked", a["num_batches_tracked"], 0)
    N, C = shape[:2] if batched else (1, shape[0])  # PyTorch runs (C, *) as a batch of one, (1, C, *)
    gamma, beta = (A.param_arg(k, a[k], (C,), dtype, f, affine, "affine") for k, f in (("gamma", 1.0), ("beta", 0.0)))
    rm, rv = (A.param_arg(k, a[k], (C,), dtype, f, track, "track_running_stats") for k, f in RUNNING)
    S, use_batch = math.prod(shape[1 + batched :]), training or not track
    # eval with running statistics: every sample uses its channel's value, (C,) -> (N*C,)
    fixed = None if use_batch or rm is None or rv is None else (np.tile(rm, N), np.tile(rv, N))
    grouped.freeze(*fixed or ())
    how = (0.0, "frozen") if momentum is None else (momentum, "instance" if batched else "unbatched")  # None: f = 0
    size = ", ".join(map(str, shape if batched else (1, *shape)))  # m = 1 is harmless with running statistics
    torch_error = f"Expected more than 1 spatial element when training, got input size torch.Size([{size}])"
    notices = (Notice("one_spatial_element", {}, torch_error),) if use_batch and S == 1 else ()
    p = {"training": training, "eps": eps, "momentum": momentum, "affine": affine, "track_running_stats": track}
    buffers = {**snippet.changed(gamma, beta, running_mean=rm, running_var=rv), "num_batches_tracked": nbt or None}
    module, _ = running_module(cls := f"nn.InstanceNorm{d}d", C, dtype, p)
    call = grouped.Call(eps, gamma, beta, fixed, training and track)
    more = (running_setup((rm, rv), S, how, nbt, training, per_instance=True), notices, (cls, N, C))
    p |= {"num_batches_tracked": nbt, "module": a["module"]}
    return Setup(instance_plan(shape, batched), call, snippet.module_lines(module, buffers, training), p, more)


def _reading(module: str, shape: tuple[int, ...]) -> tuple[int, bool]:
    """(d, batched): x read as nn.InstanceNorm{d}d input, (N, C, *) or unbatched (C, *) with d spatial axes.
    "auto": 2D is InstanceNorm1d's (C, L), 3D to 5D a batch; a named module takes ranks d + 1 and d + 2."""
    n = len(shape)
    d = int(module[-2]) if module != "auto" else 1 if n <= 3 else min(n - 2, 3)
    if n not in (d + 1, d + 2):  # in PyTorch's words: its _check_input_dim
        torch = f"expected {d + 1}D or {d + 2}D input (got {n}D input)"
        if module == "auto":
            A.rank("instance_norm", shape, INSTANCE_NORM.input_ranks, torch)
        values = {"module": module, "ndim": n, "shape": list(shape), "unbatched": d + 1, "batched": d + 2}
        raise A.ArgumentError("input", "module_rank", torch, **values)
    return d, n == d + 2


LAYER_NORM = A.LayerSpec(
    name="layer_norm",
    torch_classes=("nn.LayerNorm",),
    input_ranks=(1, 2, 3, 4, 5),
    params=(A.NORMALIZED_SHAPE, A.EPS, A.ELEMENTWISE_AFFINE, A.Param("bias", "bool", True), *A.affine_params()),
    run=layer_norm,
    example={
        "input": {"random": {"shape": [2, 3, 4], "seed": 0}},
        "params": {"normalized_shape": [4]},
        "grad_output": {"random": {"seed": 1}},
    },
)
GROUP_NORM = A.LayerSpec(
    name="group_norm",
    torch_classes=("nn.GroupNorm",),
    input_ranks=(2, 3, 4, 5),
    params=(A.Param("num_groups", "int", 1, minimum=1), A.EPS, A.Param("affine", "bool", True), *A.affine_params("C")),
    run=group_norm,
    example={
        "input": {"random": {"shape": [2, 4, 2, 2], "seed": 0, "distribution": "integers", "low": -3, "high": 3}},
        "params": {"num_groups": 2},
    },
)
INSTANCE_NORM = A.LayerSpec(
    name="instance_norm",
    torch_classes=("nn.InstanceNorm1d", "nn.InstanceNorm2d", "nn.InstanceNorm3d"),
    input_ranks=(2, 3, 4, 5),
    params=(A.Param("module", "enum", "auto", choices=IN_MODULES), *A.running_layer_params(on=False)),
    run=instance_norm,
    example={"input": {"text": "[[[1, 2, 3, 4], [2, 4, 6, 8]]]"}, "params": {"affine": True}, "dtype": "float64"},
)
SPECS = (LAYER_NORM, GROUP_NORM, INSTANCE_NORM)
