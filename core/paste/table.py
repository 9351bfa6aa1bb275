"""Tables: rows of numbers under a header row that names the columns, as CSV files and pandas print them.

    >>> p = read_table("height,weight\\n1.8,70\\n1.6,55", 100, 8)
    >>> p.format, p.shape, p.labels
    ('table', (2, 2), {'1': ['height', 'weight']})

Read here: a header of names over rows (CSV, tab or space separated; `df.to_csv()`'s empty first name marks an
index column, which is dropped), and pandas' print-outs: `str(df)` (an indented header, an index column, names
may be the column numbers 0, 1, ...; a named index adds a line holding only its name) and `str(series)` (an index
column and a `Name: x, dtype: float64` line, giving a 1-D tensor of that dtype). The header's names label the last
axis. pandas shortens long tables with `...` and `..` and a `[200 rows x 30 columns]` line, and wraps wide ones
into blocks of columns whose headers end in a backslash: both refused, saying how to print the whole table.
Lines that are blanked (header, footer, index cells) keep their length, so the rows reader reports the same line
and column as in the pasted text. Anything else is not a table: read_table returns None.
"""

from __future__ import annotations

import re

from normlens.paste.errors import _Problem
from normlens.paste.parsed import Note, Parsed, note
from normlens.paste.rows import delimiter, read_rows
from normlens.paste.tokens import _COMPLEX, NUMBER, skip

MAX_LABEL = 32  # characters of a column name kept as a label; longer names are cut (with a note)
_NOT_NAMES = {"nan", "inf", "infinity", "true", "false"}  # words the number reader explains itself
_SHRUNK = re.compile(r"\[\d+ rows x \d+ columns\]")  # pandas' footer of a shortened DataFrame
_SERIES = re.compile(r"(?:Name: .*, )?(?:Length: \d+, )?dtype: (\w+)")  # pandas' footer of a Series
_ELIDED = re.compile(r"(?<![^\s,;])\.\.\.?(?![^\s,;])")  # '...' and '..' cells


def _name(cell: str) -> str | None:
    """The column name a header cell holds, or None if the cell could be a value (or nothing)."""
    cell = cell.strip()
    if len(cell) >= 2 and cell[0] == cell[-1] and cell[0] in "\"'":  # CSV quotes
        cell = cell[1:-1].strip()
    if not cell or NUMBER.fullmatch(cell) or _COMPLEX.fullmatch(cell) or cell.lower().lstrip("+-") in _NOT_NAMES:
        return None
    if not cell.isprintable() or not any(c.isalpha() for c in cell) or any(c in "[](){}=<>" for c in cell):
        return None
    return cell


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) of the first two and the last non-blank lines, without splitting the whole text (blank
    lines are skipped in one regex step each, however many there are)."""
    found: list[tuple[int, str]] = []
    at = 0
    while len(found) < 2 and (at := skip(text, at)) < len(text):
        start, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
        end = len(text) if end < 0 else end
        found.append((start, text[start:end]))
        at = end
    end = len(text.rstrip())
    start = text.rfind("\n", 0, end) + 1
    return [*found, (start, text[start:end])] if found else []


def _cells(line: str, delim: str | None) -> list[str]:
    return [c.strip() for c in line.split(delim)] if delim else line.split()


def _blank(text: str, start: int, end: int) -> str:
    """`text` with its characters from `start` to `end` made spaces, line ends kept."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _blank_index(text: str, start: int, delim: str | None) -> str:
    """Every line from `start` without its first cell (and its separator), blanked in place."""
    first = re.compile(rf"(?m)^([^\S\n]*)([^\n{re.escape(delim)}]*{re.escape(delim)})" if delim else r"(?m)^(\s*)(\S+)")
    return text[:start] + first.sub(lambda m: m.group(1) + " " * len(m.group(2)), text[start:])


def _header(line: str, below: str, delim: str | None, footer: bool) -> tuple[list[str], bool] | None:
    """The names of a header line (`below` is the line under it) and whether an index column is under it; None
    if it is no header. A line with a value first is no header unless it is pandas' (indented, numbered)."""
    first = re.match(r"[^\s,;]*", line.lstrip())
    pandas = delim is None and (footer or line[:1].isspace())
    if not pandas and first is not None and NUMBER.fullmatch(first.group()):
        return None  # the common case, a row of numbers, decided without splitting a long line
    cells = _cells(line, delim)
    index = bool(delim) and len(cells) > 1 and cells[0] == ""  # df.to_csv(): the index has no name
    cells = cells[1:] if index else cells
    index = index or (pandas and len(below.split()) == len(cells) + 1)  # str(df): the index is not named
    names = [_name(c) for c in cells]
    if all(n is not None or c in ("...", "..") for n, c in zip(names, cells, strict=True)) and any(names):
        return [n or c for n, c in zip(names, cells, strict=True)], index
    numbers = [int(c) for c in cells if c.isascii() and c.isdigit()]
    if pandas and (index or footer) and len(numbers) + cells.count("...") == len(cells) and _counting(numbers):
        return cells, index  # pandas numbers the columns of a frame made from an array: 0 1 ... 28 29
    return None


