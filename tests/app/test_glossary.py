"""The glossary (app/lessons/glossary.toml) holds for every text the app can show.

The texts: every {en, zh} pair of every lesson file (steps, notices, errors, paste words, link words, the
examples), formula/live/brief excluded (language-neutral LaTeX); the UI strings (static/i18n/en.json and zh.json);
the examples as the gallery loads them. Each is checked for:

1. rejected terms: a glossary entry's rejected_en in English text, rejected_zh in Chinese text. A Chinese term is a
   substring; a Latin term is a whole word, case-sensitive, a lowercase term also matching with a capital first
   letter. A rejected term that is an argument name (gamma, beta, eps) names the argument, and is allowed, in
   argument descriptions ([layers.*.params]) and argument errors ([errors], [paste_errors]), and anywhere as
   code: `gamma=[2, 5]`, `eps=0`.
2. half-width punctuation inside Chinese sentences. The rule, strict for prose and blind to code and maths: in a
   zh text with a Chinese character, first set aside what is code or maths:
     - placeholders ${...} and {...}; a book title 《...》;
     - a '...' or "..." quote whose content has no Chinese (quoted code: ',', '[', 'channel');
     - a (...) or [...] group whose content has no Chinese (tuples (N, C, H, W), lists [2, 3], calls f(x),
       formulas σ²/(σ² + ε), 1/(1-p)), innermost first, unless a bracket touches a Chinese character (身高(cm) is
       prose: 身高（cm）);
     - an open call `name(` as typed (tensor( ), a prime after a letter (a'), a comma between two numbers (2, 3).
   Any , : ; ( ) " ' left is prose punctuation and must be full-width （）：；，、“” 「」.
3. Latin words in Chinese text: allowed are single letters (symbols), code (a word with _ or a digit, a dotted
   name, a word followed by ( = or [, a quoted code span), the layers' names, argument names and choices
   (normlens.LAYERS), and the short explicit list ALLOWED below. Anything else is English left in a Chinese
   sentence.
4. placeholders: the same ${...} (name and format) / {...} in both languages.
5. spelling: American English; BRITISH lists the spellings refused.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import normlens
from normlens.app.examples import EXAMPLES
from normlens.app.lessons import DIR, lessons

I18N = Path(__file__).resolve().parents[2] / "static" / "i18n"
NEUTRAL = {"formula", "live", "brief"}  # LaTeX and client templates: no language
IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff"
CHINESE = IDEOGRAPH + "\u3000-\u303f\uff00-\uffef\u2018-\u201d"  # + CJK and full-width punctuation, curly quotes
HAS_IDEOGRAPH = re.compile(f"[{IDEOGRAPH}]")
PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{\w+\}")
ARGUMENT_TEXT = re.compile(r"^(errors|paste_errors)\.|^layers\.\w+\.params\.")
GLOSSARY: dict[str, dict[str, Any]] = lessons().tree["glossary"]

# --- the texts ---------------------------------------------------------------------------------------------


def pairs(tree: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str, str]]:
    """Every {en, zh} pair under tree as (where, en, zh), skipping the language-neutral fields."""
    if isinstance(tree, dict):
        if isinstance(tree.get("en"), str) and isinstance(tree.get("zh"), str):
            yield ".".join(path), tree["en"], tree["zh"]
        for key, value in tree.items():
            if key not in ("en", "zh") and key not in NEUTRAL:
                yield from pairs(value, (*path, key))


def all_texts() -> list[tuple[str, str, str]]:
    out = []
    for path in sorted(DIR.glob("*.toml")):
        if path.name != "glossary.toml":
            out += [(f"{path.name}:{w}", en, zh) for w, en, zh in pairs(tomllib.loads(path.read_text("utf-8")))]
    en, zh = (json.loads((I18N / f"{lang}.json").read_text("utf-8")) for lang in ("en", "zh"))
    assert set(en) == set(zh), set(en) ^ set(zh)
    out += [(f"i18n:{key}", en[key], zh[key]) for key in en]
    for e in EXAMPLES:
        words = {"title": e.title, "question": e.question, "explanation": e.explanation}
        out += [(f"example:{e.slug}.{k}", text.en, text.zh) for k, text in words.items()]
    return out


TEXTS = all_texts()
IDS = [w for w, _, _ in TEXTS]


def section(where: str) -> str:
    """The lesson-tree path of a text (without its file)."""
    return where.split(":", 1)[1]


# --- 1. rejected terms -------------------------------------------------------------------------------------

ARGUMENTS = {p.name for spec in normlens.LAYERS.values() for p in spec.params}


def _latin(term: str) -> bool:
    return term.isascii()


def term_pattern(term: str) -> re.Pattern[str]:
    if not _latin(term):
        return re.compile(re.escape(term))
    first = f"[{term[0]}{term[0].upper()}]" if term[0].islower() else re.escape(term[0])
    return re.compile(rf"(?<![A-Za-z0-9_.]){first}{re.escape(term[1:])}(?![A-Za-z0-9_])")


def rejected_in(text: str, terms: list[str], where: str) -> list[str]:
    """The rejected terms that text uses (see the module docstring for the argument-name exemption)."""
    text = PLACEHOLDER.sub("X", text)
    found = []
    for term in terms:
        for m in term_pattern(term).finditer(text):
            if term in ARGUMENTS and (ARGUMENT_TEXT.search(where) or text[m.end() : m.end() + 1] == "="):
                continue
            found.append(term)
            break
    return found


def rejected(lang: str) -> list[str]:
    return [t for entry in GLOSSARY.values() for t in entry[f"rejected_{lang}"]]


@pytest.mark.parametrize(("where", "en", "zh"), TEXTS, ids=IDS)
def test_no_rejected_term(where, en, zh):
    w = section(where) if ":" in where else where
    assert not rejected_in(en, rejected("en"), w), (where, en)
    assert not rejected_in(zh, rejected("zh"), w), (where, zh)


def test_the_glossary_is_complete_and_consistent():
    for name, entry in GLOSSARY.items():
        assert set(entry) == {"en", "zh", "rejected_en", "rejected_zh", "note"}, name
        assert entry["en"] and entry["zh"] and entry["note"].strip(), name
        assert HAS_IDEOGRAPH.search(entry["zh"]) or entry["zh"] in ("batch size", "momentum", "ε"), name
        for lang in ("en", "zh"):  # no preferred term is another entry's rejected one
            assert not rejected_in(entry[lang], rejected(lang), "glossary"), (name, lang)
    assert {"batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "min_max", "standardization",
            "evaluation", "training", "batch_size", "scale", "shift", "centering", "running_mean",
            "running_variance", "inverted_dropout", "mean", "variance"} <= set(GLOSSARY)  # fmt: skip


def test_rejected_terms_are_found():
    assert rejected_in("γ 和 β 可以把它撤销", ["撤销"], "steps.x") == ["撤销"]
    assert rejected_in("Multiply by a gain gamma.", ["gain", "gamma"], "examples.x") == ["gain", "gamma"]
    assert rejected_in("Gain is learned", ["gain"], "steps.x") == ["gain"]
    assert rejected_in("against the gains", ["gain"], "steps.x") == []  # a whole word only
    assert rejected_in("batchsize 为 1", ["batchsize"], "examples.x") == ["batchsize"]
    assert rejected_in("BatchNorm", ["batchnorm"], "x") == []  # case-sensitive
    # an argument's name: in its description and errors, and as code anywhere
    assert rejected_in("eps must be positive", ["eps"], "errors.eps_not_positive") == []
    assert rejected_in("RMSNorm([8], eps=1e-6)", ["eps"], "examples.x") == []
    assert rejected_in("add eps = 1e-6", ["eps"], "steps.rms") == ["eps"]
    assert rejected_in("x.gamma", ["gamma"], "x") == []


# --- 2. half-width punctuation in Chinese ------------------------------------------------------------------

_NO_CHINESE = f"[^{CHINESE}"
_GROUPS = re.compile(  # (...), [...] and the half-open intervals [0, 1), (0, 1]
    rf"(?<![{IDEOGRAPH}])[(\[]{_NO_CHINESE}()\[\]]*[)\]](?![{IDEOGRAPH}])"
)
_QUOTES = re.compile(rf"(?<![{IDEOGRAPH}])(?:'{_NO_CHINESE}']*'|\"{_NO_CHINESE}\"]*\")(?![{IDEOGRAPH}])")


def prose(zh: str) -> str:
    """zh with its code and maths replaced by X: what is left is Chinese prose."""
    s = PLACEHOLDER.sub("X", zh)
    s = re.sub(r"《[^》]*》", "X", s)
    s = _QUOTES.sub("X", s)
    while True:
        t = _GROUPS.sub("X", s)
        if t == s:
            break
        s = t
    s = re.sub(rf"(?<=[\w.])\((?=[\s{CHINESE}]|$)", "X", s)  # tensor( as typed
    s = re.sub(r"(?<=[A-Za-z])'", "X", s)  # a prime: a'
    return re.sub(r"(?<=\d), ?(?=[-−]?\d)", "X", s)  # 2, 3, 4


def half_width(zh: str) -> list[str]:
    """Half-width , : ; ( ) " ' in the Chinese prose of zh, each with a few characters around it."""
    if not HAS_IDEOGRAPH.search(zh):
        return []  # no Chinese sentence (a placeholder, a symbol)
    s = prose(zh)
    return [s[max(0, m.start() - 4) : m.end() + 4] for m in re.finditer(r"[,:;()\"']", s)]


