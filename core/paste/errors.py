"""Why pasted text is not a tensor, as data: a code, the 1-based line and column, and the values its words need.

    >>> e = PasteError("ragged_row", 2, 5, row=2, got=3, want=2)
    >>> str(e), e.kind
    ('ragged_row at 2:5 (row=2, got=3, want=2)', 'ragged')

The words are in app/lessons/paste.toml, `[paste_errors.<code>]`. A code names one wording; `kind` is the
stable code the API returns ("ragged", "not_number", ...), shared by the wordings of one kind of problem.
"""

from __future__ import annotations

from functools import partial
from typing import Any

# Codes that are one wording of a broader kind; every other code is its own kind.
_WORDINGS = {
    "not_number": ("not_number_code", "not_number_header", "not_number_in_call"),
    "too_many": ("too_many_lines",),
    "elided": ("elided_table",),
    "unknown_wrapper": ("no_values",),
    "empty": ("empty_list",),
    "empty_cell": ("empty_cell_tab",),
    "ragged": (
        "ragged_row",
        "ragged_row_one",
        "ragged_block_row",
        "ragged_block_row_one",
        "ragged_block",
        "ragged_block_one",
        "header_width",
    ),
    "mixed_depth": ("mixed_depth_list", "mixed_depth_number"),
    "separator": ("separator_no_value", "separator_mixed", "separator_missing"),
    "unbalanced": ("unmatched_close", "unclosed_list", "unclosed_call", "unclosed_angle"),
    "unexpected": (
        "unexpected_in_list",
        "unexpected_semicolon",
        "expected_bracket",
        "unexpected_after_call",
        "extra_close",
        "several_lists",
        "unexpected_after_list",
        "unexpected_after_values",
        "expected_keyword",
        "repeated_keyword",
        "expected_array",
        "unexpected_after_angle",
        "wrapped_table",
    ),
}
KIND = {code: kind for kind, codes in _WORDINGS.items() for code in codes}


class PasteError(ValueError):
    """Text that is not a tensor: `code` (a key of the paste_errors catalogue), 1-based `line` and `column`,
    the `values` its words are filled with, and `kind`, the stable code callers branch on."""

    catalogue = "paste_errors"

    def __init__(self, code: str, line: int | None = None, column: int | None = None, **values: Any) -> None:
        self.code, self.line, self.column, self.values = code, line, column, values
        self.kind = KIND.get(code, code)
        where = f" at {line}:{column}" if line is not None else ""
        named = ", ".join(f"{k}={v}" for k, v in values.items())
        super().__init__(f"{code}{where} ({named})" if named else f"{code}{where}")

    def __reduce__(self) -> tuple[Any, ...]:  # keyword values survive pickling (worker processes)
        return partial(PasteError, **self.values), (self.code, self.line, self.column)


class _Problem(Exception):
    """Raised inside the parsers with a character offset `at`; parse() makes it a PasteError with a position."""

    def __init__(self, code: str, at: int, **values: Any) -> None:
        super().__init__(code)
        self.code, self.at, self.values = code, at, values

    def located(self, text: str) -> PasteError:
        line = text.count("\n", 0, self.at) + 1
        return PasteError(self.code, line, self.at - text.rfind("\n", 0, self.at), **self.values)


def too_many(at: int, limit: int) -> _Problem:
    return _Problem("too_many", at, limit=limit, nth=limit + 1)


def too_deep(at: int, limit: int) -> _Problem:
    return _Problem("too_deep", at, limit=limit)


def empty(at: int, path: list[int] | None = None) -> _Problem:
    return _Problem("empty_list", at, path=path) if path else _Problem("empty", at)


def scalar(at: int) -> _Problem:
    return _Problem("scalar", at)
