"""Python grpcio, with stubs generated from contract/ at test time, against the mock's gRPC
protocol: every documented method answers as it does over Connect, errors are gRPC statuses
with the Violations detail in grpc-status-details-bin, and gzip, deadlines, sessions,
scenarios and TLS work through gRPC's own machinery."""

from __future__ import annotations

from typing import Any, Dict

import grpc
import pytest
from google.protobuf import json_format

EXAMPLE_ID = "d2c94c27-3b76-4a42-b88c-95a85e392c68"


def stub(pb: Any, channel: grpc.Channel) -> Any:
    return pb.service.RunnerConfigurationServiceStub(channel)


def request_of(pb: Any, method: str, body: Dict[str, Any]) -> Any:
    return json_format.ParseDict(body, getattr(pb.messages, f"{method}Request")())


def test_every_documented_method_answers_as_over_connect(pb: Any, start: Any, documented: Any) -> None:
    server = start()
    with grpc.insecure_channel(server.target) as channel:
        client = stub(pb, channel)
        for example in documented:
            # Each example on its own fresh session, so no call sees another's changes.
            session = [("x-mock-session", example.session)]
            request = request_of(pb, example.method, example.request)
            answer = getattr(client, example.method)(request, timeout=10, metadata=session)
            assert json_format.MessageToDict(answer) == example.answer, example.method


def test_an_uncovered_method_is_unimplemented(pb: Any, start: Any) -> None:
    server = start()
    with grpc.insecure_channel(server.target) as channel:
        with pytest.raises(grpc.RpcError) as error:
            stub(pb, channel).ListLLMIntegrations(pb.messages.ListLLMIntegrationsRequest(), timeout=10)
    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "does not cover ListLLMIntegrations" in error.value.details()


def test_not_found_and_invalid_argument_with_the_violations_detail(pb: Any, start: Any) -> None:
    server = start()
    with grpc.insecure_channel(server.target) as channel:
        client = stub(pb, channel)
        missing = "d2c94c27-3b76-4a42-b88c-95a85e392c69"
        with pytest.raises(grpc.RpcError) as error:
            client.GetSCMIntegration(pb.messages.GetSCMIntegrationRequest(id=missing), timeout=10)
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
        assert missing in error.value.details()
        with pytest.raises(grpc.RpcError) as error:
            client.GetSCMIntegration(pb.messages.GetSCMIntegrationRequest(id="nope"), timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.value.details() == "validation error: id: value must be a valid UUID"
    trailers = dict(error.value.trailing_metadata())
    status = status_pb2().Status.FromString(trailers["grpc-status-details-bin"])
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    [detail] = status.details
    assert detail.type_url == "type.googleapis.com/buf.validate.Violations"
    violations = pb.validate.Violations.FromString(detail.value)
    [violation] = violations.violations
    assert (violation.rule_id, violation.field.elements[0].field_name) == ("string.uuid", "id")


def status_pb2() -> Any:
    """google.rpc.Status, built from its three fields (the wire facts) in a descriptor pool."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    from google.protobuf import any_pb2  # noqa: F401  registers google/protobuf/any.proto

    file = descriptor_pb2.FileDescriptorProto(name="test/status.proto", package="google.rpc", syntax="proto3")
    file.dependency.append("google/protobuf/any.proto")
    message = file.message_type.add(name="Status")
    f = descriptor_pb2.FieldDescriptorProto
    message.field.add(name="code", number=1, type=f.TYPE_INT32, label=f.LABEL_OPTIONAL)
    message.field.add(name="message", number=2, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    message.field.add(name="details", number=3, type=f.TYPE_MESSAGE, label=f.LABEL_REPEATED,
                      type_name=".google.protobuf.Any")
    pool = descriptor_pool.Default()
    try:
        pool.Add(file)
    except TypeError:
        pass  # already added by an earlier test
    desc = pool.FindMessageTypeByName("google.rpc.Status")

    class Namespace:
        Status = message_factory.GetMessageClass(desc)

    return Namespace


def test_gzip_deadlines_sessions_and_scenarios(pb: Any, start: Any) -> None:
    server = start()
    with grpc.insecure_channel(server.target) as channel:
        client = stub(pb, channel)
        get = pb.messages.GetSCMIntegrationRequest(id=EXAMPLE_ID)
        zipped = client.GetSCMIntegration(get, timeout=10, compression=grpc.Compression.Gzip)
        assert zipped.integration.id == EXAMPLE_ID
        # The `slow` scenario delays calls by about 120 ms and more: 20 ms is too short.
        with pytest.raises(grpc.RpcError) as error:
            client.GetSCMIntegration(get, timeout=0.02, metadata=[("x-mock-scenario", "slow")])
        assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        with pytest.raises(grpc.RpcError) as error:
            client.GetSCMIntegration(get, timeout=10, metadata=[("x-mock-scenario", "not-found-everything")])
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
        # A session's deletion is its own.
        delete = pb.messages.DeleteSCMIntegrationRequest(id=EXAMPLE_ID)
        client.DeleteSCMIntegration(delete, timeout=10, metadata=[("x-mock-session", "a")])
        with pytest.raises(grpc.RpcError) as error:
            client.GetSCMIntegration(get, timeout=10, metadata=[("x-mock-session", "a")])
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
        kept = client.GetSCMIntegration(get, timeout=10, metadata=[("x-mock-session", "b")])
        assert kept.integration.id == EXAMPLE_ID
    assert [(e["method"], e["protocol"], e["code"]) for e in server.journal("a")] == [
        ("DeleteSCMIntegration", "grpc+proto", "ok"),
        ("GetSCMIntegration", "grpc+proto", "not_found"),
    ]


def test_tls_with_the_self_signed_certificate(pb: Any, start: Any, tmp_path: Any) -> None:
    server = start("--tls-self-signed", str(tmp_path))
    assert server.scheme == "https" and server.certificate
    with open(server.certificate, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    target = server.target.replace("127.0.0.1", "localhost")
    with grpc.secure_channel(target, credentials) as channel:
        answer = stub(pb, channel).GetSCMIntegration(pb.messages.GetSCMIntegrationRequest(id=EXAMPLE_ID), timeout=10)
    assert answer.integration.id == EXAMPLE_ID
