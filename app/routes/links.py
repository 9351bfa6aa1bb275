"""Shared views: permalinks (/v/{token}), short links (/s/{id}), the examples (/examples/{slug}), their API.

Every URL of a shared view is built here (`permalink_url`, `short_url`, `example_url`), and every shared view
is the explain page rendered from a `ViewState`, with Open Graph tags so that a link previews in chat apps.
A link that cannot be opened gets an error page in both languages with a 4xx status, never a 500.

    POST /api/v1/permalink  {ViewState}  -> {"token", "url"}          (both null when the state is too large)
    POST /api/v1/links      {ViewState}  -> 201 {"id", "url", ...}    (200 when the link existed already)
    GET  /api/v1/links/{id}              -> {"id", "url", "v", "state"}
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import HTMLResponse, Response

from normlens.app.api_models import READ_BACK, ErrorResponse, ShortLinkOut, StoredLinkOut
from normlens.app.examples import BY_SLUG, EXAMPLES, Example
from normlens.app.lessons import Text
from normlens.app.links import LinkStore, open_store, valid_id
from normlens.app.not_found import nearest
from normlens.app.permalink import PermalinkError, canonical_json, decode, encode, fits
from normlens.app.requests import JSONRoute
from normlens.app.responses import json_response
from normlens.app.settings import get_settings
from normlens.app.state import StateError, ViewState, load_state, words

router = APIRouter(route_class=JSONRoute)

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def permalink_url(token: str) -> str:
    return f"/v/{token}"


def short_url(link_id: str) -> str:
    return f"/s/{link_id}"


def example_url(slug: str) -> str:
    return f"/examples/{slug}"


def _store() -> LinkStore:
    s = get_settings()
    return open_store(s.database_url, s.data_dir)


def _too_large(size: int, limit: int) -> Text:
    return words("errors", "state_too_large", size=size, limit=limit)


# --- the JSON API ----------------------------------------------------------------------------------------

STATE_EXAMPLE = {
    "layer": "batch_norm",
    "input": {"values": [[[[1, 2], [3, 4]], [[2, 0], [1, 1]]], [[[5, 6], [7, 8]], [[0, 3], [2, 2]]]]},
    "params": {"gamma": [2, 5], "beta": [3, 8]},
    "view": {"step": "mean", "group": 0, "lang": "en"},
}
StateBody = Annotated[ViewState, Body(openapi_examples={"worked_example": {"value": STATE_EXAMPLE}})]
ERRORS: dict[int | str, dict[str, Any]] = {
    415: {"model": ErrorResponse, "description": "The body is not declared as JSON."},
    422: {"model": ErrorResponse, "description": "Invalid state; each error's loc names the field."},
}


@router.post(
    "/api/v1/permalink",
    tags=["links"],
    responses={
        200: {
            "description": "The state's permalink (token and URL), or both null with a code and a message "
            "when the state is too large for a URL: POST /api/v1/links gives it a short link instead.",
            "content": {"application/json": {"example": {"token": "1.q1YqLk", "url": "/v/1.q1YqLk"}}},
        },
        **ERRORS,
    },
)
def make_permalink(state: StateBody) -> Response:
    """The self-contained permalink of a view: the state itself, compressed into the URL."""
    s = get_settings()
    raw = canonical_json(state)
    if len(raw) > s.state_max_bytes:
        return json_response(
            {
                "token": None,
                "url": None,
                "code": "too_large",
                "message": _too_large(len(raw), s.state_max_bytes).to_dict(),
            }
        )
    token = encode(state)
    if not fits(token):
        message = words("errors", "permalink_too_long", length=len(token), limit=s.permalink_max_chars)
        return json_response({"token": None, "url": None, "code": "too_long", "message": message.to_dict()})
    return json_response({"token": token, "url": permalink_url(token)})


@router.post(
    "/api/v1/links",
    tags=["links"],
    status_code=201,
    responses={
        201: {
            "model": ShortLinkOut,
            "links": READ_BACK,
            "description": "A new short link for the state.",
            "content": {
                "application/json": {"example": {"id": "k3v7q2x9ab", "url": "/s/k3v7q2x9ab", "v": 1, "created": True}}
            },
        },
        200: {
            "model": ShortLinkOut,
            "links": READ_BACK,
            "description": "The state had a short link already: the same id, created false.",
        },
        413: {"model": ErrorResponse, "description": "The state is larger than NORMLENS_STATE_MAX_BYTES."},
        **ERRORS,
    },
)
def make_short_link(state: StateBody) -> Response:
    """A short link for a view: the state stored under an id made from its content (same state, same id)."""
    s = get_settings()
    raw = canonical_json(state)
    if len(raw) > s.state_max_bytes:
        text = _too_large(len(raw), s.state_max_bytes)
        item = {"loc": ["body"], "msg": text.en, "msg_zh": text.zh, "type": "state_too_large"}
        return json_response({"detail": [item]}, status_code=413)
    link_id, created = _store().save(raw, state.v)
    body = {"id": link_id, "url": short_url(link_id), "v": state.v, "created": created}
    return json_response(body, status_code=201 if created else 200)


@router.get(
    "/api/v1/links/{link_id}",
    tags=["links"],
    responses={
        200: {
            "model": StoredLinkOut,
            "description": "The stored state exactly as saved, with the schema version it was saved in.",
        },
        404: {"model": ErrorResponse, "description": "No short link has this id."},
    },
)
def get_short_link(link_id: Annotated[str, Path(max_length=52, pattern=r"^[a-z2-7]+$")]) -> Response:
    """The state behind a short link: the JSON twin of GET /s/{id}."""
    found = _store().load(link_id)
    if found is None:
        text = not_found("no_short_link", id=link_id[:60]).text
        item = {"loc": ["path", "link_id"], "msg": text.en, "msg_zh": text.zh, "type": "not_found"}
        return json_response({"detail": [item]}, status_code=404)
    version, raw = found
    return json_response({"id": link_id, "url": short_url(link_id), "v": version, "state": orjson.loads(raw)})


# --- the pages -------------------------------------------------------------------------------------------


def error_page(
    request: Request, error: StateError, lang: str | None = None, suggestion: str | None = None
) -> HTMLResponse:
    """The page for a link that cannot be opened: what went wrong, in both languages, with its 4xx status, and
    the address of the page the reader most likely meant (app/not_found.py), if one is close."""
    from normlens.app.routes.pages import base_context, request_lang, templates

    lang = lang or request_lang(request)
    ctx = base_context(request, lang, "home.js", "") | {"error": error, "suggestion": suggestion}
    return templates.TemplateResponse(request, "link_error.html", ctx, status_code=error.status)


def not_found(entry: str, **values: str) -> StateError:
    """Nothing behind a link: `entry` is "no_short_link" (values: id) or "no_example" (values: slug)."""
    return StateError("not_found", 404, entry, **values)


def describe(state: ViewState, lang: str) -> dict[str, str]:
    """Open Graph title and description of a view: the layer, the tensor, the mode and the step shown.

    e.g. "nn.BatchNorm2d on a 2 × 2 × 2 × 2 float32 tensor in training mode. Step 3 of 11: Mean. ..."
    """
    import normlens
    from normlens.app.lessons import layer_json
    from normlens.app.routes.pages import lesson_name, trace_dict

    trace = trace_dict(state)
    steps = trace["steps"]
    index = next((i for i, st in enumerate(steps) if st["id"] == state.view.step), 0)
    step, n = Text.of(steps[index]["title"]), len(steps)
    cls = lesson_name(trace, layer_json(normlens.LAYERS[state.layer]), lang)
    shape = " × ".join(map(str, trace["shape"]))
    dtype = trace["dtype"]
    training = trace["params"].get("training")
    mode = "" if training is None else words("og", "training" if training else "evaluation")
    text = words("og", "description", cls=cls, shape=shape, dtype=dtype, mode=mode, index=index + 1, count=n, step=step)
    description = text[lang]
    grouping = trace.get("grouping")
    if grouping:
        groups = math.prod(grouping["stat_shape"])
        description += words("og", "groups", groups=groups, size=grouping["group_size"])[lang]
    return {"title": words("og", "title", cls=cls, step=step)[lang], "description": description}


def render_view(
    request: Request, state: ViewState, url: str, lang: str, fixed: bool, example: Example | None = None
) -> HTMLResponse:
    """A shared view: the explain page for `state` with Open Graph tags (and the example's words, if any).

    `fixed`: the page keeps `lang` instead of switching to the reader's remembered language (a shared link
    opens exactly as it was made).
    """
    from normlens.app.errors import Unprocessable
    from normlens.app.routes.pages import render_explain

    if state.view.lang != lang:
        state = state.model_copy(update={"view": state.view.model_copy(update={"lang": lang})})
    try:
        og = describe(state, lang)
        if example is not None:
            og = {"title": f"{example.title[lang]} · NormLens", "description": example.explanation[lang]}
        og |= {"url": url, "type": "article" if example else "website"}
        return render_explain(request, state, lang, {"og": og, "lang_fixed": fixed, "example": example})
    except Unprocessable as e:  # a valid state the layer refuses, e.g. a rank it does not take
        msg = Text(e.item["msg"], e.item.get("msg_zh") or e.item["msg"])
        return error_page(request, StateError("cannot_trace", 422, msg=msg), lang)


@router.get("/v/{token}", response_class=HTMLResponse, include_in_schema=False)
def open_permalink(request: Request, token: str) -> HTMLResponse:
    """A permalink: the state is in the URL; the view opens exactly as it was (step, group, language)."""
    try:
        state = decode(token)
    except PermalinkError as e:
        return error_page(request, e)
    return render_view(request, state, permalink_url(token), state.view.lang, fixed=True)


@router.get("/s/{link_id}", response_class=HTMLResponse, include_in_schema=False)
def open_short_link(request: Request, link_id: str) -> HTMLResponse:
    """A short link: the state stored under this id, read with the schema version it was saved in."""
    found = _store().load(link_id) if valid_id(link_id) else None
    if found is None:
        return error_page(request, not_found("no_short_link", id=link_id[:60]))
    try:
        state = load_state(orjson.loads(found[1]))
    except StateError as e:
        return error_page(request, e)
    return render_view(request, state, short_url(link_id), state.view.lang, fixed=True)


@router.get("/examples/{slug}", response_class=HTMLResponse, include_in_schema=False)
def open_example(request: Request, slug: str) -> HTMLResponse:
    """An example of the gallery, in the reader's language; in the address's if it names one (?lang=zh), which
    the page then keeps over the reader's remembered or browser's choice, as /explain?lang=zh does."""
    from normlens.app.routes.pages import LANGS, request_lang

    example = BY_SLUG.get(slug) if _SLUG.fullmatch(slug) else None
    if example is None:
        return error_page(request, not_found("no_example", slug=slug[:60]), suggestion=nearest(request.url.path))
    named = request.query_params.get("lang") in LANGS
    return render_view(request, example.state(), example_url(slug), request_lang(request), named, example)


def gallery() -> list[dict[str, Any]]:
    """The cards of the home page's gallery (templates/partials/gallery.html)."""
    return [e.card() for e in EXAMPLES]


def install_template_globals() -> None:
    """Lets templates build shared URLs and the gallery through this module (the one place links are made)."""
    from normlens.app.routes.pages import templates

    templates.env.globals.update(
        gallery=gallery, permalink_url=permalink_url, short_url=short_url, example_url=example_url
    )


install_template_globals()
