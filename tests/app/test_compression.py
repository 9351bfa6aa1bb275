"""Pages and JSON go out gzip-compressed to clients that ask; Plotly's precompressed asset is not compressed twice."""

from __future__ import annotations

from normlens.app.assets import plotly_bundle


def test_page_html_is_gzipped_for_browsers(client):
    r = client.get("/explain", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert "text/html" in r.headers["content-type"]


def test_json_is_plain_for_clients_that_do_not_ask(client):
    r = client.get("/api/v1/layers", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and "content-encoding" not in r.headers
    assert r.json()[0]["name"]


def test_plotly_is_compressed_once(client):
    r = client.get(plotly_bundle().url, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    # httpx decodes one layer of gzip; a doubly compressed body would still start with the gzip magic bytes
    assert not r.content.startswith(b"\x1f\x8b") and b"plotly" in r.content[:2000].lower()
    assert "immutable" in r.headers["cache-control"]
