"""A readable link's query string as a `ViewState`, for links a teacher types into slides:

    /explain?layer=group_norm&shape=2,6,4,4&num_groups=3&seed=1

Keys (anything else is an error naming the key):
- `layer`, and the layer's arguments by their PyTorch names: `num_groups=3`, `normalized_shape=4` or `3,4,4`,
  `gamma=2,5`, `momentum=none`, `affine=false`, `training=false` (or `mode=eval`).
- the tensor: `shape=2,6,4,4` draws a random tensor (`seed`, `distribution` = normal | uniform | integers);
  `input=[[1,2],[3,4]]` is pasted text. `seed` is the layer's own argument when it has one (Dropout's mask);
  `input_seed` always names the tensor's seed.
- `reshape`, `dtype` (float32 | float64), `backward=ones|random`, `step` (a step id), `group`, `lang` (en | zh).
- page switches the page reads itself (`autoplay`, `plotly`) are ignored here.

Values are converted by the argument's declared type; what does not convert is passed on as written, so the
schema rejects it with the same words (en and zh, naming the field) as POST /api/v1/trace:

    >>> s = query_state([("layer", "group_norm"), ("shape", "2,6,4,4"), ("num_groups", "3"), ("seed", "1")])
    >>> s.layer, s.input.random.shape, s.input.random.seed, s.params
    ('group_norm', [2, 6, 4, 4], 1, {'num_groups': 3})
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError

import normlens
from normlens.app.errors import clean_error
from normlens.app.state import ViewState

PAGE_KEYS = frozenset({"autoplay", "plotly"})  # read by the page, not part of a view
VIEW_KEYS = frozenset({"step", "group", "lang"})
INPUT_KEYS = frozenset({"shape", "seed", "input_seed", "distribution", "input"})
OTHER_KEYS = frozenset({"layer", "reshape", "dtype", "backward", "mode", "detail"})
DEFAULT_SHAPE = [2, 3, 4, 4]
_SEP = re.compile(r"[\s,×*]+")
_TIMES = re.compile(r"(?<=\d)\s*[xX]\s*(?=\d)")  # 2x6x4x4: an x between digits only
_TRUE, _FALSE = {"true", "1", "yes", "on", "train"}, {"false", "0", "no", "off", "eval"}


class QueryError(ValueError):
    """A query that names no valid view: `items` are the API's error items ({"loc", "msg", "msg_zh", ...})."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        super().__init__("; ".join(f"{field_of(i['loc'])}: {i['msg']}" for i in items))


def int_list(text: str) -> list[int]:
    """'2,6,4,4', '2x6x4x4', '[2, 6]' or '(2 6)' -> [2, 6, 4, 4]; ValueError when a part is not an integer."""
    parts = [p for p in _SEP.split(_TIMES.sub(",", text.strip().strip("[]()"))) if p]
    return [int(p) for p in parts]


def float_list(text: str) -> list[float]:
    parts = [p for p in re.split(r"[\s,]+", text.strip().strip("[]()")) if p]
    return [float(p) for p in parts]


