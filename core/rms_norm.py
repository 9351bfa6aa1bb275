"""RMSNorm (nn.RMSNorm): x / sqrt(mean(x^2) + eps) over the last axes, times gamma; no mean, no bias.

>>> t = rms_norm(np.array([[3.0, 4.0]]), normalized_shape=[2], eps=0.0)  # (N, D) = (1, 2): ms is (N,)
>>> t.stats["ms"], t.output
(array([12.5]), array([[0.84852814, 1.13137085]]))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from normlens import args as A
from normlens import grouped, snippet
from normlens.layer_norm import per_sample_plan
from normlens.prepared import Setup, prepared
from normlens.trace import Notice, Trace, assemble


@A.quiet
def rms_norm(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace nn.RMSNorm on x (float32 or float64; the computation runs in x's dtype)."""
    x = grouped.input_array(x)
    s = prepared(_rms_norm, x, params)
    dy = None if grad_output is None else A.grad_output_array(grad_output, x)
    res = grouped.normalize(x, s.plan, s.call, dy)
    notices, ms, eps = list(s.more), res.stats["ms"], s.call.eps
    if res.eps_near and np.minimum.reduce(ms, axis=None) < eps:  # the common case: a dot in normalize said no
        small = int(np.count_nonzero(ms < eps))
        notices.insert(0, Notice("eps_dominates", {"small": small, "groups": ms.size, "eps": eps}))
    code = snippet.program(x, s.body, dy)
    return assemble("rms_norm", res, dict(s.params), "nn.RMSNorm", code, notices)


def _rms_norm(shape: tuple[int, ...], dtype: np.dtype[Any], params: dict[str, Any]) -> Setup:
    a = A.resolve(SPEC, params)
    A.rank("rms_norm", shape, SPEC.input_ranks)
    ns = A.normalized_shape(a["normalized_shape"], shape, rms=True)
    eps = grouped.EPS[dtype.char] if a["eps"] is None else A.number("eps", a["eps"])
    if eps < 0:
        raise A.ArgumentError("eps", "below_minimum", got=eps, low=0)
    affine = A.flag("elementwise_affine", a["elementwise_affine"])
    gamma = A.param_arg("gamma", a["gamma"], ns, dtype, 1.0, affine, "elementwise_affine")
    call = grouped.Call(eps, gamma, fresh=(a["gamma"] is None, True))  # gamma not given: 1, nothing to compare
    given = None if a["eps"] is None else eps
    module = snippet.module("nn.RMSNorm", dtype.type.__name__, ns, eps=given, elementwise_affine=affine)
    buffers = snippet.changed(None if call.fresh[0] else gamma)
    p, plan = (
        {"normalized_shape": list(ns), "eps": eps, "elementwise_affine": affine},
        per_sample_plan(shape, len(ns), False),
    )
    single = (Notice("single_value_groups"),) if plan.grouping.group_size == 1 else ()  # x / |x| = ±1
    return Setup(plan, call, snippet.module_lines(module, buffers, True), p, single)


SPEC = A.LayerSpec(
    name="rms_norm",
    torch_classes=("nn.RMSNorm",),
    input_ranks=(1, 2, 3, 4, 5),
    params=(A.NORMALIZED_SHAPE, A.Param("eps", "float_or_null", None, minimum=0), A.ELEMENTWISE_AFFINE, A.GAMMA),
    run=rms_norm,
    example={
        "input": {"values": [[1.0, 2.0, 3.0, 4.0], [0.5, -0.5, 1.5, -1.5]]},
        "params": {"normalized_shape": [4], "gamma": [1, 1, 0.5, 2]},
        "grad_output": {"fill": 1},
        "dtype": "float64",
    },
)
SPECS = (SPEC,)
