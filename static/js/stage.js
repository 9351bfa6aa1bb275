// The stage: draws the figures with Plotly once its script has arrived (it loads after the first paint, so
// text never waits for 4.8 MB of JavaScript), animates between steps of the same kind, and turns clicks on
// cells, points and bars into a selected cell or group.

import { COLORS } from "./figures/common.js";
import { storyFigure, tensorFigure } from "./figures/index.js";
import { tensorFrames, tensorSig } from "./figures/motion.js";
import { reducedMotion } from "./player.js";

const $ = (id) => document.getElementById(id);
const ZH_LOCALE = {
  moduleType: "locale",
  name: "zh-CN",
  dictionary: { "Download plot as a png": "下载 PNG 图片", "Download plot": "下载图片", Autoscale: "自动缩放", "Reset axes": "重置坐标轴" },
  format: { decimal: ".", thousands: "," },
};

let plotlyPromise = null;

/** Load plotly.min.js once (a script element on our own origin; CSP script-src 'self' allows it). */
export function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyPromise) {
    plotlyPromise = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = url;
      s.async = true;
      s.onload = () => {
        window.Plotly.register(ZH_LOCALE);
        resolve(window.Plotly);
      };
      s.onerror = () => reject(new Error(`could not load ${url}`));
      document.head.append(s);
    });
  }
  return plotlyPromise;
}

