"""GET /docs: Swagger UI served from the installed swagger-ui-bundle-v2 wheel, not a CDN.

FastAPI's own /docs page loads Swagger UI from a CDN and starts it with an inline script; the service has no
network at run time and its Content-Security-Policy allows neither. Here the page, its start-up script and the
two Swagger UI files are served by the app itself, under a versioned URL that can be cached forever.

    >>> ASSETS
    '/docs-assets/5.31.0'
"""

from __future__ import annotations

import json
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

# The top of the page (the schema's info.description, Markdown): what the API is, in both languages, the way back
# to the pages, a first request that runs as it is (tests/app/test_docs.py sends it) and the shape of an error.
EXAMPLE = {"layer": "layer_norm", "input": {"text": "[[1, 2, 3], [4, 5, 7]]"}, "params": {"normalized_shape": [3]}}
DESCRIPTION = f"""Step-by-step, exact traces of BatchNorm, LayerNorm, GroupNorm, InstanceNorm, RMSNorm and Dropout:
every intermediate array, forward and backward, equal to what PyTorch computes.

BatchNorm、LayerNorm、GroupNorm、InstanceNorm、RMSNorm 与 Dropout 的逐步精确计算：前向与反向的每个中间数组都与
PyTorch 的结果一致。

**Pages 页面**: [Explainer 讲解](/explain) · [Compare 对比](/compare) · [Examples 例子](/examples) ·
[Labs 实验](/labs)

**A first request 第一个请求**: LayerNorm over the last axis of a 2 × 3 tensor (对 2 × 3 张量的最后一维做
LayerNorm):

    curl -s http://127.0.0.1:8000/api/v1/trace -H 'content-type: application/json' \\
      -d '{json.dumps(EXAMPLE)}'

Each layer's arguments, with their types, defaults and bounds: `GET /api/v1/layers`
(各层的参数、类型、默认值与取值范围).

**Errors 错误**: a refused request gets a 4xx whose `detail` lists each problem: the field (`loc`), the message
in English (`msg`) and in Chinese (`msg_zh`) and a `code`; where PyTorch would raise, the message quotes it.

被拒绝的请求返回 4xx，`detail` 逐条列出问题：字段（`loc`）、英文说明（`msg`）、中文说明（`msg_zh`）与 `code`；
PyTorch 会报错的地方，说明中引用其原文。"""

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
