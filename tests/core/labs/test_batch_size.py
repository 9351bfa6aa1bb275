"""Lab batch-size (the issue-9 batch-size explorer): torch_code recomputes torch_expect; BatchNorm's spread shrinks as
the batch grows while GroupNorm's and LayerNorm's are exactly 0; a batch of one with one value per channel carries
PyTorch's own error; the outputs equal normlens' layers; knobs are validated."""

from __future__ import annotations

import numpy as np
import pytest

import normlens
from normlens.labs.base import LabResult
from normlens.labs.batch_size import LAB, SIZES, normalize, spread
from tests.core.labs.checks import assert_refused
from tests.core.labs.torch_run import Case, assert_case_matches, assert_matches, run_torch


def run(**knobs: object) -> LabResult:
    return LAB.run(**LAB.resolve(knobs))


def test_torch_code_recomputes_torch_expect_at_defaults() -> None:
    """The script as a user runs it: a fresh interpreter. Float64; outputs near 0 and spreads that are 0 are
    compared absolutely."""
    r = run()
    assert_matches(r.torch_expect, run_torch(r.torch_code), rtol=1e-10, atol=1e-12)


CASES = [
    {"batch": 1, "num_groups": 2, "group_channels": 2, "length": 1, "redraws": 3, "seed": 1},  # PyTorch refuses
    {"batch": 1, "num_groups": 1, "group_channels": 3, "length": 2, "redraws": 2, "seed": 2},  # N = 1, L = 2 trains
    {"batch": 3, "num_groups": 4, "group_channels": 1, "length": 1, "redraws": 5, "seed": 3},  # G = C
    {"batch": 64, "num_groups": 4, "group_channels": 4, "length": 2, "redraws": 32, "seed": 2**32 - 1},  # maxima
]


def random_knobs() -> dict[str, object]:
    """A new draw every run; the knobs are in the failure's message."""
    g = np.random.default_rng()
    return {
        "batch": int(g.integers(2, 65)),
        "num_groups": int(g.integers(1, 5)),
        "group_channels": int(g.integers(1, 5)),
        "length": int(g.integers(1, 3)),
        "redraws": int(g.integers(2, 33)),
        "seed": int(g.integers(0, 2**32)),
    }


# torch_runs (conftest.py): each of CASES and one random_knobs() draw, run by torch in one interpreter
@pytest.mark.parametrize("case", range(len(CASES) + 1))
def test_torch_code_recomputes_torch_expect(torch_runs: list[Case], case: int) -> None:
    assert_case_matches(torch_runs[case], rtol=1e-10, atol=1e-12)


def test_batch_of_one_quotes_pytorch_exactly(torch_runs: list) -> None:
    """PyTorch's own words, printed by the script, are the Notice's torch_error."""
    _, r, got = torch_runs[0]
    assert got["bn_raises"] is True and "bn" not in got
    (notice,) = r.notices
    assert notice.code == "one_value_per_channel"
    assert (
        notice.torch_error == "Expected more than 1 value per channel when training, got input size torch.Size([1, 4])"
    )
    assert got["__stdout__"].splitlines()[0] == notice.torch_error
    assert "bn_spread" not in r.numbers and "gap" not in r.numbers  # undefined: no row rather than a fake number
    assert 1 not in r.series["bn_sizes"] and len(r.series["bn_spread"]) == len(SIZES) - 1


def test_batch_of_one_with_several_values_per_channel_trains(torch_runs: list) -> None:
    _, r, got = torch_runs[1]
    assert got["bn_raises"] is False and r.notices == ()
    assert r.numbers["bn_spread"] == 0.0  # no batch-mates to redraw: BN is InstanceNorm here
    assert r.series["bn_sizes"] == list(SIZES)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("G", "Cg", "L"), [(2, 4, 1), (1, 3, 2), (4, 1, 1)])
def test_bn_spread_shrinks_as_the_batch_grows_and_gn_ln_never_move(seed: int, G: int, Cg: int, L: int) -> None:
    """Issue 9's acceptance: BN's spread falls at every step of the curve; GN's and LN's are exactly 0."""
    r = run(num_groups=G, group_channels=Cg, length=L, seed=seed)
    bn = [s for n, s in zip(r.series["bn_sizes"], r.series["bn_spread"], strict=True) if n >= 2]  # n = 1: no mates
    assert len(bn) == len(SIZES) - 1
    assert all(a > b for a, b in zip(bn, bn[1:], strict=False)), bn
    assert r.series["gn_spread"] == [0.0] * len(SIZES) and r.series["ln_spread"] == [0.0] * len(SIZES)
    assert r.numbers["gn_spread"] == 0.0 and r.numbers["ln_spread"] == 0.0
    assert r.numbers["bn_spread_2"] > r.numbers["bn_spread_64"] > 0


