"""Reprs around the values: `tensor(` / `np.array(` / JAX's `Array(` / `tf.Tensor(` ... before them,
`, dtype=..., requires_grad=True)` after.

>>> open_call("np.array([1, 2], dtype=float32)", 0)
('numpy', 'np.array', 9)
>>> keywords("np.array([1, 2], dtype=float32)", 15, (2,), "np.array")
('float32', [], 31)
"""

from __future__ import annotations

import re

from normlens.paste.errors import _Problem, scalar
from normlens.paste.parsed import Note, note
from normlens.paste.tokens import TOKEN, number, skip

PARAMETER = re.compile(r"Parameter containing:\s*")
_WRAPPER = re.compile(r"(?:(torch|np|numpy|tf|jnp|jax\.numpy)\.)?([A-Za-z_]\w*)\s*\(")
_TORCH_NAMES = {"tensor", "Tensor", "as_tensor"}
_NUMPY_NAMES = {"array", "asarray"}
_JAX_NAMES = {"Array", "DeviceArray"}  # repr(jax_array): Array([1., 2.], dtype=float32); DeviceArray before 0.4
_TF_NAMES = {"Tensor", "constant", "convert_to_tensor"}  # print(tf_tensor): tf.Tensor([1. 2.], shape=(2,), ...)
_KWARG = re.compile(r"""([A-Za-z_]\w*)\s*=\s*('[^'\n]*'|"[^"\n]*"|<[^<>\n]*>|\([^()\n]*\)|[\w.+\-]+)""")
_IGNORED = ("device", "requires_grad", "grad_fn", "layout", "weak_type")
_KNOWN = ", ".join(("dtype", *_IGNORED, "shape", "size"))
_TORCH_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32"}


def open_call(text: str, pos: int) -> tuple[str, str, int] | None:
    """A call such as `torch.tensor(` at `pos`: (format, the call's name as written, offset of the '[' after
    it); None if there is no call. Raises if it is not a tensor's call or no list follows."""
    wrapper = _WRAPPER.match(text, pos)
    if not wrapper:
        return None
    fmt = _format(wrapper.group(1), wrapper.group(2))
    if fmt is None:
        raise _Problem("unknown_wrapper", pos, word=repr(text[pos : wrapper.end()]))
    label = text[pos : wrapper.end() - 1].rstrip()
    start = skip(text, wrapper.end())
    if not text.startswith("[", start):
        word = TOKEN.match(text, start)
        if word and word.lastindex in (1, 4):
            try:
                number(word.group(word.lastindex), start)
            except _Problem as p:
                if p.code != "not_number":  # nan, True, 1+2j: say so
                    raise
            else:
                raise scalar(start)
        raise _Problem("expected_bracket", start, call=label)
    return fmt, label, start


def _format(module: str | None, name: str) -> str | None:
    """The format a call names: `tf.Tensor(` is TensorFlow's, `tensor(` PyTorch's, `jnp.array(` JAX's."""
    if module == "tf":
        return "tensorflow" if name in _TF_NAMES else None
    if module in ("jnp", "jax.numpy"):
        return "jax" if name in _NUMPY_NAMES else None
    if name in _TORCH_NAMES:
        return "torch"
    return "numpy" if name in _NUMPY_NAMES else "jax" if name in _JAX_NAMES and module is None else None


def dtype_name(value: str) -> str:
    """`torch.float` -> "float32", `np.float16` -> "float16", `'float64'` -> "float64"."""
    name = value.strip("'\"")
    for prefix in ("torch.", "np.", "numpy.", "tf.", "jnp."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            return _TORCH_ALIASES.get(name, name) if prefix == "torch." else name
    return name


def keywords(text: str, pos: int, shape: tuple[int, ...], call: str) -> tuple[str | None, list[Note], int]:
    """The `, name=value ...)` after a repr's values: returns the dtype, notes, and the offset after ')'."""
    dtype: str | None = None
    notes: list[Note] = []
    seen: set[str] = set()
    while True:
        pos = skip(text, pos)
        if pos >= len(text):
            raise _Problem("unclosed_call", pos, call=call)
        if text[pos] == ")":
            return dtype, notes, pos + 1
        if text[pos] != ",":
            raise _Problem("unexpected_after_values", pos, word=repr(text[pos]))
        pos = skip(text, pos + 1)
        if text.startswith(")", pos):
            return dtype, notes, pos + 1
        m = _KWARG.match(text, pos)
        if m is None:
            raise _Problem("expected_keyword", pos, call=call)
        name, value = m.group(1), m.group(2)
        if name in seen:
            raise _Problem("repeated_keyword", pos, name=name)
        seen.add(name)
        if name == "dtype":
            dtype = dtype_name(value)
        elif name in _IGNORED:
            notes.append(note("ignored", name=name, value=value))
        elif name not in ("shape", "size"):
            raise _Problem("unknown_argument", pos, name=name, call=call, known=_KNOWN)
        elif tuple(int(v) for v in re.findall(r"\d+", value)) != shape:
            raise _Problem("shape", m.start(2), name=name, value=value, shape=str(shape))
        pos = m.end()