@pytest.mark.parametrize(("where", "en", "zh"), TEXTS, ids=IDS)
def test_chinese_sentences_use_full_width_punctuation(where, en, zh):
    assert not half_width(zh), (where, half_width(zh), zh)


def test_the_punctuation_rule_flags_prose_and_passes_code():
    for bad in ("一个 batch 含 2 个样本,每个样本", "身高(cm)、体重", "均值 0(误差只来自 eps)", "Dropout p = 0.5:丢一半",
                "用 BatchNorm: 「我」", "学术界称为'方差偏移'", "说 \"方差\" 时", "已选中:请按 Ctrl+C", "(可选)",
                "第 {i} 步, 共 {n} 步", "f(x) 之后; 再"):  # fmt: skip
        assert half_width(bad), bad
    for good in ("x 的形状为 (${names}) = ${shape}，类型为 ${dtype}。", "乘以 1/(1-p) = ${scale:.4g}，",
                 "（numpy.random.default_rng(${seed})）", "方差变为 σ²/(σ² + ε) ≈ 1。", "(N, C, H, W) 或 [2, 3]",
                 "${call}(...) 中有未知参数 ${name}=；", "从 '['、tensor( 或 array( 开始", "变为 a' = ${a}，即",
                 "例如 2, 3, 4, 4", "参考 Wu & He《Group Normalization》，2018", "x.shape 的形状", "y = x/(1−p) 上",
                 "sqrt(mean(x²) + ε) 再乘", "','（逗号）", "RMSNorm([8], eps=1e-6) 把", "均匀分布 [0, 1)"):  # fmt: skip
        assert not half_width(good), (good, prose(good))


