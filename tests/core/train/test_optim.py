"""The optimizers against torch.optim step by step (float64, 1e-12), and the laws the lessons state: Adam keeps
two tensors per parameter, AdamW with weight_decay=0 is Adam, proximal L1 lands on exact zeros and L2 does not."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from normlens.train.optim import Optimizer, penalty, proximal_l1

KINDS = {
    "sgd": lambda ps, o: torch.optim.SGD(ps, lr=o.lr, momentum=0, weight_decay=o.weight_decay),
    "momentum": lambda ps, o: torch.optim.SGD(ps, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay),
    "adam": lambda ps, o: torch.optim.Adam(ps, lr=o.lr, betas=o.betas, eps=o.eps, weight_decay=o.weight_decay),
    "adamw": lambda ps, o: torch.optim.AdamW(ps, lr=o.lr, betas=o.betas, eps=o.eps, weight_decay=o.weight_decay),
}


@pytest.mark.parametrize("kind", list(KINDS))
@given(lr=st.floats(1e-4, 0.5), wd=st.sampled_from([0.0, 1e-3, 0.1]), steps=st.integers(1, 8), seed=st.integers(0, 99))
def test_every_step_equals_torch(kind, lr, wd, steps, seed) -> None:
    rng = np.random.default_rng(seed)
    start = {"a": rng.normal(size=(3, 2)), "b": rng.normal(size=4)}
    ours = Optimizer(kind, lr=lr, weight_decay=wd)
    params = {k: v.copy() for k, v in start.items()}
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    opt = KINDS[kind](list(tparams.values()), ours)
    for _ in range(steps):
        grads = {k: rng.normal(size=v.shape) for k, v in start.items()}
        ours.step(params, grads)
        for k, p in tparams.items():
            p.grad = torch.tensor(grads[k])
        opt.step()
    for k in start:
        np.testing.assert_allclose(params[k], tparams[k].detach().numpy(), rtol=1e-12, atol=1e-14)


def test_defaults_are_pytorchs() -> None:
    import inspect

    for kind, cls in (("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW)):
        sig = inspect.signature(cls).parameters
        o = Optimizer(kind)
        assert (o.lr, o.betas, o.eps, o.weight_decay) == tuple(
            sig[n].default for n in ("lr", "betas", "eps", "weight_decay")
        )


@pytest.mark.parametrize(("kind", "extra"), [("sgd", 0), ("momentum", 1), ("adam", 2), ("adamw", 2)])
def test_state_tensors_per_parameter(kind, extra) -> None:
    params = {"w": np.ones((2, 3)), "b": np.ones(2)}
    opt = Optimizer(kind)
    opt.step(params, {"w": np.ones((2, 3)), "b": np.ones(2)})
    assert opt.state_tensors(params) == extra
    arrays = [v for st_ in opt.state.values() for v in st_.values() if isinstance(v, np.ndarray)]
    assert len(arrays) == extra * len(params)


@given(seed=st.integers(0, 99), steps=st.integers(1, 6))
def test_adamw_without_decay_is_adam(seed, steps) -> None:
    rng = np.random.default_rng(seed)
    a, b = {"w": rng.normal(size=5)}, None
    b = {"w": a["w"].copy()}
    adam, adamw = Optimizer("adam", lr=0.01), Optimizer("adamw", lr=0.01, weight_decay=0.0)
    for _ in range(steps):
        g = {"w": rng.normal(size=5)}
        adam.step(a, g)
        adamw.step(b, g)
    np.testing.assert_array_equal(a["w"], b["w"])


def test_penalty_gradient_is_torchs() -> None:
    w = np.array([[-2.0, 0.0, 0.5], [1.0, -0.25, 3.0]])
    value, (grad,) = penalty([w], l1=0.1, l2=0.3)
    wt = torch.tensor(w, requires_grad=True)
    want = 0.1 * wt.abs().sum() + 0.3 * (wt * wt).sum()
    want.backward()
    assert value == pytest.approx(want.item(), rel=1e-15)
    np.testing.assert_allclose(grad, wt.grad.numpy(), rtol=1e-15)


def test_proximal_l1_gives_exact_zeros_and_l2_shrinks_without_any() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(scale=0.1, size=1000)
    prox = w.copy()
    proximal_l1([prox], threshold=0.05)
    assert (prox == 0).sum() == (np.abs(w) <= 0.05).sum() > 300
    l2 = w.copy()
    for _ in range(100):
        l2 -= 0.1 * penalty([l2], 0.0, 0.5)[1][0]
    assert (l2 == 0).sum() == 0 and np.abs(l2).max() < np.abs(w).max()
