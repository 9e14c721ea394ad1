"""pytest fixtures for the Python grpcio tests: stubs generated from contract/ by grpcio-tools
at test time, and `gitpod-mock serve` processes (the binary under test, $GITPOD_MOCK_BIN)."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "contract"


@pytest.fixture(scope="session")
def pb() -> Iterator[object]:
    """The generated modules, as a namespace: `pb.messages` and `pb.service`."""
    import grpc_tools
    from grpc_tools import protoc

    out = Path(tempfile.mkdtemp(prefix="gitpod-mock-stubs-"))
    # The service and what it imports; not contract/grpc (reflection, health), whose package
    # name would shadow the grpc module here, nor the mock's own fixture schema.
    protos = [str(p.relative_to(CONTRACT)) for p in CONTRACT.rglob("*.proto")
              if p.relative_to(CONTRACT).parts[0] in ("gitpod", "buf", "gnostic")]
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [f"-I{CONTRACT}", f"-I{well_known}", f"--python_out={out}", f"--grpc_python_out={out}"]
    status = protoc.main(["protoc", *args, *protos])
    assert status == 0, f"protoc failed on {protos}"
    sys.path.insert(0, str(out))
    from gitpod.v1 import runner_configuration_pb2, runner_configuration_pb2_grpc

    class Namespace:
        messages = runner_configuration_pb2
        service = runner_configuration_pb2_grpc

    yield Namespace


class Server:
    """One `gitpod-mock serve --port 0` process, and what its ready line said."""

    def __init__(self, extra: Sequence[str] = ()) -> None:
        binary = os.environ.get("GITPOD_MOCK_BIN", str(REPO / "target/debug/gitpod-mock"))
        self.proc = subprocess.Popen(
            [binary, "serve", "--port", "0", "--seed", "42", "--quiet", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        lines: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in self.proc.stdout] + [lines.put(None)], daemon=True).start()
        line = lines.get(timeout=20)
        match = re.match(r"gitpod-mock listening on (https?)://([\d.]+):(\d+)(?: \(certificate: (.+)\))?", line or "")
        assert match, f"no ready line: {line!r}"
        self.scheme, host, port, self.certificate = match.groups()
        self.target = f"{host}:{port}"
        self.url = f"{self.scheme}://{self.target}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def start() -> Iterator[object]:
    servers: List[Server] = []

    def run(*extra: str) -> Server:
        server = Server(extra)
        servers.append(server)
        return server

    yield run
    for server in servers:
        server.stop()
