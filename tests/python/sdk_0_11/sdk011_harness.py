"""Harness for driving gitpod-mock with the official Python SDK, gitpod-sdk 0.11.0.

Every test gets its own server process (``gitpod-mock serve --port 0 --seed 42``), so tests that
create, update or delete records never see each other's data. Starting the binary takes a few
milliseconds; the URL is read from the one line it prints on stdout, so there are no sleeps and no
fixed ports.

The SDK is pointed at the mock through ``base_url``. SDK 0.x joins ``base_url`` and the method path
``/gitpod.v1.RunnerConfigurationService/<Method>`` by plain concatenation (``_prepare_url``), so
``http://127.0.0.1:PORT`` calls ``/gitpod.v1...`` and ``http://127.0.0.1:PORT/api`` (the shape of
the SDK's default ``https://app.gitpod.io/api``) calls ``/api/gitpod.v1...``.

Each client records every exchange on the wire (see ``Wire``) so tests can assert on what was sent
and, above all, on what came back, e.g. that a secret never appears in any response body.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import httpx

import gitpod

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mock_process import MockProcess  # noqa: E402

REQUEST_TIMEOUT_S = 15.0

# The fixture records the brief guarantees: a runner (AWS EC2) and, with the same id, an environment
# class, an SCM integration (scmId gitlab, host gitlab.com) and a host authentication token.
FIXTURE_ID = "d2c94c27-3b76-4a42-b88c-95a85e392c68"
RUNNER_ID = FIXTURE_ID


class MockServer(MockProcess):
    """One `gitpod-mock serve --port 0` process (tests/mock_process.py); `url` is what it
    printed on stdout."""


@dataclass
class Exchange:
    method: str
    url: httpx.URL
    request_headers: httpx.Headers
    request_body: bytes
    status: int
    response_headers: httpx.Headers
    response_body: bytes

    @property
    def path(self) -> str:
        return self.url.path

    def request_json(self) -> object:
        return json.loads(self.request_body) if self.request_body else None

    def response_json(self) -> object:
        return json.loads(self.response_body) if self.response_body else None


@dataclass
class Wire:
    """Every request the SDK sent and every response it got, in order."""

    exchanges: List[Exchange] = field(default_factory=list)

    def _on_response(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        self.exchanges.append(
            Exchange(
                method=request.method,
                url=request.url,
                request_headers=request.headers,
                request_body=request.content,
                status=response.status_code,
                response_headers=response.headers,
                response_body=response.content,
            )
        )

    def http_client(self) -> httpx.Client:
        return gitpod.DefaultHttpxClient(event_hooks={"response": [self._on_response]})

    def to(self, method_name: str) -> List[Exchange]:
        """Exchanges whose path ends with /<method_name>."""
        return [e for e in self.exchanges if e.path.endswith("/" + method_name)]

    def all_response_text(self) -> str:
        return "\n".join(e.response_body.decode("utf-8", "replace") for e in self.exchanges)

    def clear(self) -> None:
        self.exchanges.clear()


def make_client(
    base_url: str,
    wire: Optional[Wire] = None,
    *,
    max_retries: int = 0,
    strict: bool = False,
) -> gitpod.Gitpod:
    return gitpod.Gitpod(
        base_url=base_url,
        bearer_token="dummy-bearer-token",
        max_retries=max_retries,
        timeout=REQUEST_TIMEOUT_S,
        http_client=(wire or Wire()).http_client(),
        _strict_response_validation=strict,
    )
