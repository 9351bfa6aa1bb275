"""The app's lifespan: the pool of worker processes is started at start-up (the first large request does not
wait for spawns) and stopped at shutdown, and the short-link stores close, SQLite's and PostgreSQL's."""

from __future__ import annotations

import os
import time

import pytest
from fastapi.testclient import TestClient

from normlens.app import links, offload
from normlens.app.main import create_app
from normlens.app.settings import get_settings


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
        process.join(timeout=10)
        assert not process.is_alive()


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
