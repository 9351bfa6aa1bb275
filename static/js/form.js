// The layer picker and the layer's arguments, built from GET /api/v1/layers (the specs come with the page):
// PyTorch names, types, ranges, defaults, and en/zh descriptions as tooltips. Only values that differ from
// PyTorch's defaults go into state.params, so the request (and a permalink) stays short.

import { parseFloatList, parseIntList } from "./format.js";

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    e.setAttribute(k, v === true ? "" : v);
  }
  e.append(...children);
  return e;
}

const listText = (v) => (Array.isArray(v) ? v.join(", ") : v === null || v === undefined ? "" : String(v));

/** Arguments that suit the input when switching to a layer (PyTorch's defaults otherwise), read from the
 *  layer's spec: a `num_groups` argument gets the largest proper divisor of C up to C/2 ([2, 6, 4, 4] -> 3); a
 *  `normalized_shape` on an input with spatial axes normalizes each sample whole ([2, 3, 4, 4] -> [3, 4, 4]). */
export function startingParams(spec, shape) {
  if (!shape || !spec) return {};
  const has = (name) => (spec.params || []).some((p) => p.name === name);
  const out = {};
  if (has("num_groups") && shape.length >= 2) {
    const C = shape[1];
    for (let g = Math.floor(C / 2); g > 1; g--) {
      if (C % g === 0) {
        out.num_groups = g;
        break;
      }
    }
  }
  if (has("normalized_shape") && shape.length >= 4) out.normalized_shape = shape.slice(1); // [C, H, W]
  return out;
}

/** The arguments kept when the input changes to `shape`: each one that depends on the input's shape and no longer
 *  fits it (normalized_shape not the trailing axes, num_groups not dividing C, gamma, beta or a running buffer of
 *  the wrong length) is replaced by what `startingParams` would choose, or dropped for PyTorch's default. */
export function fitParams(spec, params, shape) {
  if (!spec || !shape || !shape.length || !params) return params;
  const start = startingParams(spec, shape);
  const out = { ...params };
  const refit = (name) => {
    if (name in start) out[name] = start[name];
    else delete out[name];
  };
  const ns = out.normalized_shape;
  const dims = ns === undefined || ns === null ? null : [ns].flat();
  if (dims && (dims.length > shape.length || dims.some((d, i) => d !== shape[shape.length - dims.length + i]))) refit("normalized_shape");
  if (out.num_groups !== undefined && (shape.length < 2 || shape[1] % out.num_groups !== 0)) refit("num_groups");
  const C = out.layout === "channels_last" ? shape[shape.length - 1] : shape[1];
  const last = [out.normalized_shape ?? shape[shape.length - 1]].flat();
  for (const p of spec.params || []) {
    if (!p.length || !Array.isArray(out[p.name])) continue;
    const want = p.length === "C" ? C : last.reduce((a, b) => a * b, 1);
    if (out[p.name].flat(Infinity).length !== want) delete out[p.name];
  }
  return JSON.stringify(out) === JSON.stringify(params) ? params : out; // the same object when all still fit
}

/** ctx: {specs, state(), setParams(params), t, pick} */
export function initForm(ctx) {
  const container = $("params-form");
  const render = () => {
    const s = ctx.state();
    const spec = ctx.specs.find((x) => x.name === s.layer);
    container.replaceChildren();
    container.dataset.layer = s.layer;
    if (!spec) return;
    $("layer-desc").textContent = ctx.pick(spec.description);
    for (const p of spec.params) container.append(field(p, s.params, ctx));
  };

  container.addEventListener("change", (e) => {
    const input = e.target.closest("[data-param]");
    if (!input) return;
    const s = ctx.state();
    const spec = ctx.specs.find((x) => x.name === s.layer);
    const p = spec.params.find((q) => q.name === input.dataset.param);
    let value;
    try {
      value = readValue(p, input, container);
    } catch {
      showError(p.name, ctx.t("form.invalid"));
      return;
    }
    clearError(p.name);
    const params = { ...s.params };
    if (sameValue(value, p.default)) delete params[p.name];
    else params[p.name] = value;
    ctx.setParams(params);
  });
  return { render, showError, clearErrors };
}

