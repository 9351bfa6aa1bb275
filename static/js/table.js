// The numbers behind every diagram, as an accessible <table>: the selected group's cells (or the whole tensor),
// the groups' statistics, or the parameter entries of the current step. Each value cell carries data-value with
// the exact number the API returned; the text is rounded for reading.

import { exact, fmt, grouped } from "./format.js";
import { flat, groupCount, groupIds, groupLabel, indexText, members, paramShape, size, unravel } from "./tensor.js";

const MAX_ROWS = 512;

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function valueCell(v, role = "value") {
  return el("td", { "data-value": exact(v), "data-role": role, class: "num" }, fmt(v, 6));
}

/** Build the table for the current step into `container`. opts: {group, cell, showAll, t, pick}. */
export function renderTable(container, trace, stepIndex, opts) {
  const { t, pick } = opts;
  const step = trace.steps[stepIndex];
  container.replaceChildren();
  const v = flat(step.values);
  const table = el("table", { class: "numbers-table", "data-step": step.id });
  const caption = el("caption");
  table.append(caption);
  const head = el("tr");
  const body = el("tbody");
  const addHead = (...names) => names.forEach((n) => head.append(el("th", { scope: "col" }, n)));

  if (!v) {
    // summarized: show the summary instead
    const s = step.summary || {};
    caption.textContent = t("numbers.summary", { title: pick(step.title), n: grouped(s.count ?? 0) });
    addHead(t("numbers.statistic"), t("numbers.value"));
    for (const key of ["count", "min", "max", "mean", "std"]) {
      const tr = el("tr");
      tr.append(el("th", { scope: "row" }, t(`numbers.${key}`)), key === "count" ? el("td", { class: "num" }, String(s[key])) : valueCell(s[key]));
      body.append(tr);
    }
    table.append(el("thead"), body);
    table.tHead.append(head);
    container.append(table);
    return;
  }

  const x = flat(trace.steps[0].values);
  const ids = groupIds(trace);
  const sameShape = step.shape && step.shape.length === trace.shape.length && step.shape.every((d, k) => d === trace.shape[k]);
  const title = pick(step.title);

  if (step.kind === "tensor" && sameShape) {
    const g = ids ? opts.group ?? 0 : null;
    const all = opts.showAll || g === null;
    let cells = all ? Array.from({ length: size(trace.shape) }, (_, i) => i) : members(trace, g);
    const total = cells.length;
    cells = cells.slice(0, MAX_ROWS);
    caption.textContent = all
      ? t("numbers.caption_all", { title, n: total })
      : t("numbers.caption_group", { title, group: groupLabel(trace, g), n: total });
    const isInput = stepIndex === 0;
    const isGroups = step.id === "grouping";
    addHead(t("numbers.index"), ...(isInput || isGroups ? [] : [t("numbers.input")]), isGroups ? t("numbers.group") : title, ...(ids && all && !isGroups ? [t("numbers.group")] : []));
    for (const i of cells) {
      const tr = el("tr", { "data-index": i, class: i === opts.cell ? "is-selected" : undefined });
      tr.append(el("th", { scope: "row", class: "idx" }, indexText(i, trace.shape)));
      if (!isInput && !isGroups) tr.append(valueCell(x ? x[i] : null, "input"));
      if (isGroups) tr.append(el("td", { "data-value": String(v[i]) }, `${groupLabel(trace, v[i])} (#${v[i]})`));
      else tr.append(valueCell(v[i]));
      if (ids && all && !isGroups) tr.append(el("td", { class: ids[i] === g ? "grp is-group" : "grp" }, groupLabel(trace, ids[i])));
      body.append(tr);
    }
    if (total > cells.length) caption.textContent += " " + t("numbers.truncated", { n: cells.length });
  } else if (step.kind === "stat" && trace.grouping && v.length === groupCount(trace)) {
    caption.textContent = t("numbers.caption_stats", { title, n: v.length });
    addHead(t("numbers.group"), title);
    for (let g = 0; g < Math.min(v.length, MAX_ROWS); g++) {
      const tr = el("tr", { "data-index": g, class: g === opts.group ? "is-selected" : undefined });
      tr.append(el("th", { scope: "row" }, `${groupLabel(trace, g)} (#${g})`), valueCell(v[g]));
      body.append(tr);
    }
  } else {
    const shape = step.shape || paramShape(trace) || [v.length];
    caption.textContent = t("numbers.caption_param", { title, n: v.length });
    addHead(t("numbers.index"), title);
    for (let j = 0; j < Math.min(v.length, MAX_ROWS); j++) {
      const tr = el("tr", { "data-index": j });
      tr.append(el("th", { scope: "row", class: "idx" }, shape.length ? `(${unravel(j, shape).join(", ")})` : "()"), valueCell(v[j]));
      body.append(tr);
    }
  }
  const thead = el("thead");
  thead.append(head);
  table.append(thead, body);
  container.append(table);
}
