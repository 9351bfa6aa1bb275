"""The app's lifespan: the pool of worker processes is started at start-up (the first large request does not
wait for spawns) and stopped at shutdown, and the short-link stores close, SQLite's and PostgreSQL's."""

from __future__ import annotations

import multiprocessing.connection
import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from normlens.app import links, offload
from normlens.app.main import create_app
from normlens.app.settings import get_settings
from tests.app.live_server import serve, wait_ready
from tests.app.pg_cluster import free_port


def ended(process, timeout: float) -> bool:
    """The process has exited: its sentinel is ready, then it is gone or a zombie (it may still be closing down
    for a moment). Not join() + is_alive(): the pool's manager thread joins the same processes, and is_alive()
    after a lost waitpid race says True."""
    if not multiprocessing.connection.wait([process.sentinel], timeout=timeout):
        return False
    stat, deadline = Path(f"/proc/{process.pid}/stat"), time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] in "ZX":
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("NORMLENS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    links.close_stores()
    offload.shutdown()
    yield
    offload.shutdown()
    links.close_stores()
    get_settings.cache_clear()


def test_the_pool_is_ready_after_start_up_and_gone_after_shutdown(fresh, monkeypatch) -> None:
    monkeypatch.setenv("NORMLENS_WARM_POOL", "true")  # the tests' default is off (tests/conftest.py)
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        processes = {}
        for _ in range(600):  # the warm-up runs in the background: wait until every process has answered
            processes = dict(offload.pool()._processes)  # noqa: SLF001  the executor's own record
            if len(processes) == get_settings().trace_slots and offload.pool()._pending_work_items == {}:  # noqa: SLF001
                break
            time.sleep(0.1)
        assert len(processes) == get_settings().trace_slots
        assert offload.pool().submit(offload._ready).result(timeout=60) in processes  # no new spawn needed
    assert offload.pool.cache_info().currsize == 0
    for process in processes.values():
        assert ended(process, timeout=10)


def test_a_process_still_working_at_shutdown_is_terminated_after_the_grace_period(fresh) -> None:
    busy = offload.pool().submit(time.sleep, 60)  # a task that would outlive the app by a minute
    for _ in range(600):
        if busy.running():
            break
        time.sleep(0.1)
    processes = list(offload.pool()._processes.values())  # noqa: SLF001
    started = time.monotonic()
    offload.shutdown(grace=0.5)
    assert time.monotonic() - started < 0.5  # the caller does not wait
    for process in processes:
        assert ended(process, timeout=10)
    assert time.monotonic() - started < 5


def test_no_warm_up_when_switched_off(fresh, monkeypatch) -> None:
    monkeypatch.setenv("NORMLENS_WARM_POOL", "false")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert offload.pool.cache_info().currsize == 0  # nothing started it


def test_shutdown_closes_the_sqlite_store(fresh) -> None:
    with TestClient(create_app()):
        store = links.open_store(None, get_settings().data_dir)
        store.count()  # connects
        assert store._conn is not None and [store] == links._OPENED  # noqa: SLF001
    assert store._conn is None  # noqa: SLF001  closed
    assert not links._OPENED  # noqa: SLF001
    assert links.open_store.cache_info().currsize == 0


def test_shutdown_closes_the_postgresql_pool(fresh, database_url, monkeypatch) -> None:
    monkeypatch.setenv("NORMLENS_DATABASE_URL", database_url)
    get_settings.cache_clear()
    with TestClient(create_app()):
        store = links.open_store(database_url, get_settings().data_dir)
        assert store.load("abcdefgh") is None  # opens the pool
        pool = store._pool  # noqa: SLF001
        assert pool is not None and not pool.closed
    assert pool.closed and store._pool is None  # noqa: SLF001
    assert os.getpid()  # the test process itself is untouched


def test_a_server_stopped_with_sigterm_leaves_no_semaphore_behind(tmp_path) -> None:
    """uvicorn ends the process by raising the SIGTERM it caught, so no exit handler runs: the pool's queues must
    release their semaphores at shutdown, or Python's resource tracker reports them leaked on stderr."""
    port = free_port()
    proc = serve(port, tmp_path, NORMLENS_WARM_POOL="true")
    try:
        wait_ready(proc, port)
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        deadline = time.monotonic() + 60
        while len(children.read_text().split()) < 1 + get_settings().trace_slots and time.monotonic() < deadline:
            time.sleep(0.1)  # the resource tracker and the pool's processes
        time.sleep(1)  # their warm-up answered
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -15 and b"leaked semaphore" not in err, err.decode()[-1000:]
