"""A trace as the service sends it (normlens.app.tracejson.trace_json, formerly Trace.to_dict): orjson with
OPT_SERIALIZE_NUMPY, the three detail modes, summaries, words and notices."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
import torch
from torch import nn

import normlens
from normlens.app import summary
from normlens.app.tracejson import AUTO_MAX_VALUES, trace_json
from normlens.rms_norm import rms_norm
from tests.core.test_trace import TRACES


def dumped(d: dict) -> dict:
    return orjson.loads(orjson.dumps(d, option=orjson.OPT_SERIALIZE_NUMPY))


@pytest.mark.parametrize("tr", TRACES, ids=lambda t: t.layer)
@pytest.mark.parametrize("detail", ["full", "summary", "auto"])
def test_trace_json_serializes_with_orjson(tr, detail):
    """Moved from tests/core/test_trace.py (test_to_dict_serializes_with_orjson)."""
    back = dumped(trace_json(tr, detail))
    assert back["layer"] == tr.layer and len(back["steps"]) == len(tr.steps)
    assert (back["steps"][0]["values"] is None) == (detail == "summary")
    for s in back["steps"]:  # an array goes out either whole or summarized (these are small: whole unless asked)
        assert (s["summary"] is None) == (s["values"] is not None) == (detail != "summary")
        if detail == "summary":
            h = s["summary"]["histogram"]
            assert sum(h["counts"]) == h["sampled"] and len(h["edges"]) == summary.BINS + 1
    # the engine's ids, kinds, phases, variants and numbers go out unchanged, next to their words
    for s, step in zip(back["steps"], tr.steps, strict=True):
        assert (s["id"], s["kind"], s["phase"], s["variant"]) == (step.id, step.kind, step.phase, step.variant)
        assert s["scalars"] == step.scalars and s["shape"] == list(step.values.shape)
        assert s["title"]["en"] and s["title"]["zh"] and s["explanation"]["en"] and s["formula_mathml"]
        if detail != "summary":
            np.testing.assert_array_equal(np.asarray(s["values"], dtype=step.values.dtype), step.values)
    assert back["axes"] == list(tr.axes) and back["torch_class"] == tr.torch_class
    assert back["param_axes"] == list(tr.param_axes) and back["reduce_axes"] == list(tr.reduce_axes)


def test_summary_detail_keeps_the_summaries():
    """Moved from tests/core/test_batch_norm.py (test_trace_metadata)."""
    x = np.zeros((2, 3, 4), np.float64) + np.arange(4)
    tr = normlens.trace("batch_norm", x, momentum=None, num_batches_tracked=4)
    d = trace_json(tr, "summary")
    assert d["steps"][0]["values"] is None and d["steps"][0]["summary"]["count"] == 24
    assert d["output"] is None and d["running"]["num_batches_tracked"] == 5 and d["running"]["mean"] is None
    assert d["params"]["momentum"] is None and d["param_counts"] == {"learnable": 6, "buffers": 7}


def test_rms_norm_serializes():
    """Moved from tests/core/test_rms_norm.py (test_serializes)."""
    t = rms_norm(np.random.default_rng(0).standard_normal((2, 5)).astype(np.float32), np.ones((2, 5)))
    doc = dumped(trace_json(t))
    assert doc["stats"]["ms"] and doc["params"]["normalized_shape"] == [5] and doc["grads"]["gamma"]
    np.testing.assert_array_equal(np.float32(doc["stats"]["ms"]), t.stats["ms"])


def test_auto_ships_small_arrays_whole_and_summarizes_large_ones():
    x = np.random.default_rng(2).standard_normal((8, 4, 16, 16)).astype(np.float32)  # 8192 > AUTO_MAX_VALUES
    tr = normlens.trace("batch_norm", x)
    assert x.size > AUTO_MAX_VALUES
    d = dumped(trace_json(tr))
    big = {s["id"]: s for s in d["steps"]}
    assert big["input"]["values"] is None and big["input"]["summary"]["count"] == x.size
    assert big["mean"]["values"] and len(big["mean"]["values"]) == 4  # (C,) statistics still go whole
    assert big["mean"]["summary"] is None  # and their summary is the page's to compute (static/js/summary.js)
    assert d["output"] is None and d["stats"]["mean"] is not None
    small = dumped(trace_json(tr, max_values=x.size))
    assert small["steps"][0]["values"] is not None


def test_notices_go_out_as_warnings_with_torchs_message():
    x = np.array([[1.0, 2.0, 3.0, 4.0]], np.float32)
    with pytest.raises(ValueError) as err:
        nn.BatchNorm1d(4)(torch.tensor(x))
    (w,) = dumped(trace_json(normlens.trace("batch_norm", x)))["warnings"]
    assert w["code"] == "one_value_per_channel" and w["torch_error"] == str(err.value)
    assert w["message"]["en"] and w["message"]["zh"] and w["message"]["en"] != w["message"]["zh"]
    assert dumped(trace_json(normlens.trace("batch_norm", x, training=False)))["warnings"] == []
