// Which figure tells a step's story, and its caption. `key` says which figures can animate into each other:
// two renders with the same key share frames, so the stage calls Plotly.animate instead of redrawing.

import { flat } from "../tensor.js";
import { paramFigure, runningFigure, statFigure } from "./bars.js";
import { dropoutFigure } from "./dropout.js";
import { setsFigure } from "./sets.js";
import { histogramFigure, stripFigure } from "./strip.js";

export { tensorFigure } from "./heatmap.js";

/** The story figure for a step: {figure, key, caption (an i18n key)}. */
export function storyFigure(trace, stepIndex, view) {
  const step = trace.steps[stepIndex];
  const summarized = step.values === null || step.values === undefined;
  if (!trace.steps.some((s) => s.kind === "stat")) {
    // an element-wise layer (Dropout): no statistics, each value against what it became
    if (summarized || !flat(trace.steps[0].values)) return { figure: histogramFigure(trace, stepIndex, view), key: "hist", caption: "fig.hist_caption" };
    return { figure: dropoutFigure(trace, stepIndex, view), key: `dropout:${step.phase}`, caption: "fig.dropout_caption" };
  }
  if (step.id === "grouping" && trace.grouping) return { figure: setsFigure(trace, stepIndex, view), key: "sets", caption: "fig.sets_caption" };
  if (step.id === "running_mean" || step.id === "running_var") {
    return { figure: runningFigure(trace, stepIndex, view), key: "running", caption: "fig.running_caption" };
  }
  if (step.kind === "stat" && !summarized) return { figure: statFigure(trace, stepIndex, view), key: "stat", caption: "fig.stat_caption" };
  if (step.kind === "param" && !summarized) return { figure: paramFigure(trace, stepIndex, view), key: "param", caption: "fig.param_caption" };
  if (step.kind === "tensor" && !summarized && trace.grouping) {
    return { figure: stripFigure(trace, stepIndex, view), key: `strip:${step.phase}`, caption: "fig.strip_caption" };
  }
  return { figure: histogramFigure(trace, stepIndex, view), key: "hist", caption: "fig.hist_caption" };
}
