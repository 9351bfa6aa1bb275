"""BLAS on one thread in every process of the service: OpenBLAS's split of a sum between threads changes its
last bits, so a trace would differ between replicas with different core counts."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_limits

from normlens.app import offload
from normlens.app.blas import blas_threads, one_blas_thread
from normlens.app.main import create_app
from normlens.rows import group_sum


def test_one_blas_thread_limits_every_blas_library():
    with threadpool_limits(limits=2, user_api="blas"):  # restored afterwards
        assert blas_threads() and set(blas_threads()) == {2}
        one_blas_thread()
        assert set(blas_threads()) == {1}


def test_the_app_runs_blas_on_one_thread_from_its_creation(monkeypatch, tmp_path):
    monkeypatch.setenv("NORMLENS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NORMLENS_WARM_POOL", "false")
    with threadpool_limits(limits=2, user_api="blas"), TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert set(blas_threads()) == {1}


def test_pool_processes_run_blas_on_one_thread():
    assert offload.pool().submit(blas_threads).result(timeout=120) == [1]


def test_one_thread_gives_the_same_sums_whatever_blas_was_allowed():
    """What the limit buys: OpenBLAS splits a long float64 dot product between its threads, and the split shows
    in the last bits of a variance's sum; after one_blas_thread the sums are the same whatever came before."""
    x3 = np.random.default_rng(1).standard_normal((2, 2, 100_000)) - 3

    def sums(threads: int, limited: bool) -> bytes:
        with threadpool_limits(limits=threads, user_api="blas"):
            if limited:
                one_blas_thread()
            return group_sum(x3, x3).tobytes()

    with threadpool_limits(limits=2, user_api="blas"):
        two_threads = set(blas_threads()) == {2}  # not on a one-core machine
    if two_threads:
        assert sums(1, limited=False) != sums(2, limited=False)
    assert sums(1, limited=True) == sums(2, limited=True) == sums(4, limited=True)
