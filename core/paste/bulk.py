"""The run of well-formed cells that begins a long line, found in a few whole-line operations, so that the
exact reader of rows reaches a bad cell after millions of good ones without a Python step per good cell,
and without converting them (normlens.paste.decimals): their values are needed only if no error follows.

    >>> leading("1, 2,x, 4", ",", 10, 0)  # the cells before the bad cell, and where it begins
    ('1, 2', 2, 5, -1)
"""

from __future__ import annotations

import re

import numpy as np

from normlens.paste.decimals import numbers_before_bad
from normlens.paste.tokens import skip

LONG = 256  # lines at least this long are read in bulk first; shorter ones go cell by cell
_SPACES = b" \t\n\r\x0b\x0c"
_ALLOWED_BYTES = b"0123456789.eE+-" + _SPACES  # what a cell that is a number may hold, besides the separator
_ALLOWED = np.zeros(256, dtype=bool)
_ALLOWED[list(_ALLOWED_BYTES)] = True
_NOT_LIST_ITEM = re.compile(rb"[^0-9.eE+\- \t\n\r\x0b\x0c,]".decode())  # ends a run of list items
_NOT_SPACED_ITEM = re.compile(rb"[^0-9.eE+\- \t\n\r\x0b\x0c]".decode())  # ... of space-separated ones
_IS_SPACE = np.zeros(256, dtype=bool)
_IS_SPACE[list(_SPACES)] = True


def _codes(line: str) -> np.ndarray:
    """One code per character (offsets stay character offsets); all non-ASCII is 255."""
    if line.isascii():
        return np.frombuffer(line.encode(), np.uint8)
    return np.minimum(np.frombuffer(line.encode("utf-32-le"), np.uint32), 255)


def _cell_starts(text: str, delim: str) -> np.ndarray:
    """Where each cell of `text.split(delim)` begins, then len(text) + 1 (where a cell after a separator at the
    end would begin)."""
    seps = np.flatnonzero(_codes(text) == ord(delim))
    return np.concatenate(([0], seps + 1, [len(text) + 1]))


def _first_bad(line: str, delim: str | None) -> tuple[int, np.ndarray | None]:
    """The offset of the first character no number or separator has (len(line) if none), and the codes
    when they were needed to find it."""
    if line.isascii() and not line.encode().translate(None, _ALLOWED_BYTES + (delim or "").encode()):
        return len(line), None  # the common case, in one pass without an array per character
    codes = _codes(line)
    allowed = _ALLOWED[codes]
    if delim:
        allowed |= codes == ord(delim)
    return (len(line) if allowed.all() else int(np.argmin(allowed))), codes


def leading(line: str, delim: str | None, room: int, width: int) -> tuple[str, int, int, int]:
    """The cells that begin `line` and are numbers (at most `room`): the text they span, how many they are,
    where the next cell begins (just after its separator, or at or before its first character for white
    space), and where cell `width` (0-based) begins if it is one of them (else -1). A cell holding a character
    no number has is never read. `span.split(delim)` gives the cells."""
    first_bad, codes = _first_bad(line, delim)
    head = line[:first_bad]
    if first_bad < len(line):  # the cell holding that character is not a number: stop before it
        if delim:
            cut = head.rfind(delim)
        else:
            spaces = np.flatnonzero(_IS_SPACE[_codes(head)])
            cut = int(spaces[-1]) if spaces.size else -1
        head = head[: max(cut, 0)]
    count = min(numbers_before_bad(head, delim) if head else 0, max(room, 0))
    if delim:  # cells one separator apart; the head ends at a separator or at the end of the line
        starts = _cell_starts(head, delim)
        extra = skip(head, int(starts[width])) if 0 < width < count else -1
        return head[: int(starts[count]) - 1] if count else "", count, int(starts[count]) if head else 0, extra
    space = _IS_SPACE[_codes(line) if codes is None else codes]  # word starts by ASCII white space: within the
    words = ~space  # head, exactly the cells' starts
    words[1:] &= space[:-1]
    starts = np.flatnonzero(words)
    start = int(starts[count]) if count < starts.size else len(line)
    return line[:start], count, start, int(starts[width]) if 0 < width < count else -1


def list_run(text: str, pos: int, room: int, nth: int) -> tuple[str, int, int, int]:
    """The comma-terminated items `x, y, ..., z,` that begin at `pos` inside a list and are numbers (at most
    `room`): the text they span (`span.split(",")` gives them), how many they are, the offset after the last
    one's comma, and the offset of item `nth` (0-based) if it is one of them, else -1. Where the run ends, the
    exact parser takes over."""
    stop = _NOT_LIST_ITEM.search(text, pos)
    end = text.rfind(",", pos, stop.start() if stop else len(text))
    if end < 0:
        return "", 0, pos, -1
    items = text[pos:end]
    count = min(numbers_before_bad(items, ","), max(room, 0))
    starts = _cell_starts(items, ",")
    at = pos + skip(items, int(starts[nth])) if 0 <= nth < count else -1
    return items[: int(starts[count]) - 1] if count else "", count, pos + int(starts[count]), at


def spaced_run(text: str, pos: int, room: int, nth: int) -> tuple[str, int, int, int]:
    """In a list whose items are separated by white space (NumPy's print form), the items that begin at `pos`
    and are numbers (at most `room`), up to the last white space before a character no item has: the text they
    span (`span.split()` gives them), how many they are, the offset just after the last one, and the offset of
    item `nth` (0-based) if it is one of them, else -1. Where the run ends, the exact parser takes over."""
    stop = _NOT_SPACED_ITEM.search(text, pos)
    region = text[pos : stop.start() if stop else len(text)]
    cut = max(region.rfind(c) for c in _SPACES.decode())  # the last word may run on into the stop: not ours
    count = min(numbers_before_bad(region[:cut]), max(room, 0)) if cut > 0 else 0
    if not count:
        return "", 0, pos, -1
    word = (~_IS_SPACE[_codes(region[:cut])]).view(np.int8)
    edges = np.flatnonzero(np.diff(word, prepend=0, append=0))  # where words start and end, alternating
    starts, end = edges[::2], int(edges[2 * count - 1])
    return region[:end], count, pos + end, pos + int(starts[nth]) if 0 <= nth < count else -1