def boolean(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE | _FALSE:
        return low in _TRUE
    raise ValueError(text)


def _null(text: str) -> bool:
    return text.strip().lower() in ("none", "null", "")


_CONVERT: dict[str, Callable[[str], Any]] = {
    "bool": boolean,
    "int": int,
    "float": float,
    "int_or_null": lambda s: None if _null(s) else int(s),
    "float_or_null": lambda s: None if _null(s) else float(s),
    "int_list": int_list,
    "float_array": float_list,
    "int_or_list": lambda s: int_list(s) if _SEP.search(_TIMES.sub(",", s.strip().strip("[]()"))) else int(s),
}


def convert(kind: str, text: str) -> Any:
    """`text` as an argument of type `kind`; the text itself when it does not convert (the schema says why)."""
    fn = _CONVERT.get(kind)
    try:
        return text if fn is None else fn(text)
    except (ValueError, OverflowError):
        return text


def starting_params(layer: str, shape: list[int] | None, given: dict[str, Any]) -> dict[str, Any]:
    """Arguments a layer needs to suit the input when the link leaves them out, as the page's layer switch picks
    them (static/js/form.js startingParams): GroupNorm's largest proper divisor of C up to C/2, LayerNorm over
    [C, H, W] for images. [2, 6, 4, 4] -> {"num_groups": 3}."""
    names = {p.name for p in normlens.LAYERS[layer].params}
    out: dict[str, Any] = {}
    if shape and "num_groups" in names and "num_groups" not in given and len(shape) >= 2:
        out["num_groups"] = next((g for g in range(shape[1] // 2, 1, -1) if shape[1] % g == 0), 1)
    if shape and "normalized_shape" in names and "normalized_shape" not in given and len(shape) >= 4:
        out["normalized_shape"] = shape[1:]
    return out


def _tensor(q: dict[str, str], layer_has_seed: bool) -> dict[str, Any] | None:
    """The `input` of the state, or None for the page's default tensor."""
    if "input" in q:
        return {"text": q["input"]}
    seed = q.get("input_seed", None if layer_has_seed else q.get("seed"))
    if "shape" not in q and seed is None and "distribution" not in q:
        return None
    shape: Any = convert("int_list", q["shape"]) if "shape" in q else DEFAULT_SHAPE
    random: dict[str, Any] = {"shape": shape}
    if seed is not None:
        random["seed"] = convert("int", seed)
    if "distribution" in q:
        random["distribution"] = q["distribution"]
    return {"random": random}


def _view(q: dict[str, str], lang: str) -> dict[str, Any]:
    view: dict[str, Any] = {"lang": q.get("lang", lang)}
    if "step" in q:
        view["step"] = q["step"]
    if "group" in q:
        view["group"] = convert("int", q["group"])
    return view


def _params(q: dict[str, str], layer: str) -> dict[str, Any]:
    kinds = {p.name: p.type for p in normlens.LAYERS[layer].params}
    taken = PAGE_KEYS | VIEW_KEYS | OTHER_KEYS | (INPUT_KEYS - ({"seed"} if "seed" in kinds else set()))
    params = {k: convert(kinds.get(k, "str"), v) for k, v in q.items() if k not in taken}
    if "mode" in q and "training" not in params:
        params["training"] = convert("bool", q["mode"])
    return params


def query_data(pairs: Iterable[tuple[str, str]], lang: str = "en") -> dict[str, Any] | None:
    """The ViewState JSON a query names, before validation; None when it names no view (only page keys)."""
    q = dict(pairs)  # a repeated key: the last one counts
    if not set(q) - PAGE_KEYS - {"lang"}:
        return None
    layer = q.get("layer", "batch_norm")
    if layer not in normlens.LAYERS:
        return {"layer": layer, "input": {"random": {"shape": DEFAULT_SHAPE}}, "view": _view(q, lang)}
    data: dict[str, Any] = {"layer": layer, "view": _view(q, lang)}
    tensor = _tensor(q, any(p.name == "seed" for p in normlens.LAYERS[layer].params))
    if tensor is not None:
        data["input"] = tensor
    params = _params(q, layer)
    shape = tensor["random"]["shape"] if tensor and "random" in tensor else None
    data["params"] = starting_params(layer, shape if isinstance(shape, list) else None, params) | params
    for key, field in (("reshape", "shape"), ("dtype", "dtype"), ("detail", "detail")):
        if key in q:
            data[field] = convert("int_list", q[key]) if key == "reshape" else q[key]
    if "backward" in q:
        data["grad_output"] = {"random": {"seed": 0}} if q["backward"] == "random" else {"fill": 1}
    return data


def query_state(pairs: Iterable[tuple[str, str]], lang: str = "en", default_input: Any = None) -> ViewState | None:
    """The ViewState a query names (None: it names none), or QueryError with the schema's error items.
    `default_input`: the tensor when the query gives none (the page's opening tensor)."""
    data = query_data(pairs, lang)
    if data is None:
        return None
    if "input" not in data:
        data["input"] = default_input if default_input is not None else {"random": {"shape": DEFAULT_SHAPE}}
    try:
        return ViewState.model_validate(data)
    except ValidationError as e:
        raise QueryError([clean_error(err) for err in e.errors()]) from None


def field_of(loc: list[Any]) -> str:
    """The query key an error's loc points at: ['params', 'num_groups'] -> 'num_groups',
    ['input', 'random', 'shape', 0] -> 'shape', ['shape'] -> 'reshape', ['body', 'input'] -> 'input'."""
    parts = [p for p in loc if isinstance(p, str) and p != "body"]
    if not parts:
        return "query"
    if parts[0] in ("params", "view") and len(parts) > 1:
        return parts[1]
    if parts[0] == "input" and len(parts) > 2 and parts[1] == "random":
        return "input_seed" if parts[2] == "seed" else parts[2]
    return {"shape": "reshape", "grad_output": "backward"}.get(parts[0], parts[0])
