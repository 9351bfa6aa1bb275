"""The examples gallery: every example renders with Open Graph tags, and its numbers are PyTorch's.

The numbers are read from the rendered page (its initial-trace block) and compared with torch 2.13,
computed here from the example's own data, independently of core/.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from markupsafe import escape
from torch import nn

from normlens.app.examples import EXAMPLES, example

torch.set_num_threads(1)
SLUGS = [e.slug for e in EXAMPLES]


def block(page: str, block_id: str):
    m = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', page, re.S)
    assert m, f"no {block_id} block"
    return json.loads(m.group(1))


def og(page: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in re.findall(r'<meta property="og:(\w+)" content="([^"]*)">', page)}


@pytest.fixture(scope="module")
def pages(client) -> dict[str, str]:
    out = {}
    for slug in SLUGS:
        r = client.get(f"/examples/{slug}", headers={"accept-language": "en"})
        assert r.status_code == 200, (slug, r.text[:500])
        out[slug] = r.text
    return out


def test_there_are_the_examples_the_notes_ask_for():
    assert len(SLUGS) >= 14 and len(set(SLUGS)) == len(SLUGS)
    layers = {e.data["layer"] for e in EXAMPLES}
    assert layers == {"batch_norm", "layer_norm", "group_norm", "rms_norm", "dropout"}
    for e in EXAMPLES:
        for words in (e.title, e.question, e.explanation):
            assert words.en and words.zh and words.en != words.zh
        assert re.search(r"[\u4e00-\u9fff]", e.explanation.zh)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_example_renders_at_its_step_with_open_graph_tags(pages, slug):
    page, ex = pages[slug], example(slug)
    tags = og(page)
    assert tags["title"] == f"{ex.title.en} · NormLens"
    assert tags["description"] == ex.explanation.en
    assert tags["url"] == f"/examples/{slug}" and tags["type"] == "article"
    assert escape(ex.title.zh) in page and escape(ex.question.en) in page  # the example's note, both languages
    state, trace = block(page, "initial-state"), block(page, "initial-trace")
    assert state["view"]["step"] == trace["steps"][0]["id"]  # it opens on its input and plays once ...
    assert block(page, "page-config")["answer_step"] == ex.state().view.step  # ... up to the step it is about
    assert state["layer"] == ex.data["layer"]
    assert state["labels"] == ex.data.get("labels")


def test_an_example_opens_in_the_readers_language(client):
    r = client.get("/examples/ln-two-sentences", headers={"accept-language": "zh-CN,zh;q=0.9"})
    ex = example("ln-two-sentences")
    assert r.status_code == 200 and og(r.text)["title"] == f"{ex.title.zh} · NormLens"
    assert block(r.text, "initial-state")["view"]["lang"] == "zh"


def test_an_example_keeps_the_language_its_address_names(client):
    """/examples/x?lang=zh opened in an English browser showed English once its scripts ran: the page was told
    to follow the reader's language, as it is when the address names none."""
    english = {"accept-language": "en-US,en;q=0.9"}
    named = client.get("/examples/dropout-train?lang=zh", headers=english).text
    assert block(named, "page-config")["lang_fixed"] is True
    assert block(named, "initial-state")["view"]["lang"] == "zh"
    assert block(client.get("/examples/dropout-train", headers=english).text, "page-config")["lang_fixed"] is False


@pytest.mark.parametrize("slug", ["no-such-example", "UPPER", "a" * 100])
def test_an_unknown_example_is_a_404_page(client, slug):
    r = client.get(f"/examples/{slug}")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "There is no example" in r.text


def test_the_gallery_has_a_card_per_example(client):
    page = client.get("/examples").text
    for e in EXAMPLES:
        assert f'href="/examples/{e.slug}"' in page
        assert escape(e.title.en) in page and escape(e.title.zh) in page


