"""The fast path of bracketed lists: whole-text NumPy and bytes operations read a well-formed body in one go.

The body's skeleton (brackets, commas, one '0' per number) must equal the canonical skeleton of the shape read
off its first path, e.g. `[[0,0,0],[0,0,0]]` for (2, 3); the numbers then convert in one NumPy call.

    >>> fast_body("[[1, 2], [3, 4.5]]", 100, 8)
    (array([[1. , 2. ],
           [3. , 4.5]]), True)
"""

from __future__ import annotations

import numpy as np

_CLASS = np.full(256, 5, dtype=np.uint8)  # 0 space, 1 number character, 2 '[', 3 ']', 4 ',', 5 anything else
_CLASS[list(b" \t\n\r\x0b\x0c")] = 0
_CLASS[list(b"0123456789.eE+-")] = 1
_CLASS[ord("[")], _CLASS[ord("]")], _CLASS[ord(",")] = 2, 3, 4
_TO_SPACE = bytes.maketrans(b"[],", b"   ")


def fast_body(body: str, max_elements: int, max_depth: int) -> tuple[np.ndarray, bool] | None:
    """Values and comma mode of a well-formed bracketed body; None lets the exact parser find the problem."""
    if not body.isascii():
        return None
    data = body.encode()
    raw = np.frombuffer(data, np.uint8)
    cls = _CLASS[raw]
    if (cls == 5).any():
        return None
    digit = cls == 1
    begins = digit.copy()
    begins[1:] &= ~digit[:-1]
    n = int(np.count_nonzero(begins))
    if n == 0 or n > max_elements:
        return None
    keep = begins | (cls >= 2)
    skeleton = raw[keep]
    skeleton[digit[keep]] = ord("0")
    sk = skeleton.tobytes()
    comma = b"," in sk
    if comma:
        sk = sk.replace(b",]", b"]")  # trailing commas
    shape = canonical_shape(sk, b"," if comma else b"", max_depth)
    if shape is None:
        return None
    try:
        values = np.array(data.translate(_TO_SPACE).split(), dtype=np.float64)
    except ValueError:
        return None
    if not np.isfinite(values).all():
        return None
    return values.reshape(shape), comma


def canonical_shape(sk: bytes, sep: bytes, max_depth: int) -> tuple[int, ...] | None:
    """The shape whose canonical skeleton (items joined by `sep`) is `sk`, or None if there is none."""
    k = len(sk) - len(sk.lstrip(b"["))
    if k == 0 or k > max_depth:
        return None
    shape: list[int] = []
    inner, s = b"0", len(sep)
    for j in range(k, 0, -1):
        # The first list at level j (1 = outermost) ends at the first run of k - j + 1 ']': inside it, runs of
        # ']' are at most k - j long.
        close = sk.find(b"]" * (k - j + 1))
        if close < 0:
            return None
        content = close + (k - j) - j  # characters between its '[' (at j - 1) and its ']'
        d, rest = divmod(content + s, len(inner) + s)
        if rest or d == 0:
            return None
        shape.append(d)
        inner = b"[" + sep.join([inner] * d) + b"]"
    return tuple(reversed(shape)) if inner == sk else None
