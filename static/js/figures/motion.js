// How the tensor view gets from what is on screen to a new step, as data (the stage plays it with Plotly):
// either one frame (draw the new figure: another trace, selection or width, a heatmap, reduced motion) or two
// (draw the new figure with the cells where they are now, then animate the cells to the new step). Pure.

/** What identifies one drawing of the tensor view: animation only happens within it. */
export const tensorSig = (trace, tf, view) =>
  JSON.stringify([trace.__id ?? null, view.group ?? null, view.cell ?? null, view.lang ?? null, Math.round(view.width || 0), tf.meta?.cells ?? null, tf.meta?.rows, tf.meta?.cols]);

/**
 * shown: {sig, cells} as last drawn (or null); tf: the new tensorFigure; opts: {animate, reduced, sig}.
 * Returns [{data, layout}] to jump, or [{data, layout}, {data, traces}] to move: the first is drawn with
 * Plotly.react, the second handed to Plotly.animate (every trace: an animation drops the layer of a trace
 * type it leaves out).
 */
export function tensorFrames(shown, tf, { animate = false, reduced = false, sig = null } = {}) {
  const k = tf.meta?.cells ?? null;
  const moving = animate && !reduced && k !== null && shown !== null && shown.sig === sig && !!shown.cells;
  if (!moving) return [{ data: tf.data, layout: tf.layout }];
  return [
    { data: tf.data.map((tr, i) => (i === k ? shown.cells : tr)), layout: tf.layout },
    { data: tf.data, traces: tf.data.map((_, i) => i) },
  ];
}
