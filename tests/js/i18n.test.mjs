import assert from "node:assert/strict";
import { test } from "node:test";

import * as i18n from "../../static/js/i18n.js";

test("addressLang: the language ?lang= names, null when it names none or another", () => {
  assert.equal(i18n.addressLang("?lang=zh"), "zh");
  assert.equal(i18n.addressLang("?layer=group_norm&lang=en&step=3"), "en");
  assert.equal(i18n.addressLang(""), null);
  assert.equal(i18n.addressLang("?lang=fr"), null);
  assert.equal(i18n.addressLang("?lang=ZH"), null); // the server reads it as given, and so does the page
  assert.equal(i18n.addressLang("?language=zh"), null);
});

test("label keeps an element's numbers, so a switch of language rewrites them in the other language", async () => {
  const el = { dataset: {}, textContent: "" };
  const root = { querySelectorAll: (sel) => (sel === "[data-i18n]" ? [el] : []) };
  i18n.init({ "train.done": "done in {seconds} s", "train.stopped": "stopped" }, "en", {});
  i18n.label(el, "train.done", { seconds: "0.5" });
  assert.equal(el.textContent, "done in 0.5 s");
  assert.deepEqual(JSON.parse(el.dataset.i18nVars), { seconds: "0.5" });
  i18n.init({ "train.done": "完成，用时 {seconds} 秒", "train.stopped": "已停止" }, "zh", {});
  i18n.apply(root);
  assert.equal(el.textContent, "完成，用时 0.5 秒");
  i18n.label(el, "train.stopped"); // no numbers: none left over from the last text
  assert.equal(el.dataset.i18nVars, undefined);
  i18n.apply(root);
  assert.equal(el.textContent, "已停止");
});
