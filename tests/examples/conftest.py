"""pytest fixtures for the examples/library demonstration: the library's protobuf modules,
generated from examples/library/proto by grpcio-tools at test time, and one
`gitpod-mock serve --contract examples/library/proto` process (the binary under test,
$GITPOD_MOCK_BIN) with the example's fixtures and scenarios. Tests keep apart by session
(`x-mock-session`), so one server serves the whole module."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples/library"
# buf/validate and google/api, which the library imports, as the mock bundles them.
CONTRACT = REPO / "contract"


@pytest.fixture(scope="session")
def pb() -> Iterator[object]:
    """The generated modules: `pb.library` (library.v1) and `pb.validate` (buf.validate, for
    the Violations error detail)."""
    import grpc_tools
    from grpc_tools import protoc

    out = Path(tempfile.mkdtemp(prefix="gitpod-mock-library-"))
    proto_dir = EXAMPLE / "proto"
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    imports = ["buf/validate/validate.proto", "google/api/annotations.proto",
               "google/api/http.proto", "google/api/field_behavior.proto",
               "google/api/resource.proto"]
    args = [f"-I{proto_dir}", f"-I{CONTRACT}", f"-I{well_known}", f"--python_out={out}"]
    status = protoc.main(["protoc", *args, "library/v1/library.proto", *imports])
    assert status == 0, "protoc failed on examples/library/proto"
    sys.path.insert(0, str(out))
    from buf.validate import validate_pb2
    from library.v1 import library_pb2

    class Namespace:
        library = library_pb2
        validate = validate_pb2

    yield Namespace


class Server:
    """One `gitpod-mock serve --port 0` process, and the address its ready line gave."""

    def __init__(self, *extra: str) -> None:
        binary = os.environ.get("GITPOD_MOCK_BIN", str(REPO / "target/debug/gitpod-mock"))
        binary = binary if Path(binary).is_absolute() else str(REPO / binary)
        self.args = [binary, "serve", "--port", "0", "--seed", "42", "--quiet", *extra]
        self.proc = subprocess.Popen(self.args, cwd=REPO, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        lines: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in self.proc.stdout] + [lines.put(None)],
                         daemon=True).start()
        line = lines.get(timeout=30)
        match = re.match(r"gitpod-mock listening on (http://[\d.]+:\d+)", line or "")
        if not match:
            self.stop()
            pytest.fail(f"{self.args}: no ready line, got {line!r}\n{self.proc.stderr.read()}")
        self.url = match.group(1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def get(self, path: str) -> Any:
        return json.load(urllib.request.urlopen(f"{self.url}{path}", timeout=10))


@pytest.fixture(scope="module")
def library_server() -> Iterator[Server]:
    """The library, served as examples/library/README.md says."""
    server = Server("--contract", str(EXAMPLE / "proto"), "--fixtures", str(EXAMPLE / "fixtures"),
                    "--scenario-dir", str(EXAMPLE / "scenarios"))
    yield server
    server.stop()


@pytest.fixture
def start() -> Iterator[object]:
    """Starts further servers (other flags), stopped at the test's end."""
    servers: List[Server] = []

    def run(*extra: str) -> Server:
        servers.append(Server(*extra))
        return servers[-1]

    yield run
    for server in servers:
        server.stop()
