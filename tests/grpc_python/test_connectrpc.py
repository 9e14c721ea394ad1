"""connectrpc 0.13.0, the Connect project's own Python client (over the pyqwest HTTP client),
with google.protobuf messages generated from contract/, against the mock: every documented
method answers as over plain JSON Connect on each of its protocols (Connect, gRPC, gRPC-Web),
codecs and transports (HTTP/1.1, h2c prior knowledge, TLS), Connect GET for the methods
without side effects, error details, gzip both ways, deadlines the journal records, sessions
and auth. test_grpcio.py owns grpcio's view of the same."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

import pyqwest
import pytest
from connectrpc.client import ConnectClientSync
from connectrpc.code import Code
from connectrpc.compat import google_protobuf_binary_codec, google_protobuf_json_codec
from connectrpc.errors import ConnectError
from connectrpc.method import IdempotencyLevel, MethodInfo, StreamType
from connectrpc.protocol import ProtocolType
from google.protobuf import descriptor_pb2, json_format

CODECS = {"proto": google_protobuf_binary_codec(), "json": google_protobuf_json_codec()}
# The journal's `protocol` is this name, "+" and the codec's.
PROTOCOLS = {ProtocolType.CONNECT: "connect", ProtocolType.GRPC: "grpc", ProtocolType.GRPC_WEB: "grpc-web"}
# Where each protocol names the request's compression, in the journal's headers too.
ENCODING_HEADER = {ProtocolType.CONNECT: "content-encoding", ProtocolType.GRPC: "grpc-encoding",
                   ProtocolType.GRPC_WEB: "grpc-encoding"}
TRANSPORTS = {"http1": pyqwest.HTTPVersion.HTTP1, "h2c": pyqwest.HTTPVersion.HTTP2, "tls": pyqwest.HTTPVersion.HTTP2}
LEVELS = {
    descriptor_pb2.MethodOptions.IDEMPOTENCY_UNKNOWN: IdempotencyLevel.UNKNOWN,
    descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS: IdempotencyLevel.NO_SIDE_EFFECTS,
    descriptor_pb2.MethodOptions.IDEMPOTENT: IdempotencyLevel.IDEMPOTENT,
}


@dataclass
class Exchange:
    request: pyqwest.SyncRequest
    http_version: pyqwest.HTTPVersion
    headers: Dict[str, str]


class Wire:
    """A pyqwest transport that keeps each exchange: the request as connectrpc made it, and
    the response's HTTP version and headers as pyqwest hands them up."""

    def __init__(self, **options: Any) -> None:
        self.inner = pyqwest.SyncHTTPTransport(**options)
        self.exchanges: List[Exchange] = []

    def execute_sync(self, request: pyqwest.SyncRequest) -> pyqwest.SyncResponse:
        response = self.inner.execute_sync(request)
        self.exchanges.append(Exchange(request, response.http_version, dict(response.headers.items())))
        return response


@pytest.fixture(scope="module")
def methods(pb: Any) -> Dict[str, MethodInfo]:
    """connectrpc's MethodInfo of every method of the service, from its descriptors."""
    service = pb.messages.DESCRIPTOR.services_by_name["RunnerConfigurationService"]
    out = {}
    for method in service.methods:
        assert not (method.client_streaming or method.server_streaming), method.name
        out[method.name] = MethodInfo(
            name=method.name, service_name=service.full_name,
            input=getattr(pb.messages, method.input_type.name),
            output=getattr(pb.messages, method.output_type.name),
            idempotency_level=LEVELS[method.GetOptions().idempotency_level],
            stream_type=StreamType.UNARY,
        )
    return out


def serve(start: Any, transport: str, tmp_path: Any, *extra: str) -> Tuple[Any, Wire, str]:
    """A mock, a Wire that reaches it over `transport`, and the address to give connectrpc."""
    if transport == "tls":
        server = start("--tls-self-signed", str(tmp_path), *extra)
        with open(server.certificate, "rb") as f:
            wire = Wire(tls_ca_cert=f.read())
        return server, wire, server.url.replace("127.0.0.1", "localhost")
    server = start(*extra)
    return server, Wire(http_version=TRANSPORTS[transport]), server.url


def client(address: str, wire: Wire, protocol: ProtocolType = ProtocolType.CONNECT,
           codec: str = "proto", **options: Any) -> ConnectClientSync:
    return ConnectClientSync(address, codec=CODECS[codec], protocol=protocol,
                             http_client=pyqwest.SyncClient(wire), timeout_ms=10_000, **options)


def call(connect: ConnectClientSync, info: MethodInfo, body: Dict[str, Any], session: str,
         **options: Any) -> Any:
    """One unary call of `info` with a JSON request body, in `session`."""
    request = json_format.ParseDict(body, info.input())
    headers = {"x-mock-session": session, **options.pop("headers", {})}
    return connect.execute_unary(request=request, method=info, headers=headers, **options)


