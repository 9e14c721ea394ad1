"""pytest fixtures for the Python client suites (grpcio, connectrpc): stubs generated from
contract/ by grpcio-tools at test time, `gitpod-mock serve` processes (the binary under test,
$GITPOD_MOCK_BIN), and every documented example as plain JSON Connect answers it, for the
clients' answers to be compared with."""

from __future__ import annotations

import json
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from mock_process import MockProcess  # noqa: E402

CONTRACT = REPO / "contract"
SERVICE = "gitpod.v1.RunnerConfigurationService"


@pytest.fixture(scope="session")
def pb() -> Iterator[object]:
    """The generated modules, as a namespace: `pb.messages`, `pb.service` (grpcio stubs) and
    `pb.validate` (buf.validate, for the Violations error detail)."""
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
    from buf.validate import validate_pb2
    from gitpod.v1 import runner_configuration_pb2, runner_configuration_pb2_grpc

    class Namespace:
        messages = runner_configuration_pb2
        service = runner_configuration_pb2_grpc
        validate = validate_pb2

    yield Namespace


class Server(MockProcess):
    """One `gitpod-mock serve --port 0` process (tests/mock_process.py), and what its ready
    line said."""

    def __init__(self, extra: Sequence[str] = ()) -> None:
        super().__init__(["--quiet", *extra])

    def journal(self, session: str) -> List[Dict[str, Any]]:
        return self.get(f"/__mock/journal?session={session}")["entries"]

    def over_json(self, method: str, body: Dict[str, Any], session: str) -> Dict[str, Any]:
        """A call over plain JSON Connect, its reply as protobuf's JSON writes it: Connect
        writes empty top-level lists, protobuf's JSON leaves them out."""
        request = urllib.request.Request(
            f"{self.url}/{SERVICE}/{method}", data=json.dumps(body).encode(), method="POST",
            headers={"content-type": "application/json", "x-mock-session": session},
        )
        reply = json.load(urllib.request.urlopen(request, timeout=10, context=self.tls))
        return {k: v for k, v in reply.items() if v != []}


@dataclass(frozen=True)
class Example:
    """A documented method's example, and what plain JSON Connect answered it on a fresh
    session; the same session name on another fresh server gets the same answer."""

    method: str
    request: Dict[str, Any]
    session: str
    answer: Dict[str, Any]


@pytest.fixture(scope="session")
def documented() -> List[Example]:
    """Every method the mock serves, with the first example of the OpenAPI export's request
    body; the export must document each method the listing at `/` says is implemented."""
    server = Server()
    try:
        doc = server.get("/__mock/openapi.json")
        examples = []
        for path, item in sorted(doc["paths"].items()):
            if path.startswith(f"/{SERVICE}/"):
                method = path.rsplit("/", 1)[1]
                content = item["post"]["requestBody"]["content"]["application/json"]
                body = next(iter(content["examples"].values()))["value"]
                answer = server.over_json(method, body, method.lower())
                examples.append(Example(method, body, method.lower(), answer))
        served = [m["name"] for m in server.get("/")["methods"] if m["implemented"]]
    finally:
        server.stop()
    assert sorted(e.method for e in examples) == sorted(served) and len(served) == 16
    return examples


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