def test_the_words_are_plain_text_without_markup():
    """Cards and example notes print their words as text (the labs' answers alone turn `code` into <code>): a
    backtick showed as one on the gallery ("up to `eps=1e-5`")."""
    for e in EXAMPLES:
        for field in (e.title, e.question, e.explanation):
            assert "`" not in field.en + field.zh, (e.slug, field)


def test_tags_are_names_that_read_the_same_in_both_languages():
    """A card's tags are shown untranslated on both pages, so each is a name (a PyTorch class or argument, a
    dtype, an acronym), never English words ("running stats" sat on the Chinese gallery)."""
    for e in EXAMPLES:
        for tag in e.tags:
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", tag), (e.slug, tag)


# --- the numbers, against torch -----------------------------------------------------------------------------


def tensor_of(data: dict) -> np.ndarray:
    """The example's input made here: a literal, or numpy's default_rng normal draw (the set recipe)."""
    inp = data["input"]
    if "values" in inp:
        return np.array(inp["values"], dtype=np.float64)
    r = inp["random"]
    rng = np.random.default_rng(r.get("seed", 0))
    return rng.standard_normal(tuple(r["shape"])) * r.get("std", 1.0) + r.get("mean", 0.0)


def close(actual, expected, dtype: str, what: str) -> None:
    a = np.asarray(actual, dtype=np.float64)
    e = expected.detach().double().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected, float)
    assert a.shape == e.shape, what
    tol = 1e-10 if dtype == "float64" else 1e-5 * max(1.0, float(np.abs(e).max()))
    np.testing.assert_allclose(a, e, rtol=0, atol=tol, err_msg=what)


def torch_batch_norm(x: torch.Tensor, p: dict):
    c = x.shape[1]
    cls = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}[x.dim()]
    m = cls(c, eps=p.get("eps", 1e-5), momentum=p.get("momentum", 0.1)).to(x.dtype)
    with torch.no_grad():
        for name, key in (
            ("weight", "gamma"),
            ("bias", "beta"),
            ("running_mean", None),
            ("running_var", None),
        ):
            if (key or name) in p:
                getattr(m, name).copy_(torch.tensor(p[key or name], dtype=x.dtype))
        m.num_batches_tracked.fill_(p.get("num_batches_tracked", 0))
    m.train(p.get("training", True))
    return m, m(x)


@pytest.mark.parametrize("slug", SLUGS)
def test_the_numbers_on_the_page_are_torchs(pages, slug):
    ex = example(slug)
    data, p = ex.data, ex.data.get("params", {})
    dtype = data.get("dtype", "float32")
    trace = block(pages[slug], "initial-trace")
    x = torch.tensor(tensor_of(data), dtype=getattr(torch, dtype))
    close(trace["steps"][0]["values"], x, dtype, "input")
    layer = data["layer"]

    if layer == "batch_norm" and slug == "bn-batch-of-one":
        with pytest.raises(ValueError) as e:
            torch_batch_norm(x, p)
        assert trace["warnings"][0]["torch_error"] == str(e.value)
        beta = torch.tensor(p["beta"], dtype=x.dtype)
        close(trace["output"], beta.expand_as(x), dtype, "output collapses to beta")
        return
    if layer == "batch_norm":
        m, y = torch_batch_norm(x, p)
        close(trace["output"], y, dtype, "output")
        if p.get("training", True):
            close(trace["running"]["mean"], m.running_mean, dtype, "running_mean")
            close(trace["running"]["var"], m.running_var, dtype, "running_var")
            assert trace["running"]["num_batches_tracked"] == m.num_batches_tracked.item()
        learnable = sum(t.numel() for t in m.parameters())
        assert trace["param_counts"]["learnable"] == learnable == 2 * x.shape[1]
        assert trace["param_counts"]["learnable"] + trace["param_counts"]["buffers"] == sum(
            t.numel() for t in m.state_dict().values()
        )
    elif layer == "layer_norm":
        shape = p["normalized_shape"]
        y = F.layer_norm(x, shape, eps=p.get("eps", 1e-5))
        close(trace["output"], y, dtype, "output")
        assert trace["param_counts"]["learnable"] == sum(t.numel() for t in nn.LayerNorm(shape).parameters())
    elif layer == "group_norm":
        y = F.group_norm(x, p["num_groups"], eps=p.get("eps", 1e-5))
        close(trace["output"], y, dtype, "output")
    elif layer == "rms_norm":
        y = F.rms_norm(x, p["normalized_shape"], eps=p.get("eps"))
        close(trace["output"], y, dtype, "output")
    else:  # dropout: torch draws its own mask, so apply the page's mask the way nn.Dropout does
        q = p.get("p", 0.5)
        if p.get("training", True):
            mask = torch.tensor(next(s["values"] for s in trace["steps"] if s["id"] == "mask"), dtype=x.dtype)
            assert set(mask.unique().tolist()) <= {0.0, 1.0}
            close(trace["output"], torch.where(mask.bool(), x / (1 - q), torch.zeros_like(x)), dtype, "output")
        else:
            close(trace["output"], nn.Dropout(q).eval()(x), dtype, "output")

    if layer == "batch_norm" and p.get("training", True):  # the batch statistics the page shows
        dims = [0, *range(2, x.dim())]
        close(trace["stats"]["mean"], x.mean(dims), dtype, "mean")
        close(trace["stats"]["var"], x.var(dims, unbiased=False), dtype, "var")


