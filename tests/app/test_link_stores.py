"""Both short-link stores, SQLite and PostgreSQL, held to the same contract: content-derived ids lengthened on
a collision, immutable rows, versioned migrations, two processes writing at once. Each test runs once per store
(`link_target`); PostgreSQL is a throwaway cluster (tests/conftest.py)."""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import sqlite3
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg
import pytest
from psycopg import sql
from pydantic import ValidationError

import normlens.app.routes.links as link_routes
from normlens.app.links import (
    ID_LENGTH,
    LinkStore,
    SchemaError,
    SqliteLinkStore,
    digest_id,
    open_store,
    store_at,
    valid_id,
)
from normlens.app.links_pg import PostgresLinkStore, where
from normlens.app.permalink import canonical_json
from normlens.app.settings import Settings
from normlens.app.state import ViewState, load_state
from tests.app.link_backends import is_postgres, open_link_store, raw, save, state
from tests.app.pg_cluster import free_port


@pytest.fixture
def store(link_target: str) -> Iterator[LinkStore]:
    s = open_link_store(link_target)
    yield s
    s.close()


def test_the_same_state_gets_the_same_id(store):
    first = save(store, state(1))
    assert first[1] is True and len(first[0]) == ID_LENGTH and valid_id(first[0])
    assert save(store, state(1)) == (first[0], False)
    assert save(store, ViewState.model_validate(state(1).model_dump())) == (first[0], False)
    assert store.count() == 1


def test_different_states_get_different_ids(store):
    ids = {save(store, state(i))[0] for i in range(20)} | {save(store, state(i, "zh"))[0] for i in range(20)}
    assert len(ids) == 40 and store.count() == 40


def test_a_link_loads_back_exactly_with_its_version(store):
    s = state(3)
    link_id, _ = save(store, s)
    version, raw_state = store.load(link_id)
    assert version == 1 and raw_state == canonical_json(s)
    assert load_state(orjson.loads(raw_state)).model_dump() == s.model_dump()
    text = '{"note":"ünïcødé 归一化 \\u0000","v":2}'.encode()  # kept byte for byte, whatever the database
    assert store.load(store.save(text, 2)[0]) == (2, text)


@pytest.mark.parametrize("link_id", ["", "UPPERCASE", "abc/def", "a" * 53, "01890", "nope-nope", "a'; --"])
def test_unknown_or_malformed_ids_load_nothing(store, link_id):
    save(store, state(0))
    assert store.load(link_id) is None


def test_an_id_taken_by_another_state_is_lengthened(link_target):
    # With 1-character ids (32 possible), 200 states must collide: each gets a longer id, none is lost.
    store = open_link_store(link_target, id_length=1)
    payloads = [f'{{"n":{i},"v":1}}'.encode() for i in range(200)]
    ids = [store.save(p, 1)[0] for p in payloads]
    assert len(set(ids)) == 200 and max(map(len, ids)) > 1
    for p, link_id in zip(payloads, ids, strict=True):
        assert digest_id(p).startswith(link_id)
        assert store.load(link_id) == (1, p)
        assert store.save(p, 1) == (link_id, False)  # stable: the same state finds the same (longer) id
    assert store.count() == 200
    store.close()


def test_both_stores_give_the_same_ids(tmp_path, database_url):
    """A deployment can move from SQLite to PostgreSQL (rows copied in order) and keep every link."""
    payloads = [f'{{"n":{i},"v":1}}'.encode() for i in range(100)]
    sqlite, postgres = SqliteLinkStore(tmp_path / "a.sqlite3", id_length=2), PostgresLinkStore(database_url, 2)
    assert [sqlite.save(p, 1) for p in payloads] == [postgres.save(p, 1) for p in payloads]
    sqlite.close()
    postgres.close()


def test_links_are_immutable(store, link_target):
    link_id, _ = save(store, state(5))
    errors = (psycopg.Error, sqlite3.DatabaseError)
    with raw(link_target) as db, pytest.raises(errors, match="short links are immutable"):
        db.execute("UPDATE links SET state = '{}' WHERE id = ?", (link_id,))
    assert store.load(link_id)[1] == canonical_json(state(5))


def test_the_sqlite_database_runs_in_wal_mode(tmp_path):
    store = SqliteLinkStore(tmp_path / "links.sqlite3")
    save(store, state(0))
    with raw(str(store.path)) as db:
        assert db.execute("PRAGMA journal_mode") == [("wal",)]
    store.close()


def test_threads_share_one_store(store):
    states = [state(i % 30) for i in range(120)]  # each state saved four times, from eight threads at once
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda s: (canonical_json(s), *save(store, s)), states))
    ids = {raw_state: set() for raw_state, _, _ in results}
    for raw_state, link_id, _ in results:
        ids[raw_state].add(link_id)
    assert all(len(v) == 1 for v in ids.values()) and sum(created for *_, created in results) == 30
    assert store.count() == 30