function sameValue(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function readValue(p, input, container) {
  const raw = input.value.trim();
  switch (p.type) {
    case "bool":
      if (p.name === "training") return container.querySelector(`[data-param="training"]:checked`)?.value === "train";
      return input.checked;
    case "int":
    case "float": {
      if (raw === "") return p.default;
      const n = Number(raw);
      if (!Number.isFinite(n) || (p.type === "int" && !Number.isInteger(n))) throw new Error(raw);
      return n;
    }
    case "int_or_null":
    case "float_or_null": {
      if (raw === "") return null;
      const n = Number(raw);
      if (!Number.isFinite(n) || (p.type === "int_or_null" && !Number.isInteger(n))) throw new Error(raw);
      return n;
    }
    case "enum":
      return input.value;
    case "int_list":
      return parseIntList(raw);
    case "float_array":
      return parseFloatList(raw);
    default:
      return raw;
  }
}

function field(p, params, ctx) {
  const { t, pick } = ctx;
  const id = `p-${p.name}`;
  const value = p.name in params ? params[p.name] : p.default;
  const tipId = `${id}-tip`;
  const tip = el("span", { id: tipId, role: "tooltip", class: "tooltip" }, pick(p.description));
  const help = el("button", { type: "button", class: "tip-btn", "aria-label": t("form.about", { name: p.name }), "aria-describedby": tipId }, "?");
  const wrap = el("div", { class: `field param param-${p.type}`, "data-field": p.name });
  const errId = `${id}-err`;
  const err = el("p", { id: errId, class: "field-error", hidden: true });

  if (p.name === "training") {
    const group = el("div", { class: "segmented", role: "radiogroup", "aria-labelledby": `${id}-label` });
    for (const [val, key] of [["train", "form.train"], ["eval", "form.eval"]]) {
      const rid = `${id}-${val}`;
      group.append(
        el("input", { type: "radio", name: id, id: rid, value: val, "data-param": "training", checked: (val === "train") === Boolean(value) }),
        el("label", { for: rid }, t(key)),
      );
    }
    wrap.classList.add("param-mode");
    wrap.append(el("div", { class: "param-head" }, el("span", { id: `${id}-label`, class: "param-name" }, el("code", {}, "training"), " ", t("form.mode")), help, tip), group, err);
    return wrap;
  }
  if (p.type === "bool") {
    wrap.classList.add("field-check");
    wrap.append(
      el("input", { type: "checkbox", id, "data-param": p.name, checked: Boolean(value), "aria-describedby": tipId }),
      el("label", { for: id }, el("code", {}, p.name)),
      help,
      tip,
      err,
    );
    return wrap;
  }
  const label = el("label", { for: id, class: "param-name" }, el("code", {}, p.name));
  let input;
  if (p.type === "enum") {
    input = el("select", { id, "data-param": p.name, "aria-describedby": `${tipId} ${errId}` });
    for (const c of p.choices || []) input.append(el("option", { value: c, selected: c === value }, c));
  } else {
    const numeric = ["int", "float", "int_or_null", "float_or_null"].includes(p.type);
    input = el("input", {
      id,
      type: numeric ? "number" : "text",
      "data-param": p.name,
      value: listText(value),
      step: numeric ? (p.type.startsWith("int") ? "1" : "any") : undefined,
      min: numeric && p.minimum !== null ? p.minimum : undefined,
      max: numeric && p.maximum !== null ? p.maximum : undefined,
      inputmode: numeric ? (p.type.startsWith("int") ? "numeric" : "decimal") : undefined,
      placeholder: p.default === null ? t(p.type === "float_array" ? "form.default_array" : "form.none") : undefined,
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": `${tipId} ${errId}`,
    });
  }
  wrap.append(el("div", { class: "param-head" }, label, help, tip), input, err);
  return wrap;
}

function showError(name, message) {
  const wrap = document.querySelector(`#params-form [data-field="${CSS.escape(name)}"]`);
  if (!wrap) return false;
  const err = wrap.querySelector(".field-error");
  err.textContent = message;
  err.hidden = false;
  wrap.querySelector("[data-param]")?.setAttribute("aria-invalid", "true");
  return true;
}

function clearError(name) {
  const wrap = document.querySelector(`#params-form [data-field="${CSS.escape(name)}"]`);
  if (!wrap) return;
  wrap.querySelector(".field-error").hidden = true;
  wrap.querySelector("[data-param]")?.removeAttribute("aria-invalid");
}

function clearErrors() {
  for (const wrap of document.querySelectorAll("#params-form [data-field]")) clearError(wrap.dataset.field);
}
