"""Rows of numbers: cells separated by tabs, semicolons, commas or spaces (the first of these found in the
text, in that order, is the separator); blank lines separate blocks. A fast path (normlens.paste.fast_rows) reads
well-formed rows in a few whole-text operations; the exact reader goes cell by cell from the row where the fast
path found something wrong, and says where the first problem is.

    >>> read_rows("1 2\\n3 4\\n\\n5 6\\n7 8", 100, 8).shape
    (2, 2, 2)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from normlens.paste import bulk
from normlens.paste.errors import _Problem, empty, scalar, too_deep, too_many
from normlens.paste.fast_rows import Resume, fast_rows
from normlens.paste.guard import SLACK, guard_size
from normlens.paste.parsed import Parsed
from normlens.paste.tokens import INF, NUM, number, skip

_CELL = re.compile(r"\S+")


def delimiter(text: str) -> str | None:
    """The cell separator: the first of tab, ';' and ',' found in the text, else None (white space)."""
    return next((d for d in "\t;," if d in text), None)


def _cells(line: str, delim: str | None, start: int = 0) -> Iterator[tuple[int, str]]:
    """(offset in line, stripped cell) for each cell from offset `start` (where a cell begins), lazily."""
    if delim is None:
        for m in _CELL.finditer(line, start):
            yield m.start(), m.group()
        return
    if start > len(line):
        return
    while True:
        end = line.find(delim, start)
        raw = line[start : end if end >= 0 else len(line)]
        cell = raw.strip()
        yield start + (len(raw) - len(raw.lstrip()) if cell else 0), cell
        if end < 0:
            return
        start = end + 1


def _row_pattern(delim: str | None) -> re.Pattern[str]:
    """A line of numbers and nothing else, separated by `delim` (white space if None)."""
    number_ = rf"[+-]?{NUM}"
    if delim is None:
        return re.compile(rf"\s*{number_}(?:\s+{number_})*\s*")
    space = rf"[^\S{re.escape(delim)}]*"  # white space around cells, but not the separator itself (a tab)
    return re.compile(rf"{space}{number_}{space}(?:{re.escape(delim)}{space}{number_}{space})*")


START = Resume(0, 0, 0, 0, 0, 0, [])  # the exact reader from the first line


class _Rows:
    """The exact reader's state: values so far, the width of row 1, rows in this block and in block 1."""

    __slots__ = (
        *("block_at", "blocks", "delim", "extra_row", "max_depth", "max_elements"),
        *("pattern", "rows", "tall", "values", "width", "base"),
    )

    def __init__(self, delim: str | None, max_elements: int, max_depth: int, resume: Resume) -> None:
        self.values: list[float] = []  # read here; `base` more were read by the fast path
        self.blocks, self.rows, self.tall, self.width, self.block_at = resume[1:6]
        self.base, self.extra_row = len(resume.cells), 0
        self.delim, self.pattern = delim, _row_pattern(delim)
        self.max_elements, self.max_depth = max_elements, max_depth

    def close_block(self) -> None:
        """A blank line or the end: the block must have as many rows as block 1."""
        rows, tall = self.rows, self.tall
        if tall and rows != tall:
            at = self.extra_row if rows > tall else self.block_at
            raise _Problem(
                "ragged_block_one" if rows == 1 else "ragged_block", at, block=self.blocks, got=rows, want=tall
            )
        self.tall, self.rows = rows, 0

    def start_row(self, line_at: int) -> None:
        if self.rows == 0:
            self.blocks, self.block_at = self.blocks + 1, line_at
            if self.blocks == 2 and self.max_depth < 3:
                raise too_deep(line_at, self.max_depth)
        self.rows += 1
        if self.rows == 2 and self.max_depth < 2:
            raise too_deep(line_at, self.max_depth)
        if self.rows == self.tall + 1:
            self.extra_row = line_at

    def whole_line(self, line: str) -> bool:
        """The common case, a line of numbers that fits: converted without a look at each cell."""
        if not self.pattern.fullmatch(line):
            return False
        cells = [float(c) for c in line.split(self.delim)]
        if (
            (not self.width or len(cells) == self.width)
            and self.base + len(self.values) + len(cells) <= self.max_elements
            and INF not in cells
            and -INF not in cells
        ):
            self.values.extend(cells)
            self.width = self.width or len(cells)
            return True
        return False

    def cell_by_cell(self, line: str, line_at: int) -> None:
        """A line read cell by cell, raising _Problem at its first problem. A long line's leading run of
        numbers is read in bulk first: a bad cell at its end is found in a few whole-line operations."""
        count, start, first_extra, width = 0, 0, -1, self.width
        read = ""  # cells converted once the line is known good: a failing line converts nothing
        if len(line) >= bulk.LONG:
            room = self.max_elements - self.base - len(self.values)
            read, count, start, extra = bulk.leading(line, self.delim, room, width)
            first_extra = line_at + extra if extra >= 0 else -1
            read = read if count else ""
        tail: list[float] = []
        room = self.max_elements - self.base - len(self.values) - count
        for offset, cell in _cells(line, self.delim, start):
            at = line_at + offset
            count += 1
            if not cell:
                if self.delim == "\t":
                    raise _Problem("empty_cell_tab", at, cell=count)
                raise _Problem("empty_cell", at, cell=count, sep=repr(self.delim))
            context = "code" if any(c in cell for c in "[(=") else "header" if self.rows == self.blocks == 1 else ""
            x = number(cell, at, context)
            if len(tail) >= room:
                raise too_many(at, self.max_elements)
            tail.append(x)
            if width and count == width + 1:
                first_extra = at
        if width and count != width:
            at = first_extra if count > width else line_at + len(line.rstrip())
            if self.blocks > 1:
                raise _Problem(
                    "ragged_block_row_one" if count == 1 else "ragged_block_row",
                    at,
                    row=self.rows,
                    block=self.blocks,
                    got=count,
                    want=width,
                )
            raise _Problem("ragged_row_one" if count == 1 else "ragged_row", at, row=self.rows, got=count, want=width)
        if read:
            self.values += map(float, read.split(self.delim))
        self.values += tail
        self.width = width or count


