"""pytest fixtures for the gitpod-sdk 0.11.0 tests; the machinery lives in sdk011_harness.py.

Every test gets its own server process (`gitpod-mock serve --port 0 --seed 42`), so tests that
create, update or delete records never see each other's data.
"""

from __future__ import annotations

from typing import Callable, Iterator, List

import pytest

import gitpod
from sdk011_harness import MockServer, Wire, make_client


@pytest.fixture
def start_server() -> Iterator[Callable[..., MockServer]]:
    """Factory: start_server("--generate", "60") starts another server; all are stopped at teardown."""
    servers: List[MockServer] = []

    def start(*extra_args: str) -> MockServer:
        server = MockServer(extra_args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(start_server: Callable[..., MockServer]) -> MockServer:
    """A fresh server with the default fixtures and --seed 42."""
    return start_server()


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
def client(server: MockServer, wire: Wire) -> Iterator[gitpod.Gitpod]:
    """An SDK client for `server`, base_url without the /api prefix, no retries, recording to `wire`."""
    with make_client(server.url, wire) as sdk:
        yield sdk
