"""JSON responses serialized by orjson, which writes NumPy arrays natively (40x faster than jsonable_encoder).

>>> json_response({"x": np.arange(3.0)}).body
b'{"x":[0.0,1.0,2.0]}'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from fastapi.responses import JSONResponse

from normlens.app.fields import escaped

OPTIONS = orjson.OPT_SERIALIZE_NUMPY


class JSONBytes(JSONResponse):
    """A JSON response whose body is bytes made by `dumps` (anything else is serialized by orjson).

    A JSONResponse subclass so that OpenAPI documents the route's JSON schema instead of a plain string.
    """

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else dumps(content)


def _default(obj: Any) -> Any:
    # orjson hands over what it cannot write itself: non-contiguous arrays (transposed views), NumPy scalars,
    # and objects of the core (Text, Warning_) that know their dict form.
    if isinstance(obj, np.ndarray):
        return obj.tolist() if obj.flags.c_contiguous else np.ascontiguousarray(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    raise TypeError(f"cannot serialize {type(obj).__name__}")


def dumps(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj, default=_default, option=OPTIONS)
    except orjson.JSONEncodeError:
        # What a request can smuggle into an answer (an error item's loc, input or message): a lone surrogate,
        # which the standard library's JSON parser accepts as "\\ud800", or an integer beyond 64 bits.
        return orjson.dumps(writable(obj), default=_default, option=OPTIONS)


def writable(obj: Any) -> Any:
    """`obj` with every string that UTF-8 cannot encode escaped and every integer beyond 64 bits as text.

    >>> writable({"\\ud800": [2**70, "a\\udcff"]})
    {'\\\\ud800': ['1180591620717411303424', 'a\\\\udcff']}
    """
    if isinstance(obj, str):
        return escaped(obj)
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        return obj if -(2**63) <= obj < 2**64 else str(obj)
    if isinstance(obj, dict):
        return {writable(k): writable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [writable(v) for v in obj]
    return obj


def json_response(obj: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> JSONBytes:
    return JSONBytes(dumps(obj), status_code=status_code, headers=headers)