# --- migrations ----------------------------------------------------------------------------------------------


def versions(target: str) -> list[int]:
    with raw(target) as db:
        return [v for (v,) in db.execute("SELECT version FROM schema_version ORDER BY version")]


def test_migrations_run_from_empty_on_first_use_and_are_recorded(store, link_target):
    assert store.count() == 0
    assert versions(link_target) == [1]
    with raw(link_target) as db:
        assert db.execute("SELECT count(*) FROM links") == [(0,)]


def test_running_the_migrations_again_changes_nothing(store, link_target):
    link_id, _ = save(store, state(2))
    with raw(link_target) as db:
        before = db.execute("SELECT * FROM schema_version")
        assert db.migrate() == 1 and db.migrate() == 1
        assert db.execute("SELECT * FROM schema_version") == before  # same rows, same timestamps
    assert store.load(link_id)[1] == canonical_json(state(2)) and store.count() == 1


def test_a_new_migration_is_applied_once_and_an_older_release_then_refuses(store, link_target):
    save(store, state(4))
    with raw(link_target) as db:
        newer = (*db.migrations(), ("CREATE INDEX links_by_time ON links (created_at)",))
        assert db.migrate(newer) == 2 and db.migrate(newer) == 2
    assert versions(link_target) == [1, 2]
    store.close()  # the same code, started again against the database that a newer release migrated
    old = open_link_store(link_target)
    with pytest.raises(SchemaError) as refused:
        old.count()
    assert str(refused.value) == (
        "the short-link database is at schema version 2, but this NormLens knows versions up to 1: "
        "run a newer NormLens against it (databases are never downgraded)"
    )
    old.close()


def test_a_failing_migration_leaves_the_database_as_it_was(store, link_target):
    save(store, state(6))
    with raw(link_target) as db:
        broken = (*db.migrations(), ("CREATE TABLE extra (x integer)", "SELECT no_such_function()"))
        with pytest.raises((psycopg.Error, sqlite3.Error)):
            db.migrate(broken)
        tables = "SELECT count(*) FROM " + (
            "information_schema.tables WHERE table_name = 'extra'"
            if is_postgres(link_target)
            else "sqlite_master WHERE name = 'extra'"
        )
        assert db.execute(tables) == [(0,)]  # the half-applied version 2 was rolled back whole
    assert versions(link_target) == [1] and store.count() == 1


def test_an_sqlite_file_from_before_versioning_adopts_version_1(tmp_path):
    path = tmp_path / "links.sqlite3"
    with raw(str(path)) as db:  # the schema as the first release wrote it, with one link in it
        db.execute(
            "CREATE TABLE links (id TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL, "
            "created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))) WITHOUT ROWID"
        )
        db.execute("INSERT INTO links (id, version, state) VALUES ('abcdefghij', 1, '{\"v\":1}')")
    store = SqliteLinkStore(path)
    assert store.load("abcdefghij") == (1, b'{"v":1}')
    assert versions(str(path)) == [1]
    with raw(str(path)) as db, pytest.raises(sqlite3.DatabaseError, match="immutable"):
        db.execute("UPDATE links SET version = 2")  # the trigger came with version 1
    store.close()


def test_a_replica_role_needs_only_select_and_insert_once_migrated(database_url):
    owner = PostgresLinkStore(database_url)
    link_id, _ = save(owner, state(9))  # the first start, as the owner, creates the tables
    role = f"replica_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'replica-pw'").format(sql.Identifier(role)))
        db.execute(sql.SQL("GRANT SELECT ON schema_version TO {}").format(sql.Identifier(role)))
        db.execute(sql.SQL("GRANT SELECT, INSERT ON links TO {}").format(sql.Identifier(role)))
    parts = urlsplit(database_url)
    url = urlunsplit(parts._replace(netloc=f"{role}:replica-pw@{parts.hostname}:{parts.port or 5432}"))
    replica = PostgresLinkStore(url)
    try:
        assert replica.save(canonical_json(state(9)), 1) == (link_id, False)
        new_id, created = save(replica, state(10))
        assert created and owner.load(new_id)[1] == canonical_json(state(10)) and replica.count() == 2
    finally:
        replica.close()
        owner.close()
        with psycopg.connect(database_url, autocommit=True) as db:
            db.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            db.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_the_tables_can_live_in_a_schema_of_their_own(database_url):
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute("CREATE SCHEMA normlens")
    store = PostgresLinkStore(f"{database_url}?options=-csearch_path%3Dnormlens")  # as the README says
    link_id, _ = save(store, state(11))
    assert store.load(link_id)[1] == canonical_json(state(11))
    store.close()
    with psycopg.connect(database_url) as db:
        tables = db.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_name IN ('links', 'schema_version') ORDER BY 1, 2"
        ).fetchall()
    assert tables == [("normlens", "links"), ("normlens", "schema_version")]


