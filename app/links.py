"""Short links: states stored under an id derived from their content, in SQLite (default) or PostgreSQL.

The id is the start of base32(sha256(canonical JSON)), 10 characters (50 bits) by default, so the same state
always gets the same id and a link never changes meaning. If that prefix is already taken by a different
state, the id grows one character at a time until it is free or holds this very state:

    >>> import tempfile
    >>> store = SqliteLinkStore(Path(tempfile.mkdtemp()) / "links.sqlite3")
    >>> link_id, created = store.save(b'{"layer":"dropout","v":1}', version=1)
    >>> len(link_id), created, store.save(b'{"layer":"dropout","v":1}', version=1) == (link_id, False)
    (10, True, True)

Both stores (`LinkStore` is their interface; `open_store` picks one from the settings) keep rows immutable (a
trigger refuses updates) with the state's schema version, and create their tables through the same versioned
migrations: a list of SQL statements per schema version, applied in order inside one transaction and recorded
in a `schema_version` table. A database newer than the code is refused (`SchemaError`), never downgraded.

SQLite runs in WAL mode with a busy timeout, so several processes on one host can write at once:
`INSERT OR IGNORE` on the primary key makes a concurrent save of the same state a no-op rather than a
duplicate or an error. PostgreSQL (normlens.app.links_pg) does the same for several hosts.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol, TypeVar

ID_LENGTH = 10
MAX_ID_LENGTH = 52  # all 256 bits of the digest in base32
_ID = re.compile(r"[a-z2-7]{1,52}")

Migrations = Sequence[Sequence[str]]  # migrations[v - 1] = the statements that take a database to version v

SQLITE_MIGRATIONS: Migrations = (
    (  # 1: the links table as it was before versioning, hence IF NOT EXISTS (such files adopt version 1)
        """CREATE TABLE IF NOT EXISTS links (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            state TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        ) WITHOUT ROWID""",
        """CREATE TRIGGER IF NOT EXISTS links_immutable BEFORE UPDATE ON links
        BEGIN SELECT RAISE(ABORT, 'short links are immutable'); END""",
    ),
)
_SQLITE_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)"""


