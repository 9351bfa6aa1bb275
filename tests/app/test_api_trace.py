"""POST /api/v1/trace over HTTP gives PyTorch's numbers: outputs, running statistics and gradients.

Cases are drawn from a fixed seed per (layer, dtype, case): random shapes valid for the layer and random
arguments (training/eval, affine or not, running statistics, momentum None, channels-last, ...). Tolerances:
float64 1e-10 absolute; float32 1e-5 relative for outputs and 1e-4 for gradients (relative to the array's
largest value).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import numpy as np
import pytest
import torch
from fastapi import FastAPI
from fastapi.testclient import TestClient

from normlens.app.inputs import random_values
from normlens.app.routes.api import EXAMPLES
from tests.app.api_helpers import errors

LAYERS = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "dropout"]
DTYPES = ["float32", "float64"]
CASES = range(6)
TORCH_DTYPE = {"float32": torch.float32, "float64": torch.float64}


def close(got: Any, want: torch.Tensor | np.ndarray, dtype: str, grad: bool = False) -> None:
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else np.asarray(want)
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == want.shape
    if dtype == "float64":
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    else:
        rel = 1e-4 if grad else 1e-5
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(got, want, rtol=rel, atol=rel * scale)


def draw(rng: np.random.Generator, shape: tuple[int, ...], dtype: str, scale: float = 1.5) -> np.ndarray:
    return (rng.standard_normal(shape) * scale + rng.uniform(-1, 1)).astype(dtype)


def case(layer: str, dtype: str, seed: int) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """(request params, x, grad_output) for one random case."""
    rng = np.random.default_rng([LAYERS.index(layer), DTYPES.index(dtype), seed])
    params: dict[str, Any] = {}
    if layer in ("batch_norm", "instance_norm"):
        rank = int(rng.integers(2 if layer == "batch_norm" else 3, 6))
        c = int(rng.integers(1, 4))
        shape = (int(rng.integers(2, 4)), c, *(int(rng.integers(2, 4)) for _ in range(rank - 2)))
        params["training"] = bool(rng.integers(2))
        params["affine"] = bool(rng.integers(2))
        params["track_running_stats"] = bool(rng.integers(2))
        params["eps"] = float(rng.choice([1e-5, 1e-3]))
        params["momentum"] = [0.1, 0.3, None][int(rng.integers(3))]
        if params["affine"]:
            params["gamma"] = draw(rng, (c,), dtype).tolist()
            params["beta"] = draw(rng, (c,), dtype).tolist()
        if params["track_running_stats"]:
            params["running_mean"] = draw(rng, (c,), dtype, 0.5).tolist()
            params["running_var"] = rng.uniform(0.5, 2.0, c).astype(dtype).tolist()
            params["num_batches_tracked"] = int(rng.integers(0, 5))
        if layer == "batch_norm" and rank >= 3 and rng.integers(2):
            params["layout"] = "channels_last"
            shape = (shape[0], *shape[2:], shape[1])
    elif layer == "layer_norm" or layer == "rms_norm":
        rank = int(rng.integers(1, 6))
        shape = tuple(int(rng.integers(2, 5)) for _ in range(rank))
        k = int(rng.integers(1, rank + 1))
        params["normalized_shape"] = list(shape[rank - k :])
        params["elementwise_affine"] = bool(rng.integers(2))
        if layer == "layer_norm":
            params["eps"] = float(rng.choice([1e-5, 1e-3]))
            if params["elementwise_affine"]:
                params["bias"] = bool(rng.integers(2))
                params["gamma"] = draw(rng, tuple(shape[rank - k :]), dtype).tolist()
                if params["bias"]:
                    params["beta"] = draw(rng, tuple(shape[rank - k :]), dtype).ravel().tolist()
        else:
            params["eps"] = [None, 1e-6][int(rng.integers(2))]
            if params["elementwise_affine"]:
                params["gamma"] = draw(rng, tuple(shape[rank - k :]), dtype).ravel().tolist()
    elif layer == "group_norm":
        rank = int(rng.integers(2, 6))
        groups = int(rng.integers(1, 4))
        c = groups * int(rng.integers(1, 3))
        shape = (int(rng.integers(1, 4)), c, *(int(rng.integers(2, 4)) for _ in range(rank - 2)))
        if int(np.prod(shape)) // (shape[0] * groups) < 2:  # one value per group has variance 0: fine, but dull
            shape = (shape[0], c, 2, *shape[2:])
        params["num_groups"] = groups
        params["eps"] = float(rng.choice([1e-5, 1e-3]))
        params["affine"] = bool(rng.integers(2))
        if params["affine"]:
            params["gamma"] = draw(rng, (c,), dtype).tolist()
            params["beta"] = draw(rng, (c,), dtype).tolist()
    else:  # dropout
        rank = int(rng.integers(1, 6))
        shape = tuple(int(rng.integers(2, 5)) for _ in range(rank))
        params["p"] = float(rng.choice([0.0, 0.2, 0.5, 0.9, 1.0]))
        params["training"] = bool(rng.integers(4) > 0)
        params["seed"] = int(rng.integers(0, 1000))
        variants = ["element", "alpha"] + (["channel"] if rank >= 3 else [])
        params["variant"] = variants[int(rng.integers(len(variants)))]
    x = draw(rng, shape, dtype)
    dy = draw(rng, shape, dtype, 1.0)
    return params, x, dy


def torch_reference(layer: str, params: dict[str, Any], x: np.ndarray, dy: np.ndarray, trace: dict[str, Any]) -> dict:
    """PyTorch's output, gradients and running statistics for the same call."""
    dt = TORCH_DTYPE[x.dtype.name]
    xt = torch.tensor(x, requires_grad=True)
    module: torch.nn.Module
    channels_last = params.get("layout") == "channels_last"
    if layer in ("batch_norm", "instance_norm"):
        inp = xt.movedim(-1, 1) if channels_last else xt
        c = inp.shape[1]
        kind = "BatchNorm" if layer == "batch_norm" else "InstanceNorm"
        dim = max(1, inp.ndim - 2)
        module = getattr(torch.nn, f"{kind}{dim}d")(
            c,
            eps=params["eps"],
            momentum=params["momentum"],
            affine=params["affine"],
            track_running_stats=params["track_running_stats"],
            dtype=dt,
        )
        with torch.no_grad():
            if params["affine"]:
                module.weight.copy_(torch.tensor(params["gamma"], dtype=dt))
                module.bias.copy_(torch.tensor(params["beta"], dtype=dt))
            if params["track_running_stats"]:
                module.running_mean.copy_(torch.tensor(params["running_mean"], dtype=dt))
                module.running_var.copy_(torch.tensor(params["running_var"], dtype=dt))
                module.num_batches_tracked.fill_(params["num_batches_tracked"])
        module.train(params["training"])
        y = module(inp)
        y = y.movedim(1, -1) if channels_last else y
    elif layer == "layer_norm":
        module = torch.nn.LayerNorm(
            params["normalized_shape"],
            eps=params["eps"],
            elementwise_affine=params["elementwise_affine"],
            bias=params.get("bias", True),
            dtype=dt,
        )
        with torch.no_grad():
            if params["elementwise_affine"]:
                module.weight.copy_(torch.tensor(params["gamma"], dtype=dt))
                if module.bias is not None:
                    module.bias.copy_(torch.tensor(params["beta"], dtype=dt).reshape(module.bias.shape))
        y = module(xt)
    elif layer == "rms_norm":
        module = torch.nn.RMSNorm(
            params["normalized_shape"],
            eps=params["eps"],
            elementwise_affine=params["elementwise_affine"],
            dtype=dt,
        )
        with torch.no_grad():
            if params["elementwise_affine"]:
                module.weight.copy_(torch.tensor(params["gamma"], dtype=dt).reshape(module.weight.shape))
        y = module(xt)
    elif layer == "group_norm":
        module = torch.nn.GroupNorm(
            params["num_groups"], x.shape[1], eps=params["eps"], affine=params["affine"], dtype=dt
        )
        with torch.no_grad():
            if params["affine"]:
                module.weight.copy_(torch.tensor(params["gamma"], dtype=dt))
                module.bias.copy_(torch.tensor(params["beta"], dtype=dt))
        y = module(xt)
    else:
        module = torch.nn.Identity()
        y = dropout_reference(params, xt, trace)
    y.backward(torch.tensor(dy))
    out = {"output": y, "input": xt.grad}
    weight = getattr(module, "weight", None)
    bias = getattr(module, "bias", None)
    out["gamma"] = None if weight is None else weight.grad
    out["beta"] = None if bias is None else bias.grad
    if getattr(module, "running_mean", None) is not None:
        out["running"] = {
            "mean": module.running_mean,
            "var": module.running_var,
            "num_batches_tracked": int(module.num_batches_tracked),
        }
    return out


