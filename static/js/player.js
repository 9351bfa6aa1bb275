// Step controls: previous / play-pause / next, a scrubber, the speed, the step rail, and the keys
// (left / right arrows, space to play or pause, Home / End). prefers-reduced-motion turns animation into
// instant steps. start({from, until}) plays once from one step to another (examples build up to their step).

const $ = (id) => document.getElementById(id);
const STEP_MS = 2200; // one step at speed 1: the transition plus time to read

export const reducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

/** ctx: {count(), index(), go(i), speed(), setSpeed(s), t} */
export function initPlayer(ctx) {
  let timer = null;
  const play = $("btn-play");

  const setPlaying = (on) => {
    play.setAttribute("aria-pressed", String(on));
    play.classList.toggle("is-playing", on);
    play.setAttribute("aria-label", ctx.t(on ? "player.pause" : "player.play"));
    play.dataset.i18nAttr = on ? "aria-label:player.pause;title:player.play_key" : "aria-label:player.play;title:player.play_key";
  };
  const stop = () => {
    clearTimeout(timer);
    timer = null;
    setPlaying(false);
  };
  let last = Infinity; // the step to stop at
  let pace = STEP_MS; // ms per step at speed 1
  const tick = () => {
    if (ctx.index() >= Math.min(last, ctx.count() - 1)) return stop();
    ctx.go(ctx.index() + 1);
    // stop on arrival: the last step stays on screen, and the button is Play again at once
    if (ctx.index() >= Math.min(last, ctx.count() - 1)) return stop();
    timer = setTimeout(tick, pace / ctx.speed());
  };
  /** Play from `from` (default: here, or the start when at the end) up to `until`, `stepMs` per step. */
  const start = ({ from = null, until = Infinity, stepMs = STEP_MS } = {}) => {
    last = until;
    pace = stepMs;
    if (from !== null && from !== ctx.index()) ctx.go(from);
    else if (from === null && ctx.index() >= Math.min(until, ctx.count() - 1)) ctx.go(0);
    setPlaying(true);
    clearTimeout(timer);
    timer = setTimeout(tick, reducedMotion() ? 900 / ctx.speed() : pace / ctx.speed() / 2);
  };
  const toggle = () => (timer ? stop() : start());
  const step = (d) => {
    stop();
    const i = Math.max(0, Math.min(ctx.count() - 1, ctx.index() + d));
    if (i !== ctx.index()) ctx.go(i);
  };

  $("btn-prev").addEventListener("click", () => step(-1));
  $("btn-next").addEventListener("click", () => step(1));
  play.addEventListener("click", toggle);
  $("scrubber").addEventListener("input", (e) => {
    stop();
    ctx.go(Number(e.target.value));
  });
  $("speed").addEventListener("change", (e) => ctx.setSpeed(Number(e.target.value)));
  $("step-rail").addEventListener("click", (e) => {
    const b = e.target.closest(".rail-step");
    if (!b) return;
    stop();
    ctx.go(Number(b.dataset.index));
  });

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const el = e.target;
    const tag = el?.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el?.isContentEditable || el?.getAttribute?.("role") === "tab") return;
    if (e.key === "ArrowRight") step(1);
    else if (e.key === "ArrowLeft") step(-1);
    else if (e.key === "Home") step(-ctx.count());
    else if (e.key === "End") step(ctx.count());
    else if (e.key === " " && tag !== "BUTTON" && tag !== "A") toggle();
    else return;
    e.preventDefault();
  });

  return {
    stop,
    start,
    /** An example: from the input up to its answer step, once, briskly (about 5 s in all); with reduced motion
     *  straight to the answer. Any step the reader takes first stops it. */
    buildUp(answer) {
      if (answer <= 0) return;
      if (reducedMotion()) return ctx.go(answer);
      start({ from: 0, until: answer, stepMs: Math.max(700, Math.min(1400, 5000 / answer)) });
    },
    isPlaying: () => timer !== null,
    /** After the trace or step changed elsewhere: sync the scrubber. */
    sync() {
      const s = $("scrubber");
      s.max = String(ctx.count() - 1);
      s.value = String(ctx.index());
      s.setAttribute("aria-valuetext", ctx.t("player.step_of", { i: ctx.index() + 1, n: ctx.count() }));
      $("btn-prev").disabled = ctx.index() === 0;
      $("btn-next").disabled = ctx.index() >= ctx.count() - 1;
    },
  };
}