def example(documented: Any, method: str) -> Any:
    return next(e for e in documented if e.method == method)


def journalled(server: Any, session: str) -> Dict[str, Any]:
    """The session's one journal entry, once the mock has written it: a call its client
    abandoned is journalled when the mock notices, a moment after the client gave up."""
    for _ in range(200):
        entries = server.journal(session)
        if entries:
            [entry] = entries
            return entry
        time.sleep(0.01)
    raise AssertionError(f"nothing journalled in session {session}")


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTOCOLS.values())
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_every_documented_method_answers_as_over_json_connect(
        transport: str, protocol: ProtocolType, codec: str, documented: Any, methods: Any,
        start: Any, tmp_path: Any) -> None:
    server, wire, address = serve(start, transport, tmp_path)
    connect = client(address, wire, protocol, codec)
    for case in documented:
        reply = call(connect, methods[case.method], case.request, case.session)
        assert json_format.MessageToDict(reply) == case.answer, case.method
        [entry] = server.journal(case.session)
        assert (entry["method"], entry["protocol"], entry["code"]) == (
            case.method, f"{PROTOCOLS[protocol]}+{codec}", "ok")
    assert [e.http_version for e in wire.exchanges] == [TRANSPORTS[transport]] * len(documented)


@pytest.mark.parametrize("codec", CODECS)
def test_connect_get_for_the_methods_without_side_effects(
        codec: str, documented: Any, methods: Any, start: Any) -> None:
    server, wire = start(), Wire()
    connect = client(server.url, wire, codec=codec)
    # The contract's idempotency_level and the mock's listing agree on which they are.
    safe = [e for e in documented if methods[e.method].idempotency_level == IdempotencyLevel.NO_SIDE_EFFECTS]
    listed = [m["name"] for m in server.get("/")["methods"] if m["implemented"] and not m["sideEffects"]]
    assert safe and sorted(e.method for e in safe) == sorted(listed)
    for case in safe:
        reply = call(connect, methods[case.method], case.request, case.session, use_get=True)
        assert json_format.MessageToDict(reply) == case.answer, case.method
        [entry] = server.journal(case.session)
        assert (entry["protocol"], entry["code"]) == (f"connect-get+{codec}", "ok"), case.method
    assert {e.request.method for e in wire.exchanges} == {"GET"}


