// What a layer keeps: learnable parameters, running statistics, num_batches_tracked and its state_dict, each
// with the formula that gives its size (2C and 4C + 1 for BatchNorm, 2 · prod(normalized_shape) for LayerNorm).
// Pure: layerCounts(trace) -> rows; the numbers are the API's param_counts, the formulas say where they come
// from, and a test holds the two equal.

const prod = (a) => a.reduce((p, q) => p * q, 1);

/** The channel count C of a trace: from the counts the layer reports, else the input's "C" axis. */
export function channels(trace) {
  const c = trace.param_counts || {};
  const p = trace.params || {};
  if (p.affine && c.learnable) return c.learnable / 2;
  if (c.buffers) return (c.buffers - 1) / 2;
  const axis = (trace.axes || []).indexOf("C");
  return axis >= 0 ? trace.shape[axis] : null;
}

function norm(trace, C) {
  // BatchNorm and InstanceNorm: gamma, beta (affine); running_mean, running_var, num_batches_tracked (tracking)
  const p = trace.params || {};
  const affine = !!p.affine;
  const track = !!p.track_running_stats;
  const entries = [...(affine ? ["weight", "bias"] : []), ...(track ? ["running_mean", "running_var", "num_batches_tracked"] : [])];
  const total = (affine ? 2 * C : 0) + (track ? 2 * C + 1 : 0);
  const totalFormula = affine && track ? `4C + 1 = 4 × ${C} + 1 = ${total}` : affine ? `2C = ${total}` : track ? `2C + 1 = ${total}` : "0";
  return [
    { key: "learnable", n: affine ? 2 * C : 0, formula: affine ? `2C = 2 × ${C} = ${2 * C}` : "affine=False", names: affine ? ["weight (γ)", "bias (β)"] : [] },
    { key: "running", n: track ? 2 * C : 0, formula: track ? `2C = 2 × ${C} = ${2 * C}` : "track_running_stats=False", names: track ? ["running_mean", "running_var"] : [] },
    { key: "batches", n: track ? 1 : 0, formula: track ? "1" : "track_running_stats=False", names: track ? ["num_batches_tracked"] : [] },
    { key: "entries", n: total, formula: totalFormula, names: entries },
  ];
}

function elementwise(trace, P, withBias, what) {
  // LayerNorm, GroupNorm, RMSNorm: weight (and bias) of P values each, no buffers
  const p = trace.params || {};
  const affine = p.elementwise_affine ?? p.affine ?? true;
  const bias = affine && withBias && (p.bias ?? true);
  const n = affine ? (bias ? 2 * P : P) : 0;
  const dims = p.normalized_shape || [];
  const size = what === "C" || dims.length < 2 ? String(P) : `(${dims.join(" × ")})`;
  const lead = bias ? "2 · " : "";
  const off = p.elementwise_affine === undefined ? "affine=False" : "elementwise_affine=False";
  const formula = !affine ? off : `${lead}${what === "C" ? "C" : "prod(normalized_shape)"} = ${bias ? "2 × " : ""}${size} = ${n}`;
  const names = affine ? (bias ? ["weight (γ)", "bias (β)"] : ["weight (γ)"]) : [];
  return [
    { key: "learnable", n, formula, names },
    { key: "running", n: 0, formula: "—", names: [] },
    { key: "batches", n: 0, formula: "—", names: [] },
    { key: "entries", n, formula: n ? formula : "0", names: affine ? (bias ? ["weight", "bias"] : ["weight"]) : [] },
  ];
}

/** Rows {key, n, formula, names} for learnable, running, batches (num_batches_tracked) and entries
 *  (the state_dict), or null for a layer that keeps nothing (Dropout, min-max). */
export function layerCounts(trace) {
  const p = trace.params || {};
  switch (trace.layer) {
    case "batch_norm":
    case "instance_norm":
      return norm(trace, channels(trace));
    case "group_norm":
      return elementwise(trace, channels(trace), true, "C");
    case "layer_norm":
      return elementwise(trace, prod(p.normalized_shape || []), true, "P");
    case "rms_norm":
      return elementwise(trace, prod(p.normalized_shape || []), false, "P");
    default:
      return null;
  }
}

/** The PyTorch line that prints the learnable count, for the reader to check. */
export const torchCheck = "sum(p.numel() for p in layer.parameters())";
