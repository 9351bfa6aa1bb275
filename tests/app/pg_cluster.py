"""A throwaway PostgreSQL cluster for the tests: initdb into a temporary directory, start it on a free loopback
port (its unix socket in the same directory), stop it with `-m immediate` and delete it.

As root (CI), the server runs as the `postgres` user, which Debian's package creates: PostgreSQL refuses to run
as root. Durability is off (fsync, synchronous_commit, full_page_writes): nothing here outlives the run.

    cluster = Cluster.start(bindir())                   # about 2 s, nearly all of it initdb
    url = create_database(cluster.admin_url)            # postgresql://postgres@127.0.0.1:PORT/normlens_test_<hex>
    cluster.stop()
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def bindir() -> Path | None:
    """The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/<major>/bin), else PATH's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    initdb = found[-1] if found else shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: list[str], as_postgres: bool) -> None:
    cmd = ["runuser", "-u", "postgres", "--", *args] if as_postgres else args
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-3000:]
        raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {output}")


@dataclass
class Cluster:
    bin: Path
    root: Path
    port: int
    as_postgres: bool

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls, bin: Path) -> Cluster:
        as_postgres = os.geteuid() == 0
        root = Path(tempfile.mkdtemp(prefix="normlens-pg-"))
        if as_postgres:
            shutil.chown(root, "postgres")
        cluster = cls(bin, root, 0, as_postgres)
        try:
            init = [str(bin / "initdb"), "-D", str(root / "db"), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
            _run([*init, "--locale=C", "--no-sync"], as_postgres)
            for _ in range(3):  # a free port can be taken by someone else before the server binds it
                cluster.port = free_port()
                try:
                    cluster._pg_ctl_start()
                    return cluster
                except RuntimeError:
                    continue
            raise RuntimeError(f"PostgreSQL did not start: {(root / 'log').read_text(errors='replace')[-2000:]}")
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise

    def _pg_ctl_start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        ctl = [str(self.bin / "pg_ctl"), "-D", str(self.root / "db"), "-l", str(self.root / "log")]
        _run([*ctl, "-o", options, "-w", "-t", "60", "start"], self.as_postgres)

    def stop(self) -> None:
        try:
            _run([str(self.bin / "pg_ctl"), "-D", str(self.root / "db"), "-m", "immediate", "stop"], self.as_postgres)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(admin_url: str) -> str:
    """A new empty database on the server of `admin_url` (a role that may create databases); returns its URL."""
    name = f"normlens_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_database(admin_url, name)


def drop_database(admin_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
