"""Harness for driving gitpod-mock with the official Python SDK, gitpod-sdk 1.2.0 (Connect).

Each test starts its own server (``gitpod-mock serve --port 0 --seed 42``) and reads the URL from
the one line it prints, like the 0.11 harness; there are no sleeps and no fixed ports.

SDK 1.x is a Connect client: ``ona_sdk.create_client(api_key=..., base_url=...)`` builds
``client.services.runner_configuration``, a generated ``RunnerConfigurationServiceClientSync``
that joins ``base_url`` and ``/gitpod.v1.RunnerConfigurationService/<Method>``. Its default codec
is binary protobuf (``application/proto``); the SDK turns off request compression and sends
through its own urllib transport. The SDK's workflows call it through ``OnaClient._unary``,
which maps Connect errors to the SDK's exception classes (``ona_sdk.errors.map_error``).

Three clients are built per test (see ``CLIENT_KINDS``):

- ``sdk-binary``: exactly what ``create_client`` builds, the SDK's default;
- ``sdk-json``: the same SDK options with the runtime's JSON codec instead;
- ``connect-defaults``: the generated client with every runtime default: binary, gzip-compressed
  requests, gzip accepted in responses, and the runtime's own HTTP client (pyqwest).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, List, Optional

from connectrpc.compat import google_protobuf_json_codec
from gitpod.v1.runner_configuration_connect import RunnerConfigurationServiceClientSync
from ona_sdk import create_client
from ona_sdk.client import OnaClient
from ona_sdk.services import _RedirectPreservingSyncTransport, _SDKHeadersInterceptor
from pyqwest import SyncClient, SyncRequest, SyncResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mock_process import MockProcess  # noqa: E402

TIMEOUT_S = 15.0
API_KEY = "test-api-key"
CLIENT_KINDS = ["sdk-binary", "sdk-json", "connect-defaults"]


class MockServer(MockProcess):
    """One `gitpod-mock serve --port 0` process (tests/mock_process.py)."""


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict
    status: int
    response_headers: dict


@dataclass
class Wire:
    """What the SDK's own transport sent and got back (sdk-* clients only)."""

    exchanges: List[Exchange] = field(default_factory=list)


class RecordingTransport(_RedirectPreservingSyncTransport):
    """The SDK's transport, recording each exchange's headers."""

    def __init__(self, timeout: Optional[float], wire: Wire) -> None:
        super().__init__(timeout)
        self._wire = wire

    def execute_sync(self, request: SyncRequest) -> SyncResponse:
        response = super().execute_sync(request)
        self._wire.exchanges.append(
            Exchange(
                method=request.method,
                url=request.url,
                request_headers={k.lower(): v for k, v in request.headers.items()},
                status=response.status,
                response_headers={k.lower(): v for k, v in response.headers.items()},
            )
        )
        return response


class BearerInterceptor:
    """Adds only `Authorization`, so the runtime's defaults (gzip included) stay as they are."""

    def __init__(self, token: Optional[str]) -> None:
        self._token = token

    def on_start_sync(self, ctx: Any) -> None:
        if self._token:
            ctx.request_headers["Authorization"] = f"Bearer {self._token}"

    def on_end_sync(self, token: None, ctx: Any, error: Optional[Exception]) -> None:
        pass


class Api:
    """Calls RunnerConfigurationService methods the way the SDK's workflows do: through
    `OnaClient._unary`, so failures surface as the SDK's exception classes."""

    def __init__(self, kind: str, url: str, api_key: Optional[str] = API_KEY) -> None:
        self.kind = kind
        self.wire = Wire()
        self.ona: OnaClient = create_client(api_key=api_key, base_url=url, timeout=TIMEOUT_S)
        if kind == "sdk-binary":
            self.service = RunnerConfigurationServiceClientSync(
                url, interceptors=[_SDKHeadersInterceptor(api_key, self.ona.user_agent)],
                send_compression=None, timeout_ms=int(TIMEOUT_S * 1000),
                http_client=SyncClient(RecordingTransport(TIMEOUT_S, self.wire)),
            )
            # The same options create_client uses, but with a transport we can watch.
            sdk_default = self.ona.services.runner_configuration
            assert type(sdk_default) is type(self.service)
            assert sdk_default._codec.name() == "proto" == self.service._codec.name()
        elif kind == "sdk-json":
            self.service = RunnerConfigurationServiceClientSync(
                url, codec=google_protobuf_json_codec(),
                interceptors=[_SDKHeadersInterceptor(api_key, self.ona.user_agent)],
                send_compression=None, timeout_ms=int(TIMEOUT_S * 1000),
                http_client=SyncClient(RecordingTransport(TIMEOUT_S, self.wire)),
            )
        elif kind == "connect-defaults":
            self.service = RunnerConfigurationServiceClientSync(
                url, interceptors=[BearerInterceptor(api_key)], timeout_ms=int(TIMEOUT_S * 1000)
            )
        else:
            raise ValueError(kind)

    @property
    def codec(self) -> str:
        return self.service._codec.name()

    def __getattr__(self, method: str) -> Callable[..., Any]:
        rpc = getattr(self.service, method)

        def call(request: Any, *, use_get: bool = False, headers: Optional[dict] = None,
                 timeout: Optional[float] = None) -> Any:
            extra: dict = {}
            if use_get:
                extra["use_get"] = True
            if headers:
                extra["headers"] = headers
            return self.ona._unary(
                lambda r, timeout_ms: rpc(r, timeout_ms=timeout_ms, **extra),
                request, f"runner_configuration.{method}", timeout,
            )

        return call
