import assert from "node:assert/strict";
import { test } from "node:test";

import { startingParams } from "../../static/js/form.js";

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
