"""Link previews (Open Graph): what a chat app or a slide tool shows for a link to a page, its title and a line
of what it answers, in the page's language. A lab's preview is its question; a shared view's is written by
app/routes/links.py (`describe`); a page with none of its own gets the site's (templates/partials/links_head.html).

    >>> preview({"en": "Batch size", "zh": "batch 大小"}, {"en": "Why?", "zh": "为什么？"}, "/labs/batch-size", "zh")
    {'type': 'article', 'title': 'batch 大小 · NormLens', 'description': '为什么？', 'url': '/labs/batch-size'}
"""

from __future__ import annotations

from collections.abc import Mapping

LONGEST = 200  # characters of a description: chat apps cut longer ones at their own, arbitrary, place


def shortened(text: str, limit: int = LONGEST) -> str:
    """`text` up to `limit` characters, cut after the last whole word (or anywhere in text without spaces) + "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    head = cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut
    return head.rstrip(",;:、，；：") + "…"


def preview(title: Mapping[str, str], description: Mapping[str, str], url: str, lang: str) -> dict[str, str]:
    """The Open Graph fields of a page about one question (a lab), in `lang`."""
    return {
        "type": "article",
        "title": f"{title[lang]} · NormLens",
        "description": shortened(description[lang]),
        "url": url,
    }
