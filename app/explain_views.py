"""/explain with a readable query: the view it names, then its permalink in the address bar; or, for a query that
names no valid view, the default view with the errors the API would give (en and zh, naming each field), 422.

    GET /explain?layer=group_norm&shape=2,6,4,4&num_groups=3&seed=1  -> 200, config.canonical = "/v/1.…"
    GET /explain?layer=group_norm&num_groups=abc                    -> 422, "num_groups: Input should be …"
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from normlens.app.errors import Unprocessable, chinese
from normlens.app.lessons import Text
from normlens.app.opening import default_input_text, default_state
from normlens.app.query_state import QueryError, field_of, query_state
from normlens.app.state import ViewState


def error_lines(items: list[dict[str, Any]], asked: Collection[str] = ()) -> list[dict[str, Any]]:
    """API error items as the page lists them: the query key, and the message in both languages. The tensor's
    seed is named as the link wrote it: `seed` when it stood for input_seed (a layer without a seed of its own)."""
    out = []
    for item in items:
        zh = item.get("msg_zh") or chinese(str(item.get("type", "")), {}, str(item["msg"]))
        field = field_of(item.get("loc", []))
        if field == "input_seed" and "input_seed" not in asked and "seed" in asked:
            field = "seed"
        out.append({"field": field, "message": Text(str(item["msg"]), str(zh))})
    return out


def canonical_url(state: ViewState) -> str | None:
    """The permalink of a state, or None when it is too long for an address bar (Share still works)."""
    from normlens.app.permalink import encode, fits
    from normlens.app.routes.links import permalink_url

    token = encode(state)
    return permalink_url(token) if fits(token) else None


def explain_from_query(request: Request, lang: str) -> HTMLResponse:
    from normlens.app.routes.pages import render_explain, trace_dict

    pairs = request.query_params.multi_items()
    try:
        state = query_state(pairs, lang, {"text": default_input_text()})
    except QueryError as e:
        return _refused(request, lang, e.items, pairs)
    if state is None:  # ?lang=zh alone: the default view, kept in that language
        return render_explain(request, default_state(lang), lang, {"lang_fixed": _names_lang(pairs)})
    try:
        trace_dict(state)  # a valid state the layer may still refuse (a rank, a divisor)
    except Unprocessable as e:
        item = e.item
        if "msg_zh" not in item:  # an input error keeps its Chinese on the error it replaced
            zh = getattr(e.__context__, "zh", None)
            item = {**item, "msg_zh": zh} if isinstance(zh, str) else item
        return _refused(request, lang, [item], pairs)
    extra = {"canonical": canonical_url(state), "lang_fixed": _names_lang(pairs)}
    return render_explain(request, state, state.view.lang, extra)


def _names_lang(pairs: list[tuple[str, str]]) -> bool:
    """Whether the link asks for a language: then the page keeps it instead of the reader's remembered one."""
    return any(k == "lang" for k, _ in pairs)


def _refused(request: Request, lang: str, items: list[dict[str, Any]], pairs: list[tuple[str, str]]) -> HTMLResponse:
    from normlens.app.routes.pages import render_explain

    extra = {"query_errors": error_lines(items, {k for k, _ in pairs}), "lang_fixed": _names_lang(pairs)}
    # 200: the page is the default view with the link's errors shown (a 4xx document is a console error)
    return render_explain(request, default_state(lang), lang, extra)
