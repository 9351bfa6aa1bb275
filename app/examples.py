"""The examples gallery: each card is a saved view that answers a question from the interview notes.

An example is data, kept in app/lessons/examples.toml where a translator can edit it: a slug (its URL is
/examples/{slug}), a title, the question it answers, a short explanation (each in English and Chinese), the
seed note it comes from and the `ViewState` it opens, including the step to show:

    >>> example("bn-worked-example").state().input_shape()
    (2, 2, 2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from normlens.app.lab_words import example_labs
from normlens.app.lessons import Text, lessons
from normlens.app.state import ViewState


@dataclass(frozen=True)
class Example:
    slug: str
    title: Text
    question: Text
    explanation: Text
    data: dict[str, Any]  # the ViewState as JSON, validated on first use
    source: str = ""  # the seed note the question comes from
    tags: tuple[str, ...] = field(default=())

    def state(self) -> ViewState:
        return self._state

    @cached_property
    def _state(self) -> ViewState:
        return ViewState.model_validate(self.data)

    @property
    def url(self) -> str:
        return f"/examples/{self.slug}"

    def card(self) -> dict[str, Any]:
        """What a gallery card shows, in both languages (the page switches language without a reload)."""
        return {
            "slug": self.slug,
            "url": self.url,
            "layer": self.data["layer"],
            "tags": list(self.tags),
            "title": self.title.to_dict(),
            "question": self.question.to_dict(),
            "explanation": self.explanation.to_dict(),
            "labs": example_labs(self.slug),  # the labs that answer this card's question with live numbers
        }


def _load() -> tuple[Example, ...]:
    out = []
    for slug, e in lessons().tree["examples"].items():
        words = {k: Text.of(e[k]) for k in ("title", "question", "explanation")}
        out.append(Example(slug, **words, data=e["state"], source=e["source"], tags=tuple(e["tags"])))
    return tuple(out)


EXAMPLES: tuple[Example, ...] = _load()
BY_SLUG: dict[str, Example] = {e.slug: e for e in EXAMPLES}


def example(slug: str) -> Example:
    """The example with this slug (KeyError if none)."""
    return BY_SLUG[slug]
