"""Dropout (nn.Dropout, nn.Dropout1d/2d/3d, nn.AlphaDropout) with a reproducible mask, in x's shape.

The mask comes from numpy.random.default_rng(seed), not torch's generator, so the snippet embeds it; given the
mask the output equals PyTorch's bit for bit. The channel variant draws (N, C) values, broadcast.

    >>> dropout(np.arange(1.0, 7.0).reshape(2, 3), p=0.5, seed=0).output  # (N, D) = (2, 3)
    array([[0., 4., 6.],
           [8., 0., 0.]])
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, cast

import numpy as np

from normlens import args as A
from normlens.batch_norm import CF_NAMES
from normlens.grouped import freeze
from normlens.layer_norm import LN_NAMES
from normlens.prepared import prepared
from normlens.snippet import MAX_EMBED, tensor_code
from normlens.trace import Grouping, Notice, Step, Trace

ALPHA = 1.7580993408473766  # lambda * alpha of SELU; a' = -ALPHA is SELU's value for x -> -inf
VARIANTS = ("element", "channel", "alpha")
Args = dict[str, Any]
CHANNEL_CLASSES = {3: "nn.Dropout1d", 4: "nn.Dropout2d", 5: "nn.Dropout3d"}


@A.quiet
def dropout(x: Any, grad_output: Any = None, **params: Any) -> Trace:
    """Trace dropout on x (float32 or float64; the computation runs in x's dtype)."""
    x = A.input_array(x)
    s = prepared(_dropout, x, params)
    args, (p, training, seed, variant) = dict(s.args), s.args.values()
    dy = None if grad_output is None else A.grad_output_array(grad_output, x)
    alpha = variant == "alpha"
    x_in = x.view()  # the input step's own read-only view: the caller's array stays writable
    x_in.flags.writeable = False
    keep, scalars = draw_keep(x.shape, p, seed, variant) if training else None, _scalars(p, alpha)
    steps = [Step("input", x_in, variant="" if training else "eval", scalars={"n": x.size})]
    if keep is None:  # evaluation: the identity, the input itself
        y, notices = x_in, []
        steps.append(Step("output", y, variant="identity" if p < 1 else "identity_p_one", scalars=scalars))
    else:
        y, notices = A.finite_result("output", apply_mask(x, keep, p, alpha)), _notices(x, p, alpha)
        steps += _train_steps(x, keep, y, args, scalars)
    grads: dict[str, np.ndarray | None] | None = None
    if dy is not None:
        dx = dy if keep is None else A.finite_result("dinput", apply_mask_grad(dy, keep, p, alpha))
        how = "identity" if keep is None else "all_dropped" if p == 1 else "alpha" if alpha else ""
        steps += [Step("grad_output", dy, phase="backward"), Step("dinput", dx, "tensor", "backward", how, {**scalars})]
        grads = {"input": dx}
    freeze(*(step.values for step in steps if step.values is not x_in))
    common: dict[str, Any] = {"layer": "dropout", "dtype": x.dtype.type.__name__, "shape": x.shape, "axes": s.names}
    common |= {"grouping": s.grouping, "stats": None, "params": args, "param_counts": {"learnable": 0, "buffers": 0}}
    common |= {"steps": steps, "output": y, "notation": dict(s.notation), "grads": grads, "notices": notices}
    return Trace(**common, torch_class=s.cls, torch_code=_code(x, keep, args, dy, s.cls))


class Setup(NamedTuple):
    """What dropout computes with, from its arguments alone (prepared.py): nothing in it is ever written."""

    args: Args  # p, training, seed and variant, in this order (copied into each trace)
    cls: str
    names: tuple[str, ...]
    grouping: Grouping | None
    notation: dict[str, str]


def _dropout(shape: tuple[int, ...], dtype: np.dtype[Any], params: dict[str, Any]) -> Setup:
    a, ndim = A.resolve(SPEC, params), len(shape)
    p, training = _p_arg(a["p"]), A.flag("training", a["training"])
    seed = A.integer("seed", a["seed"], 0, 2**32 - 1)
    variant = A.choice("variant", a["variant"], VARIANTS)
    if variant == "channel" and ndim not in CHANNEL_CLASSES:
        raise A.ArgumentError("variant", "channel_variant_rank", ndim=ndim, shape=list(shape))
    A.rank("dropout", shape, SPEC.input_ranks)
    channel = variant == "channel"
    names = CF_NAMES[ndim] if channel else LN_NAMES[ndim]
    cls = CHANNEL_CLASSES[ndim] if channel else "nn.AlphaDropout" if variant == "alpha" else "nn.Dropout"
    grouping = Grouping(shape, shape[:2], ((0, 1), (1, 1)) + (None,) * (ndim - 2)) if channel else None
    notation = {"names": ", ".join(names), "dims": " \\times ".join(names), "idx": ",".join(names).lower()}
    args = {"p": p, "training": training, "seed": seed, "variant": variant}
    return Setup(args, cls, names, grouping, notation)


def draw_keep(shape: tuple[int, ...], p: float, seed: int, variant: str) -> np.ndarray:
    """The boolean keep mask, full shape; for the channel variant one draw per (n, c), broadcast."""
    draws = shape[:2] if variant == "channel" else shape
    keep = np.random.default_rng(seed).random(draws) < 1 - p  # P(keep) = 1 - p; p=0 keeps all, p=1 none
    return np.broadcast_to(keep.reshape(draws + (1,) * (len(shape) - len(draws))), shape)


def alpha_coefficients(p: float) -> tuple[float, float]:
    """AlphaDropout's a and b, in PyTorch's operation order (so the float32 rounding matches too)."""
    a = 1.0 / math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p))
    return a, ALPHA * a * p  # b = -a * a' * p


