"""pytest fixtures for the gitpod-sdk 1.2.0 tests; the machinery lives in sdk12_harness.py.

Every test gets its own server process, and runs once per client kind (binary SDK default, the
SDK with the JSON codec, and the Connect runtime's defaults with gzip)."""

from __future__ import annotations

from typing import Callable, Iterator, List

import pytest

from sdk12_harness import CLIENT_KINDS, Api, MockServer


@pytest.fixture
def start_server() -> Iterator[Callable[..., MockServer]]:
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
    return start_server()


@pytest.fixture(params=CLIENT_KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def api(server: MockServer, kind: str) -> Api:
    return Api(kind, server.url)
