import assert from "node:assert/strict";
import { test } from "node:test";

import * as urls from "../../static/js/urls.js";

test("API paths", () => {
  assert.deepEqual(
    [urls.api.trace, urls.api.parse, urls.api.layers, urls.api.permalink, urls.api.links, urls.api.link("k3v7q2x9ab")],
    ["/api/v1/trace", "/api/v1/parse", "/api/v1/layers", "/api/v1/permalink", "/api/v1/links", "/api/v1/links/k3v7q2x9ab"],
  );
});

test("pages, permalinks, short links, examples and strings; path segments are encoded", () => {
  assert.equal(urls.home, "/");
  assert.equal(urls.explain, "/explain");
  assert.equal(urls.permalink("1.q1Yq-_"), "/v/1.q1Yq-_");
  assert.equal(urls.shortLink("k3v7q2x9ab"), "/s/k3v7q2x9ab");
  assert.equal(urls.example("batchnorm-channels"), "/examples/batchnorm-channels");
  assert.equal(urls.example("a/b?c"), "/examples/a%2Fb%3Fc");
  assert.equal(urls.strings("zh"), "/static/i18n/zh.json");
});
