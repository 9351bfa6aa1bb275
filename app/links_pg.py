"""Short links in PostgreSQL (NORMLENS_DATABASE_URL=postgresql://...): one database shared by every replica.

The same ids, rows and rules as the SQLite store (normlens.app.links): the id is a prefix of the state's
digest, lengthened on a collision by `claim`; `INSERT ... ON CONFLICT DO NOTHING` then a read back makes
two replicas saving the same state at once agree on one row; a trigger refuses updates. Each process keeps
a small connection pool (psycopg_pool), opened on first use and migrated then:

    store = PostgresLinkStore("postgresql://normlens@db.internal/normlens")
    store.save(b'{"layer":"dropout","v":1}', version=1)   # -> ("...10 chars...", True)

Migrations take a transaction-level advisory lock, so replicas that start together migrate once.
"""

from __future__ import annotations

import os
import threading
from urllib.parse import urlsplit

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from normlens.app.links import ID_LENGTH, Migrations, claim, pending, valid_id

POOL_SIZE = 4  # connections per process at most: replicas x workers x 4 must fit the server's max_connections
_MIGRATION_LOCK = int.from_bytes(b"normlens")  # the pg_advisory_xact_lock key: any bigint of our own

MIGRATIONS: Migrations = (
    (  # 1: the links table, immutable rows
        """CREATE TABLE links (
            id text COLLATE "C" PRIMARY KEY,
            version integer NOT NULL,
            state text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )""",
        """CREATE FUNCTION links_immutable() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'short links are immutable'; END $$""",
        "CREATE TRIGGER links_immutable BEFORE UPDATE ON links FOR EACH ROW EXECUTE FUNCTION links_immutable()",
    ),
)
_VERSION_TABLE = """CREATE TABLE schema_version (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


def migrate(conn: psycopg.Connection, migrations: Migrations = MIGRATIONS) -> int:
    """Brings the database to the newest version in one transaction (DDL is transactional in PostgreSQL)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        # Only when missing: CREATE ... IF NOT EXISTS would need the CREATE privilege on every start, and a
        # replica's role may have no more than SELECT and INSERT once the tables exist.
        found = conn.execute("SELECT to_regclass('schema_version')").fetchone()
        if found is None or found[0] is None:
            conn.execute(_VERSION_TABLE)
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        current = int(row[0]) if row else 0
        for version, statements in pending(current, migrations):
            for statement in statements:
                conn.execute(statement)  # our own constants, never user input
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
    return max(current, len(migrations))


def where(url: str) -> str:
    """The database a URL names, without its password: postgresql://u:pw@db:5432/links -> db:5432/links."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


class PostgresLinkStore:
    """Short links in one PostgreSQL database, through a per-process connection pool."""

    def __init__(self, url: str, id_length: int = ID_LENGTH, timeout: float = 10.0) -> None:
        self.url = url
        self.id_length = id_length
        self.timeout = timeout  # for the first connection and for waiting on a busy pool
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._pid = 0
        self._forked: list[ConnectionPool] = []

    def _connections(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                if self._pool is not None:
                    # The parent's pool: its threads did not cross the fork, and closing it would close the
                    # parent's sockets. Keep it referenced so that it is never collected here.
                    self._forked.append(self._pool)
                self._pool, self._pid = self._open(), os.getpid()
            return self._pool

    def _open(self) -> ConnectionPool:
        pool = ConnectionPool(
            self.url,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True},
            check=ConnectionPool.check_connection,  # a connection dropped by a database restart is replaced
            timeout=self.timeout,
            name="normlens-links",
            open=False,
        )
        try:
            pool.open(wait=True, timeout=self.timeout)
            with pool.connection() as conn:
                migrate(conn)
        except PoolTimeout as e:
            pool.close()
            raise ConnectionError(f"cannot reach the short-link database at {where(self.url)}: {e}") from e
        except BaseException:
            pool.close()
            raise
        return pool

    def save(self, canonical: bytes, version: int) -> tuple[str, bool]:
        """Stores a state's canonical JSON; returns its id and whether this call created the row."""
        text = canonical.decode("utf-8")
        with self._connections().connection() as conn:

            def insert(link_id: str) -> bool:
                sql = "INSERT INTO links (id, version, state) VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING"
                return conn.execute(sql, (link_id, version, text)).rowcount == 1

            def stored(link_id: str) -> str | None:
                row = conn.execute("SELECT state FROM links WHERE id = %s", (link_id,)).fetchone()
                return None if row is None else str(row[0])

            return claim(canonical, self.id_length, insert, stored)

    def load(self, link_id: str) -> tuple[int, bytes] | None:
        """The version and canonical JSON stored under `link_id`, or None."""
        if not valid_id(link_id):
            return None
        with self._connections().connection() as conn:
            row = conn.execute("SELECT version, state FROM links WHERE id = %s", (link_id,)).fetchone()
        return None if row is None else (int(row[0]), str(row[1]).encode("utf-8"))

    def count(self) -> int:
        with self._connections().connection() as conn:
            row = conn.execute("SELECT count(*) FROM links").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None
