"""The PyTorch program's building blocks: the bit-exact constant tests and the tensor lines they choose."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import normlens
from normlens.snippet import MAX_EMBED, constant, holds, module, tensor_code

SIZES = [(3,), (2, 5), (MAX_EMBED + 1,), (32, 32, 8)]  # both sides of MAX_EMBED: bytes, then bits in place


@pytest.mark.parametrize("shape", SIZES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_holds_compares_every_value_to_the_bit(shape, dtype):
    a = np.full(shape, 1.5, dtype=dtype)
    assert holds(a, 1.5) and constant(a)
    assert not holds(a, 1.5 + 1e-12 if dtype == np.float64 else 1.5000001)
    for where in (0, a.size // 2, -1):  # a different value first, in the middle, last
        b = a.copy()
        b.flat[where] = 2.0
        assert not holds(b, 1.5) and not constant(b)
    zeros = np.zeros(shape, dtype=dtype)
    zeros.flat[-1] = -0.0  # equal to 0.0, but torch.full(..., 0.0) would not give its sign bit
    assert not holds(zeros, 0.0) and not constant(zeros) and holds(np.full(shape, -0.0, dtype=dtype), -0.0)


@pytest.mark.parametrize("shape", SIZES)
def test_holds_reads_strided_views(shape):
    a = np.full((*shape, 2), 3.0, dtype=np.float32)
    a[..., 1] = 4.0
    assert holds(a[..., 0], 3.0) and holds(a[..., 1], 4.0) and not holds(a, 3.0)


def test_a_large_array_is_tested_without_a_copy():
    x = np.random.default_rng(0).standard_normal((32, 32, 32, 32)).astype(np.float32)
    ones = np.ones_like(x)
    tracemalloc.start()
    try:
        assert not constant(x) and constant(ones)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < x.nbytes / 2  # at most the comparison's booleans (a quarter), never the bytes of x


def test_tensor_code_writes_constants_as_torch_full_and_large_arrays_as_a_file():
    assert tensor_code("g", np.full((70, 70), -0.0, dtype=np.float32)) == (
        "g = torch.full((70, 70), -0.0, dtype=torch.float32)"
    )
    big = np.arange(MAX_EMBED + 1, dtype=np.float64)
    assert "np.load('x.npy')" in tensor_code("x", big, requires_grad=True)
    assert (
        tensor_code("b", np.array([0.1, 2.0], dtype=np.float32)) == "b = torch.tensor([0.1, 2.0], dtype=torch.float32)"
    )


def test_module_writes_each_argument_as_python_does_once_per_set_of_arguments():
    text = module("nn.LayerNorm", "float32", (4, 5), eps=1e-05, elementwise_affine=True, bias=False)
    assert text == "nn.LayerNorm([4, 5], eps=1e-05, elementwise_affine=True, bias=False, dtype=torch.float32)"
    assert module("nn.RMSNorm", "float64", (3,), eps=None) == "nn.RMSNorm([3], eps=None, dtype=torch.float64)"
    assert module("nn.GroupNorm", "float32", 2, 4, eps=0.001) is module("nn.GroupNorm", "float32", 2, 4, eps=0.001)
    # arguments equal as keys give one text: -0.0 reaches it as 0.0, and a trace says so too
    x = np.ones((2, 3))
    for layer, name in (("rms_norm", "eps"), ("batch_norm", "momentum")):
        t = normlens.trace(layer, x, **{name: -0.0})
        assert t.params[name] == 0.0 and f"{name}=0.0," in t.torch_code and "-0.0" not in t.torch_code
        assert f"{name}=0.5," in normlens.trace(layer, x, **{name: 0.5}).torch_code
