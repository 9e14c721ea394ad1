"""pytest fixtures for the whole Gitpod API in one command: one
`gitpod-mock serve --contract target/gitpod-api.binpb` process per module (the descriptor set
`scripts/gitpod-api-descriptors.py` writes from gitpod-sdk 1.2.0; $GITPOD_API_DESCRIPTORS
overrides the path) and the official SDK's service clients pointed at it, one session each.

The method counts by behaviour, read from `GET /` by test_whole_api.py, are printed at the end
of the run (`BEHAVIOURS`)."""

from __future__ import annotations

import os
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator

import pytest
from connectrpc.compat import google_protobuf_json_codec
from ona_sdk import create_client
from ona_sdk.services import _RedirectPreservingSyncTransport, _SDKHeadersInterceptor
from pyqwest import SyncClient

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))
from mock_process import MockProcess, under_repo  # noqa: E402

API_KEY = "any-token-will-do"
TIMEOUT_S = 15.0
CODECS = ["proto", "json"]
# Filled by test_whole_api.py: {"resource": 88, ...}, printed in the terminal summary.
BEHAVIOURS: Dict[str, int] = {}


def descriptors() -> Path:
    path = under_repo(os.environ.get("GITPOD_API_DESCRIPTORS", "target/gitpod-api.binpb"))
    if not path.is_file():
        pytest.fail(f"{path} is missing: run scripts/gitpod-api-descriptors.py --out {path}", pytrace=False)
    return path


class Server(MockProcess):
    """`gitpod-mock serve --contract <the whole API> --port 0` (tests/mock_process.py)."""

    def __init__(self) -> None:
        super().__init__(["--contract", str(descriptors()), "--quiet"])

    def post_json(self, path: str, body: str, session: str) -> str:
        """A call over plain JSON Connect, for its answer's exact text."""
        request = urllib.request.Request(
            f"{self.url}{path}", data=body.encode(), method="POST",
            headers={"content-type": "application/json", "x-mock-session": session,
                     "authorization": f"Bearer {API_KEY}"})
        return urllib.request.urlopen(request, timeout=TIMEOUT_S).read().decode()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    server = Server()
    yield server
    server.stop()


class Service:
    """One of the SDK's service clients (`ona.services.<name>`): each method is called the way
    the SDK's own workflows call it, through `OnaClient._unary`, so that errors arrive as the
    SDK's exception classes; every call carries the Api's session."""

    def __init__(self, api: "Api", name: str) -> None:
        self.api, self.name = api, name
        self.client = getattr(api.ona.services, name)
        if api.codec == "json":
            # The same options ServiceClients gives every client, with the JSON codec.
            self.client = type(self.client)(
                api.url, codec=google_protobuf_json_codec(),
                interceptors=[_SDKHeadersInterceptor(API_KEY, api.ona.user_agent)],
                send_compression=None, timeout_ms=int(TIMEOUT_S * 1000),
                http_client=SyncClient(_RedirectPreservingSyncTransport(TIMEOUT_S)))

    def __getattr__(self, method: str) -> Callable[[Any], Any]:
        rpc = getattr(self.client, method)
        headers = {"x-mock-session": self.api.session}

        def call(request: Any) -> Any:
            return self.api.ona._unary(lambda r, timeout_ms: rpc(r, timeout_ms=timeout_ms, headers=headers),
                                       request, f"{self.name}.{method}")

        return call


class Api:
    """The SDK exactly as `create_client` builds it (binary protobuf), or with the JSON codec,
    in a session of its own."""

    def __init__(self, url: str, codec: str) -> None:
        self.url, self.codec = url, codec
        self.session = f"whole-api-{uuid.uuid4()}"
        self.ona = create_client(api_key=API_KEY, base_url=url, timeout=TIMEOUT_S)

    def __getattr__(self, name: str) -> Service:
        return Service(self, name)


@pytest.fixture(params=CODECS)
def api(request: pytest.FixtureRequest, server: Server) -> Api:
    return Api(server.url, request.param)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if BEHAVIOURS:
        figures = ", ".join(f"{count} {kind}" for kind, count in BEHAVIOURS.items())
        terminalreporter.write_line(f"whole Gitpod API, methods by behaviour (GET /): {figures}")