def apply_mask(x: np.ndarray, keep: np.ndarray, p: float, alpha: bool = False) -> np.ndarray:
    """The training output, bit-identical to PyTorch's kernel given the mask: x for p = 0, x * 0 for p = 1, else
    x * mask * 1/(1-p), the scale rounded once in x's dtype."""
    dt = x.dtype.type
    if p in (0, 1):
        return x.copy() if p == 0 else x * dt(0)
    if not alpha:
        return cast(np.ndarray, x * keep.astype(x.dtype) * (dt(1) / dt(1 - p)))  # numpy's stubs: Any
    a, b = alpha_coefficients(p)
    # a * (x*keep + a'*(1-keep)) + b: the dropped value a*a' is rounded once from double, as PyTorch does.
    return cast(np.ndarray, np.where(keep, dt(a) * x, dt(-(ALPHA * a))) + dt(b))


def apply_mask_grad(dy: np.ndarray, keep: np.ndarray, p: float, alpha: bool = False) -> np.ndarray:
    """d output / d x applied to dy: the same mask and scale (a for alpha), nothing through dropped values."""
    dt = dy.dtype.type
    if p in (0, 1):
        return dy.copy() if p == 0 else dy * dt(0)
    scale = dt(alpha_coefficients(p)[0]) if alpha else dt(1) / dt(1 - p)
    return cast(np.ndarray, dy * (keep.astype(dy.dtype) * scale))


def _p_arg(value: Any) -> float:
    """0 <= p <= 1. PyTorch refuses the same p with its own words, except NaN, which it lets through."""
    if isinstance(value, bool) or not isinstance(value, A.NUMBERS):
        raise A.ArgumentError("p", "not_number", got=repr(value))
    p = float(value) + 0.0  # -0.0 is 0.0: one key in prepared.py's memo
    if not 0 <= p <= 1:
        torch = None if math.isnan(p) else f"dropout probability has to be between 0 and 1, but got {value}"
        raise A.ArgumentError("p", "out_of_range", torch, got=p, low=0, high=1)
    return p


def _scalars(p: float, alpha: bool) -> dict[str, Any]:
    """The numbers of the output and dinput formulas: 1/(1-p), or AlphaDropout's a and b (none at p = 1)."""
    out: dict[str, Any] = {"p": p, "keep": 1 - p} | ({"scale": 1 / (1 - p)} if p < 1 else {})
    if alpha and p < 1:
        a, b = alpha_coefficients(p)
        out |= {"a": a, "b": b, "a_prime": -ALPHA}
    return out


