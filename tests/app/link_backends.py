"""Both short-link stores seen the same way by the tests: a target is an SQLite file path or a PostgreSQL URL.

store = open_link_store(target)                  # SqliteLinkStore or PostgresLinkStore
with raw(target) as conn: conn.execute(...)      # the database itself, autocommit (placeholders: ?)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from normlens.app import links_pg
from normlens.app.links import (
    ID_LENGTH,
    SQLITE_MIGRATIONS,
    LinkStore,
    Migrations,
    SqliteLinkStore,
    migrate_sqlite,
)
from normlens.app.links_pg import PostgresLinkStore
from normlens.app.permalink import canonical_json
from normlens.app.state import ViewState


def is_postgres(target: str) -> bool:
    return target.startswith("postgresql://")


def open_link_store(target: str, id_length: int = ID_LENGTH) -> LinkStore:
    if is_postgres(target):
        return PostgresLinkStore(target, id_length=id_length)
    return SqliteLinkStore(Path(target), id_length=id_length)


class Raw:
    """One autocommit connection with SQLite's `?` placeholders on both databases."""

    def __init__(self, target: str) -> None:
        self.postgres = is_postgres(target)
        self.conn: Any = (
            psycopg.connect(target, autocommit=True) if self.postgres else sqlite3.connect(target, isolation_level=None)
        )

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        cur = self.conn.execute(sql.replace("?", "%s") if self.postgres else sql, params)
        return list(cur.fetchall()) if cur.description else []

    def migrate(self, migrations: Migrations | None = None) -> int:
        migrations = migrations or self.migrations()
        return links_pg.migrate(self.conn, migrations) if self.postgres else migrate_sqlite(self.conn, migrations)

    def migrations(self) -> Migrations:
        return links_pg.MIGRATIONS if self.postgres else SQLITE_MIGRATIONS


@contextmanager
def raw(target: str) -> Iterator[Raw]:
    r = Raw(target)
    try:
        yield r
    finally:
        r.conn.close()


def state(i: int, lang: str = "en") -> ViewState:
    """A small LayerNorm view, different for each i."""
    return ViewState.model_validate(
        {
            "layer": "layer_norm",
            "input": {"random": {"shape": [2, 3, 4], "seed": i}},
            "params": {"normalized_shape": [4]},
            "view": {"step": "mean", "group": i % 6, "lang": lang},
        }
    )


def save(store: LinkStore, s: ViewState) -> tuple[str, bool]:
    return store.save(canonical_json(s), s.v)
