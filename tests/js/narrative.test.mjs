import assert from "node:assert/strict";
import { test } from "node:test";

import { torchClass } from "../../static/js/narrative.js";

const pick = (x) => (x && typeof x === "object" ? x.en : x);

test("torchClass: the class the server names, else the layer's title, else its name", () => {
  assert.equal(torchClass({ layer: "batch_norm", torch_class: "nn.BatchNorm2d", torch_code: "m = nn.BatchNorm1d(3)" }, null, pick), "nn.BatchNorm2d");
  assert.equal(torchClass({ layer: "batch_norm", torch_code: "m = nn.BatchNorm1d(3)" }, { title: { en: "BatchNorm" } }, pick), "BatchNorm");
  assert.equal(torchClass({ layer: "a_new_layer" }, undefined, pick), "a_new_layer");
});
