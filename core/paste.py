"""Reading a tensor from text a user pasted: nested lists, NumPy and PyTorch reprs, or rows of numbers.

    >>> p = parse("tensor([[1., 2.],\\n        [3., 4.]], requires_grad=True)")
    >>> p.format, p.shape, p.notes
    ('torch', (2, 2), ['ignored requires_grad=True'])

Accepted:
- nested lists, JSON or Python style (format "json"): `[[1, 2], [3, 4]]`, trailing commas, `+1`, `.5`, `5.`,
  `-2.5E+4`, NumPy 2 scalar reprs such as `np.float64(1.5)` as items; NumPy's print form without commas,
  `[[1. 2.]\\n [3. 4.]]` (format "numpy"). In one paste, items are separated by commas or by spaces, not both.
- `array(...)`, `np.array(...)` (format "numpy"); `tensor(...)`, `torch.tensor(...)`, also after
  `Parameter containing:` (format "torch"). Keyword arguments: dtype (kept in `Parsed.dtype` without its
  `torch.`/`np.` prefix), device, requires_grad, grad_fn and layout (ignored and listed in `notes`), shape and
  size (checked against the values). Any other keyword is an error.
- rows of numbers (format "rows"): cells separated by tabs, semicolons, commas or spaces; the first of these
  found in the text, in that order, is the separator. Several rows give a 2-D (rows, columns) tensor, one row
  a 1-D one, one column stays 2-D (rows, 1). Blocks of rows separated by blank lines give a 3-D
  (blocks, rows, columns) tensor (format "blocks").
- ASCII text plus a leading BOM, \\r\\n or \\r line ends, any Unicode white space, the full-width punctuation
  ，；［］（） and the minus sign U+2212, read as their ASCII forms.

Anything else raises PasteError with the 1-based line and column of the first problem, in English and Chinese.
The text is never evaluated. Parsing is linear: a fast path of whole-text NumPy and bytes operations reads
well-formed input; the exact token-by-token parser runs only when the fast path declines, and it keeps its own
stack, so 10,000 '[' are one error, never a RecursionError. The value limit is checked before lists are built.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

MAX_ELEMENTS = 4_194_304
MAX_DEPTH = 8

# Words a repr may add after its values (dtype=..., device='cuda:0', ...): the size guard allows this many
# beyond max_elements before it rejects without parsing; the parsers then count numbers exactly.
_SLACK = 32
# Characters per step of the size guard: it stops soon after the limit without scanning the rest.
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Parsed:
    """A pasted tensor: `values` (float64, of shape `shape`), the format it was read as, what was left out."""

    format: str  # "json" | "numpy" | "torch" | "rows" | "blocks"
    values: np.ndarray
    shape: tuple[int, ...]
    dtype: str | None  # named in the text ("float32", "float64", ...), else None
    notes: list[str] = field(default_factory=list)
    notes_zh: list[str] = field(default_factory=list)


class PasteError(ValueError):
    """Text that is not a tensor: `message` (English), `zh` (Chinese), 1-based `line` and `column`, and a
    stable `code` ("ragged", "not_number", "nonfinite", "too_many", ...) for callers that branch on it."""

    def __init__(self, message: str, line: int, column: int, *, zh: str = "", code: str = "invalid") -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.zh = zh or message
        self.code = code
        self.line = line
        self.column = column

    def to_dict(self, lang: str = "en") -> dict[str, object]:
        return {
            "message": self.zh if lang == "zh" else self.message,
            "line": self.line,
            "column": self.column,
        }


class _Problem(Exception):
    """Raised inside the parsers with a character offset; parse() makes it a PasteError with line/column."""

    def __init__(self, at: int, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.at, self.code, self.en, self.zh = at, code, en, zh


# ---------------------------------------------------------------------------------------------------- words

# [0-9], not \d, which also matches other scripts' digits. Atomic: a number has one way to match, so there is
# nothing to backtrack into, and a run of a million digits followed by 'x' fails in one pass.
_NUM = r"(?>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
_NUMBER = re.compile(rf"[+-]?{_NUM}")
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_COMPLEX = re.compile(rf"[+-]?(?:{_NUM})?(?:[+-](?:{_NUM})?)?[jJ]")
_BOOLEANS = {"true", "false", "np.true_", "np.false_", "numpy.true_", "numpy.false_"}
_SCALAR_TYPE = re.compile(r"(?:np|numpy)\.(?:float|int|uint)(?:8|16|32|64)")  # np.float64(1.5): NumPy 2 reprs
_SCALAR_ARG = re.compile(r"\s*\(\s*([^\s()]+)\s*\)")
_ELIDED = (
    "the text contains '...' (NumPy/PyTorch elided values when printing); print the full array with "
    "np.set_printoptions(threshold=sys.maxsize) / torch.set_printoptions(profile='full')"
)
_ELIDED_ZH = (
    "文本里有 '...'（NumPy/PyTorch 打印时省略了部分数值）；请先用 "
    "np.set_printoptions(threshold=sys.maxsize) / torch.set_printoptions(profile='full') 打印完整的数组"
)


def _show(word: str) -> str:
    return repr(word if len(word) <= 40 else word[:39] + "…")


def _number(word: str, at: int, hint: str = "", hint_zh: str = "") -> float:
    """The float that `word` spells, or a _Problem saying what it is instead."""
    if _NUMBER.fullmatch(word):
        x = float(word)
        if abs(x) == float("inf"):
            raise _Problem(
                at,
                "overflow",
                f"{_show(word)} is too large for float64 (the largest is about 1.8e308)",
                f"{_show(word)} 超出了 float64 的范围（最大约 1.8e308）",
            )
        return x
    w = word.strip("()")  # Python prints complex numbers in parentheses: (1+2j)
    if "..." in word or "…" in word:
        raise _Problem(at, "elided", _ELIDED, _ELIDED_ZH)
    if _NONFINITE.fullmatch(w):
        raise _Problem(
            at,
            "nonfinite",
            f"NaN and infinity can't be normalized: replace them with numbers (found {_show(word)})",
            f"NaN 和无穷大无法归一化：请换成普通数字（这里是 {_show(word)}）",
        )
    if w.lower() in _BOOLEANS:
        raise _Problem(
            at,
            "boolean",
            f"booleans are not numbers here (found {_show(word)}): write 1 and 0",
            f"这里布尔值不算数字（这里是 {_show(word)}）：请写成 1 和 0",
        )
    if _COMPLEX.fullmatch(w):
        raise _Problem(
            at,
            "complex",
            f"complex numbers are not supported (found {_show(word)})",
            f"不支持复数（这里是 {_show(word)}）",
        )
    if word and word[0] in "'\"":
        raise _Problem(
            at,
            "string",
            f"strings are not numbers (found {_show(word)}): remove the quotes",
            f"字符串不是数字（这里是 {_show(word)}）：请去掉引号",
        )
    raise _Problem(at, "not_number", f"{_show(word)} is not a number{hint}", f"{_show(word)} 不是数字{hint_zh}")


def _too_many(at: int, limit: int) -> _Problem:
    return _Problem(
        at,
        "too_many",
        f"the tensor has more than {limit:,} values, the limit; this is value {limit + 1:,}",
        f"张量的数值超过了上限 {limit:,} 个；这里是第 {limit + 1:,} 个",
    )


def _too_deep(at: int, limit: int) -> _Problem:
    return _Problem(
        at,
        "too_deep",
        f"the lists are nested more than {limit} deep (a tensor here has at most {limit} axes)",
        f"列表嵌套超过 {limit} 层（这里的张量最多 {limit} 个维度）",
    )


def _empty(at: int, where: str = "") -> _Problem:
    if where:
        return _Problem(
            at,
            "empty",
            f"the tensor is empty: the list at {where} has no values",
            f"张量是空的：位置 {where} 的列表没有数值",
        )
    return _Problem(at, "empty", "the tensor is empty: there are no numbers", "张量是空的：没有任何数字")


def _scalar(at: int) -> _Problem:
    return _Problem(
        at,
        "scalar",
        "a single number is a scalar; wrap it in brackets [..] (a tensor needs at least one axis)",
        "单个数字是标量；请用方括号括起来 [..]（张量至少要有一个维度）",
    )


# --------------------------------------------------------------------------------------------- size guard

_SEPARATOR = np.zeros(256, dtype=bool)
_SEPARATOR[list(b" \t\n\r\x0b\x0c[](),;")] = True


def _guard_size(text: str, start: int, limit: int) -> None:
    """Reject, before any list is built, text with far more value-like words than `limit`.

    Counts runs of non-separator characters from `start`, a chunk at a time, and stops as soon as the count
    passes limit + _SLACK, pointing at word limit + 1. Every number is such a run, so fewer runs means few
    enough numbers to parse; the parsers then count exactly. Memory stays at one chunk, whatever the size.
    """
    budget = limit + _SLACK
    count, first_over, after_separator = 0, -1, True
    for pos in range(start, len(text), _CHUNK):
        piece = text[pos : pos + _CHUNK]
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
            raise _too_many(first_over, limit)
        count += n
        after_separator = not word[-1]


# ------------------------------------------------------------------------------------ bracketed: fast path

_CLASS = np.full(256, 5, dtype=np.uint8)  # 0 space, 1 number character, 2 '[', 3 ']', 4 ',', 5 anything else
_CLASS[list(b" \t\n\r\x0b\x0c")] = 0
_CLASS[list(b"0123456789.eE+-")] = 1
_CLASS[ord("[")], _CLASS[ord("]")], _CLASS[ord(",")] = 2, 3, 4
_TO_SPACE = bytes.maketrans(b"[],", b"   ")


def _fast_body(body: str, max_elements: int, max_depth: int) -> tuple[np.ndarray, bool] | None:
    """Values and comma mode of a well-formed bracketed body; None lets the exact parser find the problem.

    The body's skeleton (brackets, commas, one '0' per number) must equal the canonical skeleton of the shape
    read off its first path, e.g. `[[0,0,0],[0,0,0]]` for (2, 3); the numbers then convert in one NumPy call.
    """
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
    shape = _canonical_shape(sk, b"," if comma else b"", max_depth)
    if shape is None:
        return None
    try:
        values = np.array(data.translate(_TO_SPACE).split(), dtype=np.float64)
    except ValueError:
        return None
    if not np.isfinite(values).all():
        return None
    return values.reshape(shape), comma


def _canonical_shape(sk: bytes, sep: bytes, max_depth: int) -> tuple[int, ...] | None:
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


# ------------------------------------------------------------------------------------ bracketed: exact path

# One token per match, with the white space before it: 1 number, 2 bracket or comma, 3 string, 4 other word
# (nan, True, np.float64, 1abc, ...), 5 any other character. None at the end of the text.
_TOKEN = re.compile(
    rf"""\s*+(?:
        ([+-]?{_NUM})(?![^\s\[\](),;=<>'"])
      | ([\[\],])
      | ('[^'\n]*'?|"[^"\n]*"?)
      | ([^\s\[\](),;=<>'"]+)
      | (\S)
    )""",
    re.VERBOSE,
)
_INF = float("inf")


def _path(indices: list[int]) -> str:
    return "[" + ", ".join(str(i) for i in indices) + "]"


def _exact_body(
    text: str, start: int, max_elements: int, max_depth: int
) -> tuple[list[float], tuple[int, ...], bool, int]:
    """Parse the list that opens at `start`, token by token with an explicit stack.

    Returns the flat values, the shape, whether items were separated by commas, and the offset after the
    closing ']'. Raises _Problem at the first problem in text order.
    """
    counts: list[int] = []  # items so far in each open list, outermost first
    opened: list[int] = []  # offset of each open '['
    extra: list[int] = []  # offset of the first item beyond the expected length, per open list
    shape = [0] * max_depth  # length of every list at depth d, fixed by the first list at d to close
    leaf = -1  # depth of the numbers (how many lists enclose them), fixed by the first number
    values: list[float] = []
    prev = "open"  # what came last: "open" '[', "value" (a number or a closed list), "comma"
    mode = ""  # "," or " " once two items have been separated
    pos = start
    while m := _TOKEN.match(text, pos):
        kind = m.lastindex or 0  # always set: every alternative is a group
        tok, at, pos = m.group(kind), m.start(kind), m.end()
        if tok == "]":
            if prev == "open":
                path = [c - 1 for c in counts[:-1]]
                raise _empty(opened[-1], _path(path) if path else "")
            c, first_extra = counts.pop(), extra.pop()
            opened.pop()
            d = len(counts)
            if shape[d] == 0:
                shape[d] = c
            elif c != shape[d]:
                here, first = _path([i - 1 for i in counts]), _path([0] * d)
                raise _Problem(
                    first_extra if c > shape[d] else at,
                    "ragged",
                    f"list at {here} has length {c} but {first} has length {shape[d]}: "
                    "lists at the same depth need the same length",
                    f"位置 {here} 的列表长度是 {c}，但 {first} 的长度是 {shape[d]}：同一层的列表长度必须相同",
                )
            prev = "value"
            if not counts:
                return values, tuple(shape[:leaf]), mode == ",", pos
            continue
        if tok == ",":
            if prev != "value":
                raise _Problem(at, "separator", "',' without a value before it", "',' 前面缺少数值")
            if mode == " ":
                raise _Problem(
                    at,
                    "separator",
                    "',' here, but earlier items are separated by spaces only: use one kind of separator",
                    "这里用了 ','，但前面的项只用空格分隔：请统一使用一种分隔符",
                )
            mode, prev = ",", "comma"
            continue
        if kind == 5:
            hint, hint_zh = "", ""
            if tok == ";":
                hint, hint_zh = ": inside brackets, separate items with ','", "：方括号里请用 ',' 分隔各项"
            raise _Problem(
                at,
                "unexpected",
                f"unexpected {tok!r} inside the list{hint}",
                f"列表里出现了意外的 {tok!r}{hint_zh}",
            )
        # An item begins: '[', a number, a word or a string.
        if counts:
            if prev == "value":
                if mode == ",":
                    raise _Problem(at, "separator", "missing ',' before this item", "这一项前面缺少 ','（逗号）")
                mode = " "
            d = len(counts) - 1
            counts[d] += 1
            if counts[d] == shape[d] + 1 and shape[d]:
                extra[d] = at
        if tok == "[":
            if 0 <= leaf <= len(counts):
                raise _Problem(
                    at,
                    "mixed_depth",
                    "expected a number here, like the other items at this depth, but found a list",
                    "这里应该是数字（与同一层的其他项一样），却是一个列表",
                )
            if len(counts) >= max_depth:
                raise _too_deep(at, max_depth)
            counts.append(0)
            opened.append(at)
            extra.append(-1)
            prev = "open"
            continue
        if kind == 1:
            x = float(tok)
            if x == _INF or x == -_INF:
                _number(tok, at)  # raises: too large
        elif kind == 4 and _SCALAR_TYPE.fullmatch(tok):
            arg = _SCALAR_ARG.match(text, pos)
            if arg is None:
                raise _Problem(pos, "not_number", f"expected a number in {tok}(...)", f"{tok}(...) 里应该是一个数字")
            x, pos = _number(arg.group(1), arg.start(1)), arg.end()
        else:
            x = _number(tok, at)  # raises: not a number (before any depth complaint: NumPy elides whole rows)
        if leaf < 0:
            leaf = len(counts)
        elif len(counts) < leaf:
            raise _Problem(
                at,
                "mixed_depth",
                "expected a list here, like the other items at this depth, but found a number",
                "这里应该是列表（与同一层的其他项一样），却是一个数字",
            )
        if len(values) >= max_elements:
            raise _too_many(at, max_elements)
        values.append(x)
        prev = "value"
    raise _Problem(opened[-1], "unbalanced", "this '[' is never closed (missing ']')", "这个 '[' 没有闭合（缺少 ']'）")


# ---------------------------------------------------------------------------------- wrappers and keywords

_PARAMETER = re.compile(r"Parameter containing:\s*")
_WRAPPER = re.compile(r"(?:(?:torch|np|numpy)\.)?([A-Za-z_]\w*)\s*\(")
_TORCH_NAMES = {"tensor", "Tensor", "as_tensor"}
_NUMPY_NAMES = {"array", "asarray"}
_SPACE = re.compile(r"\s*")
_KWARG = re.compile(r"""([A-Za-z_]\w*)\s*=\s*('[^'\n]*'|"[^"\n]*"|<[^<>\n]*>|\([^()\n]*\)|[\w.+\-]+)""")
_IGNORED = ("device", "requires_grad", "grad_fn", "layout")
_TORCH_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32"}


def _skip(text: str, pos: int) -> int:
    m = _SPACE.match(text, pos)
    return m.end() if m else pos


def _dtype_name(value: str) -> str:
    name = value.strip("'\"")
    for prefix in ("torch.", "np.", "numpy."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            return _TORCH_ALIASES.get(name, name) if prefix == "torch." else name
    return name


def _keywords(text: str, pos: int, shape: tuple[int, ...], wrapper: str) -> tuple[str | None, list[str], int]:
    """The `, name=value ...)` after a repr's values: returns the dtype, notes, and the offset after ')'."""
    dtype: str | None = None
    notes: list[str] = []
    seen: set[str] = set()
    while True:
        pos = _skip(text, pos)
        if pos >= len(text):
            raise _Problem(pos, "unbalanced", f"missing ')' to close {wrapper}(", f"缺少 ')' 来闭合 {wrapper}(")
        if text[pos] == ")":
            return dtype, notes, pos + 1
        if text[pos] != ",":
            raise _Problem(
                pos,
                "unexpected",
                f"expected ',' or ')' after the values, found {text[pos]!r}",
                f"数值后面应该是 ',' 或 ')'，却是 {text[pos]!r}",
            )
        pos = _skip(text, pos + 1)
        if text.startswith(")", pos):
            return dtype, notes, pos + 1
        m = _KWARG.match(text, pos)
        if m is None:
            raise _Problem(
                pos,
                "unexpected",
                f"expected name=value after the values in {wrapper}(...)",
                f"{wrapper}(...) 中数值后面应该是 name=value",
            )
        name, value = m.group(1), m.group(2)
        if name in seen:
            raise _Problem(pos, "unexpected", f"{name}= is given twice", f"{name}= 出现了两次")
        seen.add(name)
        if name == "dtype":
            dtype = _dtype_name(value)
        elif name in _IGNORED:
            notes.append(f"{name}={value}")
        elif name in ("shape", "size"):
            said = tuple(int(v) for v in re.findall(r"\d+", value))
            if said != shape:
                raise _Problem(
                    m.start(2),
                    "shape",
                    f"{name}={value} but the values have shape {shape}",
                    f"{name}={value}，但数值的形状是 {shape}",
                )
        else:
            known = ", ".join(("dtype", *_IGNORED, "shape", "size"))
            raise _Problem(
                pos,
                "unknown_argument",
                f"unknown argument {name}= in {wrapper}(...); known ones are {known}",
                f"{wrapper}(...) 中有未知参数 {name}=；可识别的参数有 {known}",
            )
        pos = m.end()


# ---------------------------------------------------------------------------------------------------- rows

_ROW_BYTES = b"0123456789.eE+- \t\n,;"
_CELL = re.compile(r"\S+")


def _delimiter(text: str) -> str | None:
    return next((d for d in "\t;," if d in text), None)


def _fast_rows(
    text: str, delim: str | None, max_elements: int, max_depth: int
) -> tuple[np.ndarray, int, int, int] | None:
    """Values, blocks, rows per block and columns of well-formed rows; None lets the exact parser explain."""
    if not text.isascii() or text.encode().translate(None, _ROW_BYTES):
        return None
    cells: list[str] = []
    width = rows = tall = blocks = 0
    for line in [*text.split("\n"), ""]:
        if not line or line.isspace():
            if rows:
                if tall and rows != tall:
                    return None
                tall, rows = rows, 0
            continue
        if delim and line.count(delim) >= max_elements:  # don't split a line into millions of cells
            return None
        row = line.split(delim)
        blocks += rows == 0
        rows += 1
        width = width or len(row)
        if len(row) != width or (tall and rows > tall) or len(cells) + width > max_elements:
            return None
        cells.extend(row)
    try:
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        return None
    if values.size == 0 or not np.isfinite(values).all() or (3 if blocks > 1 else 2 if tall > 1 else 1) > max_depth:
        return None
    return values, blocks, tall, width


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _cells(line: str, delim: str | None) -> Iterator[tuple[int, str]]:
    """(offset in line, stripped cell) for each cell, lazily."""
    if delim is None:
        for m in _CELL.finditer(line):
            yield m.start(), m.group()
        return
    start = 0
    while True:
        end = line.find(delim, start)
        raw = line[start : end if end >= 0 else len(line)]
        cell = raw.strip()
        yield start + (len(raw) - len(raw.lstrip()) if cell else 0), cell
        if end < 0:
            return
        start = end + 1


def _exact_rows(text: str, delim: str | None, max_elements: int, max_depth: int) -> tuple[np.ndarray, int, int, int]:
    """Rows cell by cell, raising _Problem at the first problem in text order."""
    values: list[float] = []
    number = rf"[+-]?{_NUM}"
    if delim is None:
        row = re.compile(rf"\s*{number}(?:\s+{number})*\s*")
    else:  # white space around cells, but not the separator itself (a tab)
        space = rf"[^\S{re.escape(delim)}]*"
        row = re.compile(rf"{space}{number}{space}(?:{re.escape(delim)}{space}{number}{space})*")
    width = rows = tall = blocks = block_at = extra_row = 0
    line_at = 0

    def close_block() -> None:
        nonlocal tall, rows
        if tall and rows != tall:
            raise _Problem(
                extra_row if rows > tall else block_at,
                "ragged",
                f"block {blocks} has {_count(rows, 'row')} but block 1 has {tall}",
                f"第 {blocks} 块有 {rows} 行，但第 1 块有 {tall} 行",
            )
        tall, rows = rows, 0

    while line_at <= len(text):
        end = text.find("\n", line_at)
        end = len(text) if end < 0 else end
        line = text[line_at:end]
        if not line or line.isspace():
            if rows:
                close_block()
            line_at = end + 1
            continue
        if rows == 0:
            blocks, block_at = blocks + 1, line_at
            if blocks == 2 and max_depth < 3:
                raise _too_deep(line_at, max_depth)
        rows += 1
        if rows == 2 and max_depth < 2:
            raise _too_deep(line_at, max_depth)
        if rows == tall + 1:
            extra_row = line_at
        count, first_extra = 0, -1
        if row.fullmatch(line):  # the common case: a line of numbers, converted without a look at each cell
            cells = [float(c) for c in line.split(delim)]
            if (
                (not width or len(cells) == width)
                and len(values) + len(cells) <= max_elements
                and _INF not in cells
                and -_INF not in cells
            ):
                values.extend(cells)
                width = width or len(cells)
                line_at = end + 1
                continue
        for offset, cell in _cells(line, delim):
            at = line_at + offset
            count += 1
            if not cell:
                sep = "tab" if delim == "\t" else repr(delim)
                raise _Problem(
                    at,
                    "empty_cell",
                    f"empty cell {count} in this row (two {sep} separators with nothing between them?)",
                    f"这一行的第 {count} 个单元格是空的（两个分隔符 {sep} 之间没有内容？）",
                )
            hint = hint_zh = ""
            if any(c in cell for c in "[(="):
                hint = ": paste only the tensor, starting at '[', tensor( or array("
                hint_zh = "：只粘贴张量本身，从 '['、tensor( 或 array( 开始"
            elif rows == 1 and blocks == 1:
                hint, hint_zh = "; if this is a header row, delete it", "；如果这是表头行，请删除它"
            x = _number(cell, at, hint, hint_zh)
            if len(values) >= max_elements:
                raise _too_many(at, max_elements)
            values.append(x)
            if width and count == width + 1:
                first_extra = at
        if width and count != width:
            where = f"row {rows} of block {blocks}" if blocks > 1 else f"row {rows}"
            where_zh = f"第 {blocks} 块的第 {rows} 行" if blocks > 1 else f"第 {rows} 行"
            raise _Problem(
                first_extra if count > width else line_at + len(line.rstrip()),
                "ragged",
                f"{where} has {_count(count, 'value')} but row 1 has {width}",
                f"{where_zh}有 {count} 个数，但第 1 行有 {width} 个",
            )
        width = width or count
        line_at = end + 1
    if rows:
        close_block()
    if not values:
        raise _empty(0)
    return np.array(values), blocks, tall, width


def _rows(text: str, max_elements: int, max_depth: int) -> Parsed:
    if text.count("\n") > 2 * max_elements + _SLACK:
        raise _Problem(
            0,
            "too_many",
            f"the text has {text.count(chr(10)) + 1:,} lines, more than a tensor of at most {max_elements:,} "
            "values can fill",
            f"文本有 {text.count(chr(10)) + 1:,} 行，超过了最多 {max_elements:,} 个数值的张量所能占的行数",
        )
    _guard_size(text, 0, max_elements)
    delim = _delimiter(text)
    fast = _fast_rows(text, delim, max_elements, max_depth)
    values, blocks, tall, width = fast if fast is not None else _exact_rows(text, delim, max_elements, max_depth)
    if values.size == 1:
        raise _scalar(_skip(text, 0))
    if blocks > 1:
        shape: tuple[int, ...] = (blocks, tall, width)
    else:
        shape = (width,) if tall == 1 else (tall, width)
    return Parsed("blocks" if blocks > 1 else "rows", values.reshape(shape), shape, None)


# ------------------------------------------------------------------------------------------------- parsing

# Read as their ASCII forms: what Chinese input methods type, the minus sign of web pages, and unusual spaces.
_FULL_WIDTH = {
    "，": ",",
    "；": ";",
    "［": "[",
    "］": "]",
    "（": "(",
    "）": ")",
    "\u2212": "-",
    "\u3000": " ",
    "\xa0": " ",
}


def parse(text: str, max_elements: int = MAX_ELEMENTS, max_depth: int = MAX_DEPTH) -> Parsed:
    """The tensor in `text`, as float64 values with their shape; PasteError says where and why it isn't one.

    >>> parse("1, 2, 3\\n4, 5, 6").shape
    (2, 3)
    """
    max_depth = min(max_depth, 64)  # NumPy's limit on the number of axes
    if not isinstance(text, str):
        raise PasteError("the pasted text must be a string", 1, 1, zh="粘贴的内容必须是文本", code="type")
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    notes: list[str] = []
    notes_zh: list[str] = []
    if not text.isascii():
        found = [c for c in _FULL_WIDTH if c in text]
        for c in found:  # str.replace per character: far faster than str.translate on long text
            text = text.replace(c, _FULL_WIDTH[c])
        if found:
            notes.append("read full-width punctuation (，；［］（）) as ASCII")
            notes_zh.append("已将全角标点（，；［］（））按半角处理")
    try:
        parsed = _parse(text, max_elements, max_depth)
    except _Problem as p:
        line = text.count("\n", 0, p.at) + 1
        column = p.at - text.rfind("\n", 0, p.at)
        raise PasteError(p.en, line, column, zh=p.zh, code=p.code) from None
    return Parsed(
        parsed.format,
        parsed.values,
        parsed.shape,
        parsed.dtype,
        notes + parsed.notes,
        notes_zh + parsed.notes_zh,
    )


def _parse(text: str, max_elements: int, max_depth: int) -> Parsed:
    pos = _skip(text, 0)
    if pos == len(text):
        raise _empty(0)
    m = _PARAMETER.match(text, pos)
    if m:
        pos = m.end()
    wrapper = _WRAPPER.match(text, pos)
    if wrapper:
        name, call = wrapper.group(1), text[pos : wrapper.end()]
        if name not in _TORCH_NAMES | _NUMPY_NAMES:
            raise _Problem(
                pos,
                "unknown_wrapper",
                f"{call!r} is not a tensor: paste a list [...], tensor(...) or array(...)",
                f"{call!r} 不是张量：请粘贴列表 [...]、tensor(...) 或 array(...)",
            )
        fmt = "torch" if name in _TORCH_NAMES else "numpy"
        label = text[pos : wrapper.end() - 1].rstrip()
        start = _skip(text, wrapper.end())
        if not text.startswith("[", start):
            word = _TOKEN.match(text, start)
            if word and word.lastindex in (1, 4):
                try:
                    _number(word.group(word.lastindex), start)
                except _Problem as p:
                    if p.code != "not_number":  # nan, True, 1+2j: say so
                        raise
                else:
                    raise _scalar(start)
            raise _Problem(start, "unexpected", f"expected '[' after {label}(", f"{label}( 后面应该是 '['")
    elif text.startswith("[", pos):
        fmt, label, start = "", "", pos
    elif text.startswith("]", pos):
        raise _Problem(pos, "unbalanced", "']' has no matching '['", "']' 没有对应的 '['")
    else:
        return _rows(text, max_elements, max_depth)

    _guard_size(text, start, max_elements)
    close = text.rfind("]") + 1
    fast = _fast_body(text[start:close], max_elements, max_depth)
    if fast is not None:
        values, comma = fast
        shape, end = values.shape, close
    else:
        flat, shape, comma, end = _exact_body(text, start, max_elements, max_depth)
        values = np.array(flat).reshape(shape)
    dtype: str | None = None
    ignored: list[str] = []
    if label:
        dtype, ignored, end = _keywords(text, end, shape, label)
    end = _skip(text, end)
    if end < len(text):
        if label:
            en, zh = (
                f"unexpected text after the closing ')' of {label}(...)",
                f"{label}(...) 的 ')' 之后有多余的内容",
            )
        elif text[end] == "]":
            en, zh = "']' has no matching '['", "']' 没有对应的 '['"
        elif text[end] in "[,":
            en, zh = (
                "unexpected text after the closing ']': to paste several lists, wrap them in one outer [ ]",
                "']' 之后还有内容：要粘贴多个列表，请用一对外层 [ ] 把它们括起来",
            )
        else:
            en, zh = "unexpected text after the closing ']'", "']' 之后有多余的内容"
        raise _Problem(end, "unexpected", en, zh)
    if not fmt:
        fmt = "json" if comma or values.size == 1 else "numpy"  # a lone item has no separator to tell
    return Parsed(
        fmt,
        values,
        tuple(shape),
        dtype,
        [f"ignored {kw}" for kw in ignored],
        [f"已忽略 {kw}" for kw in ignored],
    )
