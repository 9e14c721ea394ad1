"""One `gitpod-mock serve --port 0` process, for every Python suite: the binary under test
($GITPOD_MOCK_BIN, else target/debug/gitpod-mock; relative to the repo root), `--seed 42`
unless the flags give one, and the address from the one line it prints on stdout, so there are
no sleeps and no fixed ports. Both pipes are drained for the process's whole life, so the
server never blocks on a full pipe and its stderr can be shown when it fails to start.

The suites import it after putting tests/ on sys.path:
`sys.path.insert(0, str(Path(__file__).resolve().parents[N]))`."""

from __future__ import annotations

import json
import os
import queue
import re
import ssl
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence

import pytest

REPO = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 15.0
LISTENING = re.compile(r"gitpod-mock listening on (https?)://([\d.]+):(\d+)(?: \(certificate: (.+)\))?")


def under_repo(path: str) -> Path:
    return Path(path) if Path(path).is_absolute() else REPO / path


def mock_binary() -> Path:
    return under_repo(os.environ.get("GITPOD_MOCK_BIN") or "target/debug/gitpod-mock")


class MockProcess:
    """The process, `url` (`http://127.0.0.1:PORT`), `target` (`127.0.0.1:PORT`) and, with
    `--tls-self-signed`, the certificate it wrote and an SSL context trusting it (`tls`)."""

    def __init__(self, extra: Sequence[str] = ()) -> None:
        binary = mock_binary()
        if not binary.is_file():
            pytest.fail(f"gitpod-mock binary not found at {binary}: run `cargo build` or set "
                        "GITPOD_MOCK_BIN", pytrace=False)
        seed = [] if "--seed" in extra else ["--seed", "42"]
        self.args = [str(binary), "serve", "--port", "0", *seed, *extra]
        self._stderr: List[str] = []
        self._lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.proc = subprocess.Popen(self.args, cwd=REPO, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     bufsize=1)
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self._stderr.append), daemon=True).start()
        self.scheme, host, port, self.certificate = self._ready_line().groups()
        self.target = f"{host}:{port}"
        self.url = f"{self.scheme}://{self.target}"
        self.tls = ssl.create_default_context(cafile=self.certificate) if self.certificate else None

    @staticmethod
    def _pump(stream: Any, sink: Callable[[Any], None]) -> None:
        for line in stream:
            sink(line)
        sink(None)

    def _ready_line(self) -> "re.Match[str]":
        try:
            line = self._lines.get(timeout=STARTUP_TIMEOUT_S)
        except queue.Empty:
            self.stop()
            pytest.fail(f"{self.args}: no 'listening on' line within {STARTUP_TIMEOUT_S}s\n{self.stderr}",
                        pytrace=False)
        if line is None:
            code = self.proc.wait(timeout=5)
            pytest.fail(f"{self.args} exited with {code} before printing its address\n{self.stderr}",
                        pytrace=False)
        match = LISTENING.search(line)
        if not match:
            self.stop()
            pytest.fail(f"{self.args}: unexpected first line {line!r}\n{self.stderr}", pytrace=False)
        return match

    @property
    def stderr(self) -> str:
        return "".join(s for s in self._stderr if s)[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def get(self, path: str) -> Any:
        """GET a JSON document of the mock's (`/`, `/__mock/...`)."""
        return json.load(urllib.request.urlopen(f"{self.url}{path}", timeout=REQUEST_TIMEOUT_S,
                                                context=self.tls))
