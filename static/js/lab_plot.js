// A lab page's Plotly figures: first draw, animated moves on a knob change (Plotly.animate when the traces keep
// their shape, else Plotly.react), and the play button / frame slider of figures that play frames or reveal.

import { buildFigure, frameCount, frameText, sameShape } from "./lab_figures.js";

const PLOT_CONFIG = { displayModeBar: false, responsive: true, scrollZoom: false };
const MOVE = { transition: { duration: 400, easing: "cubic-in-out" }, frame: { duration: 400, redraw: false } };

let plotlyPromise = null;

/** Plotly's script, loaded once after the first paint (the page's text needs none of it). */
export function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  plotlyPromise ||= new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = url;
    s.async = true;
    s.onload = () => resolve(window.Plotly);
    s.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.append(s);
  });
  return plotlyPromise;
}

/** ctx: {Plotly, lab() -> the response, lang() -> "en"|"zh", t(key)} */
export function createPlots(ctx) {
  const state = {}; // figure id -> {frame, frames, timer}
  const el = (id) => document.getElementById(`plot-${id}`);
  const specs = () => ctx.lab().words.figures;

  function draw(spec, mode) {
    const div = el(spec.id);
    if (!div) return;
    const st = (state[spec.id] ||= { frame: null, frames: 0, timer: null });
    const series = ctx.lab().series;
    st.frames = frameCount(spec, series);
    if (st.frame === null || st.frame >= st.frames) st.frame = Math.max(0, st.frames - 1);
    const fig = buildFigure(spec, series, { lang: ctx.lang(), frame: st.frame, width: div.clientWidth });
    const P = ctx.Plotly;
    if (!div.classList.contains("js-plotly-plot")) P.newPlot(div, fig.data, fig.layout, PLOT_CONFIG);
    else if (mode === "animate" && sameShape(div.data, fig.data)) P.animate(div, { data: fig.data, layout: fig.layout }, MOVE);
    else if (mode === "step" && sameShape(div.data, fig.data)) P.animate(div, { data: fig.data }, stepMove(st.frames));
    else P.react(div, fig.data, fig.layout, PLOT_CONFIG);
    syncPlayer(spec, st);
  }

  function stepMove(frames) {
    const dt = stepMs(frames);
    return { transition: { duration: Math.round(dt * 0.85), easing: "linear" }, frame: { duration: dt, redraw: false } };
  }

  function syncPlayer(spec, st) {
    const slider = document.querySelector(`[data-frames="${spec.id}"]`);
    const label = document.querySelector(`[data-frame-label="${spec.id}"]`);
    const button = document.querySelector(`[data-play="${spec.id}"]`);
    if (slider) {
      slider.max = String(Math.max(0, st.frames - 1));
      slider.value = String(st.frame);
    }
    if (label) label.textContent = st.frames ? frameText(spec, st.frame, ctx.lang(), st.frames) : "";
    if (button) {
      button.setAttribute("aria-pressed", String(!!st.timer));
      const word = button.querySelector("[data-i18n]");
      if (word) {
        word.dataset.i18n = st.timer ? "lab.pause" : "lab.play";
        word.textContent = ctx.t(word.dataset.i18n);
      }
    }
  }

  function stop(id) {
    const st = state[id];
    if (st?.timer) {
      clearInterval(st.timer);
      st.timer = null;
    }
  }

  function play(spec) {
    const st = state[spec.id];
    if (!st || st.frames < 2) return;
    if (st.timer) {
      stop(spec.id);
      syncPlayer(spec, st);
      return;
    }
    if (st.frame >= st.frames - 1) st.frame = 0;
    st.timer = setInterval(() => {
      st.frame += 1;
      if (st.frame >= st.frames - 1) stop(spec.id);
      draw(spec, spec.play === "frames" ? "step" : "react");
    }, stepMs(st.frames));
    draw(spec, "react");
  }

  function wire() {
    for (const spec of specs()) {
      const button = document.querySelector(`[data-play="${spec.id}"]`);
      button?.addEventListener("click", () => play(specs().find((s) => s.id === spec.id)));
      const slider = document.querySelector(`[data-frames="${spec.id}"]`);
      slider?.addEventListener("input", () => {
        stop(spec.id);
        state[spec.id].frame = Number(slider.value);
        draw(specs().find((s) => s.id === spec.id), spec.play === "frames" ? "step" : "react");
      });
    }
  }

  return {
    wire,
    /** mode: "new" (first draw / language), "animate" (a knob changed: show the last frame, move there) */
    render(mode) {
      for (const spec of specs()) {
        if (mode === "animate" && state[spec.id]) {
          stop(spec.id);
          state[spec.id].frame = null;
        }
        draw(spec, mode === "animate" ? "animate" : "react");
      }
    },
    playing: () => Object.values(state).some((s) => s.timer),
  };
}

/** Milliseconds per frame: a whole play takes about 4 s, each frame between 50 and 400 ms. */
export const stepMs = (frames) => Math.max(50, Math.min(400, Math.round(4000 / Math.max(1, frames))));
