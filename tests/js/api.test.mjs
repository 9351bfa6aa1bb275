import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import * as api from "../../static/js/api.js";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Replace fetch: record each call and answer with `status` and `body` (a string is sent as is). */
function stub(status, body) {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
  };
  return calls;
}

test("request: JSON in, JSON out, method and headers", async () => {
  const calls = stub(200, { ok: 1 });
  const signal = new AbortController().signal;
  assert.deepEqual(await api.request("POST", "/x", { a: 1 }, signal), { ok: 1 });
  assert.equal(calls[0].url, "/x");
  assert.equal(calls[0].init.method, "POST");
  assert.equal(calls[0].init.body, '{"a":1}');
  assert.equal(calls[0].init.signal, signal);
  assert.deepEqual(calls[0].init.headers, { accept: "application/json", "content-type": "application/json" });
});

test("request: a GET has no body and no content type", async () => {
  const calls = stub(200, []);
  await api.request("GET", "/y");
  assert.equal(calls[0].init.body, undefined);
  assert.deepEqual(calls[0].init.headers, { accept: "application/json" });
});

test("request: an HTTP error is an ApiError with the parsed body (null when not JSON)", async () => {
  stub(422, { detail: [{ loc: ["body", "params", "eps"], msg: "too small", msg_zh: "太小" }] });
  const err = await api.request("POST", "/z", {}).catch((e) => e);
  assert.ok(err instanceof api.ApiError);
  assert.equal(err.status, 422);
  assert.equal(api.errorMessage(err, "en"), "params.eps: too small");
  assert.equal(api.errorMessage(err, "zh"), "params.eps: 太小");
  stub(502, "<html>bad gateway</html>");
  const err2 = await api.request("GET", "/z").catch((e) => e);
  assert.equal(err2.body, null);
  assert.equal(api.errorMessage(err2, "en"), "HTTP 502");
});

test("every endpoint goes through request to its urls.js path", async () => {
  const calls = stub(200, {});
  await api.trace({ layer: "batch_norm" });
  await api.parse("tensor([1.])");
  await api.layers();
  await api.permalink({ v: 1 });
  await api.shortLink({ v: 1 });
  await api.strings("/static/i18n/en.json?h=1");
  assert.deepEqual(
    calls.map((c) => [c.init.method, c.url, c.init.body]),
    [
      ["POST", "/api/v1/trace", '{"layer":"batch_norm"}'],
      ["POST", "/api/v1/parse", '{"text":"tensor([1.])"}'],
      ["GET", "/api/v1/layers", undefined],
      ["POST", "/api/v1/permalink", '{"v":1}'],
      ["POST", "/api/v1/links", '{"v":1}'],
      ["GET", "/static/i18n/en.json?h=1", undefined],
    ],
  );
});

test("errorMessage: strings, {message: {en, zh}}, plain errors", () => {
  assert.equal(api.errorMessage(new api.ApiError(400, { detail: "bad" }), "en"), "bad");
  assert.equal(api.errorMessage(new api.ApiError(413, { detail: { message: { en: "too big", zh: "太大" } } }), "zh"), "太大");
  assert.equal(api.errorMessage(new Error("offline"), "en"), "offline");
  assert.equal(api.itemMessage({ msg: "m", msg_zh: "中" }, "zh"), "中");
  assert.equal(api.itemMessage({ msg: "m" }, "zh"), "m");
});

test("namedDtype: the dtype a paste names, when the pages compute in it", () => {
  assert.equal(api.namedDtype({ dtype: "float64" }), "float64");
  assert.equal(api.namedDtype({ dtype: "float32" }), "float32");
  assert.equal(api.namedDtype({ dtype: "float16" }), null); // not offered: the page's choice stays
  assert.equal(api.namedDtype({ dtype: "int64" }), null);
  assert.equal(api.namedDtype({ dtype: null }), null);
});