# --- 3. Latin words in Chinese -----------------------------------------------------------------------------

# The explicit list: besides layer names, argument names and choices (from normlens.LAYERS), single letters and code.
ALLOWED = {
    # layers and methods
    "BatchNorm", "LayerNorm", "GroupNorm", "InstanceNorm", "RMSNorm", "Dropout", "AlphaDropout", "BN", "LN", "GN",
    "IN", "RMS", "SELU", "min-max", "dropout", "inverted",
    # libraries, models, tools and where a formula comes from
    "PyTorch", "torch", "NumPy", "Keras", "TensorFlow", "scikit-learn", "MinMaxScaler", "Python", "NormLens",
    "Transformer", "RNN", "LLM", "LLaMA", "Mistral", "Qwen", "NLP", "Wu", "He", "ValueError",
    # words the notes keep in English, modes, values and formats
    "batch", "token", "eval", "weight", "input", "layer", "dtype", "true", "false", "null", "None", "NaN",
    "min", "max", "rms", "CSV", "PNG", "SVG", "JSON", "Content-Length", "Ctrl",
    # the labs and training pages: module, class and function names (nn.Linear, nn.ReLU, torch.optim.SGD/Adam/AdamW,
    # nn.SyncBatchNorm, DDP = DistributedDataParallel), models, algorithms and authors, libraries and tools,
    # hardware and interface acronyms, and Python's literal False (pd.set_option(..., False))
    "Linear", "ReLU", "sigmoid", "SGD", "Adam", "AdamW", "SyncBatchNorm", "SyncBN", "DDP", "LeNet", "Welford",
    "Li", "CVPR", "pandas", "pip", "CPU", "GPU", "API", "False",
}  # fmt: skip
PHRASES = ("batch size",)
NAMES = (
    set(normlens.LAYERS)
    | ARGUMENTS
    | {c for spec in normlens.LAYERS.values() for p in spec.params for c in p.choices or ()}
    | {w for spec in normlens.LAYERS.values() for c in spec.torch_classes for w in re.split(r"[./]", c)}
)
_WORD = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z][A-Za-z0-9_]*)*")


