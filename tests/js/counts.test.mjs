import assert from "node:assert/strict";
import { test } from "node:test";

import { channels, layerCounts } from "../../static/js/counts.js";

// param_counts as the engine reports them (POST /api/v1/trace) for these arguments
const bn = (params, counts, shape = [2, 3, 4, 4]) => ({ layer: "batch_norm", shape, axes: ["N", "C", "H", "W"], params, param_counts: counts });
const row = (rows, key) => rows.find((r) => r.key === key);

test("BatchNorm: 2C learnable, 2C running statistics, num_batches_tracked, 4C + 1 in the state_dict", () => {
  const rows = layerCounts(bn({ affine: true, track_running_stats: true }, { learnable: 6, buffers: 7 }));
  assert.equal(row(rows, "learnable").n, 6);
  assert.equal(row(rows, "learnable").formula, "2C = 2 × 3 = 6");
  assert.equal(row(rows, "running").n, 6);
  assert.equal(row(rows, "batches").n, 1);
  assert.equal(row(rows, "entries").n, 13);
  assert.equal(row(rows, "entries").formula, "4C + 1 = 4 × 3 + 1 = 13");
  assert.deepEqual(row(rows, "entries").names, ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
});

test("BatchNorm: the counts add up to the engine's, whatever affine and track_running_stats are", () => {
  for (const [affine, track, counts] of [
    [true, false, { learnable: 8, buffers: 0 }],
    [false, true, { learnable: 0, buffers: 9 }],
    [false, false, { learnable: 0, buffers: 0 }],
  ]) {
    const trace = bn({ affine, track_running_stats: track }, counts, [2, 4, 3]);
    const rows = layerCounts(trace);
    assert.equal(channels(trace), 4);
    assert.equal(row(rows, "learnable").n, counts.learnable);
    assert.equal(row(rows, "running").n + row(rows, "batches").n, counts.buffers);
    assert.equal(row(rows, "entries").n, counts.learnable + counts.buffers);
  }
});

test("LayerNorm: 2 · prod(normalized_shape); without bias or affine, fewer", () => {
  const ln = (params, learnable) => ({ layer: "layer_norm", shape: [2, 3, 4], axes: ["B", "S", "D"], params, param_counts: { learnable, buffers: 0 } });
  let rows = layerCounts(ln({ normalized_shape: [3, 4], elementwise_affine: true, bias: true }, 24));
  assert.equal(row(rows, "learnable").n, 24);
  assert.equal(row(rows, "learnable").formula, "2 · prod(normalized_shape) = 2 × (3 × 4) = 24");
  assert.equal(row(rows, "running").n, 0);
  assert.equal(row(rows, "entries").n, 24);
  rows = layerCounts(ln({ normalized_shape: [4], elementwise_affine: true, bias: false }, 4));
  assert.equal(row(rows, "learnable").n, 4);
  assert.deepEqual(row(rows, "entries").names, ["weight"]);
  rows = layerCounts(ln({ normalized_shape: [4], elementwise_affine: false, bias: true }, 0));
  assert.equal(row(rows, "learnable").n, 0);
  assert.equal(row(rows, "learnable").formula, "elementwise_affine=False");
});

test("GroupNorm 2C, RMSNorm prod(normalized_shape), InstanceNorm like BatchNorm; Dropout and min-max keep nothing", () => {
  const gn = { layer: "group_norm", shape: [2, 6, 4], axes: ["N", "C", "L"], params: { num_groups: 3, affine: true }, param_counts: { learnable: 12, buffers: 0 } };
  assert.equal(row(layerCounts(gn), "learnable").n, 12);
  assert.equal(row(layerCounts(gn), "learnable").formula, "2 · C = 2 × 6 = 12");
  const rms = { layer: "rms_norm", shape: [2, 3], axes: ["N", "D"], params: { normalized_shape: [3], elementwise_affine: true }, param_counts: { learnable: 3, buffers: 0 } };
  assert.equal(row(layerCounts(rms), "learnable").n, 3);
  assert.deepEqual(row(layerCounts(rms), "learnable").names, ["weight (γ)"]);
  const inorm = { layer: "instance_norm", shape: [2, 5, 4], axes: ["N", "C", "L"], params: { affine: false, track_running_stats: false }, param_counts: { learnable: 0, buffers: 0 } };
  assert.equal(channels(inorm), 5);
  assert.equal(row(layerCounts(inorm), "entries").n, 0);
  assert.equal(layerCounts({ layer: "dropout", params: {}, param_counts: { learnable: 0, buffers: 0 } }), null);
  assert.equal(layerCounts({ layer: "min_max", params: {}, param_counts: { learnable: 0, buffers: 0 } }), null);
});
