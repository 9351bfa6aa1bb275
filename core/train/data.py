"""Data that needs no download: seeded 2-D sets drawn with NumPy (two moons, spirals, Gaussian blobs), and
scikit-learn's bundled 8x8 digits when the optional extra `normlens[digits]` is installed.

    >>> x, y = dataset("moons", n=200, noise=0.1, seed=0)      # x (200, 2) float64, y (200,) int64
"""

from __future__ import annotations

from functools import cache

import numpy as np

from normlens.args import ArgumentError
from normlens.train.layers import Array

SETS = ("moons", "spirals", "blobs", "digits")


def digits_available() -> bool:
    try:
        import sklearn.datasets  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def digits() -> tuple[Array, Array]:
    """scikit-learn's 1,797 8x8 digits, scaled to [0, 1], loaded once per process (importing scikit-learn
    takes a second or more)."""
    if not digits_available():
        raise ArgumentError("dataset", "digits_missing")
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data.reshape(-1, 1, 8, 8) / 16.0, d.target.astype(np.int64)


def dataset(name: str, n: int, noise: float, seed: int) -> tuple[Array, Array]:
    """(x, y): 2-D sets as (n, 2) with 2 or 3 classes; digits as (1797, 1, 8, 8) in [0, 1] with 10 classes."""
    rng = np.random.default_rng(seed)
    if name == "digits":
        images, labels = digits()
        return images.copy(), labels.copy()
    y: Array = np.arange(n) % (3 if name == "blobs" else 2)
    x: Array
    if name == "moons":
        t = rng.uniform(0, np.pi, n)
        upper, lower = np.stack([np.cos(t), np.sin(t)], 1), np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)
        x = np.where(y[:, None] == 0, upper, lower)
    elif name == "spirals":
        r = rng.uniform(0.1, 1.0, n)
        t = 3.5 * r + np.pi * y
        x = np.stack([r * np.cos(t), r * np.sin(t)], 1) * 2
    else:
        centers = np.array([[-1.5, -1.0], [1.5, -1.0], [0.0, 1.5]])
        x = centers[y] + rng.normal(0, 0.6, (n, 2))
    x = x + rng.normal(0, noise, x.shape)
    return (x - x.mean(axis=0)) / x.std(axis=0), y.astype(np.int64)
