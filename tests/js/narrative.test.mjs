import assert from "node:assert/strict";
import { test } from "node:test";

import { torchClass } from "../../static/js/narrative.js";

const pick = (x) => (x && typeof x === "object" ? x.en : x);

test("torchClass: the class the server names, else the layer's title, else its name", () => {
  assert.equal(torchClass({ layer: "batch_norm", torch_class: "nn.BatchNorm2d", torch_code: "m = nn.BatchNorm1d(3)" }, null, pick), "nn.BatchNorm2d");
  assert.equal(torchClass({ layer: "batch_norm", torch_code: "m = nn.BatchNorm1d(3)" }, { title: { en: "BatchNorm" } }, pick), "BatchNorm");
  assert.equal(torchClass({ layer: "a_new_layer" }, undefined, pick), "a_new_layer");
  // no PyTorch module (min-max is torch.amin/amax arithmetic): the layer's title
  const minMax = { layer: "min_max", torch_class: "torch.amin/amax" };
  assert.equal(torchClass(minMax, { title: { en: "Min-max normalization" } }, pick), "Min-max normalization");
  assert.equal(torchClass(minMax, undefined, pick), "torch.amin/amax");
});
