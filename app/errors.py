"""Exception handlers: every failure becomes JSON in FastAPI's {"detail": [{"loc", "msg", "type"}]} shape, each
item with its message in Chinese too (msg_zh), whatever the request held.

Validation errors are cleaned before they are sent: the offending input is echoed only when it is a short
scalar (FastAPI echoes whole bodies, which for a bad 4M-number tensor is megabytes), and a pasted-text error's
line and column are lifted next to the message so the editor can point at them:

    >>> clean_error({"loc": ("body", "input", "text"), "msg": "bad", "type": "value_error",
    ...              "ctx": {"line": 2, "column": 5, "msg_zh": "坏"}})
    {'loc': ['body', 'input', 'text'], 'msg': 'bad', 'type': 'value_error', 'msg_zh': '坏', 'line': 2, 'column': 5}

The Chinese of pydantic's messages (whose English is sent as pydantic words it) is `[error_zh.<type>]` of
app/lessons/requests.toml; errors of our own carry theirs. Malformed JSON is worded there too, never with the
parser's own text. What a request can smuggle into an error item and no JSON encoder can write (a lone
surrogate, which the standard library's JSON parser accepts as "\\ud800") is written escaped by
`responses.dumps`, so a bad request never becomes a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from normlens.app import not_found
from normlens.app.lessons import LANGS, Text, fill, lessons
from normlens.app.responses import json_response

log = logging.getLogger("normlens")
_SCALARS = (str, int, float, bool)
LIFTED = ("line", "column", "code", "msg_zh")  # pasted-text errors: position, stable code, Chinese message
# (core's argument errors carry msg_zh too: app.routes.api.compute puts it straight into the Unprocessable item)

# Error types of checks that the OpenAPI schema cannot state: they depend on several fields at once or on the
# numbers themselves (a ragged tensor, a reshape that does not fit, a rank or a length the layer refuses, pasted
# text that is not a tensor, float32 overflow). Every other type names a rule the schema states, so a request
# the schema accepts never gets one (tests/app/test_schemathesis.py holds the server to that).
BEYOND_SCHEMA = frozenset({"value_error", "paste_error", "too_many_elements"})

# Why orjson refused a body, from its message: the key of [json_errors.<key>] in app/lessons/requests.toml.
_JSON_REASONS = (
    ("end of data", "cut_off"),
    ("empty", "empty"),
    ("UTF-8", "encoding"),
    ("surrogate", "encoding"),
    ("depth", "too_deep"),
    ("recursion", "too_deep"),
    ("control character", "control"),
    ("trailing comma", "trailing_comma"),
    ("after document", "after_document"),
    ("escape", "escape"),
    ("digit", "number"),
    ("number", "number"),
)


class Unprocessable(Exception):
    """A well-formed request that cannot be traced, e.g. a 3-D input for BatchNorm2d (core's ValueError)."""

    def __init__(self, loc: Sequence[str | int], msg: str, type_: str = "value_error", **extra: Any) -> None:
        super().__init__(msg)
        self.item = {"loc": list(loc), "msg": msg, "type": type_, **extra}


def request_words(entry: str, section: str = "request_errors", **values: Any) -> Text:
    """`[<section>.<entry>]` of app/lessons/requests.toml filled in both languages; a `Text` value is taken in
    the language being filled."""
    table = lessons().message(section, entry)
    given = [{k: v[lang] if isinstance(v, Text) else v for k, v in values.items()} for lang in LANGS]
    return Text(*(fill(table[lang], vals) for lang, vals in zip(LANGS, given, strict=True)))


def _shown(v: Any) -> Any:
    """A context value as the English shows it: 0.0 as 0 ("greater than 0"), a list of choices with 或."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v.replace(" or ", " 或 ") if isinstance(v, str) else v  # literal_error's expected values


def chinese(type_: str, ctx: Mapping[str, Any], msg: str) -> str:
    """The Chinese of an error whose English is `msg`: `[error_zh.<type>]` filled with its context, or, for an
    error nobody worded in Chinese, the English quoted in a Chinese sentence."""
    template = lessons().tree.get("error_zh", {}).get(type_)
    values = {k: _shown(v) for k, v in ctx.items()}
    if template is not None:
        try:
            return fill(template, values)
        except KeyError:  # pydantic gave this error without the value its words need
            pass
    return request_words("unworded", msg=msg).zh


def _json_invalid(err: Mapping[str, Any], ctx: dict[str, Any], doc: Any) -> dict[str, Any]:
    """FastAPI's json_invalid item, worded by us: where (line and column) and why, never the parser's text."""
    reason = str(ctx.pop("error", ""))
    key = next((k for fragment, k in _JSON_REASONS if fragment in reason), "unexpected")
    loc = list(err.get("loc", ()))
    pos = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
    line, column = 1, pos + 1
    if isinstance(doc, str) and pos <= len(doc):
        line, column = doc.count("\n", 0, pos) + 1, pos - doc.rfind("\n", 0, pos)
    words = request_words("json_invalid", line=line, column=column, why=request_words(key, "json_errors"))
    return {"loc": loc, "msg": words.en, "type": "json_invalid", "msg_zh": words.zh}


def clean_error(err: Mapping[str, Any], doc: Any = None) -> dict[str, Any]:
    ctx = dict(err.get("ctx") or {})
    if err.get("type") == "json_invalid":
        return _json_invalid(err, ctx, doc)
    out: dict[str, Any] = {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
    out["msg_zh"] = ctx.pop("msg_zh", None) or chinese(out["type"], ctx, out["msg"])
    for key in LIFTED:
        if key in ctx:
            out[key] = ctx.pop(key)
    if ctx:
        out["ctx"] = {k: v if v is None or isinstance(v, _SCALARS) else str(v) for k, v in ctx.items()}
    value = err.get("input")
    if isinstance(value, _SCALARS) and not (isinstance(value, str) and len(value) > 200):
        out["input"] = value
    return out


async def validation_error(_: Request, exc: Exception) -> Any:
    assert isinstance(exc, RequestValidationError)
    return json_response({"detail": [clean_error(e, exc.body) for e in exc.errors()]}, status_code=422)


async def unprocessable(_: Request, exc: Exception) -> Any:
    assert isinstance(exc, Unprocessable)
    item = exc.item
    if "msg_zh" not in item:
        # `raise Unprocessable(...) from None` in an `except` keeps the error it replaced as __context__: an
        # InputError carries its Chinese words
        zh = getattr(exc.__context__, "zh", None)
        item = {**item, "msg_zh": zh if isinstance(zh, str) else chinese(item["type"], {}, item["msg"])}
    return json_response({"detail": [item]}, status_code=422)


def _http_items(status: int, detail: Any) -> list[dict[str, Any]]:
    """Starlette's own refusals ("Not Found", "Method Not Allowed") as items in both languages; items that a
    route raised without Chinese get theirs by type."""
    if not isinstance(detail, list):
        entry = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
        words = request_words(entry, status=status)
        loc = {404: ["path"], 405: ["method"]}.get(status, [])
        return [{"loc": loc, "msg": words.en, "msg_zh": words.zh, "type": entry}]
    return [
        {**e, "msg_zh": chinese(str(e.get("type", "")), {}, str(e.get("msg", "")))}
        if isinstance(e, dict) and "msg_zh" not in e
        else e
        for e in detail
    ]


async def http_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404 and not_found.wants_page(request):  # a browser at a mistyped address: a page
        return not_found.page(request)
    headers = dict(exc.headers) if exc.headers else None
    items = _http_items(exc.status_code, exc.detail)
    return json_response({"detail": items}, status_code=exc.status_code, headers=headers)


async def server_error(request: Request, exc: Exception) -> Any:
    # Last line of defence: log the traceback, send none.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_response({"detail": "internal server error"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Unprocessable, unprocessable)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, server_error)