# --- two processes writing at once (on PostgreSQL, also migrating an empty database at once) ----------------


def _writer(target: str, who: int, barrier, out) -> None:  # runs in a spawned process
    store = open_link_store(target)
    shared = [state(i) for i in range(50)]
    own = [state(1000 * (who + 1) + i, "zh") for i in range(50)]
    barrier.wait()  # start together, so the writes really interleave
    result = [(canonical_json(s), *save(store, s)) for pair in zip(shared, own, strict=True) for s in pair]
    store.close()
    out.put((who, result))


def test_two_processes_lose_nothing_and_duplicate_nothing(link_target):
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(link_target, who, barrier, out)) for who in (0, 1)]
    for p in procs:
        p.start()
    results: dict[int, list] = {}
    deadline = time.monotonic() + 120
    while len(results) < len(procs):  # a writer that crashed (exit code set, nothing sent) fails the test at once
        assert time.monotonic() < deadline and not any(p.exitcode for p in procs), [p.exitcode for p in procs]
        with contextlib.suppress(queue.Empty):
            who, rows = out.get(timeout=0.5)
            results[who] = rows
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    by_state: dict[bytes, set[str]] = {}
    created = 0
    for rows in results.values():
        for raw_state, link_id, was_new in rows:
            by_state.setdefault(raw_state, set()).add(link_id)
            created += was_new
    assert len(by_state) == 150  # 50 shared + 2 x 50 own
    assert all(len(ids) == 1 for ids in by_state.values())  # both processes got the same id for a shared state
    assert created == 150  # each state was inserted exactly once, by one of the two
    store = open_link_store(link_target)
    assert store.count() == 150 and versions(link_target) == [1]
    for raw_state, (link_id,) in by_state.items():
        assert store.load(link_id) == (1, raw_state)
    store.close()


# --- choosing the store from the settings ------------------------------------------------------------------


def test_the_settings_choose_the_store(tmp_path, monkeypatch):
    assert open_store(None, tmp_path) is store_at(tmp_path) and open_store("", tmp_path) is store_at(tmp_path)
    assert store_at(tmp_path).path == tmp_path / "links.sqlite3"
    url = f"postgresql://normlens@127.0.0.1:{free_port()}/links"
    pg = open_store(url, tmp_path)  # nothing connects before the first use
    assert isinstance(pg, PostgresLinkStore) and pg.url == url and open_store(url, tmp_path) is pg
    monkeypatch.setattr(link_routes, "get_settings", lambda: Settings(database_url=url, data_dir=tmp_path))
    assert link_routes._store() is pg
    monkeypatch.setattr(link_routes, "get_settings", lambda: Settings(data_dir=tmp_path))
    assert link_routes._store() is store_at(tmp_path)


def test_the_database_url_setting(monkeypatch):
    monkeypatch.setenv("NORMLENS_DATABASE_URL", "postgresql://u:pw@db.internal:5433/normlens")
    assert Settings().database_url == "postgresql://u:pw@db.internal:5433/normlens"
    monkeypatch.setenv("NORMLENS_DATABASE_URL", "")
    assert not Settings().database_url  # empty: SQLite
    for bad in ("mysql://db/normlens", "db.internal", "sqlite:///links.db"):
        monkeypatch.setenv("NORMLENS_DATABASE_URL", bad)
        with pytest.raises(ValidationError, match="database_url"):
            Settings()


def test_an_unreachable_database_is_named_without_its_password():
    assert where("postgresql://u:secret@db.internal:5433/links?sslmode=require") == "db.internal:5433/links"
    assert where("postgres:///links") == "localhost:5432/links"
    port = free_port()  # nobody listens there
    store = PostgresLinkStore(f"postgresql://u:secret@127.0.0.1:{port}/links", timeout=0.5)
    with pytest.raises(ConnectionError) as failed:
        store.count()
    assert str(failed.value).startswith(f"cannot reach the short-link database at 127.0.0.1:{port}/links: ")
    assert "secret" not in str(failed.value)
    store.close()


def test_a_closed_store_opens_again_on_use(store):
    link_id, _ = save(store, state(8))
    store.close()
    store.close()  # twice is harmless
    assert store.load(link_id)[1] == canonical_json(state(8))


def test_a_store_path_can_be_a_fresh_directory(tmp_path):
    store = SqliteLinkStore(Path(tmp_path / "a" / "b" / "links.sqlite3"))
    assert store.count() == 0 and (tmp_path / "a" / "b" / "links.sqlite3").exists()
    store.close()
