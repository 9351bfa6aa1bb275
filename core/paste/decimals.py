"""How many cells, from the first, are finite numbers: the grammar checked in whole-array NumPy operations.

    >>> numbers_before_bad("1, -2.5,3e2 ,4x,5", ",")
    3
    >>> numbers_before_bad("1 1e999")  # a number, but not a finite float
    1

A paste with a bad cell after millions of good ones needs to know where the bad one is, not the good ones'
values (the error is all it answers). `float()` or NumPy would convert each cell to find it (about 250 ns a
cell: 1 s for 4M); here an automaton for tokens.NUM's grammar reads the first character of every cell at once,
then the second, and so on (a few array operations per column, 0.2-0.6 s for 4M cells). A cell that is blank
or holds two words is not a number. Words it cannot settle, longer than _LONG characters or with an exponent
of three digits or more (which may overflow), are checked one by one with tokens.NUMBER and float().
"""

from __future__ import annotations

import math
import re

import numpy as np

from normlens.paste.tokens import NUMBER

_LONG = 26  # characters; a float64 repr has at most 24 (-1.2345678901234567e-308)
_BLOCK = 1 << 16  # characters per pass
_SEPARATOR = re.compile(r"\s")
_WHITE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # the ASCII that str.split() splits at
_SPACE = np.zeros(256, dtype=bool)
_SPACE[list(_WHITE)] = True


def numbers_before_bad(text: str, sep: str | None = None) -> int:
    """How many of the cells that begin `text` (`text.split(sep)`) hold one finite number as tokens.NUMBER
    spells it (a sign allowed, white space around it fine). The text is read in blocks of about _BLOCK
    characters that end at a separator, so the work arrays stay in the CPU's cache and a bad cell ends it."""
    count, at = 0, 0
    while True:
        end = _block_end(text, at + _BLOCK, sep)
        cells, good = _block(text[at:end], sep)
        count += good
        if good < cells or end >= len(text):
            return count
        at = end + (sep is not None)  # past the separator (white space belongs to no cell)


def _block_end(text: str, at: int, sep: str | None) -> int:
    """The first separator at or after `at` (len(text) if none)."""
    if at >= len(text):
        return len(text)
    m = _SEPARATOR.search(text, at) if sep is None else None
    end = (m.start() if m else -1) if sep is None else text.find(sep, at)
    return len(text) if end < 0 else end


def _block(text: str, sep: str | None) -> tuple[int, int]:
    """(cells, good): how many cells the text has, and how many of them from the first are numbers."""
    if not text.isascii():
        cells = text.split(sep)
        return len(cells), next((i for i, c in enumerate(cells) if not _number(c)), len(cells))
    raw = np.frombuffer((text + " " * (_LONG + 1)).encode(), np.uint8)  # every word ends before the buffer
    word = ~_SPACE[raw]
    seps = np.zeros(0, dtype=np.intp)
    if sep is not None:
        is_sep = raw == ord(sep)
        seps = np.flatnonzero(is_sep)
        word &= ~is_sep
        raw = np.where(is_sep, np.uint8(32), raw)  # a separator ends a word as white space does
    edges = np.flatnonzero(word[1:] != word[:-1]) + 1  # where words start and end, alternating
    if word[0]:
        edges = np.concatenate(([0], edges))
    starts, ends = edges[::2], edges[1::2]
    n = starts.size if sep is None else seps.size + 1
    stop = n if sep is None else _first_irregular(starts, seps, n)  # before it, word i is cell i's only word
    verdict = _verdicts(raw, starts[:stop], int((ends - starts).max(initial=0)))
    bad = np.flatnonzero(verdict < 0)
    stop = int(bad[0]) if bad.size else stop
    for i in np.flatnonzero(verdict[:stop] == 0).tolist():  # the few the automaton leaves to float()
        if not _number(text[starts[i] : ends[i]]):
            return n, i
    return n, stop


def _first_irregular(starts: np.ndarray, seps: np.ndarray, n: int) -> int:
    """The first of n cells (between separators) that is blank or holds two words, n if none."""
    k = min(starts.size, n)
    m = min(k, n - 1)
    late = np.flatnonzero(starts[:m] > seps[:m])  # word i starts after cell i ends: cell i is blank
    early = np.flatnonzero(starts[1:k] < seps[: max(k - 1, 0)])  # word i + 1 starts in cell i: two words there
    if late.size or early.size:
        return int(min(late[:1].tolist() + early[:1].tolist()))
    return k if starts.size < n else n - 1 if starts.size > n else n


def _number(cell: str) -> bool:
    word = cell.strip()
    return bool(NUMBER.fullmatch(word)) and math.isfinite(float(word))


def _verdicts(raw: np.ndarray, starts: np.ndarray, longest: int) -> np.ndarray:
    """For each word that starts at `starts`: 1 if it is a finite number, -1 if it is not a number, 0 if float()
    must tell (a long word, or an exponent of three digits that may overflow). The automaton reads column j of
    every word at once; the white space after a word ends it."""
    state = np.zeros(starts.size, dtype=np.intp)
    at = starts.copy()
    for _ in range(min(longest, _LONG) + 1):
        state = _NEXT[state * 256 + raw[at]]
        at += 1
    return _VERDICT[state]


def _automaton() -> tuple[np.ndarray, np.ndarray]:
    """tokens.NUMBER's grammar, [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?, as the table of
    the state after (state, byte), flattened, and each state's verdict once the word has ended (or not, after
    _LONG characters: 0)."""
    digits, space = b"0123456789", _WHITE
    moves = {
        "start": {digits: "whole", b".": "bare_point", b"+-": "sign"},
        "sign": {digits: "whole", b".": "bare_point"},
        "whole": {digits: "whole", b".": "point", b"eE": "e", space: "number"},
        "point": {digits: "fraction", b"eE": "e", space: "number"},
        "bare_point": {digits: "fraction"},
        "fraction": {digits: "fraction", b"eE": "e", space: "number"},
        "e": {digits: "exp1", b"+-": "e_sign"},
        "e_sign": {digits: "exp1"},
        "exp1": {digits: "exp2", space: "number"},
        "exp2": {digits: "exp3", space: "number"},
        "exp3": {digits: "exp3", space: "unsure"},  # 10**100 or more may overflow: float() decides
        "number": {bytes(range(256)): "number"},  # ended
        "unsure": {bytes(range(256)): "unsure"},
    }
    states = [*moves, "reject"]  # "start", the first, is 0: where every word begins
    s = {name: i for i, name in enumerate(states)}
    nxt = np.full((len(states), 256), s["reject"], dtype=np.intp)
    for state, out in moves.items():
        for chars, to in out.items():
            nxt[s[state], list(chars)] = s[to]
    verdict = np.zeros(len(states), dtype=np.int8)  # a word still being read after _LONG characters: unsure
    verdict[s["number"]], verdict[s["reject"]] = 1, -1
    return nxt.ravel(), verdict


_NEXT, _VERDICT = _automaton()
