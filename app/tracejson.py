"""A trace as the service sends it: the engine's steps with their words (both languages), formulas as LaTeX
and MathML, and each array either whole or summarized, never both: a summary of an array that goes out whole
would repeat what its values say (the page computes it from them, static/js/summary.js, to the same bins), and
it cost a sixth of a small trace's work.

    >>> import numpy as np, normlens
    >>> d = trace_json(normlens.trace("batch_norm", np.arange(8.0).reshape(4, 2)))
    >>> d["steps"][2]["id"], d["steps"][2]["title"]["en"], d["torch_class"]
    ('mean', 'Mean', 'nn.BatchNorm1d')

NumPy arrays are left in place for orjson (OPT_SERIALIZE_NUMPY).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from normlens.app.derived import derive_summaries
from normlens.app.lessons import notice_text
from normlens.app.step_words import step_heads
from normlens.app.summary import summarize_all
from normlens.trace import Step, Trace

Detail = Literal["auto", "full", "summary"]
AUTO_MAX_VALUES = 4096  # detail="auto": arrays up to this many elements are shipped whole


def _limit(detail: str, max_values: int) -> float:
    """The size up to which an array goes out whole."""
    return max_values if detail == "auto" else math.inf if detail == "full" else -1


def step_json(
    step: Step, head: dict[str, Any], values: np.ndarray | None, summary: dict[str, Any] | None
) -> dict[str, Any]:
    """One step as the API sends it: its `head` (`step_heads`: id, phase, kind, variant, scalars and words), its
    array `values` when it goes out whole (`_limit`), else its `summary` (`summarize_all` does every step's)."""
    shape = None if step.values is None else list(step.values.shape)
    return {**head, "shape": shape, "values": values, "summary": summary}


def trace_json(trace: Trace, detail: Detail = "auto", max_values: int = AUTO_MAX_VALUES) -> dict[str, Any]:
    """The JSON response of POST /api/v1/trace for one engine trace."""
    limit = _limit(detail, max_values)
    shipped = [v if v is not None and v.size <= limit else None for v in (s.values for s in trace.steps)]
    summarized = [None if whole is not None else s.values for s, whole in zip(trace.steps, shipped, strict=True)]
    if any(a is not None for a in summarized):
        derive_summaries(trace)  # summaries the trace implies (group ids, large normalizations) cost no array pass

    def arr(a: Any) -> Any:  # an array whole or None (its summary is in its step); anything else as it is
        return (a if a.size <= limit else None) if isinstance(a, np.ndarray) else a

    running = None if trace.running is None else {k: arr(v) for k, v in trace.running.items()}
    steps = zip(trace.steps, step_heads(trace), shipped, summarize_all(summarized), strict=True)
    return {
        "layer": trace.layer,
        "torch_class": trace.torch_class,
        "dtype": trace.dtype,
        "shape": list(trace.shape),
        "axes": list(trace.axes),
        "param_axes": None if trace.param_axes is None else list(trace.param_axes),
        "reduce_axes": list(trace.reduce_axes),
        "grouping": None if trace.grouping is None else trace.grouping.to_dict(),
        "params": trace.params,
        "steps": [step_json(*step) for step in steps],
        "output": arr(trace.output),
        "stats": None if trace.stats is None else {k: arr(v) for k, v in trace.stats.items()},
        "parameters": {k: arr(v) for k, v in trace.parameters.items()},
        "running": running,
        "grads": None if trace.grads is None else {k: arr(v) for k, v in trace.grads.items()},
        "param_counts": trace.param_counts,
        "warnings": [
            {"code": n.code, "message": notice_text(trace, n).to_dict(), "torch_error": n.torch_error}
            for n in trace.notices
        ],
        "torch_code": trace.torch_code,
    }
