"""Test-wide settings: Hypothesis runs derandomized (same examples every run) so CI is repeatable, and the
service keeps its short links in a throwaway directory instead of the user's data directory. PostgreSQL, for the
short-link tests that run against both stores, is a throwaway cluster started on first use (tests/app/pg_cluster)."""

import os
import tempfile
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.app import pg_cluster

os.environ.setdefault("NORMLENS_DATA_DIR", tempfile.mkdtemp(prefix="normlens-test-data-"))
os.environ.setdefault("NORMLENS_WARM_POOL", "false")  # pool processes start on first use in tests
os.environ.pop("NORMLENS_DATABASE_URL", None)  # a developer's own database is never the tests' one

settings.register_profile(
    "normlens", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("normlens")


# --- PostgreSQL for the short-link tests ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The admin URL of a PostgreSQL server: NORMLENS_TEST_DATABASE_URL (a role that may create databases) when
    set, else a throwaway cluster started here and stopped at the end of the session. Without PostgreSQL
    installed the tests that need it are skipped, except in CI (`make test` installs it)."""
    url = os.environ.get("NORMLENS_TEST_DATABASE_URL")
    if url:
        yield url
        return
    binaries = pg_cluster.bindir()
    if binaries is None:
        reason = "PostgreSQL is not installed (make test installs it) and NORMLENS_TEST_DATABASE_URL is not set"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = pg_cluster.Cluster.start(binaries)
    try:
        yield cluster.admin_url
    finally:
        cluster.stop()


@pytest.fixture
def database_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database for one test (dropped after it)."""
    url = pg_cluster.create_database(postgres_server)
    yield url
    pg_cluster.drop_database(postgres_server, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def link_target(request: pytest.FixtureRequest, tmp_path) -> str:
    """Where a short-link test keeps its links, once per store: an SQLite file path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "links.sqlite3")
    return str(request.getfixturevalue("database_url"))
