// static/js/share_menu.js: a phone's share menu takes the link; a desktop, or a phone without a menu, copies.
import { test } from "node:test";
import assert from "node:assert/strict";

const device = { coarse: true, menu: null }; // menu: what navigator.share does (null: there is none)
globalThis.matchMedia = (query) => ({ matches: query === "(pointer: coarse)" && device.coarse });
Object.defineProperty(globalThis, "navigator", { value: {}, configurable: true });
Object.defineProperty(navigator, "share", { get: () => device.menu ?? undefined, configurable: true });
globalThis.document = { title: "NormLens" };
const { hasShareMenu, shareMenu, shareOnTap } = await import("../../static/js/share_menu.js");

const given = [];
const menus = {
  takes: async (data) => void given.push(data),
  closed: async () => {
    throw new DOMException("Share canceled", "AbortError");
  },
  refuses: async () => {
    throw new DOMException("Permission denied", "NotAllowedError");
  },
};

test("a touch screen with a menu shares through it; a desktop or a phone without one does not", async () => {
  device.menu = menus.takes;
  device.coarse = true;
  assert.equal(hasShareMenu(), true);
  assert.equal(await shareMenu("http://x/s/abc"), "shared");
  assert.deepEqual(given.at(-1), { title: "NormLens", url: "http://x/s/abc" });
  device.coarse = false;
  assert.equal(hasShareMenu(), false);
  assert.equal(await shareMenu("http://x/s/abc"), null);
  device.coarse = true;
  device.menu = null;
  assert.equal(await shareMenu("http://x/s/abc"), null);
});

test("a menu closed without sharing is not an error; a menu that refuses leaves the copy to the caller", async () => {
  device.coarse = true;
  device.menu = menus.closed;
  assert.equal(await shareMenu("http://x/s/abc"), "closed");
  device.menu = menus.refuses;
  assert.equal(await shareMenu("http://x/s/abc"), null);
});

test("a tap on a state's link opens the menu instead of reloading the page; a modified click stays a link", async () => {
  const anchor = { href: "http://x/labs/batch-size?batch=8", listeners: [], addEventListener(type, f) { this.listeners.push(f); } };
  shareOnTap(anchor);
  const click = (mods = {}) => {
    const e = { prevented: false, preventDefault() { this.prevented = true; }, ...mods };
    anchor.listeners[0](e);
    return e.prevented;
  };
  device.coarse = true;
  device.menu = menus.takes;
  assert.equal(click(), true);
  await Promise.resolve();
  assert.equal(given.at(-1).url, anchor.href);
  assert.equal(click({ ctrlKey: true }), false);
  device.coarse = false;
  assert.equal(click(), false);
  shareOnTap(null); // a page without the link
});
