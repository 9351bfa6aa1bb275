"""The words of pasted text: what a number looks like, the token scanner of bracketed lists, and reading one
word as a float or saying what it is instead.

    >>> number("-2.5E+4", 0), show("abc")
    (-25000.0, "'abc'")
"""

from __future__ import annotations

import re

from normlens.paste.errors import _Problem

# [0-9], not \d, which also matches other scripts' digits. Atomic: a number has one way to match, so there is
# nothing to backtrack into, and a run of a million digits followed by 'x' fails in one pass.
NUM = r"(?>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
NUMBER = re.compile(rf"[+-]?{NUM}")
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_COMPLEX = re.compile(rf"[+-]?(?:{NUM})?(?:[+-](?:{NUM})?)?[jJ]")
_BOOLEANS = {"true", "false", "np.true_", "np.false_", "numpy.true_", "numpy.false_"}
SCALAR_TYPE = re.compile(r"(?:np|numpy)\.(?:float|int|uint)(?:8|16|32|64)")  # np.float64(1.5): NumPy 2 reprs
SCALAR_ARG = re.compile(r"\s*\(\s*([^\s()]+)\s*\)")
INF = float("inf")

# One token per match, with the white space before it: 1 number, 2 bracket or comma, 3 string, 4 other word
# (nan, True, np.float64, 1abc, ...), 5 any other character. None at the end of the text.
TOKEN = re.compile(
    rf"""\s*+(?:
        ([+-]?{NUM})(?![^\s\[\](),;=<>'"])
      | ([\[\],])
      | ('[^'\n]*'?|"[^"\n]*"?)
      | ([^\s\[\](),;=<>'"]+)
      | (\S)
    )""",
    re.VERBOSE,
)
_SPACE = re.compile(r"\s*")


def skip(text: str, pos: int) -> int:
    """The offset of the first non-space character at or after `pos`."""
    m = _SPACE.match(text, pos)
    return m.end() if m else pos


def show(word: str) -> str:
    """A word of the text as an error quotes it: repr, cut to 40 characters."""
    return repr(word if len(word) <= 40 else word[:39] + "…")


def number(word: str, at: int, context: str = "") -> float:
    """The float that `word` spells, or a _Problem saying what it is instead. `context` picks the wording of
    "not a number": "code" (the cell holds '[', '(' or '='), "header" (a first row), else plain."""
    if NUMBER.fullmatch(word):
        x = float(word)
        if abs(x) == INF:
            raise _Problem("overflow", at, word=show(word))
        return x
    w = word.strip("()")  # Python prints complex numbers in parentheses: (1+2j)
    if "..." in word or "…" in word:
        raise _Problem("elided", at)
    if _NONFINITE.fullmatch(w):
        raise _Problem("nonfinite", at, word=show(word))
    if w.lower() in _BOOLEANS:
        raise _Problem("boolean", at, word=show(word))
    if _COMPLEX.fullmatch(w):
        raise _Problem("complex", at, word=show(word))
    if word and word[0] in "'\"":
        raise _Problem("string", at, word=show(word))
    if context == "code":
        raise _Problem("not_number_code", at, word=show(word))
    if context == "header":
        raise _Problem("not_number_header", at, word=show(word))
    raise _Problem("not_number", at, word=show(word))