class LinkStore(Protocol):
    """Where short links live: one implementation per database."""

    def save(self, canonical: bytes, version: int) -> tuple[str, bool]:
        """Stores a state's canonical JSON; returns its id and whether this call created the row."""
        ...

    def load(self, link_id: str) -> tuple[int, bytes] | None:
        """The version and canonical JSON stored under `link_id`, or None."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


class SchemaError(RuntimeError):
    """The database was migrated by a newer NormLens than this one."""


def digest_id(canonical: bytes) -> str:
    """The full-length id of a state: base32 of its sha256, lowercase, unpadded (52 characters)."""
    return base64.b32encode(hashlib.sha256(canonical).digest()).decode("ascii").rstrip("=").lower()


def valid_id(link_id: str) -> bool:
    return _ID.fullmatch(link_id) is not None


def claim(
    canonical: bytes, id_length: int, insert: Callable[[str], bool], stored: Callable[[str], str | None]
) -> tuple[str, bool]:
    """The id-lengthening rule of every store: `insert(id)` adds the row unless the id exists (True if it
    did), `stored(id)` reads the state under an id. Returns (id, created)."""
    text, full = canonical.decode("utf-8"), digest_id(canonical)
    for n in range(id_length, MAX_ID_LENGTH + 1):
        link_id = full[:n]
        if insert(link_id):
            return link_id, True
        if stored(link_id) == text:
            return link_id, False
        # the prefix belongs to another state: try one character more
    raise RuntimeError(f"no free id for state {full}")  # needs a full sha256 collision


def pending(current: int, migrations: Migrations) -> list[tuple[int, Sequence[str]]]:
    """The (version, statements) still to apply to a database at `current`; refuses a newer database."""
    known = len(migrations)
    if current > known:
        raise SchemaError(
            f"the short-link database is at schema version {current}, but this NormLens knows versions up to "
            f"{known}: run a newer NormLens against it (databases are never downgraded)"
        )
    return [(v, migrations[v - 1]) for v in range(current + 1, known + 1)]


def migrate_sqlite(conn: sqlite3.Connection, migrations: Migrations = SQLITE_MIGRATIONS) -> int:
    """Brings an SQLite database (autocommit connection) to the newest version, in one write transaction."""
    conn.execute("BEGIN IMMEDIATE")  # one migrator at a time; the others wait out the busy timeout
    try:
        conn.execute(_SQLITE_VERSION_TABLE)
        current = int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])
        for version, statements in pending(current, migrations):
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return max(current, len(migrations))


class SqliteLinkStore:
    """One SQLite file of short links, shared safely by threads and (through the file) by processes."""

    def __init__(self, path: Path, id_length: int = ID_LENGTH, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.id_length = id_length
        self.timeout = timeout
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross a fork: a child process opens its own.
        if self._conn is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA synchronous = FULL")  # a link handed to a user must survive a power cut too
            try:
                self._set_up(conn)
            except BaseException:
                conn.close()
                raise
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def _set_up(self, conn: sqlite3.Connection) -> None:
        # Switching to WAL takes an exclusive lock, and when processes open a new file together SQLite answers
        # "database is locked" at once instead of waiting out the busy timeout: retry until the timeout.
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                migrate_sqlite(conn)
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(random.uniform(0.005, 0.05))

    def save(self, canonical: bytes, version: int) -> tuple[str, bool]:
        """Stores a state's canonical JSON; returns its id and whether this call created the row."""
        text = canonical.decode("utf-8")
        with self._lock:
            conn = self._connection()

            def insert(link_id: str) -> bool:
                sql = "INSERT OR IGNORE INTO links (id, version, state) VALUES (?, ?, ?)"
                return conn.execute(sql, (link_id, version, text)).rowcount == 1

            def stored(link_id: str) -> str | None:
                row = conn.execute("SELECT state FROM links WHERE id = ?", (link_id,)).fetchone()
                return None if row is None else str(row[0])

            return claim(canonical, self.id_length, insert, stored)

    def load(self, link_id: str) -> tuple[int, bytes] | None:
        """The version and canonical JSON stored under `link_id`, or None."""
        if not valid_id(link_id):
            return None
        with self._lock:
            row = self._connection().execute("SELECT version, state FROM links WHERE id = ?", (link_id,)).fetchone()
        return None if row is None else (int(row[0]), row[1].encode("utf-8"))

    def count(self) -> int:
        with self._lock:
            return int(self._connection().execute("SELECT count(*) FROM links").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


_OPENED: list[LinkStore] = []  # what close_stores() closes
S = TypeVar("S", bound=LinkStore)


def _opened(store: S) -> S:
    _OPENED.append(store)
    return store


@lru_cache(maxsize=4)
def store_at(data_dir: Path) -> SqliteLinkStore:
    """The process's SQLite store for a data directory (settings.data_dir): one connection per process."""
    return _opened(SqliteLinkStore(Path(data_dir) / "links.sqlite3"))


@lru_cache(maxsize=4)
def open_store(database_url: str | None, data_dir: Path) -> LinkStore:
    """The process's store for the settings: PostgreSQL when `database_url` is set, else SQLite in `data_dir`.

    Nothing connects until the first save or load (then the migrations run).
    """
    if database_url:
        from normlens.app.links_pg import PostgresLinkStore  # psycopg is loaded only by those who use it

        return _opened(PostgresLinkStore(database_url))
    return store_at(data_dir)


def close_stores() -> None:
    """Close every store this process opened (at shutdown): SQLite's connection, PostgreSQL's pool."""
    open_store.cache_clear()
    store_at.cache_clear()
    while _OPENED:
        _OPENED.pop().close()
