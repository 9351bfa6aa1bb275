"""The labs' pages: /labs lists every lab; /labs/<slug> renders a state from its query string with the API's
own response in a JSON block (no round trip for the first paint), a canonical link, and bad knobs shown, not
failed; /explore/batch-size is the batch-size lab."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from normlens.app import labs
from normlens.labs import LABS
from tests.app.lab_helpers import SLUGS, labs_app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(labs_app()) as c:
        yield c


def block(page: str, id_: str) -> dict:
    m = re.search(rf'<script type="application/json" id="{id_}">(.*?)</script>', page, re.S)
    assert m, id_
    return json.loads(m.group(1))


def test_index_has_a_card_per_lab(client: TestClient) -> None:
    page = client.get("/labs").text
    for slug in SLUGS:
        assert f'href="/labs/{slug}"' in page
    assert 'aria-current="page"' in page or "nav.labs" not in page


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_page_embeds_the_api_answer(client: TestClient, slug: str) -> None:
    res = client.get(f"/labs/{slug}")
    assert res.status_code == 200
    page = res.text
    data = block(page, "lab-data")
    api = client.post(f"/api/v1/labs/{slug}", json={}).json()
    assert data == api
    assert f'<link rel="canonical" href="/labs/{slug}">' in page
    for k in LABS[slug].knobs:
        assert f'name="{k.name}"' in page
    for fig in data["words"]["figures"]:
        assert f'id="plot-{fig["id"]}"' in page
    config = block(page, "lab-config")
    assert config["api"] == f"/api/v1/labs/{slug}" and config["defaults"] == LABS[slug].defaults()
    assert html.escape(data["words"]["question"]["zh"], quote=False) in page  # both languages are in the page


def test_query_string_is_the_state(client: TestClient) -> None:
    page = client.get("/labs/running-stats?seed=3&momentum=0.1&lang=zh").text
    data = block(page, "lab-data")
    assert data["knobs"]["seed"] == 3 and data["knobs"]["momentum"] == 0.1
    assert '<link rel="canonical" href="/labs/running-stats?momentum=0.1&amp;seed=3">' in page
    assert 'data-lang="zh"' in page
    assert block(page, "lab-config")["lang_fixed"] is True


def test_bad_query_knobs_are_shown_not_failed(client: TestClient) -> None:
    res = client.get("/labs/running-stats?batches=100000&seed=oops")
    assert res.status_code == 200
    data = block(res.text, "lab-data")
    assert data["knobs"]["batches"] == LABS["running-stats"].defaults()["batches"]
    assert res.text.count('class="lab-error"') == 2


def test_unknown_lab_is_404(client: TestClient) -> None:
    assert client.get("/labs/no-such-lab").status_code == 404


def test_batch_size_explorer_is_the_lab(client: TestClient) -> None:
    res = client.get("/explore/batch-size")
    if "batch-size" not in SLUGS:
        assert res.status_code == 404
        pytest.skip("lab batch-size (labs-a) is not registered yet")
    assert res.status_code == 200
    assert block(res.text, "lab-data")["slug"] == "batch-size"
    assert block(res.text, "lab-config")["base"] == "/explore/batch-size"


def test_script_json_cannot_close_the_script_element() -> None:
    from normlens.app.routes.labs import script_bytes

    assert "</script>" not in str(script_bytes(b'{"a": "</script><b>&"}'))


def test_answer_segments_mark_code() -> None:
    assert labs.segments("a `x` b\n\nc") == [[("a ", False), ("x", True), (" b", False)], [("c", False)]]


def test_knob_inputs_place_log_sliders() -> None:
    items = {k["name"]: k for k in labs.knob_inputs("running-stats", LABS["running-stats"].defaults())}
    assert items["batches"]["kind"] == "range" and items["batches"]["step"] == 1
    assert items["momentum"]["min"] == 0 and items["momentum"]["max"] == 1


def test_log_knob_slider_moves_in_log10(monkeypatch: pytest.MonkeyPatch) -> None:
    words = {k: dict(v) for k, v in labs.knob_words("running-stats").items()}
    words["std"]["scale"] = "log"
    monkeypatch.setattr(labs, "knob_words", lambda slug: words)
    defaults = LABS["running-stats"].defaults()
    std = {k["name"]: k for k in labs.knob_inputs("running-stats", defaults | {"std": 1.0})}["std"]
    assert std["log"] and std["min"] == pytest.approx(-1) and std["max"] == pytest.approx(0.69897, abs=1e-5)
    assert std["position"] == 0 and std["value"] == 1.0