def test_a_get_of_a_method_with_side_effects_is_refused_and_changes_nothing(
        documented: Any, methods: Any, start: Any) -> None:
    # connectrpc sends a GET of any method it is asked to; the mock refuses one with side
    # effects (405, which Connect reads as unknown), as connect-go does, before running it.
    server = start()
    connect = client(server.url, Wire())
    delete = example(documented, "DeleteSCMIntegration")
    with pytest.raises(ConnectError) as error:
        call(connect, methods["DeleteSCMIntegration"], delete.request, "get-delete", use_get=True)
    assert error.value.code == Code.UNKNOWN
    assert "GET is not allowed" in error.value.message
    still = call(connect, methods["GetSCMIntegration"], {"id": delete.request["id"]}, "get-delete")
    assert still.integration.id == delete.request["id"]


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTOCOLS.values())
def test_not_found_and_invalid_argument_with_the_violations_detail(
        protocol: ProtocolType, pb: Any, methods: Any, start: Any, tmp_path: Any) -> None:
    server, wire, address = serve(start, "h2c", tmp_path)
    connect, get = client(address, wire, protocol), methods["GetSCMIntegration"]
    missing = str(uuid.uuid4())
    with pytest.raises(ConnectError) as error:
        call(connect, get, {"id": missing}, "errors")
    assert error.value.code == Code.NOT_FOUND
    assert missing in error.value.message
    with pytest.raises(ConnectError) as error:
        call(connect, get, {"id": "nope"}, "errors")
    assert error.value.code == Code.INVALID_ARGUMENT
    assert error.value.message == "validation error: id: value must be a valid UUID"
    [detail] = error.value.details
    assert detail.type_name == "buf.validate.Violations"
    [violation] = pb.validate.Violations.FromString(detail.message_bytes).violations
    path = [element.field_name for element in violation.field.elements]
    assert (violation.rule_id, path) == ("string.uuid", ["id"])
    assert [e["code"] for e in server.journal("errors")] == ["not_found", "invalid_argument"]


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTOCOLS.values())
def test_gzip_requests_are_accepted_and_gzip_answers_decode(
        protocol: ProtocolType, documented: Any, methods: Any, start: Any, tmp_path: Any) -> None:
    server, wire, address = serve(start, "h2c", tmp_path)
    case = example(documented, "ListSCMIntegrations")
    reply = call(client(address, wire, protocol), methods[case.method], case.request, "gzip")
    assert json_format.MessageToDict(reply) == case.answer
    [entry] = server.journal("gzip")
    assert entry["headers"][ENCODING_HEADER[protocol]] == "gzip" and entry["code"] == "ok"
    [sent] = wire.exchanges
    if protocol == ProtocolType.CONNECT:
        # pyqwest inflates a Connect answer itself and drops its content-encoding, so the
        # same request again, through a transport that does not, shows what the mock sent.
        raw = pyqwest.SyncClient(pyqwest.SyncHTTPTransport(
            http_version=pyqwest.HTTPVersion.HTTP2, enable_gzip=False)).post(
            sent.request.url, headers=sent.request.headers, content=sent.request.content)
        assert raw.headers["content-encoding"] == "gzip"
        assert type(reply).FromString(gzip.decompress(raw.content)) == reply
    else:
        # gRPC's messages are gzipped in their frames, and connectrpc inflated them.
        assert sent.headers["grpc-encoding"] == "gzip"

    # Without compression, either way: the request and the answer say identity, or nothing.
    plain = client(address, wire, protocol, send_compression=None, accept_compression=[])
    call(plain, methods[case.method], case.request, "plain")
    [entry] = server.journal("plain")
    assert entry["headers"].get(ENCODING_HEADER[protocol], "identity") == "identity"
    assert wire.exchanges[-1].headers.get(ENCODING_HEADER[protocol], "identity") == "identity"


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTOCOLS.values())
def test_a_deadline_the_slow_scenario_passes_is_journalled(
        protocol: ProtocolType, documented: Any, methods: Any, start: Any, tmp_path: Any) -> None:
    server, wire, address = serve(start, "h2c", tmp_path)
    connect, case = client(address, wire, protocol), example(documented, "GetSCMIntegration")
    # Open the connection first, so the deadline's 20 ms are the call's alone.
    call(connect, methods[case.method], case.request, "warm")
    # `slow` delays by about 120 ms (lognormal, seeded by --seed and the session).
    began = time.monotonic()
    with pytest.raises(ConnectError) as error:
        call(connect, methods[case.method], case.request, "late",
             headers={"x-mock-scenario": "slow"}, timeout_ms=20)
    assert error.value.code == Code.DEADLINE_EXCEEDED
    assert time.monotonic() - began < 1
    entry = journalled(server, "late")
    assert (entry["method"], entry["code"], entry["scenario"]) == (case.method, "deadline_exceeded", "slow")
    timeout = {"connect-timeout-ms": "20"} if protocol == ProtocolType.CONNECT else {"grpc-timeout": "20m"}
    assert timeout.items() <= entry["headers"].items()


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTOCOLS.values())
def test_a_create_in_one_session_is_not_seen_in_another(
        protocol: ProtocolType, documented: Any, methods: Any, start: Any, tmp_path: Any) -> None:
    server, wire, address = serve(start, "h2c", tmp_path)
    connect = client(address, wire, protocol)
    create, listing = example(documented, "CreateSCMIntegration"), example(documented, "ListSCMIntegrations")
    created = call(connect, methods[create.method], create.request, "a").id

    def listed(session: str) -> List[str]:
        reply = call(connect, methods[listing.method], listing.request, session)
        return [i.id for i in reply.integrations]

    assert created in listed("a") and created not in listed("b")
    with pytest.raises(ConnectError) as error:
        call(connect, methods["GetSCMIntegration"], {"id": created}, "b")
    assert error.value.code == Code.NOT_FOUND
    found = call(connect, methods["GetSCMIntegration"], {"id": created}, "a")
    assert (found.integration.id, found.integration.host) == (created, create.request["host"])


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=PROTOCOLS.values())
def test_require_auth_takes_the_bearer_token_from_headers(
        protocol: ProtocolType, documented: Any, methods: Any, start: Any, tmp_path: Any) -> None:
    server, wire, address = serve(start, "h2c", tmp_path, "--require-auth")
    connect, case = client(address, wire, protocol), example(documented, "GetSCMIntegration")
    with pytest.raises(ConnectError) as error:
        call(connect, methods[case.method], case.request, "auth")
    assert error.value.code == Code.UNAUTHENTICATED
    token = {"authorization": "Bearer connectrpc-test-token"}
    reply = call(connect, methods[case.method], case.request, "auth", headers=token)
    assert json_format.MessageToDict(reply) == case.answer
    entries = server.journal("auth")
    assert [e["code"] for e in entries] == ["unauthenticated", "ok"]
    assert "connectrpc-test-token" not in json.dumps(entries)
