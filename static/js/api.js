// The JSON API, same origin: POST /api/v1/trace, POST /api/v1/parse, GET /api/v1/layers, and the links
// endpoints. request() is the page's only call of fetch(); every path comes from urls.js.

import * as urls from "./urls.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** `method` `url` with an optional JSON body; resolves to the parsed JSON (null if the body is not JSON) and
 *  rejects with ApiError on an HTTP error, or with the fetch error itself (AbortError, network failure). */
export async function request(method, url, body, signal) {
  const init = { method, signal, headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const trace = (body, signal) => request("POST", urls.api.trace, body, signal);
export const parse = (text, signal) => request("POST", urls.api.parse, { text }, signal);
/** The dtype a parsed paste names (dtype=torch.float64) if the pages compute in it, else null: a tensor is
 *  computed in the dtype it names, as PyTorch would. */
export const namedDtype = (parsed) => (parsed.dtype === "float32" || parsed.dtype === "float64" ? parsed.dtype : null);
export const layers = (signal) => request("GET", urls.api.layers, undefined, signal);
/** {token, url} of a permalink to a ViewState (url null when the state is too large for a URL). */
export const permalink = (state, signal) => request("POST", urls.api.permalink, state, signal);
/** {id, url, v, created} of a short link to a ViewState. */
export const shortLink = (state, signal) => request("POST", urls.api.links, state, signal);
/** The interface strings of a language (a static JSON file). */
export const strings = (url, signal) => request("GET", url, undefined, signal);

/** One {detail} item's message in language `lang`: the core and the paste parser send msg_zh beside msg. */
export function itemMessage(e, lang) {
  return (lang === "zh" && e?.msg_zh) || e?.msg;
}

/** A readable message for an error in language `lang`; knows FastAPI's {detail} shapes and {message: {en, zh}}. */
export function errorMessage(err, lang) {
  if (!(err instanceof ApiError)) return String(err?.message || err);
  const body = err.body || {};
  const pickText = (m) => (m && typeof m === "object" && (m[lang] || m.en)) || m;
  const d = body.detail ?? body.error ?? body;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) {
    return d
      .map((e) => {
        const loc = Array.isArray(e.loc) ? e.loc.filter((x) => x !== "body").join(".") : "";
        return (loc ? loc + ": " : "") + (pickText(e.message) || itemMessage(e, lang) || JSON.stringify(e));
      })
      .join("; ");
  }
  if (d && typeof d === "object") {
    const msg = pickText(d.message) || d.msg;
    if (typeof msg === "string") return msg;
  }
  return `HTTP ${err.status}`;
}

/** POST `body` to a newline-delimited JSON endpoint (POST /api/v1/train) and call onLine(obj) for every line as
 *  it arrives; resolves when the stream ends, rejects with ApiError on an HTTP error (the body's JSON parsed)
 *  or with AbortError when `signal` aborts (which closes the connection: the server stops the job). */
export async function stream(url, body, signal, onLine) {
  const res = await fetch(url, {
    method: "POST",
    signal,
    headers: { accept: "application/x-ndjson", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    throw new ApiError(res.status, data);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { done, value } = await reader.read();
    pending += decoder.decode(value || new Uint8Array(), { stream: !done });
    const lines = pending.split("\n");
    pending = lines.pop();
    for (const line of lines) if (line.trim()) onLine(JSON.parse(line));
    if (done) break;
  }
  if (pending.trim()) onLine(JSON.parse(pending));
}
