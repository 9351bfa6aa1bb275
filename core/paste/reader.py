"""parse(): the tensor in pasted text, or a PasteError saying where and why it isn't one.

>>> parse("1, 2, 3\\n4, 5, 6").shape
(2, 3)
"""

from __future__ import annotations

import re

import numpy as np

from normlens.paste.angled import Angle, close_angle, open_angle
from normlens.paste.errors import PasteError, _Problem, empty, scalar
from normlens.paste.guard import guard_size
from normlens.paste.nested import exact_body
from normlens.paste.parsed import Note, Parsed, note
from normlens.paste.rows import read_rows
from normlens.paste.skeleton import fast_body
from normlens.paste.table import read_table
from normlens.paste.tokens import NUMBER, skip
from normlens.paste.wrappers import PARAMETER, keywords, open_call

MAX_ELEMENTS = 4_194_304
MAX_DEPTH = 8
# a line of code around the tensor, as a student copies it: `x = torch.tensor([...]);` (note "assignment", and
# "semicolon" for the ';'); only before a list or a call, so that `x = 1 2 3` is still refused as text
ASSIGNMENT = re.compile(r"([A-Za-z_][\w.]*)[ \t]*=(?!=)\s*(?=\[|[A-Za-z_][\w.]*\s*\()")

# Read as their ASCII forms: what Chinese input methods type, the minus sign of web pages (notes "full_width",
# naming those found) and unusual spaces (note "spaces").
_FULL_WIDTH = {
    "\uff0c": ",",
    "\uff1b": ";",
    "\uff3b": "[",
    "\uff3d": "]",
    "\uff08": "(",
    "\uff09": ")",
    "\u2212": "-",
}
_SPACES = {"\u3000": " ", "\xa0": " "}  # the ideographic (full-width) space, the no-break space


def parse(text: str, max_elements: int = MAX_ELEMENTS, max_depth: int = MAX_DEPTH) -> Parsed:
    """The tensor in `text`, as float64 values with their shape; PasteError says where and why it isn't one."""
    max_depth = min(max_depth, 64)  # NumPy's limit on the number of axes
    if not isinstance(text, str):
        raise PasteError("type", 1, 1)
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    notes: list[Note] = []
    if not text.isascii():
        _refuse_surrogates(text)
        found = [c for c in _FULL_WIDTH if c in text]
        spaces = [c for c in _SPACES if c in text]
        for c in found + spaces:  # str.replace per character: far faster than str.translate on long text
            text = text.replace(c, _FULL_WIDTH.get(c) or _SPACES[c])
        if found:  # "“，” “［”" read as "“,” “[”"
            chars, ascii = (" ".join(f"“{c}”" for c in cs) for cs in (found, [_FULL_WIDTH[c] for c in found]))
            notes.append(note("full_width", chars=chars, ascii=ascii))
        if spaces:
            notes.append(note("spaces"))
    try:
        parsed = _parse(text, max_elements, max_depth)
    except _Problem as p:
        raise p.located(text) from None
    return Parsed(parsed.format, parsed.values, parsed.shape, parsed.dtype, notes + parsed.notes, parsed.labels)


def _refuse_surrogates(text: str) -> None:
    """A lone UTF-16 surrogate (a JSON escape such as \\ud800 with no other half) is not a character: no codec
    can write it, so it is refused here, where it is, before any parser meets it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise _Problem("surrogate", e.start, char=f"U+{ord(text[e.start]):04X}").located(text) from None


def _parse(text: str, max_elements: int, max_depth: int) -> Parsed:
    pos = skip(text, 0)
    if pos == len(text):
        raise empty(0)
    angle = open_angle(text, pos)
    if angle:
        pos = angle.values_at
    m = PARAMETER.match(text, pos)
    if m:
        pos = m.end()
    code: list[Note] = []  # how a line of code around the values was read
    if not angle and (a := ASSIGNMENT.match(text, pos)):
        pos = a.end()
        code.append(note("assignment", name=a.group(1)))
    call = open_call(text, pos)
    if call:
        fmt, label, start = call
    elif angle:
        raise scalar(pos) if NUMBER.match(text, pos) else _Problem("expected_array", pos)
    elif text.startswith("[", pos):
        fmt, label, start = "", "", pos
    elif text.startswith("]", pos):
        raise _Problem("unmatched_close", pos)
    else:
        return read_table(text, max_elements, max_depth) or read_rows(text, max_elements, max_depth)
    guard_size(text, start, max_elements)
    close = text.rfind("]") + 1
    fast = fast_body(text[start:close], max_elements, max_depth)
    if fast is not None:
        values, comma = fast
        shape, end = values.shape, close
    else:
        flat, shape, comma, end = exact_body(text, start, max_elements, max_depth)
        values = np.array(flat).reshape(shape)
    dtype: str | None = None
    notes: list[Note] = []
    if label:
        dtype, notes, end = keywords(text, end, shape, label)
    if angle:
        return _angled(text, end, angle, Parsed("tensorflow", values, tuple(shape), dtype, notes))
    end = skip(text, end)
    if text.startswith(";", end) and skip(text, end + 1) == len(text):  # the statement's end
        end = len(text)
        code.append(note("semicolon"))
    _check_end(text, end, label)
    if not fmt:
        fmt = "json" if comma or values.size == 1 else "numpy"  # a lone item has no separator to tell
    return Parsed(fmt, values, tuple(shape), dtype, code + notes)


def _angled(text: str, end: int, angle: Angle, inner: Parsed) -> Parsed:
    """A TensorFlow repr around NumPy's: its '>' closes it, and its dtype is TensorFlow's (NumPy leaves float64
    unsaid)."""
    end = skip(text, close_angle(text, end, angle, inner.shape))
    if end < len(text):
        raise _Problem("unexpected_after_angle", end)
    return Parsed(inner.format, inner.values, inner.shape, angle.dtype or inner.dtype, inner.notes)


def _check_end(text: str, end: int, label: str) -> None:
    """Nothing may follow the closing ']' (or the call's ')')."""
    if end == len(text):
        return
    if label:
        raise _Problem("unexpected_after_call", end, call=label)
    if text[end] == "]":
        raise _Problem("extra_close", end)
    if text[end] in "[,":
        raise _Problem("several_lists", end)
    raise _Problem("unexpected_after_list", end)
