"""The /compare page: one tensor through every normalization layer, side by side. Its state is a readable query
string, read here and written by static/js/compare-state.js (the same names):

    /compare?shape=2,6,4&seed=0&dist=normal&G=3&tokens=1&eval=batch_norm&cell=5&color=groups&show=group_norm&lang=zh

The tensor is random (shape, seed, dist), an example's (example=<slug>), or pasted: a pasted tensor travels as a
permalink token (t=<token>, app.permalink) or, when too long for a URL, a short link id (s=<id>, app.links), so
the page reuses the one codec of shared views instead of a second one. A linked or example tensor brings its dtype
unless the query names one. A value that cannot be read is ignored (the page says so) and its default used.

    >>> read_query({"shape": "2,4", "G": "2", "eval": "batch_norm,nope"})[0]["eval"]
    ['batch_norm']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from normlens.app.compare import COMPARED, MAX_ELEMENTS, CompareRequest, compare_response
from normlens.app.errors import Unprocessable

DEFAULT_RANDOM = {"shape": [2, 6, 4], "seed": 0, "distribution": "normal"}
DISTRIBUTIONS = ("normal", "uniform", "integers")
TRAINABLE = ("batch_norm", "instance_norm")  # the panels with a train/eval switch
_INT = re.compile(r"\d{1,9}")


def _ints(text: str) -> list[int] | None:
    parts = [p.strip() for p in text.split(",")]
    return [int(p) for p in parts] if parts and all(_INT.fullmatch(p) for p in parts) else None


def _tensor(query: Mapping[str, str], ignored: list[str]) -> dict[str, Any]:
    """The input part of the state: {"random": ...}, {"example": slug}, {"t": token} or {"s": id}."""
    from normlens.app.examples import BY_SLUG

    for key in ("t", "s"):
        if key in query:
            if re.fullmatch(r"[A-Za-z0-9._-]{1,9000}", query[key]):
                return {key: query[key]}
            ignored.append(key)
    if "example" in query:
        if query["example"] in BY_SLUG:
            return {"example": query["example"]}
        ignored.append("example")
    random = dict(DEFAULT_RANDOM)
    shape = _ints(query.get("shape", ""))
    if "shape" in query:
        if shape and all(d >= 1 for d in shape) and len(shape) <= 5:
            random["shape"] = shape
        else:
            ignored.append("shape")
    if "seed" in query:
        if _INT.fullmatch(query["seed"]):
            random["seed"] = int(query["seed"])
        else:
            ignored.append("seed")
    if "dist" in query:
        if query["dist"] in DISTRIBUTIONS:
            random["distribution"] = query["dist"]
        else:
            ignored.append("dist")
    return {"random": random}


def read_query(query: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The page's state from its query string, and the names of the values that were ignored."""
    ignored: list[str] = []
    state: dict[str, Any] = {"source": _tensor(query, ignored), "dtype": "float32", "G": None, "tokens": False}
    state |= {"eval": [], "cell": 0, "color": "values", "show": COMPARED[0], "lang": None}
    checks: dict[str, tuple[str, Any]] = {
        "dtype": (r"float32|float64", str),
        "G": (r"\d{1,6}", int),
        "tokens": (r"[01]", lambda v: v == "1"),
        "cell": (r"\d{1,9}", int),
        "color": (r"values|groups", str),
        "show": ("|".join(COMPARED), str),
        "lang": (r"en|zh", str),
    }
    for key, (pattern, convert) in checks.items():
        if key in query:
            if re.fullmatch(pattern, query[key]) and (key != "G" or int(query[key]) >= 1):
                state[key] = convert(query[key])
            else:
                ignored.append(key)
    if "eval" in query:
        names = [n for n in query["eval"].split(",") if n]
        state["eval"] = [n for n in TRAINABLE if n in names]
        if len(state["eval"]) != len(names):
            ignored.append("eval")
    return state, ignored


