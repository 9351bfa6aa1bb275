import assert from "node:assert/strict";
import { test } from "node:test";

import { fitParams, startingParams } from "../../static/js/form.js";

const spec = (...names) => ({ params: names.map((name) => ({ name })) });

test("startingParams: num_groups gets the largest proper divisor of C up to C/2", () => {
  assert.deepEqual(startingParams(spec("num_groups", "eps"), [2, 6, 4, 4]), { num_groups: 3 });
  assert.deepEqual(startingParams(spec("num_groups"), [2, 8]), { num_groups: 4 });
  assert.deepEqual(startingParams(spec("num_groups"), [2, 5, 3]), {}); // prime C: PyTorch's default
});

test("startingParams: normalized_shape covers each sample of an input with spatial axes", () => {
  assert.deepEqual(startingParams(spec("normalized_shape", "eps"), [2, 3, 4, 4]), { normalized_shape: [3, 4, 4] });
  assert.deepEqual(startingParams(spec("normalized_shape"), [2, 3, 4]), {});
});

test("startingParams: nothing for other layers, no spec or no shape", () => {
  assert.deepEqual(startingParams(spec("eps", "momentum"), [2, 6, 4, 4]), {});
  assert.deepEqual(startingParams(undefined, [2, 6]), {});
  assert.deepEqual(startingParams(spec("num_groups"), null), {});
});

const lengths = { params: [{ name: "normalized_shape" }, { name: "num_groups" }, { name: "gamma", length: "C" }, { name: "beta", length: "prod(normalized_shape)" }] };

test("fitParams: a normalized_shape that no longer ends the input's shape is refitted or dropped", () => {
  assert.deepEqual(fitParams(lengths, { normalized_shape: [3, 4, 4], eps: 0.1 }, [4, 3]), { eps: 0.1 }); // PyTorch's: last axis
  assert.deepEqual(fitParams(lengths, { normalized_shape: [3, 4, 4] }, [5, 2, 6, 6]), { normalized_shape: [2, 6, 6] });
  assert.deepEqual(fitParams(lengths, { normalized_shape: [4, 4] }, [5, 2, 4, 4]), { normalized_shape: [4, 4] }); // still fits
  assert.deepEqual(fitParams(lengths, { normalized_shape: 3 }, [4, 3]), { normalized_shape: 3 });
});

test("fitParams: num_groups must divide C, gamma and beta must have their length", () => {
  assert.deepEqual(fitParams(lengths, { num_groups: 3 }, [2, 6, 4]), { num_groups: 3 });
  assert.deepEqual(fitParams(lengths, { num_groups: 3 }, [2, 8, 4]), { num_groups: 4 });
  assert.deepEqual(fitParams(lengths, { num_groups: 2 }, [2, 5]), {});
  assert.deepEqual(fitParams(lengths, { gamma: [1, 2] }, [4, 2]), { gamma: [1, 2] });
  assert.deepEqual(fitParams(lengths, { gamma: [1, 2] }, [4, 3]), {});
  assert.deepEqual(fitParams(lengths, { gamma: [1, 2, 3], layout: "channels_last" }, [2, 5, 3]), { gamma: [1, 2, 3], layout: "channels_last" });
  assert.deepEqual(fitParams(lengths, { beta: [0, 0, 0] }, [4, 3]), { beta: [0, 0, 0] }); // prod of the last axis
  assert.deepEqual(fitParams(lengths, { beta: [0, 0, 0] }, [4, 2]), {});
});

test("fitParams: no spec or no shape changes nothing", () => {
  assert.deepEqual(fitParams(undefined, { num_groups: 3 }, [2, 5]), { num_groups: 3 });
  assert.deepEqual(fitParams(lengths, { num_groups: 3 }, null), { num_groups: 3 });
});
