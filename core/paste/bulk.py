"""The run of well-formed cells that begins a long line, read in a few whole-line operations, so that the
exact reader of rows reaches a bad cell after millions of good ones without a Python step per good cell.

    >>> leading("1, 2,x, 4", ",", 10, 0)  # the numbers before the bad cell, and where it begins
    (array([1., 2.]), 5, -1)
"""

from __future__ import annotations

import re

import numpy as np

LONG = 256  # lines at least this long are read in bulk first; shorter ones go cell by cell
_CHUNK = 1 << 16
_SPACES = b" \t\n\r\x0b\x0c"
_ALLOWED_BYTES = b"0123456789.eE+-" + _SPACES  # what a cell that is a number may hold, besides the separator
_ALLOWED = np.zeros(256, dtype=bool)
_ALLOWED[list(_ALLOWED_BYTES)] = True
_NOT_LIST_ITEM = re.compile(rb"[^0-9.eE+\- \t\n\r\x0b\x0c,]".decode())  # ends a run of list items
_IS_SPACE = np.zeros(256, dtype=bool)
_IS_SPACE[list(_SPACES)] = True


def _codes(line: str) -> np.ndarray:
    """One code per character (offsets stay character offsets); all non-ASCII is 255."""
    if line.isascii():
        return np.frombuffer(line.encode(), np.uint8)
    return np.minimum(np.frombuffer(line.encode("utf-32-le"), np.uint32), 255)


def _floats(cells: list[str]) -> np.ndarray:
    """The floats of the cells up to the first that is not a finite number. NumPy converts a chunk at a time
    (as the fast paths do); the chunk that fails is gone through cell by cell to find where."""
    chunks: list[np.ndarray] = []
    for i in range(0, len(cells), _CHUNK):
        part = cells[i : i + _CHUNK]
        try:
            xs = np.array(part, dtype=np.float64)
        except ValueError:
            good: list[float] = []
            for cell in part:
                try:
                    x = float(cell)
                except ValueError:
                    break
                good.append(x)
            xs = np.array(good, dtype=np.float64)
        finite = np.isfinite(xs)
        if not finite.all() or len(xs) < len(part):
            chunks.append(xs if finite.all() else xs[: int(np.argmin(finite))])
            break
        chunks.append(xs)
    return np.concatenate(chunks) if chunks else np.zeros(0)


def _start(cells: list[str], k: int, joined: int) -> int:
    """Where cell k of `sep.join(cells)` (`joined` characters long) begins, counted from the nearer end."""
    if k <= len(cells) // 2:
        return k + sum(map(len, cells[:k]))
    return joined + 1 - sum(map(len, cells[k:])) - (len(cells) - k)


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


def leading(line: str, delim: str | None, room: int, width: int) -> tuple[np.ndarray, int, int]:
    """The numbers of the cells that begin `line` (at most `room`), where the next cell begins (just after
    its separator, or at or before its first character for white space), and where cell `width` (0-based)
    begins if it was read (else -1). A cell holding a character no number has is never read."""
    first_bad, codes = _first_bad(line, delim)
    head = line[:first_bad]
    if first_bad < len(line):  # the cell holding that character is not a number: stop before it
        if delim:
            cut = head.rfind(delim)
        else:
            spaces = np.flatnonzero(_IS_SPACE[_codes(head)])
            cut = int(spaces[-1]) if spaces.size else -1
        head = head[: max(cut, 0)]
    cells = (head.split(delim) if head else []) if delim else head.split()
    values = _floats(cells[: max(room, 0)] if room < len(cells) else cells)
    count = len(values)
    if delim:  # cells one separator apart; the head ends at a separator or at the end of the line
        extra = -1
        if 0 < width < count:
            cell = cells[width]
            extra = _start(cells, width, len(head)) + len(cell) - len(cell.lstrip())
        return values, _start(cells, count, len(head)), extra
    space = _IS_SPACE[_codes(line) if codes is None else codes]  # word starts by ASCII white space: within the
    words = ~space  # head, exactly the cells' starts
    words[1:] &= space[:-1]
    starts = np.flatnonzero(words)
    start = int(starts[count]) if count < starts.size else len(line)
    return values, start, int(starts[width]) if 0 < width < count else -1


def list_run(text: str, pos: int, room: int, nth: int) -> tuple[np.ndarray, int, int]:
    """The numbers of the comma-terminated items `x, y, ..., z,` that begin at `pos` inside a list (at most
    `room`), the offset after the last one's comma, and the offset of item `nth` (0-based) if it was read,
    else -1. Where the run ends, the exact parser takes over."""
    stop = _NOT_LIST_ITEM.search(text, pos)
    end = text.rfind(",", pos, stop.start() if stop else len(text))
    if end < 0:
        return np.zeros(0), pos, -1
    cells = text[pos:end].split(",")
    values = _floats(cells[: max(room, 0)] if room < len(cells) else cells)
    count, at = len(values), -1
    if 0 <= nth < count:
        cell = cells[nth]
        at = pos + _start(cells, nth, end - pos) + len(cell) - len(cell.lstrip())
    return values, pos + _start(cells, count, end - pos), at
