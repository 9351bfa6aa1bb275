"""The HTML pages: / (home) and /explain, plus Plotly's script under a versioned, immutable URL.

/explain is rendered on the server for its initial state, so the step's title, explanation and formula (MathML)
are on screen before any script runs; the page then takes over from the same data, passed as JSON blocks:

    <script type="application/json" id="initial-trace">{...}</script>

`render_explain(request, state)` renders any `ViewState` (examples and permalinks use it too).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from functools import cache
from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from normlens.app import assets
from normlens.app.assets import CACHE_FOREVER, plotly_bundle
from normlens.app.lessons import layer_json
from normlens.app.opening import default_state, values_text
from normlens.app.responses import dumps
from normlens.app.settings import ROOT
from normlens.app.state import ViewState

router = APIRouter(include_in_schema=False)
STATIC = ROOT / "static"
LANGS = ("en", "zh")
LANG_COOKIE = "normlens_lang"

templates = Jinja2Templates(directory=str(ROOT / "templates"))


# ---- helpers the templates use ----------------------------------------------------------------------------


def script_json(obj: Any) -> Markup:
    """JSON for a <script type="application/json"> block: NumPy arrays allowed, and '<', '>', '&' escaped so the
    text can never close the script element."""
    text = dumps(obj).decode()
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")
    return Markup(text)


@cache
def _file_version(path: str) -> str:
    file = STATIC / path
    return hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.is_file() else "missing"


def static_url(path: str) -> str:
    """/static/<path>?v=<content hash>: a new file gets a new URL, so browsers never run a stale stylesheet.
    (A missing file gives v=missing and a 404 that the page tests report, instead of a 500 for the whole page.)"""
    return f"/static/{path}?v={_file_version(path)}"


templates.env.filters["script_json"] = script_json
templates.env.globals["static"] = static_url
templates.env.globals["module_graph"] = assets.module_graph


@cache
def strings(lang: str) -> dict[str, str]:
    return orjson.loads((STATIC / "i18n" / f"{lang}.json").read_bytes())


def translator(lang: str):
    table = strings(lang)
    fallback = strings("en")

    def t(key: str, **kw: Any) -> str:
        s = table.get(key) or fallback.get(key) or key
        return re.sub(r"\{(\w+)\}", lambda m: str(kw.get(m.group(1), m.group(0))), s)

    return t


def request_lang(request: Request) -> str:
    """The reader's language: ?lang= in the address, the remembered choice (cookie set by the page), else
    Accept-Language."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGS:
        return cookie
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def html_lang(lang: str) -> str:
    return "zh-CN" if lang == "zh" else "en"


def base_context(request: Request, lang: str, entry: str, active: str) -> dict[str, Any]:
    return {
        "lang": lang,
        "html_lang": html_lang(lang),
        "t": translator(lang),
        "strings": strings(lang),
        "entry": entry,
        "active": active,
    }


# ---- the default view ---------------------------------------------------------------------------------------


_TRACES: OrderedDict[bytes, dict[str, Any]] = OrderedDict()  # the 64 most recent page traces
_TRACES_LOCK = threading.Lock()  # shared views render in worker threads


def trace_dict(state: ViewState) -> dict[str, Any]:
    """What POST /api/v1/trace returns for this state, computed by the same function from the validated
    request (no JSON round trip) and remembered by its canonical form. Shared: read it, never change it."""
    from normlens.app.routes.api import trace_response

    req = state.trace_request()
    key = req.model_dump_json(exclude_unset=True).encode()
    with _TRACES_LOCK:
        found = _TRACES.get(key)
        if found is not None:
            _TRACES.move_to_end(key)
            return found
    found = trace_response(req)
    with _TRACES_LOCK:
        _TRACES[key] = found
        if len(_TRACES) > 64:
            _TRACES.popitem(last=False)
    return found


def client_state(state: ViewState, trace: dict[str, Any], lang: str) -> dict[str, Any]:
    """The page's state object: the ViewState's JSON plus what only the page needs (`ui`)."""
    data = state.model_dump(mode="json", exclude_unset=False)
    data["v"] = state.v
    steps = [s["id"] for s in trace["steps"]]
    step = state.view.step if state.view.step in steps else steps[0]
    groups = int(np.prod(trace["grouping"]["stat_shape"])) if trace.get("grouping") else 0
    group = state.view.group if state.view.group is not None and state.view.group < max(groups, 1) else 0
    data["view"] = {"step": step, "group": group if trace.get("grouping") else state.view.group, "lang": lang}
    inp = state.input
    random = inp.random.model_dump(mode="json", exclude_none=True) if inp.random is not None else None
    data["input"] = {k: v for k, v in data["input"].items() if v is not None}
    if random is not None:
        data["input"] = {"random": random}
    cell = 0
    ids = next((s["values"] for s in trace["steps"] if s["id"] == "grouping"), None)
    if ids is not None and (hits := np.flatnonzero(np.asarray(ids).ravel() == group)).size:
        cell = int(hits[0])
    data["ui"] = {
        "cell": cell,
        "speed": 1,
        "showAll": False,
        "tab": "random" if random is not None else "text",
        "text": inp.text if inp.text is not None else values_text(inp.values),
        "random": {
            "shape": list(random["shape"]),
            "seed": random.get("seed", 0),
            "distribution": random.get("distribution", "normal"),
        }
        if random is not None
        else {"shape": list(trace["shape"]), "seed": 0, "distribution": "normal"},
        "fillText": False,
    }
    return data