def _counting(numbers: list[int]) -> bool:
    """0, 1, 2, ... with perhaps a gap where pandas left columns out."""
    return bool(numbers) and numbers[0] == 0 and all(a < b for a, b in zip(numbers, numbers[1:], strict=False))


def read_table(text: str, max_elements: int, max_depth: int) -> Parsed | None:
    """The tensor and column names of a table, or None if `text` is not one (plain rows, read elsewhere)."""
    lines = _lines(text)
    if not lines:
        return None
    last_at, last = lines[-1]
    shrunk, series = _SHRUNK.fullmatch(last.strip()), _SERIES.fullmatch(last.strip())
    footer = shrunk is not None or series is not None
    body = _blank(text, last_at, last_at + len(last)) if footer else text
    delim = delimiter(body)
    (head_at, head), below = lines[0], lines[1][1] if len(lines) > 2 else ""
    if delim is None and len(below.split()) == 1 and not footer and len(lines) > 2:
        below = _third(text, lines[1][0] + len(below))  # pandas' line holding only the index's name
    if delim is None and head.rstrip().endswith("\\"):  # pandas wrapped a wide table: blocks of columns
        raise _Problem("wrapped_table", head_at + len(head.rstrip()) - 1)
    header = None if series else _header(head, below, delim, footer)
    if header is None and not footer:
        return None
    elided = _ELIDED.search(body) if ".." in body else None  # numbers never hold "..": one fast look
    if elided:
        raise _Problem("elided_table", elided.start())
    if header is None and series is None:
        return None  # a DataFrame's footer over no header: the rows reader says what the text holds
    names, index = header if header is not None else ([], series is not None)
    rows_at = 0
    if header is not None:
        rows_at = head_at + len(head)
        if index and delim is None and len(lines[1][1].split()) == 1 and len(names) > 1:
            rows_at = lines[1][0] + len(lines[1][1])
        body = _blank(body, head_at, rows_at)
    notes: list[Note] = []
    if index:
        body = _blank_index(body, rows_at, delim)
        notes.append(note("index_column"))
    try:
        parsed = read_rows(body, max_elements, max_depth)
    except _Problem as p:  # the first row under a header is no header: say only that its word is no number
        if p.code != "not_number_header":
            raise
        raise _Problem("not_number", p.at, word=p.values["word"]) from None
    return _labelled(parsed, names, series.group(1) if series else None, notes, head_at)


def _third(text: str, after: int) -> str:
    """The first non-blank line after offset `after`."""
    for line in text[after : after + (1 << 16)].split("\n"):
        if line.strip():
            return line
    return ""


def _labelled(parsed: Parsed, names: list[str], dtype: str | None, notes: list[Note], head_at: int) -> Parsed:
    """The rows read under the header: its names label the last axis; a Series is 1-D."""
    values, shape = parsed.values, parsed.shape
    if not names:  # a Series: one value per line
        shape = (values.size,)
        return Parsed("pandas", values.reshape(shape), shape, dtype, notes)
    if len(names) != shape[-1]:
        raise _Problem("header_width", head_at, names=len(names), values=shape[-1])
    if all(n.isascii() and n.isdigit() for n in names):  # pandas' column numbers: no better than the index
        return Parsed("pandas", values, shape, None, notes)
    cut = [n if len(n) <= MAX_LABEL else n[: MAX_LABEL - 1] + "\u2026" for n in names]
    if cut != names:
        notes.append(note("names_cut", limit=MAX_LABEL))
    shown = ", ".join(cut[:8]) + (", \u2026" if len(cut) > 8 else "")
    notes.insert(0, note("header", names=shown, axis=len(shape) - 1))
    fmt = "pandas" if "index_column" in (n[0] for n in notes) else "table"
    return Parsed(fmt, values, shape, None, notes, {str(len(shape) - 1): cut})