def exact_rows(
    text: str, delim: str | None, max_elements: int, max_depth: int, resume: Resume = START
) -> tuple[np.ndarray, int, int, int]:
    """Rows cell by cell from `resume.at` in its state, raising _Problem at the first problem in text order."""
    reader = _Rows(delim, max_elements, max_depth, resume)
    line_at = resume.at
    while line_at <= len(text):
        end = text.find("\n", line_at)
        end = len(text) if end < 0 else end
        line = text[line_at:end]
        if not line or line.isspace():
            if reader.rows:
                reader.close_block()
        else:
            reader.start_row(line_at)
            if len(line) >= bulk.LONG or not reader.whole_line(line):
                reader.cell_by_cell(line, line_at)
        line_at = end + 1
    if reader.rows:
        reader.close_block()
    if not reader.base + len(reader.values):
        raise empty(0)
    values = np.array(reader.values, dtype=np.float64)
    if resume.cells:
        values = np.concatenate((np.array(resume.cells, dtype=np.float64), values))
    return values, reader.blocks, reader.tall, reader.width


def read_rows(text: str, max_elements: int, max_depth: int) -> Parsed:
    """The tensor in text that holds rows of numbers, 1-D (one row), 2-D (rows) or 3-D (blocks of rows)."""
    if text.count("\n") > 2 * max_elements + SLACK:
        raise _Problem("too_many_lines", 0, lines=text.count("\n") + 1, limit=max_elements)
    guard_size(text, 0, max_elements)
    delim = delimiter(text)
    fast = fast_rows(text, delim, max_elements, max_depth)
    if isinstance(fast, Resume):
        fast = exact_rows(text, delim, max_elements, max_depth, fast)
    values, blocks, tall, width = fast
    if values.size == 1:
        raise scalar(skip(text, 0))
    if blocks > 1:
        shape: tuple[int, ...] = (blocks, tall, width)
    else:
        shape = (width,) if tall == 1 else (tall, width)
    return Parsed("blocks" if blocks > 1 else "rows", values.reshape(shape), shape, None)