def lesson_name(trace: dict[str, Any], spec: dict[str, Any], lang: str) -> str:
    """What the lesson is about: its PyTorch module ("nn.BatchNorm2d"), or the layer's title where PyTorch has
    no module for it (min-max); static/js/narrative.js torchClass does the same on the page."""
    cls = str(trace["torch_class"])
    return cls if cls.startswith("nn.") else str(spec["title"][lang])


def render_explain(
    request: Request,
    state: ViewState,
    lang: str | None = None,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The explain page for any ViewState (default view, example, permalink, readable link). `extra` adds to the
    context: shared views (app.routes.links) pass Open Graph tags, the example, and lang_fixed (keep the link's
    language); readable links (app.explain_views) pass `canonical` (the permalink) or `query_errors`.

    An example opens on its input and plays once up to the step it is about (config.answer_step), so the page
    never shows the answer first and then jumps back."""
    import normlens

    lang = lang or request_lang(request)
    t = translator(lang)
    extra = extra or {}
    answer = state.view.step if extra.get("example") is not None else None
    if answer is not None:
        state = state.model_copy(update={"view": state.view.model_copy(update={"step": None})})
    trace = trace_dict(state)
    cstate = client_state(state, trace, lang)
    specs = [layer_json(s) for s in normlens.specs()]
    spec = next(s for s in specs if s["name"] == state.layer)
    index = next(i for i, s in enumerate(trace["steps"]) if s["id"] == cstate["view"]["step"])
    step = trace["steps"][index]
    meta = [t("lesson.input_shape", shape=" × ".join(map(str, trace["shape"]))), trace["dtype"]]
    if "training" in trace["params"]:
        meta.append(t("lesson.training" if trace["params"]["training"] else "lesson.eval"))
    if trace.get("grouping"):
        g = trace["grouping"]
        meta.append(t("lesson.groups", k=int(np.prod(g["stat_shape"])), m=g["group_size"]))
    phase = t("player.backward" if step["phase"] == "backward" else "player.forward")
    ctx = base_context(request, lang, "main.js", "explain") | {
        "state": cstate,
        "trace": trace,
        "step": step,
        "step_index": index,
        "specs": specs,
        "layer_spec": spec,
        "lesson_title": t("lesson.title", layer=lesson_name(trace, spec, lang)),
        "lesson_meta": " · ".join(meta),
        "step_count": f"{t('player.step_of', i=index + 1, n=len(trace['steps']))} · {phase}",
        "config": {
            "plotly_url": plotly_url(request),
            "i18n": {code: static_url(f"i18n/{code}.json") for code in LANGS},
        },
    }
    ctx |= extra
    ctx["config"] |= {"lang_fixed": bool(extra.get("lang_fixed")), "canonical": extra.get("canonical")}
    if answer is not None and any(s["id"] == answer for s in trace["steps"]):
        ctx["config"]["answer_step"] = answer  # an example plays once, from the input up to this step
        ctx["answer_step"] = answer
    return templates.TemplateResponse(request, "explain.html", ctx, status_code=status_code)


# ---- routes -------------------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    lang = request_lang(request)
    return templates.TemplateResponse(request, "index.html", base_context(request, lang, "home.js", "home"))


@router.get("/explain", response_class=HTMLResponse)
def explain(request: Request) -> HTMLResponse:
    """The explainer; a readable query (?layer=group_norm&shape=2,6,4,4&num_groups=3) opens the view it names."""
    from normlens.app.explain_views import explain_from_query

    return explain_from_query(request, request_lang(request))


@router.get("/examples", response_class=HTMLResponse)
async def examples(request: Request) -> HTMLResponse:
    """The examples gallery: one card per worked example (app/examples.py)."""
    lang = request_lang(request)
    return templates.TemplateResponse(request, "examples.html", base_context(request, lang, "home.js", "examples"))


def plotly_url(request: Request) -> str:
    """The page's Plotly bundle (the partial one when installed); ?plotly=full forces the full one, so the
    page-weight test can time both in one run."""
    if request.query_params.get("plotly") == "full":
        return assets.bundle_url(assets.FULL)
    return plotly_bundle().url


@router.api_route(assets.PREFIX + "/{filename}", methods=["GET", "HEAD"])
async def plotly_js(filename: str, request: Request) -> Response:
    name = assets.find(filename)
    bundle = await assets.load_async(name) if name else None
    if bundle is None:
        return Response(status_code=404)
    headers = {"Cache-Control": CACHE_FOREVER, "ETag": bundle.etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == bundle.etag:
        return Response(status_code=304, headers=headers)
    coding, body = bundle.pick(request.headers.get("accept-encoding", ""))
    if coding:
        headers["Content-Encoding"] = coding
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type="text/javascript; charset=utf-8")
    return Response(body, headers=headers, media_type="text/javascript; charset=utf-8")


def warm() -> None:
    """Compress Plotly and compute the default trace now, not on the first request."""
    plotly_bundle()
    trace_dict(default_state("en"))
