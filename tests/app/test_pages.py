"""The HTML pages on the server side: what renders before any script, the CSP contract, the strings in both
languages, and how Plotly's script is served."""

from __future__ import annotations

import gzip
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import orjson
import plotly
import pytest

from normlens.app import assets, vendor
from normlens.app.assets import CACHE_FOREVER, plotly_bundle
from normlens.app.examples import EXAMPLES
from normlens.app.formulas import to_mathml, with_mathml
from normlens.app.opening import default_input_text, torch_print
from normlens.app.routes.pages import script_json
from normlens.paste import parse

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
FIGURE_TRACES = {"scatter", "bar", "heatmap"}
SHAPES = {"line", "rect", "circle", "path"}


class Page(HTMLParser):
    """Collects scripts, JSON blocks, attributes, element ids and static URLs of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self.handlers: list[str] = []
        self.ids: dict[str, dict] = {}
        self.urls: list[str] = []
        self.modulepreloads: list[str] = []
        self.styles: list[str] = []  # inline style attributes and <style> elements, which our CSP refuses
        self.html_attrs: dict = {}
        self._script: dict | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_attrs = a
        self.handlers += [k for k in a if k.startswith("on")]
        if "id" in a:
            self.ids[a["id"]] = a
        if "style" in a or tag == "style":
            self.styles.append(f"<{tag} style={a.get('style')!r}>")
        if tag == "link" and a.get("rel") == "modulepreload":
            self.modulepreloads.append(a["href"])
            return
        for key in ("src", "href"):
            if a.get(key, "").startswith(("/static", "/static-vendor")):
                self.urls.append(a[key])
        if tag == "script":
            self._script, self._text = a, []

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None

    def json_block(self, block_id: str):
        return next(json.loads(text) for attrs, text in self.scripts if attrs.get("id") == block_id)


@pytest.fixture(scope="module")
def explain(client):
    r = client.get("/explain", headers={"accept-language": "en-US,en;q=0.9"})
    assert r.status_code == 200
    return r.text, Page(r.text)


def test_explain_renders_the_first_step_with_mathml(explain):
    html, page = explain
    assert page.html_attrs["lang"] == "en"
    assert re.search(r'<h1 id="lesson-title">nn\.BatchNorm2d, step by step</h1>', html)
    assert '<h2 id="step-title" class="step-title">Input x</h2>' in html
    formula = html.split('id="step-formula"', 1)[1].split("</div>", 1)[0]
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML"' in formula
    assert "<mtext>\\mathbf" not in formula  # converted, not the LaTeX fallback
    assert html.count('class="rail-step') == len(page.json_block("initial-trace")["steps"])
    assert "nn.BatchNorm2d(3" in html  # the PyTorch snippet, escaped into <code>


def test_initial_trace_is_what_the_api_returns(explain, client):
    _, page = explain
    state = page.json_block("initial-state")
    trace = page.json_block("initial-trace")
    body = {k: state[k] for k in ("layer", "input", "params", "grad_output", "dtype", "detail")}
    api = client.post("/api/v1/trace", json=body).json()
    assert trace == api
    assert all(s["formula_mathml"].startswith("<math") for s in api["steps"])
    assert state["view"] == {"step": "input", "group": 0, "lang": "en"}
    assert state["ui"]["text"] == default_input_text()


def test_no_inline_script_and_no_handlers(explain, client):
    """CSP script-src 'self': scripts come from files; inline <script> elements only hold JSON data."""
    for path in ("/", "/explain"):
        page = Page(client.get(path).text)
        assert page.handlers == [], path
        for attrs, text in page.scripts:
            if attrs.get("src"):
                assert text.strip() == ""
                assert attrs["src"].startswith("/static/")
            else:
                assert attrs.get("type") == "application/json", attrs
                json.loads(text)


def test_static_urls_exist_and_are_versioned(explain, client):
    _, page = explain
    config = page.json_block("page-config")
    for url in [*page.urls, *config["i18n"].values()]:
        assert "?v=" in url and "v=missing" not in url, url
        assert client.get(url).status_code == 200, url


def test_home_leads_to_the_explainer(client):
    r = client.get("/")
    assert r.status_code == 200
    assert 'href="/explain"' in r.text
    assert "<h1" in r.text


@pytest.mark.parametrize(
    ("headers", "cookies", "lang"),
    [
        ({"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"}, {}, "zh"),
        ({"accept-language": "en-GB"}, {}, "en"),
        ({"accept-language": "zh-CN"}, {"normlens_lang": "en"}, "en"),  # the remembered choice wins
        ({"accept-language": "fr"}, {"normlens_lang": "zh"}, "zh"),
    ],
)
def test_language_from_cookie_then_accept_language(client, headers, cookies, lang):
    client.cookies.clear()
    for k, v in cookies.items():
        client.cookies.set(k, v)
    page = Page(client.get("/explain", headers=headers).text)
    client.cookies.clear()
    assert page.html_attrs["lang"] == ("zh-CN" if lang == "zh" else "en")
    strings = page.json_block("i18n-strings")
    assert strings["numbers.heading"] == ("数值" if lang == "zh" else "Numbers")
    assert page.json_block("initial-state")["view"]["lang"] == lang


def test_both_languages_have_every_string():
    en = orjson.loads((STATIC / "i18n" / "en.json").read_bytes())
    zh = orjson.loads((STATIC / "i18n" / "zh.json").read_bytes())
    assert set(en) == set(zh)
    assert all(zh.values()) and all(en.values())
    for key, text in en.items():  # the same placeholders in both
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", zh[key])), key
    used: set[str] = set()
    for path in [*ROOT.joinpath("templates").rglob("*.html"), *STATIC.joinpath("js").rglob("*.js")]:
        text = path.read_text()
        used |= set(re.findall(r"""\bt\(\s*["']([a-z]+\.[a-z0-9_]+)["']""", text))
        used |= set(re.findall(r'data-i18n="([a-z]+\.[a-z0-9_]+)"', text))
        used |= set(
            re.findall(r"[:;]([a-z]+\.[a-z0-9_]+)(?=[;\"])", " ".join(re.findall(r'data-i18n-attr="([^"]+)"', text)))
        )
    used |= {f"input.dist_{d}" for d in ("normal", "uniform", "integers")} | {
        f"numbers.{k}" for k in ("count", "min", "max")
    }
    missing = sorted(k for k in used if k not in en and not k.endswith("_"))  # "input.dist_" + d: listed above
    assert missing == []


def served_source() -> Path:
    """The file behind the page's Plotly URL: the vendored partial bundle when installed, else the wheel's."""
    return vendor.DEST if assets.partial_installed() else PLOTLY_JS


def test_plotly_is_served_compressed_and_immutable(client):
    bundle = plotly_bundle()
    assert re.fullmatch(r"/static-vendor/plotly(-cartesian)?-\d+\.\d+\.\d+\.min\.js", bundle.url)
    r = client.get(bundle.url, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["cache-control"] == CACHE_FOREVER == "public, max-age=31536000, immutable"
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["content-type"].startswith("text/javascript")
    assert int(r.headers["content-length"]) == len(bundle.encoded["gzip"]) < len(bundle.identity) / 3
    assert gzip.decompress(bundle.encoded["gzip"]) == served_source().read_bytes()
    assert r.content == served_source().read_bytes()  # the client decodes it


def test_plotly_identity_etag_head_and_wrong_version(client):
    bundle = plotly_bundle()
    r = client.get(bundle.url, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in r.headers
    assert int(r.headers["content-length"]) == served_source().stat().st_size
    refused = client.get(bundle.url, headers={"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    again = client.get(bundle.url, headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    head = client.head(bundle.url, headers={"accept-encoding": "gzip"})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(bundle.encoded["gzip"])
    for wrong in ("plotly-0.0.1.min.js", "plotly-cartesian-0.0.1.min.js", "plotly.min.js", "..%2fmain.py"):
        assert client.get(f"/static-vendor/{wrong}").status_code == 404


def test_explain_page_points_at_the_bundle(explain):
    _, page = explain
    assert page.json_block("page-config")["plotly_url"] == plotly_bundle().url


def test_the_partial_bundle_is_served_when_installed_and_is_under_600_kb_gzipped(explain):
    """Issue 12: the page loads the partial bundle (scatter, bar, heatmap) of the wheel's plotly.js version."""
    if not assets.partial_installed():
        pytest.skip("the partial bundle is not installed: run `make vendor`")
    _, page = explain
    bundle = plotly_bundle()
    assert page.json_block("page-config")["plotly_url"] == bundle.url
    assert bundle.url == f"/static-vendor/plotly-cartesian-{plotly.offline.get_plotlyjs_version()}.min.js"
    assert plotly.offline.get_plotlyjs_version() == vendor.VERSION
    assert bundle.identity.startswith(b"/**\n* plotly.js (cartesian - minified) v" + vendor.VERSION.encode())
    assert len(bundle.encoded["gzip"]) <= 600 * 1024 < len(gzip.compress(PLOTLY_JS.read_bytes(), 6))
    for trace in FIGURE_TRACES:  # registered in the partial bundle
        assert f'moduleType:"trace",name:"{trace}"'.encode() in bundle.identity


def test_the_full_bundle_stays_available_under_its_own_url(client):
    """?plotly=full (the page-weight test's baseline) and pages cached before the switch still get Plotly."""
    url = assets.bundle_url(assets.FULL)
    assert url == f"/static-vendor/plotly-{plotly.offline.get_plotlyjs_version()}.min.js"
    page = Page(client.get("/explain?plotly=full").text)
    assert page.json_block("page-config")["plotly_url"] == url
    r = client.get(url, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.content == PLOTLY_JS.read_bytes()
    assert "immutable" in r.headers["cache-control"]


@pytest.fixture
def fresh_bundles(monkeypatch):
    """Bundles are built once per process: start from none, and restore the process's own afterwards."""
    saved = dict(assets._BUNDLES)
    assets._BUNDLES.clear()
    yield
    assets._BUNDLES.clear()
    assets._BUNDLES.update(saved)


@pytest.mark.parametrize("case", ["absent", "corrupt", "other_version"])
def test_without_a_valid_partial_bundle_the_full_one_is_served(case, fresh_bundles, monkeypatch, tmp_path, caplog):
    dest = tmp_path / "plotly-cartesian.min.js"
    if case != "absent":
        dest.write_bytes(b"/* not the pinned file */" if case == "corrupt" else vendor.DEST.read_bytes())
    if case == "other_version":
        if not vendor.DEST.is_file():
            pytest.skip("the partial bundle is not installed")
        monkeypatch.setattr(vendor, "FILE_SHA256", vendor.sha256(dest.read_bytes()))
        monkeypatch.setattr(vendor, "VERSION", "0.0.1")
    monkeypatch.setattr(vendor, "DEST", dest)
    assert not assets.partial_installed()
    bundle = plotly_bundle()
    assert bundle.url == assets.bundle_url(assets.FULL) and bundle.identity == PLOTLY_JS.read_bytes()
    assert assets.load(assets.CARTESIAN) is None
    assert ("not plotly.js" in caplog.text) == (case != "absent")  # a broken file is reported, not served


def test_the_page_draws_only_trace_types_of_the_partial_bundle():
    """static/js/figures builds scatter, bar and heatmap traces only (line and rect are layout shapes)."""
    used = set()
    for path in STATIC.joinpath("js", "figures").glob("*.js"):
        used |= set(re.findall(r'\btype: "(\w+)"', path.read_text()))
    assert used - SHAPES == FIGURE_TRACES


def test_modules_are_preloaded_at_their_import_urls(explain, client):
    """<link rel="modulepreload"> for every module main.js imports, at the very URL the import asks for (a
    versioned URL would be a second download), after the stylesheets that block rendering."""
    html, page = explain
    graph = assets.module_graph("main.js")
    assert page.modulepreloads == [f"/static/js/{m}" for m in graph]
    assert {"api.js", "stage.js", "figures/heatmap.js", "figures/common.js"} <= set(graph)
    assert "paper.js" in graph  # imported for its effect alone: `import "./paper.js"`
    assert html.index('rel="modulepreload"') > html.rindex('rel="stylesheet"')
    for url in page.modulepreloads:
        assert client.get(url).status_code == 200, url
    home = Page(client.get("/").text)
    assert home.modulepreloads == [f"/static/js/{m}" for m in assets.module_graph("home.js")]


def test_no_inline_styles_in_templates_or_pages(explain, client):
    """CSP style-src without 'unsafe-inline': no <style> element and no style attribute in what we serve; the
    explain page links Plotly's base rules with the marker that stops plotly.js injecting them."""
    for path in sorted(ROOT.joinpath("templates").rglob("*")):
        if path.is_file():
            assert not re.search(r"<style|\sstyle=", path.read_text()), path
    for url in ("/", "/explain", "/examples/" + EXAMPLES[0].slug, "/s/nosuchlink"):
        assert Page(client.get(url).text).styles == [], url
    _, page = explain
    marker = page.ids["plotly.js-style-global"]
    assert marker["class"] == "no-inline-styles" and marker["rel"] == "stylesheet"
    assert marker["href"].startswith("/static/css/plotly.css?v=")


def test_script_json_cannot_close_the_script_element():
    text = str(script_json({"a": "</script><script>alert(1)</script>", "b": "<!--", "c": "&'"}))
    assert "<" not in text and ">" not in text and "&" not in text and "'" not in text
    assert json.loads(text)["a"] == "</script><script>alert(1)</script>"


def test_to_mathml_converts_and_falls_back():
    assert to_mathml(r"\hat{x} = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}").count("<mfrac>") == 1
    broken = to_mathml(r"\frac{1}{")
    assert broken.startswith("<math") and "<mtext>" in broken
    assert to_mathml("") == ""


@pytest.mark.parametrize(
    ("layer", "shape", "params"),
    [
        ("batch_norm", [2, 3, 2, 2], {"training": False}),
        ("layer_norm", [2, 3, 4], {}),
        ("group_norm", [2, 4, 3], {"num_groups": 2}),
        ("instance_norm", [2, 2, 3], {"affine": True}),
        ("rms_norm", [3, 4], {}),
        ("dropout", [2, 5], {"p": 0.3}),
    ],
)
def test_every_formula_converts(client, layer, shape, params):
    """latex2mathml reads every formula the core writes (no LaTeX fallback on the page)."""
    r = client.post(
        "/api/v1/trace",
        json={
            "layer": layer,
            "input": {"random": {"shape": shape, "seed": 1}},
            "params": params,
            "grad_output": {"fill": 1},
        },
    )
    assert r.status_code == 200, r.text
    for step in r.json()["steps"]:
        assert step["formula_mathml"].startswith("<math"), step["id"]
        assert "<mtext>\\" not in step["formula_mathml"], (step["id"], step["formula"])
    assert with_mathml({"steps": [{"formula": "x"}]})["steps"][0]["formula_mathml"].startswith("<math")


def test_default_input_parses_back_exactly(client):
    text = default_input_text()
    r = client.post("/api/v1/parse", json={"text": text}).json()
    assert r["format"] == "torch" and r["shape"] == [2, 3, 4, 4]
    assert torch_print(__import__("numpy").array(r["values"])) == text


def test_an_example_given_as_values_shows_its_exact_tensor_in_the_editor(client):
    example = next(e for e in EXAMPLES if e.state().input.values is not None)
    page = client.get(f"/examples/{example.slug}").text
    text = html.unescape(re.search(r'<textarea id="input-text"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    assert text.strip(), "the editor is empty for an example given as values"
    np.testing.assert_array_equal(parse(text).values, np.asarray(example.state().input.values, dtype=np.float64))


def test_a_layer_without_a_pytorch_module_is_named_by_its_title(client):
    """The heading names the PyTorch module ("nn.BatchNorm2d"); min-max has none, so its title names it."""
    state = {"layer": "min_max", "input": {"values": [[170.0, 60.0], [180.0, 80.0]]}, "view": {"lang": "en"}}
    url = client.post("/api/v1/permalink", json=state).json()["url"]
    page = client.get(url).text
    assert '<h1 id="lesson-title">Min-max normalization, step by step</h1>' in page
    assert 'content="Min-max normalization: Input x · NormLens"' in page  # the Open Graph title too


# --- navigation, the examples page, the picture first (issue 9) ------------------------------------------------

NAV = {"explain": "/explain", "compare": "/compare", "examples": "/examples", "labs": "/labs", "docs": "/docs"}
NAV_WORDS = {
    "en": ["Explainer", "Compare", "Examples", "Labs", "API docs"],
    "zh": ["讲解", "对比", "例子", "实验", "API 文档"],
}


def nav_links(text: str) -> list[tuple[str, str, str]]:
    """(href, data-i18n key, label) of the top menu's links."""
    nav = text.split('<nav class="topnav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"[^>]*data-i18n="(nav\.\w+)">([^<]+)</a>', nav)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("url", ["/", "/explain", "/examples", "/examples/" + EXAMPLES[0].slug, "/s/nosuchlink"])
def test_every_page_has_the_menu_in_both_languages(client, url, lang):
    text = client.get(url, headers={"accept-language": lang}).text
    links = nav_links(text)
    assert [href for href, _, _ in links] == list(NAV.values())
    assert [label for _, _, label in links] == NAV_WORDS[lang]
    assert [key for _, key, _ in links] == [f"nav.{k}" for k in NAV]


@pytest.mark.parametrize(("url", "active"), [("/explain", "/explain"), ("/examples", "/examples"), ("/", None)])
def test_the_menu_marks_the_current_page(client, url, active):
    nav = client.get(url).text.split('<nav class="topnav"', 1)[1].split("</nav>", 1)[0]
    current = re.findall(r'<a href="([^"]+)" aria-current="page"', nav)
    assert current == ([active] if active else [])


def test_the_examples_page_has_every_card_under_an_h1(client):
    r = client.get("/examples", headers={"accept-language": "zh-CN"})
    assert r.status_code == 200 and 'lang="zh-CN"' in r.text
    assert '<h1 id="gallery-heading"' in r.text
    assert r.text.count('class="card"') == len(EXAMPLES)
    assert "gallery-more" not in r.text  # all of them: no "all examples" link to itself


def test_home_previews_six_examples_and_links_to_all(client):
    text = client.get("/").text
    assert text.count('class="card"') == 6
    assert 'href="/examples"' in text and f"({len(EXAMPLES)})" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_home_shows_the_labs_asked_most_and_links_to_all(client, lang):
    from normlens.app import labs, train_pages
    from normlens.app.routes.labs import HOME

    text = client.get(f"/?lang={lang}").text
    slugs = re.findall(r'class="lab-card" data-slug="([^"]+)"', text)
    assert slugs == list(HOME) and all(f'href="/labs/{s}"' in text for s in slugs)  # every one of them exists
    assert 'href="/labs"><span data-i18n="home.labs_all">' in text
    assert f"({len(labs.index()) + len(train_pages.cards())})" in text
    assert {"en": "Why, as experiments", "zh": "为什么：做成实验"}[lang] in text


def test_an_example_folds_its_question_and_answer_into_one_line(client):
    ex = EXAMPLES[0]
    text = client.get(f"/examples/{ex.slug}").text
    note = text.split('<details id="example-note"', 1)[1].split("</details>", 1)[0]
    summary = note.split("<summary", 1)[1].split("</summary>", 1)[0]
    assert html.escape(ex.title.en) in summary and html.escape(ex.question.en) not in summary
    assert html.escape(ex.question.en, quote=False) in note and 'href="/examples"' in note
    assert " open" not in text.split('<details id="example-note"', 1)[1].split(">", 1)[0]  # folded


def test_the_answer_step_is_marked_on_the_rail(client):
    ex = next(e for e in EXAMPLES if e.state().view.step not in (None, "input"))
    page = Page(client.get(f"/examples/{ex.slug}").text)
    steps = [s["id"] for s in page.json_block("initial-trace")["steps"]]
    text = client.get(f"/examples/{ex.slug}").text
    marked = re.findall(r'class="rail-step[^"]*is-answer[^"]*" data-index="(\d+)"', text)
    assert marked == [str(steps.index(ex.state().view.step))]


def test_the_stage_puts_the_step_the_controls_and_the_figures_together(explain):
    text, page = explain
    stage = text.split('<div class="stage">', 1)[1]
    order = [stage.index(f'id="{i}"') for i in ("step-card", "step-formula", "btn-play", "step-rail", "plot-tensor")]
    assert order == sorted(order)
    assert text.index('id="plot-tensor"') < text.index('id="numbers-table"') < text.index('id="torch-code"')
    assert "counts-body" in page.ids and "step-note" in page.ids and "affine-random" in page.ids


def test_the_dropout_panel_shows_only_for_dropout_in_training(client):
    dropout = client.get("/explain?layer=dropout&shape=2,8").text
    batch = client.get("/explain").text
    evaluating = client.get("/explain?layer=dropout&shape=2,8&training=false").text
    panel = re.compile(r'<section id="dropout-panel"[^>]*>')
    assert "hidden" not in panel.search(dropout).group(0)
    assert "hidden" in panel.search(batch).group(0) and "hidden" in panel.search(evaluating).group(0)
    for key in ("mask.new", "mask.many"):
        assert f'data-i18n="{key}"' in dropout


def test_reshape_says_it_is_pending(client):
    text = client.get("/explain").text
    field = re.search(r'<input[^>]*id="reshape"[^>]*>', text).group(0)
    assert 'id="reshape-status"' in text and "reshape-status" in field
    en = orjson.loads((STATIC / "i18n" / "en.json").read_bytes())
    assert "Enter" in en["input.reshape_pending"]


@pytest.mark.parametrize("path", ["/", "/explain", "/compare", "/labs", "/labs/precision", "/examples"])
def test_pages_declare_both_schemes_and_their_backgrounds(client, path):
    """The browser paints its first frame, its form controls and a phone's address bar in the reader's scheme:
    the page says it has both, and theme-color is the stylesheet's own background in each."""
    css = (STATIC / "css" / "normlens.css").read_text()
    light = re.search(r":root \{[^}]*?--bg: (#[0-9a-f]{6})", css).group(1)
    dark = re.search(r"prefers-color-scheme: dark\) \{\s*:root \{[^}]*?--bg: (#[0-9a-f]{6})", css).group(1)
    page = client.get(path).text
    assert '<meta name="color-scheme" content="light dark">' in page
    assert f'<meta name="theme-color" content="{light}" media="(prefers-color-scheme: light)">' in page
    assert f'<meta name="theme-color" content="{dark}" media="(prefers-color-scheme: dark)">' in page