def test_spread_falls_like_one_over_root_n() -> None:
    """Averaged over seeds, quadrupling the batch halves the spread, roughly (the batch mean's error ~ 1/sqrt(n))."""
    curves = np.array([run(redraws=32, seed=s).series["bn_spread"] for s in range(8)]).mean(axis=0)
    by_size = dict(zip(run().series["bn_sizes"], curves, strict=True))
    assert by_size[64] / by_size[16] == pytest.approx(0.5, rel=0.25)
    assert by_size[32] / by_size[8] == pytest.approx(0.5, rel=0.25)


def test_train_eval_gap_shrinks() -> None:
    gaps = np.array([run(seed=s).series["gap"] for s in range(6)]).mean(axis=0)
    assert np.all(np.diff(gaps) < 0), gaps


def test_chosen_batch_reuses_the_curves_draws() -> None:
    r = run(batch=16, seed=4)
    at = r.series["bn_sizes"].index(16)
    assert r.numbers["bn_spread"] == r.series["bn_spread"][at] and r.numbers["gap"] == r.series["gap"][at]
    assert run(batch=5, seed=4).series["bn_spread"] == r.series["bn_spread"]  # an extra size draws after the curve


def test_outputs_equal_normlens_layers() -> None:
    """The lab's vectorized normalization of one redrawn batch equals normlens' BatchNorm, GroupNorm, LayerNorm."""
    g = np.random.default_rng(0)
    x = g.normal(1.5, 2.0, (5, 6, 3))  # (N, C, L)
    bn = normlens.trace("batch_norm", x, training=True).output
    gn = normlens.trace("group_norm", x, num_groups=3).output
    ln = normlens.trace("layer_norm", x, normalized_shape=[6, 3]).output
    np.testing.assert_allclose(normalize(x[None], (1, 3))[0], bn, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(normalize(x.reshape(5, 3, 6), (2,)).reshape(x.shape), gn, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(normalize(x, (1, 2)), ln, rtol=1e-12, atol=1e-14)


def test_spread_of_identical_outputs_is_exactly_zero() -> None:
    v = np.broadcast_to(np.array([[0.1, 1 / 3], [2.7, -5.1]]), (7, 2, 2))  # 7 redraws, (C, L) = (2, 2)
    assert spread(v) == 0.0
    w = np.stack([np.full((2, 2), 1.0), np.full((2, 2), 3.0)])
    assert spread(w) == pytest.approx(1.0)


def test_numbers_and_series_shapes() -> None:
    r = run(batch=8, num_groups=2, group_channels=3, length=2, redraws=5, seed=0)
    n = r.numbers
    assert (n["channels"], n["bn_values"], n["gn_values"], n["ln_values"]) == (6, 16, 6, 12)
    assert np.shape(r.series["bn_outputs"]) == np.shape(r.series["gn_outputs"]) == (5, 6)  # (redraws, C)
    assert np.shape(r.series["eval_output"]) == np.shape(r.series["x_eval"]) == (6,)
    assert r.series["sizes"] == list(SIZES)
    for k in ("bn_outputs", "gn_outputs", "ln_outputs"):
        assert np.isfinite(r.series[k]).all()
    assert np.all(np.asarray(r.series["gn_outputs"]) == np.asarray(r.series["gn_outputs"])[0])


def test_embedded_data_is_capped() -> None:
    r = run(batch=64, num_groups=4, group_channels=4, length=2, redraws=32)
    assert np.shape(r.torch_expect["bn"]) == (1, 16, 2)  # one batch of 64 x 16 x 2 = 2048 values
    r = run(batch=2, num_groups=1, group_channels=2, length=1, redraws=32)
    assert np.shape(r.torch_expect["bn"]) == (32, 2)  # every redraw when they fit


def test_determinism() -> None:
    a, b = run(seed=3), run(seed=3)
    assert a.numbers == b.numbers and a.torch_code == b.torch_code
    assert run(seed=4).numbers != a.numbers


@pytest.mark.parametrize(
    ("knob", "value", "code"),
    [
        ("batch", 0, "below_minimum"),
        ("batch", 65, "out_of_range"),
        ("num_groups", 5, "out_of_range"),
        ("group_channels", 0, "below_minimum"),
        ("length", 3, "out_of_range"),
        ("redraws", 1, "below_minimum"),
        ("redraws", 33, "out_of_range"),
        ("seed", -3, "below_minimum"),
        ("batch", 8.5, "not_integer"),
        ("channels", 8, "unknown_argument"),
    ],
)
def test_bad_knobs_name_the_knob(knob: str, value: object, code: str) -> None:
    assert assert_refused(LAB, knob, value).code == code


def test_spec() -> None:
    assert LAB.slug == "batch-size" and LAB.seeds == ("004 d2l", "001 §4")
    assert [k.name for k in LAB.knobs] == ["batch", "num_groups", "group_channels", "length", "redraws", "seed"]
