// The live and brief templates of the lesson files (app/lessons/*.toml), as the server reads them: the tests
// render the page's formulas with the templates the page really gets.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const LESSONS =
  process.env.NORMLENS_LESSONS || path.join(path.dirname(fileURLToPath(import.meta.url)), "../../app/lessons");

/** `live` and `brief` of TOML files, the rest ignored: [a.b.c] headers and one-line strings ('literal' or "basic"). */
export function readTemplates(text) {
  const out = {};
  let table = [];
  for (const line of text.split("\n")) {
    const head = /^\s*\[([A-Za-z0-9_.]+)\]\s*(#.*)?$/.exec(line);
    if (head) {
      table = head[1].split(".");
      continue;
    }
    const kv = /^\s*(live|brief)\s*=\s*(?:'([^']*)'|"((?:[^"\\]|\\.)*)")\s*(#.*)?$/.exec(line);
    if (!kv) continue;
    const value = kv[2] ?? kv[3].replace(/\\(["\\])/g, "$1");
    let node = out;
    for (const k of table) node = node[k] ??= {};
    node[kv[1]] = value;
  }
  return out;
}

/** Every lesson file's templates merged into one tree (the server merges the files the same way). */
export function lessonTemplates(dir = LESSONS) {
  const out = {};
  for (const f of fs.readdirSync(dir).filter((name) => name.endsWith(".toml")).sort()) {
    mergeDeep(out, readTemplates(fs.readFileSync(path.join(dir, f), "utf8")));
  }
  return out;
}

function mergeDeep(a, b) {
  for (const [k, v] of Object.entries(b)) a[k] = v && typeof v === "object" ? mergeDeep(a[k] ?? {}, v) : v;
  return a;
}