def dropout_reference(params: dict[str, Any], xt: torch.Tensor, trace: dict[str, Any]) -> torch.Tensor:
    """torch's dropout with the trace's mask (torch cannot draw numpy's mask): the modules' own formulas."""
    p = params["p"]
    if not params["training"]:
        for cls in (torch.nn.Dropout, torch.nn.AlphaDropout):
            assert torch.equal(cls(p).eval()(xt), xt)
        return xt * 1  # identity, kept in the graph
    module = torch.nn.AlphaDropout(p) if params["variant"] == "alpha" else torch.nn.Dropout(p)
    if p == 0:
        assert torch.equal(module(xt), xt)
    if p == 1:  # every variant returns x * 0 (so inf and NaN would become NaN)
        assert torch.equal(module(xt), xt * 0)
        return xt * 0
    mask = torch.tensor(np.asarray(next(s for s in trace["steps"] if s["id"] == "mask")["values"]), dtype=xt.dtype)
    if params["variant"] == "alpha":
        a_prime = -1.7580993408473766
        a = ((1 - p) * (1 + p * a_prime**2)) ** -0.5
        b = -a * a_prime * p
        return a * (xt * mask + a_prime * (1 - mask)) + b
    return xt * mask * (1 / (1 - p))


def post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/v1/trace", json=body)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("seed", CASES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layer", LAYERS)
def test_trace_equals_torch(client: TestClient, layer: str, dtype: str, seed: int) -> None:
    params, x, dy = case(layer, dtype, seed)
    body = {
        "layer": layer,
        "input": {"values": x.tolist()},
        "params": params,
        "dtype": dtype,
        "detail": "full",
    }
    trace = post(client, {**body, "grad_output": dy.tolist()})
    assert trace["layer"] == layer and trace["dtype"] == dtype and trace["shape"] == list(x.shape)
    ref = torch_reference(layer, params, x, dy, trace)
    close(trace["output"], ref["output"], dtype)
    assert trace["steps"][-1]["id"] == "dinput"
    close(trace["grads"]["input"], ref["input"], dtype, grad=True)
    for name in ("gamma", "beta"):
        got = trace["grads"].get(name)
        assert (got is None) is (ref[name] is None), name
        if got is not None:
            close(got, ref[name].reshape(np.shape(got)), dtype, grad=True)
    if "running" in ref:
        if params["training"]:
            close(trace["running"]["mean"], ref["running"]["mean"], dtype)
            close(trace["running"]["var"], ref["running"]["var"], dtype)
        assert trace["running"]["num_batches_tracked"] == ref["running"]["num_batches_tracked"]
    # Without grad_output the forward is the same and the backward steps are absent.
    forward = post(client, body)
    assert forward["grads"] is None
    assert all(s["phase"] == "forward" for s in forward["steps"])
    close(forward["output"], ref["output"], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_input_and_gradient_are_the_documented_draws(client: TestClient, dtype: str) -> None:
    spec = {"shape": [3, 2, 4], "seed": 7, "distribution": "uniform", "low": -2.0, "high": 3.0}
    trace = post(
        client,
        {
            "layer": "batch_norm",
            "input": {"random": spec},
            "grad_output": {"random": {"seed": 3}},
            "dtype": dtype,
            "detail": "full",
        },
    )
    x = random_values([3, 2, 4], 7, "uniform", low=-2.0, high=3.0).astype(dtype)
    dy = random_values([3, 2, 4], 3, "normal").astype(dtype)
    assert np.array_equal(np.asarray(trace["steps"][0]["values"], dtype=dtype), x)
    ref = torch_reference(
        "batch_norm",
        {
            "eps": 1e-5,
            "momentum": 0.1,
            "affine": True,
            "track_running_stats": True,
            "training": True,
            "gamma": [1.0, 1.0],
            "beta": [0.0, 0.0],
            "running_mean": [0.0, 0.0],
            "running_var": [1.0, 1.0],
            "num_batches_tracked": 0,
        },
        x,
        dy,
        trace,
    )
    close(trace["output"], ref["output"], dtype)
    close(trace["grads"]["input"], ref["input"], dtype, grad=True)


def test_fill_gradient_of_ones_is_the_gradient_of_the_sum(client: TestClient) -> None:
    x = np.random.default_rng(0).standard_normal((4, 3))
    body = {"layer": "layer_norm", "input": {"values": x.tolist()}, "dtype": "float64", "detail": "full"}
    trace = post(client, {**body, "grad_output": {"fill": 1}})
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.LayerNorm([3], dtype=torch.float64)(xt).sum().backward()
    close(trace["grads"]["input"], xt.grad, "float64")


def test_reshape_of_a_flat_paste(client: TestClient) -> None:
    flat = np.arange(24, dtype=np.float64) / 7
    text = ", ".join(map(repr, flat.tolist()))
    trace = post(
        client,
        {
            "layer": "batch_norm",
            "input": {"text": text},
            "shape": [2, 3, -1, 2],
            "dtype": "float64",
            "detail": "full",
        },
    )
    assert trace["shape"] == [2, 3, 2, 2] and trace["request"]["input"]["shape"] == [24]
    assert trace["input_format"] == "rows"
    ref = torch.nn.BatchNorm2d(3, dtype=torch.float64)(torch.tensor(flat.reshape(2, 3, 2, 2)))
    close(trace["output"], ref, "float64")


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_docs_example_runs(client: TestClient, name: str) -> None:
    trace = post(client, EXAMPLES[name]["value"])
    assert trace["layer"] == name
    assert trace["torch_code"].startswith("import")


@pytest.mark.parametrize(("detail", "shipped"), [("auto", True), ("summary", False), ("full", True)])
def test_detail_levels(client: TestClient, detail: str, shipped: bool) -> None:
    body = {"layer": "group_norm", "input": {"random": {"shape": [2, 4, 3]}}, "params": {"num_groups": 2}}
    trace = post(client, {**body, "detail": detail})
    assert (trace["output"] is not None) is shipped
    for step in trace["steps"]:
        assert step["summary"] is None or step["summary"]["count"] == np.prod(step["shape"])
        assert (step["values"] is not None) is (shipped and step["shape"] is not None)


def test_auto_detail_summarizes_big_arrays(client: TestClient) -> None:
    trace = post(client, {"layer": "rms_norm", "input": {"random": {"shape": [64, 100]}}})
    assert trace["output"] is None  # 6,400 values > auto_max_values
    assert trace["stats"]["ms"] is not None  # 64 values
    assert trace["steps"][0]["summary"]["count"] == 6400


def test_request_echo(client: TestClient) -> None:
    trace = post(
        client,
        {
            "layer": "dropout",
            "input": {"random": {"shape": [4], "distribution": "integers"}},
            "params": {"p": 0.25},
        },
    )
    assert trace["request"] == {
        "layer": "dropout",
        "input": {
            "kind": "random",
            "shape": [4],
            "random": {"seed": 0, "distribution": "integers", "low": -5.0, "high": 5.0, "shape": [4]},
        },
        "shape": [4],
        "params": {"p": 0.25},
        "grad_output": None,
        "dtype": "float32",
        "detail": "auto",
    }
    assert trace["params"]["p"] == 0.25 and trace["params"]["training"] is True  # defaults resolved by the core


def test_four_million_values_in_seconds(client: TestClient) -> None:
    # The largest tensor allowed, sent as a nested list: parsing and checking must be fast (about 1 s).
    n = 4_194_304
    row = b"[" + b",".join([b"0.5", b"-1.25"] * 32) + b"]"
    body = b'{"layer":"batch_norm","input":{"values":[' + b",".join([row] * (n // 64)) + b"]}}"
    start = time.perf_counter()
    r = client.post("/api/v1/trace", content=body, headers={"content-type": "application/json"})
    elapsed = time.perf_counter() - start
    assert r.status_code == 200, r.text[:500]
    trace = r.json()
    assert trace["shape"] == [n // 64, 64] and trace["output"] is None
    np.testing.assert_allclose(trace["stats"]["mean"], np.full(64, [0.5, -1.25] * 32), rtol=1e-6)
    assert elapsed < 20, f"{elapsed:.1f} s"  # generous: the CI machine is shared


ROW = " ".join(["0.5", "-1.25"] * 512)
BIG = {
    "compute": {
        "layer": "batch_norm",
        "input": {"random": {"shape": [64, 16, 64, 64]}},
        "grad_output": {"fill": 1},
    },
    "paste": {"layer": "layer_norm", "input": {"text": "\n".join([ROW] * 1024)}},  # 10 MB, ~0.4 s to read
}


@pytest.mark.parametrize("kind", list(BIG))
def test_a_big_trace_does_not_block_other_requests(app: FastAPI, kind: str) -> None:
    # A 4M-element trace computes in a worker thread, and a large body (here 1M pasted numbers) is parsed and
    # validated in one: /healthz answers while the big request is still being handled.
    async def scenario() -> list[str]:
        finished: list[str] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def big() -> None:
                r = await http.post("/api/v1/trace", json={**BIG[kind], "detail": "summary"}, timeout=60)
                assert r.status_code == 200, r.text[:300]
                finished.append("trace")

            async def health() -> None:
                await asyncio.sleep(0.02)  # let the big request start first
                r = await http.get("/healthz")
                assert r.status_code == 200
                finished.append("healthz")

            await asyncio.gather(big(), health())
        return finished

    assert asyncio.run(scenario()) == ["healthz", "trace"]


@pytest.mark.parametrize(
    ("shape", "module", "torch_class"),
    [([3, 5], None, "InstanceNorm1d"), ([3, 5], "InstanceNorm1d", "InstanceNorm1d"),
     ([2, 3, 4], "InstanceNorm2d", "InstanceNorm2d"), ([2, 2, 3, 2], "InstanceNorm3d", "InstanceNorm3d"),
     ([2, 2, 3, 2], None, "InstanceNorm2d"), ([2, 2, 3, 2], "InstanceNorm2d", "InstanceNorm2d")],
)  # fmt: skip
def test_instance_norm_takes_unbatched_input_and_a_module(
    client: TestClient, shape: list[int], module: str | None, torch_class: str
) -> None:
    """(C, L) is InstanceNorm1d's unbatched sample by default; params.module picks PyTorch's class and so the
    reading: rank d + 1 is one unbatched (C, *) sample, d + 2 a batch."""
    unbatched = len(shape) == int(torch_class[-2]) + 1
    C = shape[0] if unbatched else shape[1]
    body: dict[str, Any] = {"layer": "instance_norm", "input": {"random": {"shape": shape}}, "detail": "full"}
    if module is not None:
        body["params"] = {"module": module, "affine": True, "gamma": [2.0] * C}
    trace = post(client, {**body, "grad_output": {"fill": 1}})
    assert trace["torch_class"] == f"nn.{torch_class}" and trace["shape"] == shape
    assert trace["params"]["module"] == (module or "auto")
    assert trace["axes"][0] == ("C" if unbatched else "N")
    assert trace["grouping"]["stat_shape"] == ([C] if unbatched else shape[:2])
    x = torch.tensor(np.asarray(trace["steps"][0]["values"], dtype=np.float32), requires_grad=True)
    layer = getattr(torch.nn, torch_class)(C, affine=module is not None)
    if module is not None:
        with torch.no_grad():
            layer.weight.fill_(2.0)
    y = layer(x)
    y.sum().backward()
    close(trace["output"], y, "float32")
    close(trace["grads"]["input"], x.grad, "float32", grad=True)


def test_instance_norm_module_errors_name_the_argument(client: TestClient) -> None:
    body = {"layer": "instance_norm", "input": {"random": {"shape": [3, 5]}}}
    r = client.post("/api/v1/trace", json={**body, "params": {"module": "InstanceNorm2d"}})
    assert r.status_code == 422, r.text
    (err,) = errors(r)
    assert err["loc"] == ["body", "input"] and err["code"] == "module_rank"
    assert err["msg"].endswith("(PyTorch: expected 3D or 4D input (got 2D input))")
    assert err["msg_zh"].startswith("module=InstanceNorm2d 接受 3D 输入")
    r = client.post("/api/v1/trace", json={**body, "params": {"module": "InstanceNorm4d"}})
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in errors(r)] == [["body", "params", "module"]]
