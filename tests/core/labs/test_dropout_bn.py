"""Lab dropout-bn-variance-shift: torch_code recomputes torch_expect; the variance BN sees in training is 1/(1-p)
times the one it sees at test time (statistically, over seeds); its running variance learns the training one; the
fix (BN before Dropout) has no shift; knobs are validated."""

from __future__ import annotations

import math

import numpy as np
import pytest

from normlens.labs.base import LabResult
from normlens.labs.dropout_bn import LAB, feature_var, train_history
from tests.core.labs.checks import assert_refused
from tests.core.labs.torch_run import Case, assert_case_matches, assert_matches, run_torch


def run(**knobs: object) -> LabResult:
    return LAB.run(**LAB.resolve(knobs))


def test_torch_code_recomputes_torch_expect_at_defaults() -> None:
    """The script as a user runs it: a fresh interpreter. Float64 throughout; outputs near 0 are compared
    absolutely (a relative error of 1e-10 means nothing there)."""
    r = run()
    assert_matches(r.torch_expect, run_torch(r.torch_code), rtol=1e-10, atol=1e-12)


CASES = [
    {"p": 0.1, "features": 3, "batch": 2, "batches": 1, "seed": 7},
    {"p": 0.0, "features": 5, "batch": 9, "batches": 4, "seed": 2},
    {"p": 0.9, "features": 16, "batch": 64, "batches": 100, "seed": 2**32 - 1},  # every knob at its maximum
    {"p": 0.9, "features": 2, "batch": 2, "batches": 3, "seed": 0},  # the last batch all dropped: torch's None
]


def random_knobs() -> dict[str, object]:
    """A new draw every run, at the largest embedded batch; the knobs are in the failure's message."""
    g = np.random.default_rng()
    return {
        "p": float(g.uniform(0, 0.9)),
        "features": 16,
        "batch": 64,
        "batches": int(g.integers(1, 60)),
        "seed": int(g.integers(0, 2**32)),
    }


