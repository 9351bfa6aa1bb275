"""Reading a tensor from text a user pasted: nested lists, NumPy and PyTorch reprs, or rows of numbers.

    >>> p = parse("tensor([[1., 2.],\\n        [3., 4.]], requires_grad=True)")
    >>> p.format, p.shape, p.notes
    ('torch', (2, 2), [('ignored', {'name': 'requires_grad', 'value': 'True'})])

Accepted:
- nested lists, JSON or Python style (format "json"): `[[1, 2], [3, 4]]`, trailing commas, `+1`, `.5`, `5.`,
  `-2.5E+4`, NumPy 2 scalar reprs such as `np.float64(1.5)` as items; NumPy's print form without commas,
  `[[1. 2.]\\n [3. 4.]]` (format "numpy"). In one paste, items are separated by commas or by spaces, not both.
- `array(...)`, `np.array(...)` (format "numpy"); `tensor(...)`, `torch.tensor(...)`, also after
  `Parameter containing:` (format "torch"); JAX's `Array(...)` (and `DeviceArray(`, `jnp.array(`, format "jax");
  TensorFlow's `tf.Tensor(...)` (print) and `<tf.Tensor: shape=..., dtype=..., numpy=array(...)>` /
  `<tf.Variable 'v:0' shape=... dtype=..., numpy=...>` (repr, format "tensorflow", its dtype kept). Keyword
  arguments: dtype (kept in `Parsed.dtype` without its `torch.`/`np.`/`tf.` prefix), device, requires_grad,
  grad_fn, layout and weak_type (ignored and listed in `notes`), shape and size (checked against the values).
  Any other keyword is an error.
- either of these as a line of code: after an assignment, `x = torch.tensor(...)` or `w = [[1, 2]]` (note
  "assignment"), and before a closing ';' (note "semicolon"); positions in errors stay those of the text pasted.
- rows of numbers (format "rows"): cells separated by tabs, semicolons, commas or spaces; the first of these
  found in the text, in that order, is the separator. Several rows give a 2-D (rows, columns) tensor, one row
  a 1-D one, one column stays 2-D (rows, 1). Blocks of rows separated by blank lines give a 3-D
  (blocks, rows, columns) tensor (format "blocks").
- tables (format "table", or "pandas" for pandas' print-outs): the same rows under a header row of column
  names, which become `Parsed.labels` of the last axis ({"1": ["height", "weight"]}); `df.to_csv()`'s and
  `str(df)`'s index column is dropped; `str(series)` gives a 1-D tensor with the dtype of its `dtype:` line.
  A table pandas shortened with '...' is refused, saying how to print it whole.
- ASCII text plus a leading BOM, \\r\\n or \\r line ends, any Unicode white space, the full-width forms of
  , ; [ ] ( ) and the minus sign U+2212, read as their ASCII forms (note "full_width", naming those found), the
  ideographic and no-break spaces as spaces (note "spaces").

Anything else raises PasteError: a code, the 1-based line and column of the first problem, and the values its
words need (the words are in app/lessons/paste.toml). The text is never evaluated. Parsing is linear: a fast
path of whole-text NumPy and bytes operations reads well-formed input; the exact token-by-token parser runs
only when the fast path declines, and it keeps its own stack, so 10,000 '[' are one error, never a
RecursionError. The value limit is checked before lists are built.

Modules: `reader` (parse), `parsed` (the result, notes, labels), `errors` (PasteError), `tokens` (numbers,
words), `guard` (the size guard), `skeleton` (fast path of lists), `nested` (exact path of lists), `wrappers`
(tensor(...), array(...) and their keywords), `angled` (TensorFlow's <tf...> reprs), `rows` (rows and blocks),
`fast_rows` (their fast path, and the row where the exact reader takes over), `table` (a header row, pandas'
print-outs), `bulk` (long runs of numbers that the exact paths read in bulk, so the first bad token after
millions of good ones is found without a step per token), `decimals` (the automaton that tells, for millions
of cells at once, which are numbers, without converting them).
"""

from __future__ import annotations

from normlens.paste.errors import KIND, PasteError, _Problem
from normlens.paste.fast_rows import fast_rows as _fast_rows
from normlens.paste.nested import exact_body as _exact_body
from normlens.paste.parsed import Note, Parsed
from normlens.paste.reader import MAX_DEPTH, MAX_ELEMENTS, parse
from normlens.paste.rows import delimiter as _delimiter
from normlens.paste.rows import exact_rows as _exact_rows
from normlens.paste.skeleton import fast_body as _fast_body

__all__ = [
    "KIND",
    "MAX_DEPTH",
    "MAX_ELEMENTS",
    "Note",
    "Parsed",
    "PasteError",
    "_Problem",
    "_delimiter",
    "_exact_body",
    "_exact_rows",
    "_fast_body",
    "_fast_rows",
    "parse",
]
