"""The size guard: text with far more value-like words than the limit is rejected before any list is built.

>>> guard_size("1 " * 40, 0, 2)
Traceback (most recent call last):
normlens.paste.errors._Problem: too_many
"""

from __future__ import annotations

import numpy as np

from normlens.paste.errors import too_many

# Words a repr may add after its values (dtype=..., device='cuda:0', ...): the size guard allows this many
# beyond the limit before it rejects without parsing; the parsers then count numbers exactly.
SLACK = 32
# Characters per step of the size guard: it stops soon after the limit without scanning the rest.
CHUNK = 1 << 20

_SEPARATOR = np.zeros(256, dtype=bool)
_SEPARATOR[list(b" \t\n\r\x0b\x0c[](),;")] = True


def guard_size(text: str, start: int, limit: int) -> None:
    """Reject, before any list is built, text with far more value-like words than `limit`.

    Counts runs of non-separator characters from `start`, a chunk at a time, and stops as soon as the count
    passes limit + SLACK, pointing at word limit + 1. Every number is such a run, so fewer runs means few
    enough numbers to parse; the parsers then count exactly. Memory stays at one chunk, whatever the size.
    """
    budget = limit + SLACK
    count, first_over, after_separator = 0, -1, True
    for pos in range(start, len(text), CHUNK):
        piece = text[pos : pos + CHUNK]
        if piece.isascii():
            codes = np.frombuffer(piece.encode(), np.uint8)
        else:  # one code per character, so offsets stay character offsets; all non-ASCII is non-separator
            codes = np.minimum(np.frombuffer(piece.encode("utf-32-le"), np.uint32), 255)
        word = ~_SEPARATOR[codes]
        begins = word.copy()
        begins[1:] &= ~word[:-1]
        begins[0] &= after_separator
        n = int(np.count_nonzero(begins))
        if first_over < 0 and count + n > limit:
            first_over = pos + int(np.flatnonzero(begins)[limit - count])
        if count + n > budget:
            raise too_many(first_over, limit)
        count += n
        after_separator = not word[-1]
