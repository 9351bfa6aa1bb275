// The live formulas of the lesson files (app/lessons/*.toml, read by the server): every step a layer really
// produces gets one through the lookup (layer/variant first, then shared).

import assert from "node:assert/strict";
import { test } from "node:test";

import { wordsFor } from "./fixtures.mjs";
import { lessonTemplates, readTemplates } from "./lesson_templates.mjs";

// (layer, step id, variants) the engine produces
const NORM = {
  input: [""], grouping: [""], mean: ["", "running"], centered: ["", "running"], variance: ["", "running", "tracked"],
  std: [""], normalized: ["", "running"], scaled: ["", "identity"], output: ["", "identity"], grad_output: [""],
  dbeta: [""], dgamma: [""], dnormalized: [""], dvariance: ["", "nogamma"], dmean: [""], dinput: ["", "running"],
};
const RUNNING = { running_mean: ["", "cumulative", "instance", "frozen"], running_var: ["", "cumulative", "instance", "frozen", "single"] };
const STEPS = {
  batch_norm: { ...NORM, ...RUNNING },
  layer_norm: NORM,
  group_norm: NORM,
  // unbatched (C, *spatial): its own grouping and running-update wording
  instance_norm: { ...NORM, ...RUNNING, grouping: ["", "unbatched"], running_mean: [...RUNNING.running_mean, "unbatched"], running_var: [...RUNNING.running_var, "unbatched"] },
  rms_norm: { input: [""], grouping: [""], squares: [""], mean_square: [""], rms: [""], normalized: [""], output: ["", "identity"], grad_output: [""], dgamma: [""], dnormalized: [""], dinput: [""] },
  dropout: {
    input: ["", "eval"], mask: ["", "channel"], dropped: [""], saturated: [""],
    output: ["", "identity", "identity_p_one", "all_dropped", "alpha", "alpha_all_dropped"], grad_output: [""],
    dinput: ["", "identity", "all_dropped", "alpha"],
  },
  min_max: {
    input: [""], grouping: ["", "all"], min: [""], max: [""], range: ["", "constant"], shifted: [""], output: ["", "constant"],
    grad_output: [""], dshifted: [""], drange: [""], dmax: [""], dmin: [""], dinput: ["", "ties"],
  },
};

const lessons = lessonTemplates();

test("readTemplates reads live and brief, literal and basic strings, under their table", () => {
  const t = readTemplates("[steps.mean]\ntitle = { en = \"Mean\" }\nlive = '\\mu = [[v]]'\n\n[layers.x.steps.y.z]  # c\nbrief = \"a \\\\b \\\"q\\\"\"\n");
  assert.deepEqual(t, { steps: { mean: { live: "\\mu = [[v]]" } }, layers: { x: { steps: { y: { z: { brief: 'a \\b "q"' } } } } } });
});

test("every step the engine produces has a live formula in the lesson files", () => {
  const missing = [];
  for (const [layer, steps] of Object.entries(STEPS)) {
    for (const [id, variants] of Object.entries(steps)) {
      for (const variant of variants) if (!wordsFor(layer, id, variant, lessons).live) missing.push(`${layer} ${id}.${variant}`);
    }
  }
  assert.deepEqual(missing, []);
});
