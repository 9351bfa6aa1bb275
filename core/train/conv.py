"""Convolution and pooling for the training engine: Conv2d by im2col (stride 1, zero padding), average and max
pooling over non-overlapping k x k windows (stride = k, as nn.AvgPool2d(k) and nn.MaxPool2d(k)).

    >>> conv = Conv2d(np.ones((4, 1, 3, 3)), np.zeros(4), padding=1)    # (N, 1, 8, 8) -> (N, 4, 8, 8)
    >>> conv.forward(np.ones((2, 1, 8, 8)), train=True).shape
    (2, 4, 8, 8)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from normlens.train.layers import Array, Layer


class Conv2d(Layer):
    def __init__(self, weight: Array, bias: Array | None, padding: int = 0) -> None:
        super().__init__()
        self.params = {"weight": weight} | ({} if bias is None else {"bias": bias})
        self.padding = padding

    def forward(self, x: Array, train: bool) -> Array:
        w, p = self.params["weight"], self.padding
        out, _, k, _ = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x
        # (N, C, Ho, Wo, k, k) windows -> columns (N, Ho*Wo, C*k*k), the order of w.reshape(out, -1)
        win = sliding_window_view(xp, (k, k), axis=(2, 3))
        n, c, ho, wo = win.shape[:4]
        self.cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n, ho * wo, c * k * k)
        self.in_shape, self.out_hw = x.shape, (ho, wo)
        y = self.cols @ w.reshape(out, -1).T  # (N, Ho*Wo, out)
        if "bias" in self.params:
            y = y + self.params["bias"]
        return y.transpose(0, 2, 1).reshape(n, out, ho, wo)

    def backward(self, g: Array) -> Array:
        w, p = self.params["weight"], self.padding
        out, c, k, _ = w.shape
        n, (ho, wo) = g.shape[0], self.out_hw
        gm = g.reshape(n, out, ho * wo)  # (N, out, L)
        self.grads = {"weight": np.einsum("nol,nlk->ok", gm, self.cols).reshape(w.shape)}
        if "bias" in self.params:
            self.grads["bias"] = gm.sum(axis=(0, 2))
        gcols = (w.reshape(out, -1).T @ gm).reshape(n, c, k, k, ho, wo)  # (N, C*k*k, L)
        _, _, h, wd = self.in_shape
        gx = np.zeros((n, c, h + 2 * p, wd + 2 * p), dtype=g.dtype)
        for i in range(k):  # col2im: each kernel offset adds its slice back (k*k adds, no scatter)
            for j in range(k):
                gx[:, :, i : i + ho, j : j + wo] += gcols[:, :, i, j]
        return gx[:, :, p : p + h, p : p + wd] if p else gx


class AvgPool2d(Layer):
    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k

    def forward(self, x: Array, train: bool) -> Array:
        n, c, h, w = x.shape
        k = self.k
        self.in_shape = x.shape
        out: Array = x[:, :, : h - h % k, : w - w % k].reshape(n, c, h // k, k, w // k, k).mean(axis=(3, 5))
        return out

    def backward(self, g: Array) -> Array:
        k = self.k
        gx = np.zeros(self.in_shape, dtype=g.dtype)
        spread = np.repeat(np.repeat(g, k, axis=2), k, axis=3) / (k * k)
        gx[:, :, : spread.shape[2], : spread.shape[3]] = spread
        return gx


class MaxPool2d(Layer):
    """Ties go to the first maximum in row-major order within the window, as PyTorch's CPU kernel picks."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k

    def forward(self, x: Array, train: bool) -> Array:
        n, c, h, w = x.shape
        k, ho, wo = self.k, h // self.k, w // self.k
        win = x[:, :, : ho * k, : wo * k].reshape(n, c, ho, k, wo, k).transpose(0, 1, 2, 4, 3, 5)
        flat = win.reshape(n, c, ho, wo, k * k)
        self.arg, self.in_shape = flat.argmax(axis=-1), x.shape
        return np.take_along_axis(flat, self.arg[..., None], axis=-1)[..., 0]

    def backward(self, g: Array) -> Array:
        n, c, h, w = self.in_shape
        k, (ho, wo) = self.k, g.shape[2:]
        flat = np.zeros((n, c, ho, wo, k * k), dtype=g.dtype)
        np.put_along_axis(flat, self.arg[..., None], g[..., None], axis=-1)
        gx = np.zeros(self.in_shape, dtype=g.dtype)
        gx[:, :, : ho * k, : wo * k] = (
            flat.reshape(n, c, ho, wo, k, k).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, ho * k, wo * k)
        )
        return gx
