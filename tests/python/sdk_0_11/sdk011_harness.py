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
import os
import queue
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence

import httpx
import pytest

import gitpod

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_BIN = "target/debug/gitpod-mock"
DEFAULT_SEED = "42"
STARTUP_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 15.0
LISTENING_RE = re.compile(r"gitpod-mock listening on (http://\S+)")

# The fixture records the brief guarantees: a runner (AWS EC2) and, with the same id, an environment
# class, an SCM integration (scmId gitlab, host gitlab.com) and a host authentication token.
FIXTURE_ID = "d2c94c27-3b76-4a42-b88c-95a85e392c68"
RUNNER_ID = FIXTURE_ID


def mock_binary() -> Path:
    """The gitpod-mock binary: $GITPOD_MOCK_BIN, else target/debug/gitpod-mock; relative to the repo root."""
    path = Path(os.environ.get("GITPOD_MOCK_BIN") or DEFAULT_BIN)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


class MockServer:
    """One `gitpod-mock serve --port 0` process; `url` is what it printed on stdout."""

    def __init__(self, extra_args: Sequence[str] = ()) -> None:
        binary = mock_binary()
        if not binary.is_file():
            pytest.fail(
                f"gitpod-mock binary not found at {binary}; run `cargo build` in {REPO_ROOT} "
                "or set GITPOD_MOCK_BIN",
                pytrace=False,
            )
        args = [str(binary), "serve", "--port", "0"]
        if "--seed" not in extra_args:
            args += ["--seed", DEFAULT_SEED]
        args += list(extra_args)
        self.args = args
        self._stderr: List[str] = []
        self._stdout_lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.proc = subprocess.Popen(
            args,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        # Drain both pipes for the whole life of the process so the server can never block on a
        # full pipe, and so stderr can be shown when something goes wrong.
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()
        self.url = self._wait_for_url()

    def _pump_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._stdout_lines.put(line)
        self._stdout_lines.put(None)

    def _pump_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)

    def _wait_for_url(self) -> str:
        try:
            line = self._stdout_lines.get(timeout=STARTUP_TIMEOUT_S)
        except queue.Empty:
            self.stop()
            pytest.fail(f"{self.args}: no 'listening on' line within {STARTUP_TIMEOUT_S}s\n{self.stderr}")
        if line is None:
            code = self.proc.wait(timeout=5)
            pytest.fail(f"{self.args} exited with {code} before printing its URL\n{self.stderr}")
        match = LISTENING_RE.search(line)
        if not match:
            self.stop()
            pytest.fail(f"{self.args}: unexpected first stdout line {line!r}\n{self.stderr}")
        return match.group(1).rstrip("/")

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


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
