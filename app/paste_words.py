"""Pasted text's errors and notes in the lessons' words ([paste_errors.<code>], [paste_notes.<code>]), for the
API's error items and the parse endpoint."""

from __future__ import annotations

from typing import Any

from normlens.app.lessons import error_text, note_text


def paste_error_parts(error: ValueError) -> tuple[str, dict[str, Any]]:
    """A normlens.paste.PasteError as (English message, {line, column, code, msg_zh}) for the API's error
    items, worded by the lessons ([paste_errors.<code>]); `code` is its stable kind ("ragged", ...)."""
    from normlens.paste import PasteError

    if not isinstance(error, PasteError):
        return str(error), {}
    words = error_text(error)
    extra = {"line": error.line, "column": error.column, "code": error.kind, "msg_zh": words.zh}
    return words.en, {k: v for k, v in extra.items() if v is not None}


def paste_notes(notes: list[tuple[str, dict[str, Any]]]) -> dict[str, list[str]]:
    """normlens.paste's Parsed.notes, (code, values) each, in words ([paste_notes.<code>]):
    {"en": [...], "zh": [...]}."""
    texts = [note_text(code, values) for code, values in notes]
    return {"en": [t.en for t in texts], "zh": [t.zh for t in texts]}


__all__ = ["paste_error_parts", "paste_notes"]