def test_restoring_with_gamma_std_and_beta_mean_gives_the_input_back(pages):
    trace = block(pages["bn-restore-identity"], "initial-trace")
    np.testing.assert_allclose(trace["output"], trace["steps"][0]["values"], rtol=0, atol=1e-9)


def test_layer_norm_over_chw_has_2_c_h_w_parameters(pages):
    trace = block(pages["ln-image-chw"], "initial-trace")
    assert trace["param_counts"]["learnable"] == 2 * 3 * 4 * 4


def test_batch_norm_mixes_the_sentences_positions_layer_norm_does_not(pages):
    bn = block(pages["bn-two-sentences"], "initial-trace")
    ln = block(pages["ln-two-sentences"], "initial-trace")
    assert bn["grouping"]["stat_shape"] == [5] and bn["grouping"]["group_size"] == 2 * 4  # 我 with 今, ...
    assert ln["grouping"]["stat_shape"] == [2, 5] and ln["grouping"]["group_size"] == 4  # one per character
    assert bn["steps"][0]["values"] == ln["steps"][0]["values"]  # the same tensor


# --- axis labels: the sentence examples show their sentences -------------------------------------------------

SENTENCES = ["我爱吃炸鸡", "今天很开心"]


@pytest.mark.parametrize("slug", ["ln-two-sentences", "bn-two-sentences"])
def test_the_sentence_examples_label_sentences_and_characters(pages, slug):
    ex = example(slug)
    labels = ex.state().labels
    assert labels is not None and set(labels) == {"0", "1"}  # (B, S, D): the batch and the sequence axes
    assert labels["0"] == SENTENCES  # each sentence of the batch by its own text
    per_position = [label.split("/") for label in labels["1"]]  # position s: the characters at s, "我/今"
    assert ["".join(chars) for chars in zip(*per_position, strict=True)] == SENTENCES
    assert block(pages[slug], "initial-state")["labels"] == labels  # on the page, in the state it opens with
    assert ex.state().input_shape()[:2] == (len(labels["0"]), len(labels["1"]))


def test_the_other_examples_carry_no_labels():
    assert [e.slug for e in EXAMPLES if e.state().labels] == ["ln-two-sentences", "bn-two-sentences"]


@pytest.mark.parametrize("slug", ["ln-two-sentences", "bn-two-sentences"])
def test_the_sentence_examples_trace_carries_the_labels_for_the_figures(pages, slug):
    assert block(pages[slug], "initial-trace").get("labels") == example(slug).state().labels
