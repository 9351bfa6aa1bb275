// statusLine: a status text that words itself again in the page's new language.
import assert from "node:assert/strict";
import { test } from "node:test";

import { statusLine } from "../../static/js/status_line.js";

const element = () => ({ textContent: "", dataset: {} });

test("a function's words are asked again on relabel, in the language of the moment", () => {
  const el = element();
  const line = statusLine(el);
  let lang = "en";
  line.say("ok", () => (lang === "en" ? "Nested list" : "嵌套列表"));
  assert.equal(el.textContent, "Nested list");
  assert.equal(el.dataset.kind, "ok");
  lang = "zh";
  line.relabel();
  assert.equal(el.textContent, "嵌套列表");
});

test("a plain message stays as it was said, and replaces an earlier function", () => {
  const el = element();
  const line = statusLine(el);
  line.say("busy", () => "Reading…");
  line.say("error", "as the server worded it");
  line.relabel();
  assert.equal(el.textContent, "as the server worded it");
  assert.equal(el.dataset.kind, "error");
  line.say("", "");
  line.relabel();
  assert.equal(el.textContent, "");
});
