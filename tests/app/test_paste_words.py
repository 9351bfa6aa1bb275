"""The words of pasted text (app/lessons/paste.toml) rendered through normlens.app.lessons: every rejection in
English and Chinese, every note, and a catalogue that covers every code normlens.paste can raise, in both
languages with the same placeholders. The behaviour behind the words is tested in tests/core/test_paste.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import normlens.paste
from normlens.app import lessons
from normlens.paste import KIND, MAX_ELEMENTS, PasteError, parse
from tests.app.words import CJK
from tests.core.test_paste import API_KINDS


def words(text: str, **limits: int) -> lessons.Text:
    with pytest.raises(PasteError) as info:
        parse(text, **limits)
    return lessons.error_text(info.value)


def chinese(t: lessons.Text) -> bool:
    """A Chinese sentence, not a copy of the English one."""
    return t.zh != t.en and bool(CJK.search(t.zh))


# ---------------------------------------------------------------------------------------------- rejections

WORDED = [
    # (text, a fragment of the English message)
    ("", "the tensor is empty"),
    ("  \n\t\n", "the tensor is empty"),
    ("[]", "the tensor is empty"),
    ("[[], []]", "the list at [0] has no values"),
    ("tensor([], size=(0, 3))", "the tensor is empty"),
    ("array([], shape=(0, 3), dtype=float64)", "the tensor is empty"),
    ("3.5", "a single number is a scalar; wrap it in brackets [..]"),
    ("  \n 7\n", "a single number is a scalar"),
    ("tensor(3.)", "a single number is a scalar"),
    ("tensor(-0.5000, grad_fn=<MeanBackward0>)", "a single number is a scalar"),
    ("[[1, 2], [3, 4, 5]]", "list at [1] has length 3 but [0] has length 2"),
    ("[[1, 2, 3],\n [4, 5]]", "list at [1] has length 2 but [0] has length 3"),
    ("[[[1], [2]], [[3], [4, 5]]]", "list at [1, 1] has length 2 but [0, 0] has length 1"),
    ("[[[1], [2]], [[3]]]", "list at [1] has length 1 but [0] has length 2"),
    ("[[1. 2.]\n [3. 4. 5.]]", "list at [1] has length 3 but [0] has length 2"),
    ("1,2\n3,4,5", "row 2 has 3 values but row 1 has 2"),
    ("1 2 3\n4 5", "row 2 has 2 values but row 1 has 3"),
    ("1 2\n3", "row 2 has 1 value but row 1 has 2"),
    ("1 2\n3 4\n\n5 6 7\n8 9 0", "row 1 of block 2 has 3 values but row 1 has 2"),
    ("1 2\n3 4\n\n5 6\n7", "row 2 of block 2 has 1 value but row 1 has 2"),
    ("1 2\n3 4\n\n5 6", "block 2 has 1 row but block 1 has 2"),
    ("1 2\n\n3 4\n5 6", "block 2 has 2 rows but block 1 has 1"),
    ("[[1, 2], 3]", "expected a list here"),
    ("[1, [2]]", "expected a number here"),
    ("[1, abc]", "'abc' is not a number"),
    ("[1, 2x]", "'2x' is not a number"),
    ("[1, None]", "'None' is not a number"),
    ("[1, 1-2]", "'1-2' is not a number"),
    ("1, 2\n3, four", "'four' is not a number"),
    ("a,1,2\n1,2,3", "'a' is not a number; if this is a header row, delete it"),
    ("1，2；3\n4，5；6", "'1,2' is not a number"),
    (">>> x = [1, 2]", "paste only the tensor"),
    ("[np.float64]", "expected a number in np.float64(...)"),
    ("[true, false]", "booleans are not numbers here"),
    ("tensor([ True, False])", "booleans are not numbers here"),
    ("1 False", "booleans are not numbers here"),
    ("[1, NaN]", "NaN and infinity can't be normalized: replace them with numbers"),
    ("[1, nan]", "NaN and infinity can't be normalized"),
    ("[1, Infinity]", "NaN and infinity can't be normalized"),
    ("[1, -Infinity]", "NaN and infinity can't be normalized"),
    ("array([ nan,  inf, -inf])", "NaN and infinity can't be normalized"),
    ("tensor([1., -inf])", "NaN and infinity can't be normalized"),
    ("1\tinf", "NaN and infinity can't be normalized"),
    ("tensor(nan)", "NaN and infinity"),
    ("[1e999]", "'1e999' is too large for float64"),
    ("[1, ...]", "the text contains '...' (NumPy/PyTorch elided values when printing)"),
    ("tensor([0.0000e+00, 1.0000e+00,  ..., 1.9990e+03])", "torch.set_printoptions(profile='full')"),
    ("array([0.000e+00, 1.000e+00, ..., 1.999e+03], shape=(2000,))", "np.set_printoptions(threshold=sys.maxsize)"),
    ("[[0. 1.]\n ...\n [8. 9.]]", "elided values"),
    ("1 2 ... 9", "elided values"),
    ('["1", "2"]', "strings are not numbers"),
    ("['a']", "strings are not numbers"),
    ("[1+2j]", "complex numbers are not supported"),
    ("array([1.+2.j, 3.-1.j])", "complex numbers are not supported"),
    ("1 (1+2j)", "complex numbers are not supported"),
    ("[1, 2", "this '[' is never closed"),
    ("[1, 2  \n ", "this '[' is never closed"),
    ("]", "']' has no matching '['"),
    ("[[1, 2], [3, 4]", "this '[' is never closed"),
    ("[[1, 2], [3, 4", "this '[' is never closed"),
    ("[1, 2]]", "']' has no matching '['"),
    ("[1, 2]\n[3, 4]", "wrap them in one outer [ ]"),
    ("[1, 2] x", "unexpected text after the closing ']'"),
    ("tensor([1., 2.]", "missing ')' to close tensor("),
    ("tensor([1.]) x", "after the closing ')'"),
    ("[1 2, 3]", "use one kind of separator"),
    ("[1, 2 3]", "missing ',' before this item"),
    ("[[1, 2] [3, 4]]", "missing ','"),
    ("[1,,2]", "',' without a value before it"),
    ("[,1]", "',' without a value before it"),
    ("[1; 2]", "separate items with ','"),
    ("[1, (2)]", "unexpected '('"),
    ("1,,2", "empty cell 2"),
    ("1;2;;4", "empty cell 3 in this row (two ';' separators with nothing between them?)"),
    ("1\t\t2", "two tab separators"),
    ("tensor([1., 2.], foo=3)", "unknown argument foo="),
    (
        "tensor([1], size=(1,), dtype=torch.quint8, quantization_scheme=torch.per_tensor_affine, scale=1.0)",
        "unknown argument quantization_scheme=",
    ),
    ("tensor([1.], dtype=torch.float32, dtype=torch.float64)", "dtype= is given twice"),
    ("tensor([1.], 3)", "expected name=value"),
    ("np.array([1.], 3)", "expected name=value after the values in np.array(...)"),
    ("tensor([1.] 3)", "expected ',' or ')' after the values"),
    ("array([[1., 2.]], shape=(2, 1))", "shape=(2, 1) but the values have shape (1, 2)"),
    ("tensor([1., 2.], size=(3,))", "size=(3,) but the values have shape (2,)"),
    ("matrix([[1, 2]])", "'matrix(' is not a tensor"),
    ("tensor(indices=tensor([[0]]))", "expected '[' after tensor("),
    ("[[[[[[[[[1]]]]]]]]]", "nested more than 8 deep"),
    ("\ufeff[1, nan]", "NaN"),
    ("［1，nan］", "NaN"),
    ("[[1, 2],\r\n [3, x]]", "'x' is not a number"),
    ("1,2\r\n3,abc\r\n", "'abc' is not a number"),
    ("[1, \ud800]", "the text contains U+D800, half of a UTF-16 surrogate pair with no other half"),
]


def test_a_lone_surrogate_is_worded_without_the_codec_and_the_character_itself():
    # It was "'utf-32-le' codec can't encode character '\\ud800' in position 4: surrogates not allowed".
    t = words("[1, 2,\n 3, \udc1f]")
    assert t.en.startswith("the text contains U+DC1F,") and "codec" not in t.en
    assert t.zh.startswith("文本中有 U+DC1F：") and "代理码元" in t.zh
    for text in (t.en, t.zh):
        text.encode("utf-8")  # the words themselves hold no surrogate, so any JSON encoder can send them


@pytest.mark.parametrize(("text", "fragment"), WORDED)
def test_rejection_words(text, fragment):
    t = words(text)
    assert fragment in t.en
    assert chinese(t)


def test_elision_message_is_exactly_the_documented_one():
    assert words("[1, ..., 9]").en == (
        "the text contains '...' (NumPy/PyTorch elided values when printing); print the full array with "
        "np.set_printoptions(threshold=sys.maxsize) / torch.set_printoptions(profile='full')"
    )


def test_some_messages_word_for_word():
    assert words("1,,2") == lessons.Text(
        "empty cell 2 in this row (two ',' separators with nothing between them?)",
        "这一行的第 2 个单元格是空的（两个分隔符 ',' 之间没有内容？）",
    )
    assert words("[[1, 2], [3]]").zh == "位置 [1] 的列表长度是 1，但 [0] 的长度是 2：同一层的列表长度必须相同"
    assert words("1 2\n3 4\n\n5 6\n7").zh == "第 2 块的第 2 行有 1 个数，但第 1 行有 2 个"


def test_non_string_input():
    with pytest.raises(PasteError) as info:
        parse(b"[1, 2]")  # type: ignore[arg-type]
    t = lessons.error_text(info.value)
    assert "must be a string" in t.en and chinese(t)


@pytest.mark.parametrize(
    "text", ["[1, 2, 3, 4, 5]", "1 2 3\n4 5 6", "tensor([1., 2., 3., 4., 5.], requires_grad=True)"]
)
def test_limit_words(text):
    n = parse(text).values.size
    t = words(text, max_elements=n - 1)
    assert f"more than {n - 1:,} values" in t.en and f"value {n:,}" in t.en and chinese(t)


def test_default_limit_is_written_with_thousands_separators():
    # tests/core/test_paste.py checks that a paste of MAX_ELEMENTS + 1 values raises exactly these values
    t = lessons.error_text(PasteError("too_many", 1, 2 + 2 * MAX_ELEMENTS, limit=MAX_ELEMENTS, nth=MAX_ELEMENTS + 1))
    assert f"more than {MAX_ELEMENTS:,} values" in t.en and "4,194,304" in t.zh


def test_too_many_lines_and_too_deep_rows():
    t = words("1 2" + "\n" * 100_000 + "3 4", max_elements=1000)
    assert t.en == "the text has 100,001 lines, more than a tensor of at most 1,000 values can fill" and chinese(t)
    for depth, rows in ((1, "1 2\n3 4"), (2, "1 2\n\n3 4")):
        t = words(rows, max_depth=depth)
        assert "nested more than" in t.en and chinese(t)


# ---------------------------------------------------------------------------------------------------- notes

RG = "ignored requires_grad=True"
SPACES = "read full-width and no-break spaces as spaces"
SEMICOLON = "ignored the ';' at the end"
NOTED = [
    # (text, the notes in English)
    ("[[1, 2], [3, 4]]", []),
    ("tensor([[1., 2.]], requires_grad=True)", [RG]),
    ("tensor([[0.1, 0.2]], grad_fn=<AddmmBackward0>)", ["ignored grad_fn=<AddmmBackward0>"]),
    ("tensor([1., 2.], device='cuda:0', dtype=torch.float64)", ["ignored device='cuda:0'"]),
    ("Parameter containing:\ntensor([[-0.8567,  1.1006],\n        [-1.0712,  0.1227]], requires_grad=True)", [RG]),
    ("tensor([[1., 2.]], layout=torch.strided)", ["ignored layout=torch.strided"]),
    ("tensor([[1., 2.]], grad_fn=<MulBackward0>)", ["ignored grad_fn=<MulBackward0>"]),
    ("［1，2］", ["read “，” “［” “］” as “,” “[” “]”"]),
    ("[[1,\u30002]，［3, \u22124］]", ["read “，” “［” “］” “−” as “,” “[” “]” “-”", SPACES]),
    ("1\u00a02\u00a03", [SPACES]),  # no punctuation at all: only the spaces are named
    ("x = torch.tensor([1., 2.], requires_grad=True);", ["read the value given to x", SEMICOLON, RG]),
    ("tensor（［1., 2.］， requires_grad=True）", ["read “，” “［” “］” “（” “）” as “,” “[” “]” “(” “)”", RG]),
]


@pytest.mark.parametrize(("text", "notes"), NOTED)
def test_note_words(text, notes):
    texts = [lessons.note_text(code, values) for code, values in parse(text).notes]
    assert [t.en for t in texts] == notes
    assert all(chinese(t) for t in texts)


def test_full_width_note_in_chinese():
    (code, values), *_ = parse("［1，2］").notes
    assert lessons.note_text(code, values).zh == "已将 “，” “［” “］” 按半角 “,” “[” “]” 处理"


# ------------------------------------------------------------------------------------------------ catalogue

PACKAGE = Path(normlens.paste.__file__).parent
CONSTRUCTORS = {"PasteError": "paste_errors", "_Problem": "paste_errors", "note": "paste_notes"}


def _codes(node: ast.expr) -> list[str] | None:
    """The codes a code argument can be: a string, or a choice between strings; None if computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _codes(node.body), _codes(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def constructions() -> list[tuple[str, str, str, set[str]]]:
    """(catalogue, code, where, keyword names) of every PasteError(...), _Problem(...) and note(...) in
    core/paste/*.py. Calls that pass an existing error's code on (`p.code`) are not new codes."""
    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            catalogue = CONSTRUCTORS.get(node.func.id)
            if catalogue is None or (node.args and isinstance(node.args[0], ast.Attribute)):
                continue
            where = f"{path.name}:{node.lineno}"
            codes = _codes(node.args[0]) if node.args else None
            assert codes, f"{where}: the code must be written out (a string, or x if c else y)"
            assert all(k.arg for k in node.keywords), f"{where}: values must be named, not **spread"
            found += [(catalogue, code, where, {k.arg for k in node.keywords if k.arg}) for code in codes]
    return found


def test_the_scan_finds_every_kind_of_construction():
    found = {(c, code) for c, code, *_ in constructions()}
    assert {("paste_errors", "type"), ("paste_errors", "ragged_block_one"), ("paste_errors", "too_many")} <= found
    assert {("paste_notes", "full_width"), ("paste_notes", "ignored")} <= found
    assert len(found) > 40


def test_every_code_has_words_in_both_languages_with_the_values_it_is_given():
    tree = lessons.lessons().tree
    for catalogue, code, where, names in constructions():
        table = tree.get(catalogue, {}).get(code)
        assert table is not None, f"{where}: no [{catalogue}.{code}] in app/lessons/paste.toml"
        assert set(table) == {"en", "zh"}, f"[{catalogue}.{code}]"
        en, zh = lessons.placeholders(table["en"]), lessons.placeholders(table["zh"])
        assert en == zh, f"[{catalogue}.{code}]: en uses {en}, zh {zh}"
        assert en == names, f"{where}: {code} is given {names}, its words use {en}"


def test_the_catalogue_has_no_words_for_codes_that_are_never_raised():
    tree = lessons.lessons().tree
    for catalogue in ("paste_errors", "paste_notes"):
        raised = {code for c, code, *_ in constructions() if c == catalogue}
        assert set(tree[catalogue]) == raised, catalogue


def test_every_code_maps_to_a_kind_the_api_already_returns():
    raised = {code for c, code, *_ in constructions() if c == "paste_errors"}
    assert set(KIND) <= raised
    assert {KIND.get(code, code) for code in raised} <= API_KINDS


def _sentence(zh: str) -> str:
    """A Chinese template without what is code, not sentence: values, quoted characters, calls, names."""
    s = re.sub(r"\$\{[^}]*\}", "X", zh)
    s = re.sub(r"'[^']*'", "", s)  # '[', ',', 'full'
    s = re.sub(r"[A-Za-z0-9_.]+\([^()\u3000-\uffff]*\)", "", s)  # tensor(...), np.set_printoptions(...)
    s = re.sub(r"[A-Za-z0-9_.]+\(", "", s)  # tensor(
    s = re.sub(r"\[[^\]\u3000-\uffff]*\]", "", s)  # [..], [...], [ ]
    return re.sub(r"[A-Za-z_]+=[A-Za-z0-9_]*", "", s)  # name=value


def test_chinese_uses_full_width_punctuation_and_english_no_chinese():
    tree = lessons.lessons().tree
    for catalogue in ("paste_errors", "paste_notes"):
        for code, table in tree[catalogue].items():
            assert CJK.search(table["zh"]) and not CJK.search(table["en"]), code
            assert not re.search(r"[,:;()]", _sentence(table["zh"])), f"[{catalogue}.{code}] zh: {table['zh']}"
            assert table["zh"] != table["en"], code


def test_the_punctuation_check_catches_half_width_punctuation():
    assert re.search(r"[,:;()]", _sentence("数字(这里是 ${word})"))
    assert re.search(r"[,:;()]", _sentence("请写成 1 和 0, 或者"))
    assert not re.search(r"[,:;()]", _sentence("${call}(...) 中有未知参数 ${name}=；可识别的参数有 ${known}"))


def test_core_paste_holds_no_chinese():
    for path in PACKAGE.glob("*.py"):
        assert not CJK.search(path.read_text(encoding="utf-8")), path.name
