"""Every layer of the training engine against torch's autograd: forward and backward, on random shapes and
arguments, in float64 (1e-10)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from normlens.train.conv import AvgPool2d, Conv2d, MaxPool2d
from normlens.train.layers import Dropout, Flatten, Linear, Norm, ReLU, Sigmoid, Tanh
from normlens.train.loop import cross_entropy

TOL = {"rtol": 1e-10, "atol": 1e-12}


def torch_grads(module: torch.nn.Module, x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    xt = torch.tensor(x, requires_grad=True)
    y = module(xt)
    y.backward(torch.tensor(g))
    grads = {k: p.grad.numpy() for k, p in module.named_parameters()}
    return y.detach().numpy(), xt.grad.numpy(), grads


def check(layer, module: torch.nn.Module, x: np.ndarray, train: bool = True) -> None:
    module.train(train)
    y = layer.forward(x, train=train)
    g = np.random.default_rng(1).normal(size=y.shape)
    want_y, want_gx, want = torch_grads(module, x, g)
    np.testing.assert_allclose(y, want_y, **TOL)
    np.testing.assert_allclose(layer.backward(g), want_gx, **TOL)
    assert sorted(layer.grads) == sorted(want)
    for k in want:
        np.testing.assert_allclose(layer.grads[k], want[k], **TOL, err_msg=k)


@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 5), st.booleans(), st.integers(0, 2**31))
def test_linear(n, fan_in, fan_out, bias, seed) -> None:
    rng = np.random.default_rng(seed)
    m = torch.nn.Linear(fan_in, fan_out, bias=bias, dtype=torch.float64)
    layer = Linear(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy() if bias else None)
    check(layer, m, rng.normal(size=(n, fan_in)))


@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(0, 1),
    st.integers(3, 7),
    st.booleans(),
    st.integers(0, 2**31),
)
def test_conv2d(n, c, out, k, pad, size, bias, seed) -> None:
    rng = np.random.default_rng(seed)
    m = torch.nn.Conv2d(c, out, k, padding=pad, bias=bias, dtype=torch.float64)
    layer = Conv2d(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy() if bias else None, pad)
    check(layer, m, rng.normal(size=(n, c, size, size + 1)))


@pytest.mark.parametrize("cls", [AvgPool2d, MaxPool2d])
@given(k=st.integers(1, 3), h=st.integers(2, 7), seed=st.integers(0, 2**31), ties=st.booleans())
def test_pooling(cls, k, h, seed, ties) -> None:
    rng = np.random.default_rng(seed)
    shape = (2, 3, h + k, h + 1 + k)
    x = rng.integers(0, 3, size=shape).astype(float) if ties else rng.normal(size=shape)
    module = torch.nn.AvgPool2d(k) if cls is AvgPool2d else torch.nn.MaxPool2d(k)
    check(cls(k), module, x)  # ties (integer inputs): the gradient goes where torch sends it


@pytest.mark.parametrize(
    ("cls", "module"),
    [(ReLU, torch.nn.ReLU), (Sigmoid, torch.nn.Sigmoid), (Tanh, torch.nn.Tanh), (Flatten, torch.nn.Flatten)],
)
def test_activations_and_flatten(cls, module) -> None:
    x = np.random.default_rng(0).normal(size=(4, 3, 2, 2))
    x[0, 0, 0, 0] = 0.0  # ReLU's gradient at 0 is 0, as torch's
    check(cls(), module(), x)


@pytest.mark.parametrize("train", [True, False])
@given(n=st.integers(2, 5), c=st.integers(1, 4), spatial=st.booleans(), seed=st.integers(0, 2**31))
def test_batch_norm_train_and_eval(train, n, c, spatial, seed) -> None:
    rng = np.random.default_rng(seed)
    shape = (n, c, 3, 2) if spatial else (n, c)
    m = (torch.nn.BatchNorm2d if spatial else torch.nn.BatchNorm1d)(c, dtype=torch.float64)
    layer = Norm("batch", (c,), 1e-5)
    for name in ("weight", "bias"):  # random affine parameters on both sides
        value = rng.normal(size=c)
        layer.params[name] = value.copy()
        getattr(m, name).data = torch.tensor(value)
    x0 = rng.normal(size=shape) * 3 + 1
    layer.forward(x0, train=True)  # one training step first, so eval uses non-trivial running statistics
    m.train()
    m(torch.tensor(x0))
    check(layer, m, rng.normal(size=shape), train=train)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(layer.buffers[name], getattr(m, name).numpy(), **TOL)
    assert layer.buffers["num_batches_tracked"] == int(m.num_batches_tracked)


@given(n=st.integers(1, 4), c=st.sampled_from([2, 4, 6]), g=st.sampled_from([1, 2]), seed=st.integers(0, 2**31))
def test_group_norm_and_layer_norm(n, c, g, seed) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, 2, 3))
    gn = torch.nn.GroupNorm(g, c, dtype=torch.float64)
    check(Norm("group", (c,), 1e-5, groups=g), gn, x)
    ln = torch.nn.LayerNorm([c], dtype=torch.float64)
    check(Norm("layer", (c,), 1e-5), ln, rng.normal(size=(n + 1, c)))


def test_dropout_keeps_where_u_is_below_one_minus_p_and_scales() -> None:
    x = np.arange(1.0, 101.0).reshape(10, 10)
    u = np.random.default_rng(7).random(x.shape)
    layer = Dropout(0.3, np.random.default_rng(7))
    y = layer.forward(x, train=True)
    np.testing.assert_array_equal(y, x * ((u < 0.7) / 0.7))
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), (u < 0.7) / 0.7)
    assert layer.forward(x, train=False) is x  # eval: identity, no draw


@given(n=st.integers(1, 6), k=st.integers(2, 5), seed=st.integers(0, 2**31))
def test_cross_entropy(n, k, seed) -> None:
    rng = np.random.default_rng(seed)
    logits, y = rng.normal(size=(n, k)) * 5, rng.integers(0, k, n)
    loss, grad = cross_entropy(logits, y)
    lt = torch.tensor(logits, requires_grad=True)
    want = torch.nn.functional.cross_entropy(lt, torch.tensor(y))
    want.backward()
    np.testing.assert_allclose(loss, want.item(), **TOL)
    np.testing.assert_allclose(grad, lt.grad.numpy(), **TOL)
