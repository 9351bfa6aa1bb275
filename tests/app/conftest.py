"""Fixtures for the service tests: one app for the session, and a client that sends raw bytes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from normlens.app.main import create_app


@pytest.fixture(scope="session")
def app() -> FastAPI:
    return create_app()


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    # raise_server_exceptions (the default) turns any unhandled error into a test failure: a bad input that
    # reached the 500 handler would fail its test rather than pass as "some error".
    with TestClient(app) as c:
        yield c
