"""The mock's request validation against the real protovalidate (PyPI `protovalidate`, the
Rust engine behind protovalidate-python): seeded random requests, valid and invalid, for every
method of examples/library and of the built-in Gitpod contract, sent to a running mock in the
binary codec and validated by protovalidate. Reports the agreement in figures: the same verdict,
the same violations (rule id and field path, in order), and the same messages too.

Skipped where protovalidate is not installed:
    scripts/python-venv.sh target/py-pv grpcio-tools==1.85.1 protobuf==7.36.2 pytest protovalidate==2.1.0
    GITPOD_MOCK_BIN=target/debug/gitpod-mock target/py-pv/bin/pytest -q -s tests/examples/test_agreement.py
"""

from __future__ import annotations

import base64
import json
import random
import sys
import tempfile
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from conftest import CONTRACT, EXAMPLE, Server

protovalidate = pytest.importorskip("protovalidate")

PER_METHOD = 60
SEED = 11

STRINGS = ["", "a", "ab", "Odes", "x" * 70, "y" * 130, "z" * 250, "ada@example.com", "not an email",
           "12", "0140424466", "9780441013593", "d2c94c27-3b76-4a42-b88c-95a85e392c68",
           "D2C94C27-3B76-4A42-B88C-95A85E392C68", "not-a-uuid", "shelves/fiction",
           "shelves/fiction/books/dune", "https://example.com/x"]
INTEGERS = [0, 1, -1, 5, 25, 99, 100, 101, 500, 1820, 1821, 2100, 2101]

Found = List[Tuple[str, str, str]]  # (rule id, field path, message)


def generate(pb: Any, rng: random.Random) -> None:
    """Sets a random selection of the fields of `pb` (a message), recursing into messages."""
    from google.protobuf.descriptor import FieldDescriptor as F

    for field in pb.DESCRIPTOR.fields:
        if rng.random() < 0.35:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            continue
        repeated = field.is_repeated
        count = rng.choice([0, 1, 2, 3, 30]) if repeated else 1
        values = []
        for _ in range(count):
            if field.type == F.TYPE_MESSAGE:
                values.append(field)
            elif field.type == F.TYPE_STRING:
                values.append(rng.choice(STRINGS))
            elif field.type == F.TYPE_BOOL:
                values.append(rng.random() < 0.5)
            elif field.type == F.TYPE_ENUM:
                numbers = [v.number for v in field.enum_type.values]
                values.append(rng.choice(numbers + [99]))
            elif field.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
                values.append(rng.choice([0.0, 1.5, -2.0]))
            elif field.type == F.TYPE_BYTES:
                values.append(rng.choice([b"", b"\x01\x02"]))
            else:
                n = rng.choice(INTEGERS)
                unsigned = field.type in (F.TYPE_UINT32, F.TYPE_UINT64, F.TYPE_FIXED32, F.TYPE_FIXED64)
                values.append(abs(n) if unsigned else n)
        target = getattr(pb, field.name)
        for value in values:
            if value is field:
                sub = target.add() if repeated else target
                fill_message(sub, rng)
                if not repeated:
                    sub.SetInParent()
            elif repeated:
                target.append(value)
            else:
                setattr(pb, field.name, value)


def fill_message(pb: Any, rng: random.Random) -> None:
    name = pb.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        pb.seconds = rng.choice([0, 1_700_000_000])
    elif name == "google.protobuf.Duration":
        pb.seconds = rng.choice([0, 5])
    elif name == "google.protobuf.FieldMask":
        pb.paths.extend(rng.choice([[], ["title"], ["title", "isbn"]]))
    elif not name.startswith("google.protobuf."):
        generate(pb, rng)


def path_of(elements: Any) -> str:
    parts = []
    for e in elements:
        parts.append(f"{e.field_name}[{e.index}]" if e.HasField("index") else e.field_name)
    return ".".join(parts)


def reference(validator: Any, validate_pb2: Any, message: Any) -> Optional[Found]:
    """protovalidate's violations of `message`, None for a valid one."""
    found = validator.collect_violations(message)
    if not found:
        return None
    out = []
    for violation in found:
        v = validate_pb2.Violation.FromString(violation.proto.to_binary())
        out.append((v.rule_id, path_of(v.field.elements), v.message))
    return out


UNSERVED = [("unimplemented", "", "")]


