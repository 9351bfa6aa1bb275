"""Layers of the training engine, each with its backward beside its forward, in PyTorch's layouts (Linear's
weight is (out, in), Conv2d's (out, in, k, k)) so that a state dict moves between the two unchanged. A layer
caches what its backward needs during forward; `params` and `grads` share keys ("weight", "bias", ...).

    >>> lin = Linear(np.arange(6.0).reshape(3, 2), np.zeros(3))      # x (N, 2) -> y (N, 3)
    >>> y = lin.forward(np.ones((4, 2)), train=True); gx = lin.backward(np.ones((4, 3)))
    >>> lin.grads["weight"].shape, gx.shape
    ((3, 2), (4, 2))
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]


class Layer:
    """No parameters, no state: subclasses override forward and backward."""

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}
        self.buffers: dict[str, Any] = {}  # BatchNorm's running statistics; state_dict entries too

    def forward(self, x: Array, train: bool) -> Array:
        raise NotImplementedError

    def backward(self, g: Array) -> Array:
        raise NotImplementedError


class Linear(Layer):
    def __init__(self, weight: Array, bias: Array | None) -> None:
        super().__init__()
        self.params = {"weight": weight} | ({} if bias is None else {"bias": bias})

    def forward(self, x: Array, train: bool) -> Array:
        self.x = x
        y = x @ self.params["weight"].T
        return y + self.params["bias"] if "bias" in self.params else y

    def backward(self, g: Array) -> Array:
        self.grads = {"weight": g.T @ self.x} | ({"bias": g.sum(axis=0)} if "bias" in self.params else {})
        return g @ self.params["weight"]


class ReLU(Layer):
    def forward(self, x: Array, train: bool) -> Array:
        self.on = x > 0
        return np.where(self.on, x, 0.0).astype(x.dtype)

    def backward(self, g: Array) -> Array:
        return np.where(self.on, g, 0.0).astype(g.dtype)


class Sigmoid(Layer):
    def forward(self, x: Array, train: bool) -> Array:
        self.y: Array = 1.0 / (1.0 + np.exp(-x))
        return self.y

    def backward(self, g: Array) -> Array:
        return g * self.y * (1.0 - self.y)  # at most g / 4: the 0.25 of the vanishing-gradient argument


class Tanh(Layer):
    def forward(self, x: Array, train: bool) -> Array:
        self.y = np.tanh(x)
        return self.y

    def backward(self, g: Array) -> Array:
        return g * (1.0 - self.y * self.y)


class Flatten(Layer):
    def forward(self, x: Array, train: bool) -> Array:
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, g: Array) -> Array:
        return g.reshape(self.shape)


class Dropout(Layer):
    """Inverted dropout with masks drawn from `rng` (NumPy's PCG64, one `random(shape)` per call in layer order):
    keep where u < 1 - p, scale kept values by 1/(1-p), which is what nn.Dropout computes for that mask."""

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x: Array, train: bool) -> Array:
        if not train or self.p == 0:
            self.scale: Array | float = 1.0
            return x
        keep = self.rng.random(x.shape) < 1.0 - self.p
        self.scale = keep / (1.0 - self.p)
        return x * self.scale

    def backward(self, g: Array) -> Array:
        return g * self.scale


class Norm(Layer):
    """BatchNorm (statistics over every axis but 1, running statistics kept in training), LayerNorm (over every
    axis but 0; `shape` = normalized_shape) and GroupNorm (over each group of channels and the spatial axes):
    one forward and one backward, on x viewed so that the statistics reduce `axes`."""

    def __init__(self, kind: str, shape: tuple[int, ...], eps: float, momentum: float = 0.1, groups: int = 1) -> None:
        super().__init__()
        self.kind, self.shape, self.eps, self.momentum, self.groups = kind, shape, eps, momentum, groups
        self.params = {"weight": np.ones(shape), "bias": np.zeros(shape)}
        if kind == "batch":
            self.buffers = {"running_mean": np.zeros(shape), "running_var": np.ones(shape), "num_batches_tracked": 0}

    def _view(self, x: Array) -> Array:
        """x as the array whose statistics reduce `_reduced`: GroupNorm splits C into (G, C/G * spatial)."""
        return x.reshape(x.shape[0], self.groups, -1) if self.kind == "group" else x

    def _reduced(self, v: Array) -> tuple[int, ...]:
        if self.kind == "batch":
            return (0, *range(2, v.ndim))
        return (2,) if self.kind == "group" else tuple(range(1, v.ndim))

    def _affine_shape(self, x: Array) -> tuple[int, ...]:
        return (1, *self.shape) if self.kind == "layer" else (1, self.shape[0]) + (1,) * (x.ndim - 2)

    def forward(self, x: Array, train: bool) -> Array:
        v = self._view(x)
        axes = self._reduced(v)
        if self.kind == "batch" and not train:
            shape = (1, -1) + (1,) * (x.ndim - 2)
            mean, var = self.buffers["running_mean"].reshape(shape), self.buffers["running_var"].reshape(shape)
        else:
            mean = v.mean(axis=axes, keepdims=True)
            var = ((v - mean) ** 2).mean(axis=axes, keepdims=True)
            if self.kind == "batch":
                self._update(mean.ravel(), var.ravel(), v.size // v.shape[1])
        self.inv = 1.0 / np.sqrt(var + self.eps)
        self.xhat = ((v - mean) * self.inv).reshape(x.shape)
        self.axes_v, self.train = axes, train
        shape = self._affine_shape(x)
        out: Array = self.xhat * self.params["weight"].reshape(shape) + self.params["bias"].reshape(shape)
        return out

    def _update(self, mean: Array, var: Array, m: int) -> None:
        b, mom = self.buffers, self.momentum
        b["running_mean"] = (1 - mom) * b["running_mean"] + mom * mean
        b["running_var"] = (1 - mom) * b["running_var"] + mom * var * m / max(m - 1, 1)  # unbiased, as torch
        b["num_batches_tracked"] += 1

    def backward(self, g: Array) -> Array:
        shape = self._affine_shape(g)
        affine_axes = tuple(a for a in range(g.ndim) if shape[a] == 1)
        self.grads = {
            "weight": (g * self.xhat).sum(axis=affine_axes).reshape(self.params["weight"].shape),
            "bias": g.sum(axis=affine_axes).reshape(self.params["bias"].shape),
        }
        gxhat = self._view(g * self.params["weight"].reshape(shape))
        if self.kind == "batch" and not self.train:
            return (gxhat * self.inv).reshape(g.shape)  # type: ignore[no-any-return]
        xhat, axes = self._view(self.xhat), self.axes_v
        mean_g = gxhat.mean(axis=axes, keepdims=True)
        mean_gx = (gxhat * xhat).mean(axis=axes, keepdims=True)
        return ((gxhat - mean_g - xhat * mean_gx) * self.inv).reshape(g.shape)  # type: ignore[no-any-return]
