"""The fast path of rows: well-formed rows read in a few whole-text operations, and when something is wrong,
the row where the exact reader (normlens.paste.rows) must take over, with the state it would have reached there.

    >>> fast_rows("1 2\\n3 4", None, 100, 8)[0].tolist()
    [1.0, 2.0, 3.0, 4.0]
    >>> fast_rows("1,2\\n3,4\\n5,x", ",", 100, 8)  # rows 1 and 2 are good: the exact reader starts at row 3
    Resume(at=8, blocks=1, rows=2, tall=0, width=2, block_at=0, cells=['1', '2', '3', '4'])

Everything before the resume row is well-formed (same width, blocks as tall as the first) and its cells are
numbers (normlens.paste.decimals), so the exact reader never goes through a million good rows one at a time to
reach a bad one; their cells are converted only if the rest reads well.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple

import numpy as np

from normlens.paste.decimals import numbers_before_bad

_ROW_BYTES = b"0123456789.eE+- \t\n,;"
_NOT_ROW = re.compile(r"[^0-9.eE+\- \t\n,;]")  # a character no row of numbers has


class Resume(NamedTuple):
    """Where the exact reader takes over (the offset of a row) and its state there: blocks begun, rows in the
    current block, rows in block 1 once it closed, the width of row 1, where the current block began, and the
    cells of the rows before, every one a number."""

    at: int
    blocks: int
    rows: int
    tall: int
    width: int
    block_at: int
    cells: list[str]


def fast_rows(
    text: str, delim: str | None, max_elements: int, max_depth: int
) -> tuple[np.ndarray, int, int, int] | Resume:
    """Values, blocks, rows per block and columns of well-formed rows, or where the exact reader takes over."""
    scan = _Scan(text, delim, max_elements)
    failed = scan.run()
    cells = scan.cells
    if failed is None:
        try:
            values = np.array(cells, dtype=np.float64)
        except ValueError:
            values = None
        if values is not None and values.size and np.isfinite(values).all():
            if (3 if scan.blocks > 1 else 2 if scan.tall > 1 else 1) > max_depth:
                return scan.resume(0)  # the exact reader says where
            return values, scan.blocks, scan.tall, scan.width
        failed = len(scan.offsets)
    good = numbers_before_bad("\n".join(cells), "\n") if cells else 0
    return scan.resume(min(failed, good // scan.width) if good < len(cells) else failed)


class _Scan:
    """The rows of the text up to the line with its first character no number has: their cells, where each row
    begins and the first row of each block, in the exact reader's terms."""

    def __init__(self, text: str, delim: str | None, max_elements: int) -> None:
        clean = text.isascii() and not text.encode().translate(None, _ROW_BYTES)  # one C pass, the common case
        m = None if clean else _NOT_ROW.search(text)
        self.cut = text.rfind("\n", 0, m.start()) + 1 if m else len(text)  # that line is the exact reader's
        self.text, self.delim, self.max_elements = text, delim, max_elements
        self.cells: list[str] = []
        self.offsets: list[int] = []  # where each row begins
        self.heads: list[int] = []  # the row each block begins at
        self.width = self.rows = self.tall = self.blocks = 0  # the exact reader's state where the scan stopped
        self.stop = self.cut  # where the exact reader takes over after the last row scanned

    def run(self) -> int | None:
        """Scan the rows: None if the whole text is well-formed rows, else the first row the exact reader must
        read (the number of rows scanned: at `stop`). Locals in the loop: a million rows take a second."""
        lines = self.text[: self.cut].split("\n")
        if self.cut < len(self.text):
            lines.pop()  # the empty string after the cut's newline is no line
        delim, most, cells, offsets, heads = self.delim, self.max_elements, self.cells, self.offsets, self.heads
        width = rows = tall = pos = 0
        failed: int | None = None
        for line in lines:
            at, pos = pos, pos + len(line) + 1
            if not line or line.isspace():
                if rows and tall and rows != tall:
                    failed = len(offsets) - 1  # a short block: the exact reader reads its last row again
                    break
                tall, rows = (rows, 0) if rows else (tall, 0)
                continue
            if delim and line.count(delim) >= most:  # a line of millions of cells: the exact reader's, in bulk
                self.stop, failed = at, len(offsets)
                break
            row = line.split(delim)
            if (width and len(row) != width) or (tall and rows == tall) or len(cells) + len(row) > most:
                self.stop, failed = at, len(offsets)
                break
            if not rows:
                heads.append(len(offsets))
            width, rows = len(row), rows + 1
            offsets.append(at)
            cells.extend(row)
        else:
            if self.cut < len(self.text):
                failed = len(offsets)
            elif rows and tall and rows != tall:
                failed = len(offsets) - 1
            elif rows:  # the end closes the last block
                tall, rows = rows, 0
        self.width, self.rows, self.tall, self.blocks = width, rows, tall, len(heads)
        return failed

    def resume(self, r: int) -> Resume:
        """The exact reader's state just before row r; at `stop` when r is the number of rows scanned."""
        if r == len(self.offsets):
            block_at = self.offsets[self.heads[-1]] if self.rows else 0
            return Resume(self.stop, self.blocks, self.rows, self.tall, self.width, block_at, self.cells)
        b = bisect_right(self.heads, r)  # blocks begun at or before row r
        first = self.heads[b - 1]
        blocks, rows = (b - 1, 0) if r == first else (b, r - first)
        tall = self.heads[1] - self.heads[0] if b >= 2 else 0
        width = self.width if r else 0
        return Resume(self.offsets[r], blocks, rows, tall, width, self.offsets[first], self.cells[: r * width])
