"""PyTorch as the test oracle: tolerances, snippet runner and reference modules for the normalization layers.

Importable from any test under tests/core (`from oracle import close, run_snippet`); conftest.py also offers
`run_snippet` as a fixture.

    >>> ns = run_snippet("import torch\\nx = torch.ones(2)\\ny = x * 2\\nprint(y)")
    >>> ns["y"].tolist()
    [2.0, 2.0]
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)  # two cores shared with other test runs; small tensors gain nothing from threads


def close(actual: Any, expected: Any, *, grad: bool = False, what: str = "", scale: float = 0.0) -> None:
    """The parity policy: float64 within 1e-10 absolute; float32 within 1e-5 (1e-4 for gradients) relative to
    the reference array's scale, or to `scale` when larger (PyTorch's float32 kernels are not exact either; an
    input gradient that cancels to nearly 0 is compared at the scale of the terms that cancel)."""
    a = np.asarray(actual)
    e = expected.detach().cpu().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    if a.dtype == np.float64 or e.dtype == np.float64:
        np.testing.assert_allclose(a, e, rtol=0, atol=1e-10, err_msg=what)
    else:
        tol = 1e-4 if grad else 1e-5
        scale = max(scale, float(np.abs(e).max()) if e.size else 0.0)
        np.testing.assert_allclose(a, e, rtol=tol, atol=tol * max(scale, 1e-30), err_msg=what)


def run_snippet(code: str, files: Mapping[str, np.ndarray] | None = None, workdir: str | None = None) -> dict:
    """exec a trace's torch_code; returns its namespace (x, layer, y, ...). `files` are saved as .npy first in
    `workdir` for snippets that np.load large tensors."""
    ns: dict[str, Any] = {"__name__": "snippet"}
    old = os.getcwd()
    try:
        if workdir is not None:
            os.chdir(workdir)
            for name, a in (files or {}).items():
                np.save(f"{name}.npy", a)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, "<torch_code>", "exec"), ns)
    finally:
        os.chdir(old)
    return ns


def t(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(a, requires_grad=grad)


def batch_norm_module(x: np.ndarray, p: Mapping[str, Any]) -> tuple[nn.Module, Any, Any]:
    """nn.BatchNorm{1,2,3}d for x (channels_first view), with p's weights and buffers; returns (module, to,
    back) where to/back permute channels_last input to and from PyTorch's layout."""
    last = p.get("layout") == "channels_last" and x.ndim > 2
    C = x.shape[-1] if last else x.shape[1]
    cls = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}[x.ndim]
    m = cls(
        C,
        eps=p.get("eps", 1e-5),
        momentum=p.get("momentum", 0.1),
        affine=p.get("affine", True),
        track_running_stats=p.get("track_running_stats", True),
        dtype=torch.float64 if x.dtype == np.float64 else torch.float32,
    )
    _load(m, p)
    m.train(p.get("training", True))
    r = x.ndim
    if last:
        return m, (lambda v: v.permute(0, r - 1, *range(1, r - 1))), (lambda v: v.permute(0, *range(2, r), 1))
    return m, (lambda v: v), (lambda v: v)


def _load(m: nn.Module, p: Mapping[str, Any]) -> None:
    with torch.no_grad():
        for ours, theirs in (
            ("gamma", "weight"),
            ("beta", "bias"),
            ("running_mean", "running_mean"),
            ("running_var", "running_var"),
        ):
            if p.get(ours) is not None:
                getattr(m, theirs).copy_(
                    torch.tensor(np.asarray(p[ours], dtype=np.float64)).reshape(getattr(m, theirs).shape)
                )
        if p.get("num_batches_tracked") and getattr(m, "num_batches_tracked", None) is not None:
            m.num_batches_tracked.fill_(int(p["num_batches_tracked"]))


def module_for(layer: str, x: np.ndarray, p: Mapping[str, Any]) -> tuple[nn.Module, Any, Any]:
    """The PyTorch module our `layer` with arguments `p` stands for, weights loaded, mode set."""
    dt = torch.float64 if x.dtype == np.float64 else torch.float32
    ident = lambda v: v  # noqa: E731
    if layer == "batch_norm":
        return batch_norm_module(x, p)
    if layer == "layer_norm":
        ns = p.get("normalized_shape") or [x.shape[-1]]
        m = nn.LayerNorm(
            ns,
            eps=p.get("eps", 1e-5),
            elementwise_affine=p.get("elementwise_affine", True),
            bias=p.get("bias", True),
            dtype=dt,
        )
    elif layer == "group_norm":
        m = nn.GroupNorm(
            p.get("num_groups", 1), x.shape[1], eps=p.get("eps", 1e-5), affine=p.get("affine", True), dtype=dt
        )
    elif layer == "instance_norm":  # module "auto": 2D is InstanceNorm1d's unbatched (C, L), 3D-5D batched
        module = p.get("module", "auto")
        d = int(module[-2]) if module != "auto" else max(1, x.ndim - 2)
        cls = {1: nn.InstanceNorm1d, 2: nn.InstanceNorm2d, 3: nn.InstanceNorm3d}[d]
        m = cls(
            x.shape[x.ndim - d - 1],  # the channel axis: 0 unbatched (C, *), 1 batched (N, C, *)
            eps=p.get("eps", 1e-5),
            momentum=p.get("momentum", 0.1),
            affine=p.get("affine", False),
            track_running_stats=p.get("track_running_stats", False),
            dtype=dt,
        )
    else:
        raise KeyError(layer)
    _load(m, p)
    m.train(p.get("training", True))
    return m, ident, ident


def reference(layer: str, x: np.ndarray, p: Mapping[str, Any], dy: np.ndarray | None = None) -> dict[str, Any]:
    """What PyTorch computes: output, the module after the call and, with dy, the gradients."""
    m, to, back = module_for(layer, x, p)
    xt = t(x, grad=dy is not None)
    y = back(m(to(xt)))
    out: dict[str, Any] = {"output": y, "module": m}
    if dy is not None:
        y.backward(t(dy))
        out["grad_input"] = xt.grad
        w = getattr(m, "weight", None)
        b = getattr(m, "bias", None)
        out["grad_gamma"] = None if w is None else w.grad
        out["grad_beta"] = None if b is None else b.grad
    return out
