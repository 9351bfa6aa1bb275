"""GET /docs: Swagger UI served from the installed swagger-ui-bundle-v2 wheel, not a CDN.

FastAPI's own /docs page loads Swagger UI from a CDN and starts it with an inline script; the service has no
network at run time and its Content-Security-Policy allows neither. Here the page, its start-up script and the
two Swagger UI files are served by the app itself, under a versioned URL that can be cached forever.

    >>> ASSETS
    '/docs-assets/5.31.0'
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)

UI_DIR = Path(swagger_ui_path)
VERSION = UI_DIR.name.removeprefix("swagger-ui-")
ASSETS = f"/docs-assets/{VERSION}"
CACHE_FOREVER = "public, max-age=31536000, immutable"
FILES = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript"}

PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>NormLens API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="{ASSETS}/start.js"></script>
</body>
</html>
"""

# validatorUrl null: the default badge would send the schema to a third-party validator.
START = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
"""


@router.get("/docs", response_class=HTMLResponse)
async def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)


@cache
def _asset(name: str) -> bytes:
    return (UI_DIR / name).read_bytes()


@router.get(ASSETS + "/{name}")
async def asset(name: str) -> Response:
    if name == "start.js":
        body, media_type = START.encode(), "text/javascript"
    elif name in FILES:
        body, media_type = _asset(name), FILES[name]
    else:
        raise HTTPException(404, detail=[{"loc": ["path", "name"], "msg": "no such file", "type": "not_found"}])
    return Response(body, media_type=media_type, headers={"cache-control": CACHE_FOREVER})