def resolve_input(source: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The request's `input` (and dtype, if the source fixes it) for a state's source."""
    from normlens.app.examples import BY_SLUG
    from normlens.app.links import valid_id
    from normlens.app.permalink import decode
    from normlens.app.routes.links import _store
    from normlens.app.state import load_state

    if "random" in source:
        return {"random": source["random"]}, None
    if "example" in source:
        view = BY_SLUG[source["example"]].state()
    elif "t" in source:
        view = decode(source["t"])
    else:
        found = _store().load(source["s"]) if valid_id(source["s"]) else None
        if found is None:
            raise LookupError(source["s"])
        view = load_state(orjson.loads(found[1]))
    data = view.model_dump(mode="json", exclude_none=True, include={"input", "dtype"})
    return data["input"], data.get("dtype")


def request_params(state: dict[str, Any], shape: list[int]) -> dict[str, dict[str, Any]]:
    """The compare request's params for the page's toggles (static/js/compare-state.js requestParams)."""
    params: dict[str, dict[str, Any]] = {}
    if state["G"] is not None:
        params["group_norm"] = {"num_groups": state["G"]}
    for name in state["eval"]:
        params[name] = {"training": False}
    if state["tokens"] and len(shape) == 3:  # (B, S, D): one feature vector per token
        params["batch_norm"] = {**params.get("batch_norm", {}), "layout": "channels_last"}
        for name in ("layer_norm", "rms_norm"):
            params[name] = {"normalized_shape": [shape[2]]}
        params["min_max"] = {"dim": [0, 1]}
    return {k: v for k, v in params.items() if k in COMPARED}


def initial(
    state: dict[str, Any], dtype_given: bool = False
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, str] | None]:
    """(the compare request, its response, an error message) for the page's first paint. A linked or example
    tensor brings its dtype, unless the query names one (`dtype_given`)."""
    from normlens.app.permalink import PermalinkError
    from normlens.app.state import StateError

    try:
        inp, dtype = resolve_input(state["source"])
    except (PermalinkError, StateError, LookupError):
        state["source"] = {"random": dict(DEFAULT_RANDOM)}
        inp, dtype = {"random": dict(DEFAULT_RANDOM)}, None
        state["lost"] = True
    if dtype and "random" not in state["source"] and not dtype_given:
        state["dtype"] = dtype
    body: dict[str, Any] = {"input": inp, "dtype": state["dtype"]}
    try:
        request = CompareRequest.model_validate(body)
        body["params"] = request_params(state, list(request.input.raw_shape()))
        request = CompareRequest.model_validate(body)
        return body, compare_response(request), None
    except Unprocessable as e:
        return body, None, {"en": e.item["msg"], "zh": e.item.get("msg_zh") or e.item["msg"]}
    except ValidationError as e:  # a random shape beyond the server's limits
        first = e.errors()[0]
        zh = (first.get("ctx") or {}).get("msg_zh") or first["msg"]
        return body, None, {"en": first["msg"], "zh": str(zh)}


def page_words() -> dict[str, dict[str, str]]:
    """[compare.words] of app/lessons/compare.toml, flattened: {"summary": {en, zh}, "shares.batch_norm": ...}."""
    from normlens.app.lessons import lessons

    out: dict[str, dict[str, str]] = {}

    def walk(table: dict[str, Any], prefix: str) -> None:
        for key, value in table.items():
            if set(value) == {"en", "zh"}:
                out[prefix + key] = value
            else:
                walk(value, f"{prefix}{key}.")

    walk(lessons().tree["compare"]["words"], "")
    return out


def render(request: Request) -> HTMLResponse:
    import normlens
    from normlens.app.examples import EXAMPLES
    from normlens.app.lessons import layer_json
    from normlens.app.routes.pages import LANGS, base_context, plotly_url, request_lang, static_url, templates

    state, ignored = read_query(dict(request.query_params))
    lang = state["lang"] or request_lang(request)
    state["lang"] = lang
    body, response, error = initial(state, "dtype" in request.query_params and "dtype" not in ignored)
    titles = {name: layer_json(normlens.LAYERS[name])["title"] for name in COMPARED}
    examples = [
        {"slug": e.slug, "title": e.title.to_dict()}
        for e in EXAMPLES
        if e.data["layer"] != "dropout" and e.state().input_shape() and len(e.state().input_shape()) >= 2
    ]
    ctx = base_context(request, lang, "compare.js", "compare") | {
        "state": state,
        "titles": titles,
        "layers": COMPARED,
        "examples": examples,
        "page_data": {"request": body, "response": response, "error": error, "ignored": ignored},
        "config": {
            "plotly_url": plotly_url(request),
            "i18n": {code: static_url(f"i18n/{code}.json") for code in LANGS},
            "max_elements": MAX_ELEMENTS,
            "titles": titles,
            "words": page_words(),
        },
    }
    return templates.TemplateResponse(request, "compare.html", ctx)