def english_words(zh: str) -> list[str]:
    """The Latin words of zh that are neither code nor allowed."""
    s = PLACEHOLDER.sub(" ", zh)
    s = re.sub(r"《[^》]*》", " ", s)
    s = re.sub(r"'[^'\s]*'", " ", s)  # quoted code
    for phrase in PHRASES:
        s = s.replace(phrase, "X")
    out = []
    for m in _WORD.finditer(s):
        word, before, after = m.group(), s[m.start() - 1 : m.start()], s[m.end() : m.end() + 2]
        code = re.search(r"[_\d]", word) or before == "=" or after[:1] in ("(", "=", "[") or re.match(r"\.\w", after)
        if len(word) > 1 and not code and word not in ALLOWED and word not in NAMES:
            out.append(word)
    return out


@pytest.mark.parametrize(("where", "en", "zh"), TEXTS, ids=IDS)
def test_no_english_in_chinese_text(where, en, zh):
    if HAS_IDEOGRAPH.search(zh):
        assert not english_words(zh), (where, english_words(zh), zh)


def test_english_words_are_found():
    assert english_words("再乘以增益 gain，训练效果相当") == ["gain"]
    assert english_words("共 2 个 feature map") == ["feature", "map"]
    assert english_words("这是 state dict 的值") == ["state", "dict"]
    assert english_words("running = 0.9 × running") == ["running", "running"]
    code = ("numpy.random.default_rng(${seed}) 的种子，nn.BatchNorm2d、float32、x_hat、sqrt(mean(x²) + ε)、"
            "module.eval()、gamma、eps=0、'channel'、batch size 为 1、LLaMA、m = 16、E[y]、${ndim}D、"
            "name=value")  # fmt: skip
    assert english_words(code) == []


# --- 4. placeholders ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("where", "en", "zh"), TEXTS, ids=IDS)
def test_both_languages_have_the_same_placeholders(where, en, zh):
    assert set(PLACEHOLDER.findall(en)) == set(PLACEHOLDER.findall(zh)), where


def test_placeholders_compare_name_and_format():
    assert set(PLACEHOLDER.findall("eps = ${eps:g}")) != set(PLACEHOLDER.findall("eps = ${eps}"))
    assert set(PLACEHOLDER.findall("第 {i} 步")) == set(PLACEHOLDER.findall("Step {i}"))


# --- 5. American spelling ----------------------------------------------------------------------------------

BRITISH = re.compile(
    r"\b(?:cent(?:re|res|red|ring)|\w*(?:colour|behaviour|neighbour|favour|honour|labour|flavour)\w*"
    r"|\w*(?:metre|litre|fibre)s?|grey|licence|defence|offence|catalogue|programme|artefacts?|judgement"
    r"|(?:model|label|travel|cancel|signal)l(?:ed|ing)|whilst|amongst|analys(?:e|ed|es|ing)"
    r"|(?:normali|standardi|summari|initiali|regulari|optimi|minimi|maximi|visuali|organi|recogni|generali"
    r"|randomi|parametri|vectori|seriali|tokeni|utili|emphasi|stabili|characteri)s(?:e|es|ed|ing|ation|ations|er|ers))\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize(("where", "en", "zh"), TEXTS, ids=IDS)
def test_english_is_american(where, en, zh):
    assert not BRITISH.search(en), (where, BRITISH.findall(en), en)


def test_british_spellings_are_found():
    for word in ("centred", "Centre", "centring", "colour", "coloured", "neighbouring", "centimetres", "normalise",
                 "standardisation", "modelling", "behaviour", "grey", "summarised"):  # fmt: skip
        assert BRITISH.search(f"a {word} b"), word
    for word in ("centered", "center", "color", "neighboring", "centimeters", "normalize", "standardization",
                 "modeling", "behavior", "gray", "summarized", "emphasis", "analysis", "noise", "raise"):  # fmt: skip
        assert not BRITISH.search(f"a {word} b"), word


# --- coverage ----------------------------------------------------------------------------------------------


def test_every_source_of_text_is_read():
    sources = {w.split(":")[0] for w in IDS}
    files = {p.name for p in DIR.glob("*.toml")} - {"glossary.toml"}
    assert files | {"i18n", "example"} == sources
    assert len(TEXTS) > 400
    assert sum(w.startswith("i18n:") for w in IDS) == len(json.loads((I18N / "en.json").read_text("utf-8")))
