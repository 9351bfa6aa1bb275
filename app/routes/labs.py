"""The labs: GET /api/v1/labs, POST /api/v1/labs/<slug> (one operation per lab, each with its own strict body
schema and a worked example in OpenAPI), the /labs index, the /labs/<slug> pages and /explore/batch-size.

A page is rendered with its state's whole response in a JSON block (the same bytes the API returns, from the
same cache), so the first paint needs no API round trip; the page's script takes over from there.
"""

# no `from __future__ import annotations`: FastAPI reads each generated endpoint's body model from its annotations
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from normlens.app import labs, train_pages
from normlens.app.lab_models import LabCardOut, LabResponseOut
from normlens.app.previews import preview
from normlens.app.requests import JSONRoute
from normlens.app.responses import JSONBytes, dumps
from normlens.app.routes.api import ERRORS
from normlens.app.routes.pages import LANGS, base_context, plotly_url, request_lang, static_url, templates
from normlens.labs import LABS

router = APIRouter(route_class=JSONRoute, tags=["labs"])
pages = APIRouter(include_in_schema=False)


@router.get(
    "/api/v1/labs",
    response_class=JSONBytes,
    responses={200: {"model": list[LabCardOut], "description": "Every lab with its knobs, bounds and words."}},
)
async def lab_index() -> JSONBytes:
    """Every lab: slug, title and seed question (en/zh), its knobs with their bounds and labels."""
    return JSONBytes(dumps(labs.index()))


def _add_lab_route(slug: str) -> None:
    model = labs.knobs_model(slug)
    card = next(c for c in labs.index() if c["slug"] == slug)
    example = {"summary": "defaults", "value": labs.example_body(slug)}

    async def run_lab(knobs: Annotated[model, Body(openapi_examples={"defaults": example})]) -> JSONBytes:  # type: ignore[valid-type]
        return JSONBytes(await labs.answer(slug, knobs.model_dump()))  # type: ignore[attr-defined]

    router.add_api_route(
        f"/api/v1/labs/{slug}",
        run_lab,
        methods=["POST"],
        response_class=JSONBytes,
        responses={200: {"model": LabResponseOut, "description": "The lab's numbers, series and words."}, **ERRORS},
        name=f"lab_{slug.replace('-', '_')}",
        summary=f"Lab {slug}: {card['title']['en']}",
        description=f"{card['question']['en']}\n\n{card['question']['zh']}\n\nThe body holds knob values; a knob "
        "left out takes its default. The response's torch_code recomputes torch_expect with torch 2.13.",
    )


for _slug in LABS:
    if labs.ready(_slug):
        _add_lab_route(_slug)


# ---- pages --------------------------------------------------------------------------------------------------


def script_bytes(body: bytes) -> Markup:
    """JSON bytes for a <script type="application/json"> block, '<', '>' and '&' escaped."""
    text = body.decode().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


HOME = ("batch-size", "dropout-bn-variance-shift", "running-stats", "sync-bn", "bn-relu-order", "train-bn")


def home_labs() -> dict[str, Any]:
    """The home page's labs (templates/index.html, a template global as the examples' `gallery`): the cards of
    HOME (the questions asked most), and how many labs there are."""
    cards = {c["slug"]: c for c in [*labs.index(), *train_pages.cards()]}
    return {"cards": [cards[s] for s in HOME if s in cards], "count": len(cards)}


templates.env.globals.update(home_labs=home_labs)


@pages.get("/labs", response_class=HTMLResponse)
async def labs_page(request: Request) -> HTMLResponse:
    asked = request.query_params.get("lang")
    lang = asked if asked in LANGS else request_lang(request)
    cards = {"cards": labs.index(), "training": train_pages.cards()}
    ctx = base_context(request, lang, "labs_index.js", "labs") | cards
    return templates.TemplateResponse(request, "labs.html", ctx)


async def render_lab(request: Request, slug: str, base: str) -> HTMLResponse:
    """The page of a lab at the state its query string names (bad knobs are shown and left at defaults)."""
    if not labs.ready(slug):
        raise HTTPException(404)
    asked = request.query_params.get("lang")
    lang = asked if asked in LANGS else request_lang(request)
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    knobs, errors = labs.from_query(slug, query)
    body = await labs.answer(slug, knobs)
    lab: dict[str, Any] = labs.page_view(body)
    ctx = base_context(request, lang, "lab.js", "labs") | {
        "lab": lab,
        "w": lab["words"],
        "knob_list": labs.knob_inputs(slug, knobs),
        "errors": errors,
        "lab_json": script_bytes(body),
        "canonical": lab["permalink"],
        "og": preview(lab["words"]["title"], lab["words"]["question"], lab["permalink"], lang),
        "config": {
            "slug": slug,
            "base": base,
            "lang_fixed": asked in LANGS,
            "defaults": LABS[slug].defaults(),
            "knobs": [{"name": k.name, "type": k.type} for k in LABS[slug].knobs],
            "api": f"/api/v1/labs/{slug}",
            "plotly_url": plotly_url(request),
            "i18n": {code: static_url(f"i18n/{code}.json") for code in LANGS},
        },
    }
    return templates.TemplateResponse(request, "lab.html", ctx)


@pages.get("/labs/{slug}", response_class=HTMLResponse)
async def lab_page(request: Request, slug: str) -> HTMLResponse:
    return await render_lab(request, slug, f"/labs/{slug}")


@pages.get("/explore/batch-size", response_class=HTMLResponse)
async def batch_size_explorer(request: Request) -> HTMLResponse:
    """The batch-size explorer of issue 9 is the lab `batch-size`."""
    return await render_lab(request, "batch-size", "/explore/batch-size")


router.include_router(pages)
