// Interface strings in English and Simplified Chinese. The page ships the current language's strings in a JSON
// block; the other language is fetched once when the reader switches. Elements carry data-i18n="key" (text, with
// its numbers in data-i18n-vars: `label`) or data-i18n-attr="aria-label:key;title:key2" (attributes) so one pass
// re-labels the page.

import * as api from "./api.js";
import * as urls from "./urls.js";

const STORAGE_KEY = "normlens.lang";
const strings = {};
let lang = "en";
let stringUrls = {}; // the page's hashed URLs of the strings, by language

export const LANGS = ["en", "zh"];
export const htmlLang = (l) => (l === "zh" ? "zh-CN" : "en");

export function init(initialStrings, initialLang, urlsByLang) {
  strings[initialLang] = initialStrings;
  lang = initialLang;
  stringUrls = urlsByLang || {};
}

export const current = () => lang;

/** The language the address names (?lang=en or zh), null if none: a page keeps it over the remembered or the
 *  browser's choice, so a link shared in Chinese opens in Chinese (the server rendered it so). */
export function addressLang(search) {
  const asked = new URLSearchParams(search).get("lang");
  return LANGS.includes(asked) ? asked : null;
}

/** The reader's language: remembered choice, else the browser's, else English. */
export function preferred() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    stored = null;
  }
  if (LANGS.includes(stored)) return stored;
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  return nav.toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** t("player.step_of", {i: 3, n: 9}) -> "Step 3 of 9". Missing keys fall back to English, then the key. */
export function t(key, vars) {
  let s = strings[lang]?.[key] ?? strings.en?.[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** A {en, zh} text from the API in the current language. */
export const pick = (text) => (text && typeof text === "object" ? text[lang] ?? text.en ?? "" : text ?? "");

export async function load(l) {
  if (!strings[l]) {
    strings[l] = await api.strings(stringUrls[l] || urls.strings(l));
  }
  if (!strings.en && l !== "en") {
    // English is the fallback for any key a translation lacks
    strings.en = await api.strings(stringUrls.en || urls.strings("en"));
  }
}

/** Switch language: strings, <html lang>, the remembered choice (localStorage, plus a cookie so the server
 *  renders the next page in it), then re-label the document. */
export async function use(l) {
  if (!LANGS.includes(l)) return;
  await load(l);
  lang = l;
  document.documentElement.lang = htmlLang(l);
  document.documentElement.dataset.lang = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  document.cookie = `normlens_lang=${l}; path=/; max-age=31536000; samesite=lax`;
  apply(document);
}

/** Give an element the text of `key` with `vars` ("done in {seconds} s"), kept on the element so that a switch of
 *  language (`apply`) writes the same words with the same numbers in the other language. */
export function label(el, key, vars) {
  el.dataset.i18n = key;
  if (vars) el.dataset.i18nVars = JSON.stringify(vars);
  else delete el.dataset.i18nVars;
  el.textContent = t(key, vars);
}

export function apply(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n, el.dataset.i18nVars ? JSON.parse(el.dataset.i18nVars) : undefined);
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
  for (const btn of root.querySelectorAll(".lang-btn")) btn.setAttribute("aria-pressed", String(btn.dataset.lang === lang));
}