# torch_runs (conftest.py): each of CASES and one random_knobs() draw, run by torch in one interpreter
@pytest.mark.parametrize("case", range(len(CASES) + 1))
def test_torch_code_recomputes_torch_expect(torch_runs: list[Case], case: int) -> None:
    assert_case_matches(torch_runs[case], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_variance_ratio_is_one_over_one_minus_p_in_expectation(p: float) -> None:
    """Per feature the ratio is sum(x^2 m) / ((1-p)^2 sum(x^2)) up to centering; given x its variance is
    p (1-p) sum(x^4) / ((1-p)^4 sum(x^2)^2) ~ 3 p / ((1-p)^3 n) for n normal samples. Averaged over F features and
    S seeds the mean's standard error is sqrt(3 p / ((1-p)^3 n F S)); centering biases it by about p/((1-p)^2 n)."""
    F, B, T, S = 8, 32, 20, 24
    ratios = np.array([run(p=p, features=F, batch=B, batches=T, seed=s).numbers["var_ratio"] for s in range(S)])
    n = B * T
    se_one = math.sqrt(3 * p / ((1 - p) ** 3 * n * F))  # one seed's standard deviation
    bias = p / ((1 - p) ** 2 * n)
    assert abs(ratios.mean() - 1 / (1 - p)) < 5 * se_one / math.sqrt(S) + bias
    # the derived spread is the observed one (a chi-square bound on S - 1 degrees of freedom, loosely)
    assert 0.4 * se_one < ratios.std(ddof=1) < 1.8 * se_one


def test_ratio_and_running_variance_follow_the_law() -> None:
    """After many batches BN's running variance is the training variance, 1/(1-p) times Var(x); the eval output
    std shrinks to about sqrt(1-p); the fix keeps both near 1."""
    p, S = 0.6, 8
    runs = [run(p=p, features=16, batch=64, batches=100, seed=s).numbers for s in range(S)]
    mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
    assert mean["expected_ratio"] == pytest.approx(1 / (1 - p))
    assert mean["running_var_ratio"] == pytest.approx(1 / (1 - p), rel=0.05)
    assert mean["fix_running_var_ratio"] == pytest.approx(1.0, rel=0.05)
    assert mean["std_shift"] == pytest.approx(math.sqrt(1 - p), rel=0.05)
    assert mean["fix_std_shift"] == pytest.approx(1.0, rel=0.05)
    assert mean["train_out_std"] == pytest.approx(1.0, abs=1e-4)  # BN's training output is normalized exactly
    assert mean["running_var"] == pytest.approx(mean["train_var"], rel=0.05)


def test_no_dropout_means_no_shift() -> None:
    """p = 0: Dropout returns x itself, so both orders are the same network and every ratio is exactly 1."""
    n = run(p=0.0, features=4, batch=8, batches=10, seed=3).numbers
    assert n["var_ratio"] == 1.0 and n["train_var"] == n["eval_var"]
    assert n["running_var_ratio"] == n["fix_running_var_ratio"]
    assert n["std_shift"] == n["fix_std_shift"]


def test_a_batch_dropped_whole_has_no_std_ratio_and_says_why() -> None:
    """p^(batch * features) = 0.9^4: Dropout zeroed the whole last batch, BN's training output is all 0, and
    the std ratio over it is undefined (it was inf, which JSON cannot carry: the API answered null where its
    schema says a number)."""
    r = run(p=0.9, features=2, batch=2, batches=3, seed=0)
    n = r.numbers
    assert n["train_out_std"] == 0.0 and n["std_shift"] is None and r.torch_expect["std_shift"] is None
    assert [(x.code, x.values) for x in r.notices] == [
        ("dropped_whole_batch", {"p": 0.9, "batch": 2, "features": 2, "n": 4, "chance": 0.9**4})
    ]
    assert n["fix_std_shift"] is not None and math.isfinite(n["fix_std_shift"])  # BN before Dropout: defined
    assert all(v is None or math.isfinite(v) for v in n.values())
    assert run(p=0.5, features=2, batch=2, batches=3, seed=0).notices == ()


def test_history_matches_the_engine() -> None:
    """The vectorized running statistics equal normlens' BatchNorm stepped batch by batch."""
    r = run(p=0.3, features=5, batch=6, batches=7, seed=11)
    g = np.random.default_rng(11)
    sd = g.uniform(0.5, 2.0, 5)
    x = g.standard_normal((7, 6, 5)) * sd
    keep = g.random((7, 6, 5)) < 0.7
    seen = x * keep * (1 / 0.7)
    rm, rv, var, pooled = train_history(seen)
    np.testing.assert_allclose(pooled, feature_var(seen), rtol=1e-12)  # within + between batches = all samples
    np.testing.assert_allclose(rv[-1], r.torch_expect["running_var"], rtol=1e-13)
    np.testing.assert_allclose(rm[-1], r.torch_expect["running_mean"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(r.series["running_var"], rv.mean(axis=1), rtol=1e-13)
    assert var.shape == (7, 5) and rm.shape == rv.shape == (8, 5)
    assert rv[0].tolist() == [1.0] * 5 and rm[0].tolist() == [0.0] * 5  # a fresh layer


def test_feature_var_is_biased_and_per_feature() -> None:
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4)  # (T, B, F) -> (F,)
    np.testing.assert_allclose(feature_var(a), a.reshape(6, 4).var(axis=0))


def test_series_shapes_and_determinism() -> None:
    r = run(features=3, batch=5, batches=9, seed=4)
    assert len(r.series["running_var"]) == len(r.series["fix_running_var"]) == 10
    assert len(r.series["batch_var"]) == len(r.series["fix_batch_var"]) == 9
    for k in ("train_out", "eval_out", "fix_train_out", "fix_eval_out"):
        assert len(r.series[k]) == 15
    again = run(features=3, batch=5, batches=9, seed=4)
    assert again.numbers == r.numbers and again.torch_code == r.torch_code
    assert run(features=3, batch=5, batches=9, seed=5).numbers != r.numbers
    assert r.notices == ()


def test_torch_code_says_how_the_mask_is_applied() -> None:
    code = run().torch_code
    assert "y = x * mask / (1 - p)" in code and "nn.Dropout" in code and "nn.BatchNorm1d" in code
    assert "numpy" not in code.split("\n", 3)[2]  # torch only: the inputs are literals


@pytest.mark.parametrize(
    ("knob", "value", "code"),
    [
        ("p", 0.95, "knob_range"),
        ("p", -0.1, "knob_range"),
        ("p", "half", "not_number"),
        ("features", 0, "below_minimum"),
        ("features", 17, "out_of_range"),
        ("batch", 1, "below_minimum"),
        ("batch", 65, "out_of_range"),
        ("batches", 0, "below_minimum"),
        ("batches", 101, "out_of_range"),
        ("batches", 2.5, "not_integer"),
        ("seed", -1, "below_minimum"),
        ("seed", True, "not_integer"),
        ("momentum", 0.1, "unknown_argument"),
    ],
)
def test_bad_knobs_name_the_knob(knob: str, value: object, code: str) -> None:
    assert assert_refused(LAB, knob, value).code == code


def test_spec() -> None:
    assert LAB.slug == "dropout-bn-variance-shift" and LAB.seeds == ("000 Q14",)
    assert [k.name for k in LAB.knobs] == ["p", "features", "batch", "batches", "seed"]
    assert LAB.resolve({}) == LAB.defaults()