/** handlers: {cell(i), group(g), param(j)} */
export function createStage(handlers) {
  const tensorEl = $("plot-tensor");
  const storyEl = $("plot-story");
  let Plotly = null;
  let last = null; // the arguments of the latest render, replayed when Plotly arrives or the width changes
  let tensorMeta = null;
  let storyMeta = null;
  let storySig = null; // what the story figure currently shows: animate only within the same figure
  let storyTicket = 0;
  let storyReady = Promise.resolve(); // the story figure's pending react / frames / animation
  const lastFrame = new Map(); // figure signature -> the frame it showed last
  let widths = [0, 0];

  const config = (lang, name) => ({
    displayModeBar: false,
    displaylogo: false,
    responsive: false,
    locale: lang === "zh" ? "zh-CN" : "en",
    toImageButtonOptions: { filename: name, scale: 2 },
  });

  let wired = false;
  function wire() {
    // gd.on exists once Plotly has drawn into the element
    if (wired || typeof tensorEl.on !== "function" || typeof storyEl.on !== "function") return;
    wired = true;
    tensorEl.on("plotly_click", (ev) => {
      const p = ev.points?.[0];
      if (!p || !tensorMeta) return;
      // a marker knows its cell (it may be away from home, in its group's tile); a heatmap or slot its position
      const marker = p.data.type === "scatter" && typeof p.customdata === "number";
      const i = marker ? p.customdata : tensorMeta.cellOf[Math.round(p.y) * tensorMeta.cols + Math.round(p.x)];
      if ((marker || p.data.name === "tensor" || p.data.name === "slots") && i >= 0) handlers.cell(i);
    });
    storyEl.on("plotly_click", (ev) => {
      const p = ev.points?.[0];
      if (!p || !storyMeta) return;
      if (storyMeta.key.startsWith("strip") && (p.data.name === "others" || p.data.name === "selected")) handlers.cell(p.customdata);
      else if (storyMeta.key === "stat" && typeof p.customdata === "number") handlers.group(p.customdata);
      else if (storyMeta.key === "param" && typeof p.customdata === "number") handlers.param(p.customdata);
    });
  }

  function draw(trace, stepIndex, view, animate) {
    const step = trace.steps[stepIndex];
    const name = `normlens-${trace.layer}-${step.id}`;
    widths = [tensorEl.clientWidth, storyEl.clientWidth];

    const tf = tensorFigure(trace, stepIndex, { ...view, width: widths[0] });
    tensorMeta = tf.meta;
    drawTensor(trace, tf, view, animate, config(view.lang, `${name}-tensor`));
    tensorEl.dataset.mode = tf.meta?.mode || "";
    tensorEl.dataset.group = String(view.group ?? "");

    const sf = storyFigure(trace, stepIndex, { ...view, width: widths[1] });
    drawStory(trace, step, sf, view, animate, config(view.lang, `${name}-story`));
    storyMeta = { key: sf.key, ...sf.figure.meta };
    storyEl.dataset.key = sf.key;
    wire();
    storyEl.dataset.step = step.id;
    $("fig-story-caption").textContent = view.t(sf.caption);
    $("fig-tensor-caption").textContent = tensorCaption(trace, step, tf.meta, view);
  }

  // The story figure animates between frames of one figure (points of the strip, bars of the statistics). Coming
  // back to a figure (say from the variance bars to the normalized values) starts from the frame it showed
  // last, so the points travel from where the reader saw them; a figure drawn afresh with motion may start
  // from its `enter` frame (bars grow from zero). Like the tensor view, a step superseded while queued is
  // skipped, and the bookkeeping follows what is really on screen.
  function drawStory(trace, step, sf, view, animate, cfg) {
    const ticket = ++storyTicket;
    const sig = JSON.stringify([sf.key, trace.__id, view.group, view.cell, view.lang, widths[1]]);
    const frames = sf.figure.frames || [];
    const has = (id) => frames.some((f) => f.name === id);
    const motion = animate && !reducedMotion() && has(step.id);
    const ms = 650 / (view.speed || 1);
    const moveTo = () =>
      Plotly.animate(storyEl, [step.id], { transition: { duration: ms, easing: "cubic-in-out" }, frame: { duration: ms, redraw: false }, mode: "immediate" });
    // titles and numbers the frames do not carry (the bars' axis title) land once the motion is over
    const settle = () => ticket === storyTicket && sf.figure.meta?.settle && Plotly.react(storyEl, sf.figure.data, sf.figure.layout, cfg);
    const run = () => {
      if (ticket !== storyTicket) return null;
      const same = motion && sig === storySig;
      const from = motion && !same && lastFrame.get(sig);
      const start = from && from !== step.id && has(from) ? frames.find((f) => f.name === from) : motion && !same ? sf.figure.enter : null;
      if (frames.length) lastFrame.set(sig, step.id);
      storySig = sig;
      if (same) return moveTo().then(settle);
      const data = start ? sf.figure.data.map((tr, i) => ({ ...tr, ...(start.data[start.traces.indexOf(i)] || {}) })) : sf.figure.data;
      // frames go in explicitly: Plotly.react keeps the previous figure's frames otherwise
      return Plotly.react(storyEl, data, sf.figure.layout, cfg)
        .then(wire)
        .then(() => Plotly.deleteFrames(storyEl))
        .then(() => frames.length && Plotly.addFrames(storyEl, frames))
        .then(() => start && moveTo().then(settle));
    };
    storyReady = storyReady.then(run).catch(() => {}); // an interrupted animation rejects; nothing to do
  }

  // The tensor view moves its cells (markers) from what is on screen to the new step: a react that changes
  // everything but the cells (colour bar, outlines), then Plotly.animate, which tweens the cells. Steps queue
  // behind a running transition; a step superseded while queued is skipped, so holding an arrow key never
  // builds a backlog. Anything else (another trace, selection, width, language) redraws at once.
  let tensorShown = null; // {sig, cells}: the cells trace as last drawn
  let tensorReady = Promise.resolve();
  let tensorTicket = 0;
  function drawTensor(trace, tf, view, animate, cfg) {
    const ticket = ++tensorTicket;
    const sig = tensorSig(trace, tf, { ...view, width: widths[0] });
    const k = tf.meta?.cells ?? null;
    const run = () => {
      if (ticket !== tensorTicket) return null; // a newer step is waiting: go straight there
      const frames = tensorFrames(tensorShown, tf, { animate, reduced: reducedMotion(), sig });
      tensorShown = k === null ? null : { sig, cells: tf.data[k] };
      tensorEl.dataset.moving = frames.length > 1 ? "1" : "";
      const drawn = Plotly.react(tensorEl, frames[0].data, frames[0].layout, cfg).then(wire); // gd.on exists now
      if (frames.length === 1) return drawn;
      const ms = 700 / (view.speed || 1);
      const opts = { transition: { duration: ms, easing: "cubic-in-out" }, frame: { duration: ms, redraw: false }, mode: "immediate" };
      return drawn.then(() => Plotly.animate(tensorEl, frames[1], opts)).then(() => ticket === tensorTicket && (tensorEl.dataset.moving = ""));
    };
    tensorReady = tensorReady.then(run).catch(() => {}); // an interrupted animation rejects; nothing to do
  }

  function tensorCaption(trace, step, meta, view) {
    const t = view.t;
    if (!meta) return t("fig.tensor_caption");
    const parts = [];
    if (meta.mode === "groups") parts.push(t("fig.caption_groups"));
    else if (meta.mode === "stat") parts.push(t(meta.by === "param" ? "fig.caption_param" : "fig.caption_stat", { title: view.pick(step.title) }));
    else if (meta.context) parts.push(t("fig.caption_context"));
    else parts.push(t("fig.caption_values", { title: view.pick(step.title) }));
    if (trace.grouping) parts.push(t("fig.caption_click"));
    if (meta.truncated) parts.push(t("fig.caption_truncated"));
    return parts.join(view.lang === "zh" ? "" : " ");
  }

  const ro = new ResizeObserver(() => {
    if (!Plotly || !last) return;
    const w = [tensorEl.clientWidth, storyEl.clientWidth];
    if (Math.abs(w[0] - widths[0]) < 24 && Math.abs(w[1] - widths[1]) < 24) return;
    clearTimeout(ro.timer);
    ro.timer = setTimeout(() => draw(last[0], last[1], last[2], false), 120);
  });
  ro.observe(tensorEl);
  ro.observe(storyEl);

  // An exported figure carries the panel it was seen on (the figures draw on a transparent paper): it reads the
  // same on any slide, where the dark scheme's light text on a transparent image vanished on a white one.
  for (const b of document.querySelectorAll("[data-download]")) {
    b.addEventListener("click", async () => {
      if (!Plotly || !last) return;
      const el = $(b.dataset.plot);
      const step = last[0].steps[last[1]];
      const format = b.dataset.download;
      const { width, height } = el._fullLayout;
      const figure = { data: el.data, layout: { ...el.layout, paper_bgcolor: COLORS.panel } };
      const link = document.createElement("a");
      link.href = await Plotly.toImage(figure, { format, width, height, scale: 2 });
      link.download = `normlens-${last[0].layer}-${step.id}-${b.dataset.plot.replace("plot-", "")}.${format}`;
      link.click();
    });
  }

  return {
    /** Called by main once plotly.min.js has loaded. */
    ready(P) {
      Plotly = P;
      for (const el of [tensorEl, storyEl]) el.querySelector(".plot-loading")?.remove();
      if (last) draw(last[0], last[1], last[2], false);
    },
    render(trace, stepIndex, view, { animate = false } = {}) {
      last = [trace, stepIndex, view];
      if (Plotly) draw(trace, stepIndex, view, animate);
    },
    /** The loaded Plotly module, or null before it arrives. */
    get plotly() {
      return Plotly;
    },
  };
}
