import assert from "node:assert/strict";
import { test } from "node:test";

import { tokenize } from "../../static/js/latex_tokens.js";

const kinds = (src) => tokenize(src).map((k) => k.t + (k.name ?? k.s ?? k.raw ?? ""));

test("commands, braces, scripts, numbers and characters, spaces dropped", () => {
  assert.deepEqual(kinds("\\mu_{c} = 0.5 x^2"), ["cmdmu", "_", "{", "chc", "}", "ch=", "num0.5", "chx", "^", "num2"]);
});

test("a placeholder is one token with its raw text; an unclosed one is plain characters", () => {
  assert.deepEqual(kinds("[[v:input]] - [[v]]"), ["phv:input", "ch-", "phv"]);
  assert.deepEqual(kinds("[[v"), ["ch[", "ch[", "chv"]);
});

test("escaped symbols are one-character commands, a trailing backslash a character, offsets kept", () => {
  assert.deepEqual(kinds("\\{a\\,b\\"), ["cmd{", "cha", "cmd,", "chb", "ch\\"]);
  const [mu, sub] = tokenize("\\mu_");
  assert.deepEqual([mu.at, mu.end, sub.at], [0, 3, 3]);
});

test("characters beyond the BMP stay whole", () => {
  assert.deepEqual(kinds("𝑥+1"), ["ch𝑥", "ch+", "num1"]);
});
