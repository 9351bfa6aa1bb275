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
