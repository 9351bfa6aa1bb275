"""NumPy's BLAS on one thread in every process of the service (workers and their pool processes).

OpenBLAS splits a long dot product or a matrix-vector product between its threads, and the split changes how
the partial sums are added: the same sums gave different last bits with 1 thread and with 2 (a float64 dot
product of 100,000 values, a float64 sum of 4M; tests/app/test_blas.py). One thread per process makes a
trace's numbers the same on every replica, whatever its core count, as a permalink promises; a server already
runs a process per core, so more threads would only compete with the other workers. The engine's benchmarks
run BLAS on one thread too (bench/engine.py).
"""

from __future__ import annotations

from threadpoolctl import threadpool_info, threadpool_limits


def one_blas_thread() -> None:
    """Limit every BLAS library loaded in this process to one thread, for the rest of its life."""
    threadpool_limits(limits=1, user_api="blas")


def blas_threads() -> list[int]:
    """The thread count of each BLAS library loaded in this process."""
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