def mock(url: str, method: str, message: Any, validate_pb2: Any) -> Optional[Found]:
    """The mock's violations of `message`, None when it passed validation (any other answer),
    UNSERVED for a method the mock answers `unimplemented` before validating (the built-in
    contract's five undocumented LLM-integration methods)."""
    request = urllib.request.Request(
        f"{url}/{method}", data=message.SerializeToString(), method="POST",
        headers={"Content-Type": "application/proto", "x-mock-session": f"agree-{uuid.uuid4()}"})
    try:
        urllib.request.urlopen(request, timeout=10).read()
        return None
    except urllib.error.HTTPError as error:
        body = json.loads(error.read() or b"{}")
    if body.get("code") == "unimplemented":
        return UNSERVED
    details = [d for d in body.get("details", []) if d.get("type") == "buf.validate.Violations"]
    if body.get("code") != "invalid_argument" or not details:
        return None
    value = details[0]["value"]
    decoded = validate_pb2.Violations.FromString(base64.b64decode(value + "=" * (-len(value) % 4)))
    return [(v.rule_id, path_of(v.field.elements), v.message) for v in decoded.violations]


def compile_protos(includes: List[Path], files: List[str]) -> Path:
    import grpc_tools
    from grpc_tools import protoc

    out = Path(tempfile.mkdtemp(prefix="gitpod-mock-agreement-"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [f"-I{i}" for i in includes] + [f"-I{well_known}", f"--python_out={out}"]
    assert protoc.main(["protoc", *args, *files]) == 0, files
    return out


def agreement(server: Server, services: List[Any], validate_pb2: Any) -> Dict[str, Any]:
    from google.protobuf.message_factory import GetMessageClass

    validator = protovalidate.Validator()
    rng = random.Random(SEED)
    figures: Dict[str, Any] = {"requests": 0, "unserved": 0, "invalid": 0, "verdict": 0, "violations": 0,
                               "messages": 0, "differences": []}
    for service in services:
        for method in service.methods:
            cls = GetMessageClass(method.input_type)
            for _ in range(PER_METHOD):
                message = cls()
                generate(message, rng)
                want = reference(validator, validate_pb2, message)
                got = mock(server.url, f"{service.full_name}/{method.name}", message, validate_pb2)
                if got is UNSERVED:
                    figures["unserved"] += 1
                    continue
                figures["requests"] += 1
                figures["invalid"] += want is not None
                same_verdict = (want is None) == (got is None)
                figures["verdict"] += same_verdict
                strip = lambda found: [(i, p) for i, p, _ in found or []]
                figures["violations"] += same_verdict and strip(want) == strip(got)
                figures["messages"] += want == got
                if strip(want) != strip(got) and len([d for d in figures["differences"] if d[0] == method.name]) < 2:
                    figures["differences"].append((method.name, want, got))
    return figures


def report(name: str, figures: Dict[str, Any]) -> None:
    n = figures["requests"]
    print(f"\n{name}: {n} requests ({figures['invalid']} invalid by protovalidate; "
          f"{figures['unserved']} more to methods the mock does not serve); agreement: "
          f"verdict {figures['verdict']}/{n}, violations (ids, paths, order) {figures['violations']}/{n}, "
          f"with messages {figures['messages']}/{n}")
    for difference in figures["differences"]:
        print("  differs:", difference)


def test_the_library_agrees_with_protovalidate(library_server: Server) -> None:
    out = compile_protos([EXAMPLE / "proto", CONTRACT], [
        "library/v1/library.proto", "buf/validate/validate.proto", "google/api/annotations.proto",
        "google/api/http.proto", "google/api/field_behavior.proto", "google/api/resource.proto"])
    sys.path.insert(0, str(out))
    from buf.validate import validate_pb2
    from library.v1 import library_pb2

    figures = agreement(library_server, [library_pb2.DESCRIPTOR.services_by_name["LibraryService"]],
                        validate_pb2)
    report("examples/library", figures)
    assert figures["invalid"] > figures["requests"] // 4, "the generator makes invalid requests"
    assert figures["verdict"] == figures["requests"]
    assert figures["violations"] == figures["requests"]


def test_the_builtin_contract_agrees_with_protovalidate(start: Any) -> None:
    out = compile_protos([CONTRACT], [
        "gitpod/v1/runner_configuration.proto", "gitpod/v1/identity.proto", "gitpod/v1/model.proto",
        "gitpod/v1/pagination.proto", "buf/validate/validate.proto",
        "gnostic/openapi/v3/annotations.proto"])
    sys.path.insert(0, str(out))
    from buf.validate import validate_pb2
    from gitpod.v1 import runner_configuration_pb2

    server = start()
    service = runner_configuration_pb2.DESCRIPTOR.services_by_name["RunnerConfigurationService"]
    figures = agreement(server, [service], validate_pb2)
    report("built-in contract", figures)
    assert figures["invalid"] > figures["requests"] // 4, "the generator makes invalid requests"
    assert figures["verdict"] == figures["requests"]
    assert figures["violations"] == figures["requests"]
