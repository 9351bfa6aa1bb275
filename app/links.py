"""Short links: states stored in SQLite under an id derived from their content.

The id is the start of base32(sha256(canonical JSON)), 10 characters (50 bits) by default, so the same state
always gets the same id and a link never changes meaning. If that prefix is already taken by a different
state, the id grows one character at a time until it is free or holds this very state:

    >>> import tempfile
    >>> store = LinkStore(Path(tempfile.mkdtemp()) / "links.sqlite3")
    >>> link_id, created = store.save(b'{"layer":"dropout","v":1}', version=1)
    >>> len(link_id), created, store.save(b'{"layer":"dropout","v":1}', version=1) == (link_id, False)
    (10, True, True)

Rows are immutable (a trigger refuses updates) and keep the schema version they were written with. The
database runs in WAL mode with a busy timeout, so several processes can write at once: `INSERT OR IGNORE` on
the primary key makes a concurrent save of the same state a no-op rather than a duplicate or an error.
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
from functools import lru_cache
from pathlib import Path

ID_LENGTH = 10
MAX_ID_LENGTH = 52  # all 256 bits of the digest in base32
_ID = re.compile(r"[a-z2-7]{1,52}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS links_immutable BEFORE UPDATE ON links
BEGIN SELECT RAISE(ABORT, 'short links are immutable'); END;
"""


def digest_id(canonical: bytes) -> str:
    """The full-length id of a state: base32 of its sha256, lowercase, unpadded (52 characters)."""
    return base64.b32encode(hashlib.sha256(canonical).digest()).decode("ascii").rstrip("=").lower()


def valid_id(link_id: str) -> bool:
    return _ID.fullmatch(link_id) is not None


class LinkStore:
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
            self._set_up(conn)
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
                conn.executescript(_SCHEMA)
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(random.uniform(0.005, 0.05))

    def save(self, canonical: bytes, version: int) -> tuple[str, bool]:
        """Stores a state's canonical JSON; returns its id and whether this call created the row."""
        text = canonical.decode("utf-8")
        full = digest_id(canonical)
        with self._lock:
            conn = self._connection()
            for n in range(self.id_length, MAX_ID_LENGTH + 1):
                link_id = full[:n]
                cur = conn.execute(
                    "INSERT OR IGNORE INTO links (id, version, state) VALUES (?, ?, ?)",
                    (link_id, version, text),
                )
                if cur.rowcount == 1:
                    return link_id, True
                row = conn.execute("SELECT state FROM links WHERE id = ?", (link_id,)).fetchone()
                if row is not None and row[0] == text:
                    return link_id, False
                # the prefix belongs to another state: try one character more
        raise RuntimeError(f"no free id for state {full}")  # needs a full sha256 collision

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


@lru_cache(maxsize=4)
def store_at(data_dir: Path) -> LinkStore:
    """The process's store for a data directory (settings.data_dir): one connection per process."""
    return LinkStore(Path(data_dir) / "links.sqlite3")