def _train_steps(x: np.ndarray, keep: np.ndarray, y: np.ndarray, args: Args, scalars: Args) -> list[Step]:
    """mask, then dropped (x * mask) or saturated (dropped values set to a'), then the output."""
    mask, p, channel, alpha = keep.astype(x.dtype), args["p"], args["variant"] == "channel", args["variant"] == "alpha"
    draws = keep[(slice(None), slice(None)) + (0,) * (x.ndim - 2)] if channel else keep  # the independent draws
    kept, total = int(draws.sum()), draws.size
    counts = {"kept": kept, "total": total, "percent": 100 * kept / total, "expected": 100 * (1 - p)}
    counts |= {"seed": args["seed"], "p": p, "keep": 1 - p}
    counts |= {"maps": total, "size": x.size // total} if channel else {}
    steps = [Step("mask", mask, variant="channel" if channel else "", scalars=counts)]
    if alpha:
        steps.append(Step("saturated", np.where(keep, x, x.dtype.type(-ALPHA)), scalars={"a_prime": -ALPHA}))
    else:
        steps.append(Step("dropped", x * mask))
    # nothing kept: PyTorch returns x * 0 without 1/(1-p) (or a, b), which would be infinite
    how = ("alpha_all_dropped" if alpha else "all_dropped") if p == 1 else "alpha" if alpha else ""
    return [*steps, Step("output", y, variant=how, scalars=scalars)]


def _notices(x: np.ndarray, p: float, alpha: bool) -> list[Notice]:
    notices = [Notice("all_dropped", {"p": p})] if p == 1 else []
    mean, std = (float(x.mean()), float(x.std())) if alpha else (0.0, 1.0)
    if x.size > 1 and (abs(mean) > 0.25 or abs(std - 1) > 0.25):
        notices.append(Notice("alpha_input_not_standardized", {"mean": mean, "std": std}))
    return notices


def _code(x: np.ndarray, keep: np.ndarray | None, args: Args, dy: np.ndarray | None, cls: str) -> str:
    """The program: the module itself when nothing is random, else the embedded mask applied as the module would."""
    p, variant = args["p"], args["variant"]
    if keep is not None and variant == "channel":  # embed the (N, C, 1, ...) draws, not their broadcast copies
        keep = keep[(slice(None), slice(None)) + (slice(0, 1),) * (x.ndim - 2)]
    mask = None if keep is None or not 0 < p < 1 else keep.astype(x.dtype)
    big = max(x.size, 0 if mask is None else mask.size) > MAX_EMBED
    lines = ["import math", ""] if variant == "alpha" and mask is not None else []
    lines += ["import numpy as np", "import torch"] if big else ["import torch"]
    lines += ["", tensor_code("x", x, requires_grad=dy is not None), f"p = {p!r}", f"layer = torch.{cls}(p)"]
    if not args["training"]:
        lines += ["layer.eval()  # evaluation mode: dropout is the identity", "y = layer(x)"]
    elif mask is None:
        what = "returns x itself" if p == 0 else "returns x * 0 (no 1/(1-p): it would divide by zero)"
        lines.append(f"y = layer(x)  # training with p = {p:g}: no randomness, PyTorch {what}")
    else:
        per_map = "  # one value per (n, c), broadcast over the spatial axes" if variant == "channel" else ""
        lines += [
            "# y = layer(x) would draw its own mask with torch's generator, which NumPy cannot reproduce.",
            f"# This is the mask NormLens drew with numpy.random.default_rng({args['seed']}) (1 = kept), applied",
            f"# exactly the way {cls} applies its own:",
            tensor_code("mask", mask) + per_map,
        ]
        inverted = ["y = x * (mask / (1 - p))  # inverted dropout: kept values times 1/(1-p)"]
        lines += ALPHA_CODE if variant == "alpha" else inverted
    if dy is not None:
        lines += [tensor_code("grad_output", dy), "y.backward(grad_output)  # fills x.grad"]
    return "\n".join([*lines, "print(y)"]) + "\n"


SEED = A.Param("seed", "int", 0, minimum=0, maximum=2**32 - 1)
VARIANT = A.Param("variant", "enum", "element", choices=VARIANTS)
ALPHA_CODE = [
    f"alpha = {ALPHA!r}  # a' = -alpha is SELU's value for very negative inputs",
    "a = 1 / math.sqrt((alpha * alpha * p + 1) * (1 - p))",
    "b = alpha * a * p  # = -a * a' * p",
    "# a * (x * mask + a' * (1 - mask)) + b, in AlphaDropout's order of operations:",
    "y = x * (mask * a) + ((mask - 1) * (alpha * a) + b)",
]

SPEC = A.LayerSpec(
    name="dropout",
    torch_classes=("nn.Dropout", "nn.Dropout1d", "nn.Dropout2d", "nn.Dropout3d", "nn.AlphaDropout"),
    input_ranks=(1, 2, 3, 4, 5),
    params=(A.Param("p", "float", 0.5, minimum=0, maximum=1), A.TRAINING, SEED, VARIANT),
    run=dropout,
    example={
        "input": {"values": list(range(1, 13))},
        "shape": [2, -1],
        "params": {"p": 0.5, "training": True, "seed": 0},
    },
)
SPECS = (SPEC,)
