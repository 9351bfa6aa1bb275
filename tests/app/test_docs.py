"""GET /docs: Swagger UI from the installed wheel, no CDN, no inline script (the CSP forbids both)."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from normlens.app.routes.docs import ASSETS


def test_docs_page_uses_only_local_scripts(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S)
    assert scripts and all(body.strip() == "" for _, body in scripts)  # no inline code
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts]  # type: ignore[union-attr]
    assert all(src.startswith(ASSETS + "/") for src in sources)
    assert "http" not in r.text.replace('name="viewport"', "")  # nothing from another origin
    for src in [*sources, *re.findall(r'href="(/[^"]+)"', r.text)]:
        asset = client.get(src)
        assert asset.status_code == 200 and len(asset.content) > 0
        assert "immutable" in asset.headers["cache-control"]


def test_start_script_loads_this_apps_schema(client: TestClient) -> None:
    start = client.get(f"{ASSETS}/start.js").text
    assert '"/openapi.json"' in start and "validatorUrl: null" in start
    assert client.get("/openapi.json").status_code == 200


def test_only_the_known_assets_are_served(client: TestClient) -> None:
    for name in ("index.html", "..%2F..%2F__init__.py", "swagger-ui.js.map"):
        r = client.get(f"{ASSETS}/{name}")
        assert r.status_code == 404


def test_redoc_and_fastapis_cdn_page_are_off(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
    assert "cdn.jsdelivr.net" not in client.get("/docs").text


def test_the_top_of_the_page_leads_back_to_the_pages_and_its_request_runs(client: TestClient) -> None:
    """info.description: both languages, links to pages that exist, and a first request that works as written."""
    text = client.get("/openapi.json").json()["info"]["description"]
    assert re.search(r"[\u4e00-\u9fff]", text) and "PyTorch" in text
    links = re.findall(r"\]\((/[^)]*)\)", text)
    assert {"/explain", "/compare", "/examples", "/labs"} <= set(links)
    assert all(client.get(link).status_code == 200 for link in links)
    (body,) = re.findall(r"-d '(\{.*\})'", text)
    r = client.post("/api/v1/trace", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    trace = r.json()
    assert trace["torch_class"] == "nn.LayerNorm" and trace["shape"] == [2, 3]
    assert [s["id"] for s in trace["steps"]][:3] == ["input", "grouping", "mean"]
    bad = client.post("/api/v1/trace", json={**json.loads(body), "params": {"normalized_shape": [4]}}).json()
    assert {"loc", "msg", "msg_zh", "code"} <= set(bad["detail"][0])  # the error's shape as the page describes it
