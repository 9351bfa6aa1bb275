"""TensorFlow's reprs in angle brackets, whose values are a NumPy repr after `numpy=`:

    <tf.Tensor: shape=(2, 3), dtype=float32, numpy=
    array([[1., 2., 3.],
           [4., 5., 6.]], dtype=float32)>
    <tf.Variable 'dense/kernel:0' shape=(2,) dtype=float32, numpy=array([0.5, -1. ], dtype=float32)>

    >>> a = open_angle("<tf.Variable 'v:0' shape=(2,) dtype=float32, numpy=array([1., 2.], dtype=float32)>", 0)
    >>> a.shape, a.dtype, a.values_at
    ((2,), 'float32', 51)

The dtype is the outer one (NumPy's repr leaves float64 unsaid); the shape is checked against the values. A
graph tensor or a Keras variable printed without its values (`<tf.Tensor 'add:0' shape=(2,) dtype=float32>`)
is refused, saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from normlens.paste.errors import _Problem
from normlens.paste.tokens import show, skip

_OPEN = re.compile(r"<(?:tf\.Tensor|tf\.Variable|KerasVariable|Variable)\b")
_HEAD = re.compile(r"<tf\.(?:Tensor:|Variable\s+'[^'\n]{0,200}')([^<>\n]{0,200}?)\bnumpy=\s*")
_SHAPE = re.compile(r"shape=\(([0-9,\s]*)\)")
_DTYPE = re.compile(r"dtype=([\w.]+)")


@dataclass(frozen=True)
class Angle:
    """What the `<tf... numpy=` head says: the shape and dtype, and where the values begin."""

    shape: tuple[int, ...] | None
    dtype: str | None
    values_at: int


def open_angle(text: str, pos: int) -> Angle | None:
    """The head of a TensorFlow repr at `pos`, or None if there is none there."""
    if not _OPEN.match(text, pos):
        return None
    head = _HEAD.match(text, pos)
    if head is None:
        end = text.find(">", pos)
        raise _Problem("no_values", pos, word=show(text[pos : end + 1 if end >= 0 else len(text)]))
    shape = _SHAPE.search(head.group(1))
    dtype = _DTYPE.search(head.group(1))
    dims = None if shape is None else tuple(int(d) for d in re.findall(r"\d+", shape.group(1)))
    return Angle(dims, dtype.group(1) if dtype else None, head.end())


def close_angle(text: str, end: int, angle: Angle, shape: tuple[int, ...]) -> int:
    """The offset after the '>' that closes the repr whose values (of `shape`) end at `end`."""
    if angle.shape is not None and angle.shape != shape:
        raise _Problem("shape", angle.values_at, name="shape", value=str(angle.shape), shape=str(shape))
    end = skip(text, end)
    if not text.startswith(">", end):
        raise _Problem("unclosed_angle", end)
    return end + 1
