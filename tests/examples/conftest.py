"""pytest fixtures for the examples/library demonstration: the library's protobuf modules,
generated from examples/library/proto by grpcio-tools at test time, and one
`gitpod-mock serve --contract examples/library/proto` process (the binary under test,
$GITPOD_MOCK_BIN) with the example's fixtures and scenarios. Tests keep apart by session
(`x-mock-session`), so one server serves the whole module."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Iterator, List

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from mock_process import MockProcess  # noqa: E402

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


class Server(MockProcess):
    """One `gitpod-mock serve --port 0 --quiet` process (tests/mock_process.py)."""

    def __init__(self, *extra: str) -> None:
        super().__init__(["--quiet", *extra])


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
