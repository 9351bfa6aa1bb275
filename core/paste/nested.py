"""The exact parser of bracketed lists: token by token with an explicit stack, so 10,000 '[' are one error,
never a RecursionError. It runs when the fast path declines, and says where the first problem is; a long run
of comma-separated numbers is read in bulk (normlens.paste.bulk), so a bad item after millions is found fast.

    >>> exact_body("[[1, 2], [3, 4]]", 0, 100, 8)
    ([1.0, 2.0, 3.0, 4.0], (2, 2), True, 16)
"""

from __future__ import annotations

from normlens.paste import bulk
from normlens.paste.errors import _Problem, empty, too_deep, too_many
from normlens.paste.tokens import INF, SCALAR_ARG, SCALAR_TYPE, TOKEN, number

RUN = 64  # a run of items is read in bulk when no ']' is this close


def exact_body(
    text: str, start: int, max_elements: int, max_depth: int
) -> tuple[list[float], tuple[int, ...], bool, int]:
    """Parse the list that opens at `start`: flat values, shape, whether commas separated the items, the offset
    after its ']'. Raises _Problem at the first problem in text order. State lives in locals (a loop per token)."""
    counts: list[int] = []  # items so far in each open list, outermost first
    opened: list[int] = []  # offset of each open '['
    extra: list[int] = []  # offset of the first item beyond the expected length, per open list
    shape = [0] * max_depth  # length of every list at depth d, fixed by the first list at d to close
    leaf = -1  # depth of the numbers (how many lists enclose them), fixed by the first number
    values: list[float] = []  # read a token at a time
    runs: list[tuple[int, str, str | None]] = []  # (where in values, text, separator) of each run read in bulk
    bulked = 0  # the runs' items, converted only once the list has closed without a problem
    prev = "open"  # what came last: "open" '[', "value" (a number or a closed list), "comma"
    mode = ""  # "," or " " once two items have been separated
    pos = start
    tried = {",": start, " ": start}  # per kind of run: none is read in bulk again before this offset
    while True:
        between = prev != "value" and mode != " " or prev == "value" and mode == " "  # where a run may begin
        run = " " if mode == " " else ","
        if pos >= tried[run] and between and counts and leaf in (-1, len(counts)):
            room = max_elements - len(values) - bulked
            pos, tried[run], leaf, mode, prev, span, count = _run(
                text, pos, counts, extra, shape, room, leaf, mode, prev
            )
            if count:
                runs.append((len(values), span, None if run == " " else ","))
                bulked += count
        if (m := TOKEN.match(text, pos)) is None:
            break
        kind = m.lastindex or 0  # always set: every alternative is a group
        tok, at, pos = m.group(kind), m.start(kind), m.end()
        if tok == ",":
            if prev != "value" or mode == " ":
                raise _Problem("separator_mixed" if prev == "value" else "separator_no_value", at)
            mode, prev = ",", "comma"
            continue
        if tok == "]":
            _close(counts, opened, extra, shape, prev == "open", at)
            prev = "value"
            if not counts:
                return _merged(values, runs), tuple(shape[:leaf]), mode == ",", pos
            continue
        if kind == 5:
            raise _Problem("unexpected_semicolon" if tok == ";" else "unexpected_in_list", at, word=repr(tok))
        if counts:  # an item begins: '[', a number, a word or a string
            if prev == "value":
                if mode == ",":
                    raise _Problem("separator_missing", at)
                mode = " "
            d = len(counts) - 1
            counts[d] += 1
            if counts[d] == shape[d] + 1 and shape[d]:
                extra[d] = at
        if tok == "[":
            _open(counts, opened, extra, 0 <= leaf <= len(counts), max_depth, at)
            prev = "open"
            continue
        if kind == 1 and -INF < (x := float(tok)) < INF:  # the common case, without a call
            pass
        else:
            x, pos = _item(text, kind, tok, at, pos)
        if leaf < 0:
            leaf = len(counts)
        elif len(counts) < leaf:
            raise _Problem("mixed_depth_number", at)
        if len(values) + bulked >= max_elements:
            raise too_many(at, max_elements)
        values.append(x)
        prev = "value"
    raise _Problem("unclosed_list", opened[-1])


def _run(
    text: str,
    pos: int,
    counts: list[int],
    extra: list[int],
    shape: list[int],
    room: int,
    leaf: int,
    mode: str,
    prev: str,
) -> tuple[int, int, int, str, str, str, int]:
    """When a long run of items lies ahead (no ']' within RUN characters), reads in bulk the numbers that begin
    at `pos` in the innermost open list, comma-terminated or, once two items were separated by white space,
    space-separated, as the loop would one token at a time (at most `room`). Returns the offset after them,
    where the run examined ends, the loop's leaf, mode and prev, and the items' text and count."""
    if text.find("]", pos, pos + RUN) >= 0:
        return pos, pos, leaf, mode, prev, "", 0
    d = len(counts) - 1
    nth = shape[d] - counts[d] if shape[d] else -1  # the item that makes this list longer than the first
    spaced = mode == " "
    span, count, after, at = (bulk.spaced_run if spaced else bulk.list_run)(text, pos, room, nth)
    stop = text.find("]", after)
    tried = max(after, stop if stop >= 0 else len(text))
    if not count:
        return pos, tried, leaf, mode, prev, "", 0
    if at >= 0:
        extra[d] = at
    counts[d] += count
    return after, tried, len(counts), mode if spaced else ",", "value" if spaced else "comma", span, count


def _merged(values: list[float], runs: list[tuple[int, str, str | None]]) -> list[float]:
    """The values in text order: those read a token at a time, and each run's, converted now."""
    if not runs:
        return values
    out: list[float] = []
    done = 0
    for at, span, sep in runs:
        out += values[done:at]
        out += map(float, span.split(sep))
        done = at
    return out + values[done:]


def _close(counts: list[int], opened: list[int], extra: list[int], shape: list[int], bare: bool, at: int) -> None:
    """A ']' at `at` (`bare`: right after its '['): its list must be as long as the first list at its depth."""
    if bare:
        raise empty(opened[-1], [c - 1 for c in counts[:-1]])
    c, first_extra = counts.pop(), extra.pop()
    opened.pop()
    d = len(counts)
    if shape[d] == 0:
        shape[d] = c
    elif c != shape[d]:
        path, first = [i - 1 for i in counts], [0] * d
        raise _Problem("ragged", first_extra if c > shape[d] else at, path=path, got=c, first=first, want=shape[d])


def _open(counts: list[int], opened: list[int], extra: list[int], leaf_here: bool, max_depth: int, at: int) -> None:
    """A '[' at `at` (`leaf_here`: numbers were found at this depth or above)."""
    if leaf_here:
        raise _Problem("mixed_depth_list", at)
    if len(counts) >= max_depth:
        raise too_deep(at, max_depth)
    counts.append(0)
    opened.append(at)
    extra.append(-1)


def _item(text: str, kind: int, tok: str, at: int, pos: int) -> tuple[float, int]:
    """The number a token of kind 1, 3 or 4 (see TOKEN) spells, and the offset after it."""
    if kind == 1:
        x = float(tok)
        if x == INF or x == -INF:
            number(tok, at)  # raises: too large
        return x, pos
    if kind == 4 and SCALAR_TYPE.fullmatch(tok):
        arg = SCALAR_ARG.match(text, pos)
        if arg is None:
            raise _Problem("not_number_in_call", pos, call=tok)
        return number(arg.group(1), arg.start(1)), arg.end()
    return number(tok, at), pos  # raises: not a number (before any depth complaint: NumPy elides whole rows)
