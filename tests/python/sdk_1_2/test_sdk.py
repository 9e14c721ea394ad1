"""gitpod-mock driven by the official Python SDK gitpod-sdk 1.2.0, a Connect client.

Every test runs once per client kind (see sdk12_harness): the SDK's default binary codec, the
SDK with the JSON codec, and the Connect runtime's defaults with gzip-compressed requests. All 16
documented methods are called, reads also through Connect GET, and the tests assert behaviour:
what was stored comes back in either codec, updates and deletes are visible in the next read,
pagination sees every record once, and errors arrive as the SDK's exception classes.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Callable, List

import pytest
from gitpod.v1 import pagination_pb2
from gitpod.v1 import runner_configuration_pb2 as rc
from google.protobuf import timestamp_pb2
from ona_sdk import create_client, errors

from sdk12_harness import API_KEY, Api, MockServer

FIXTURE_ID = "d2c94c27-3b76-4a42-b88c-95a85e392c68"  # a runner, and a class, integration and token
UNKNOWN_ID = "3f1c6b0e-9a4d-4e8b-a1f2-7c5d9e0b4a11"
MAX_PAGES = 100


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def page(size: int = 0, token: str = "") -> pagination_pb2.PaginationRequest:
    return pagination_pb2.PaginationRequest(page_size=size, token=token)


# ---------------------------------------------------------------- the wire


def test_the_sdk_speaks_its_codec_on_the_wire(api: Api) -> None:
    api.get_scm_integration(rc.GetSCMIntegrationRequest(id=FIXTURE_ID))
    if api.kind == "connect-defaults":
        assert api.codec == "proto"
        return
    [exchange] = api.wire.exchanges
    expected = "application/proto" if api.kind == "sdk-binary" else "application/json"
    assert exchange.method == "POST"
    assert exchange.url.endswith("/gitpod.v1.RunnerConfigurationService/GetSCMIntegration")
    assert exchange.request_headers["content-type"] == expected
    assert exchange.request_headers["connect-protocol-version"] == "1"
    assert exchange.request_headers["authorization"] == f"Bearer {API_KEY}"
    assert exchange.status == 200
    assert exchange.response_headers["content-type"] == expected


def test_the_client_create_client_builds_works_as_is(server: MockServer) -> None:
    """No harness options at all: the services client exactly as `create_client` returns it."""
    ona = create_client(api_key=API_KEY, base_url=server.url, timeout=15)
    service = ona.services.runner_configuration
    got = ona._unary(service.get_scm_integration, rc.GetSCMIntegrationRequest(id=FIXTURE_ID), "get")
    assert (got.integration.id, got.integration.host) == (FIXTURE_ID, "gitlab.com")
    with pytest.raises(errors.NotFoundError):
        ona._unary(service.get_scm_integration, rc.GetSCMIntegrationRequest(id=UNKNOWN_ID), "get")


# ---------------------------------------------------------------- runner configuration


def test_runner_configuration_schema(api: Api) -> None:
    schema = api.get_runner_configuration_schema(rc.GetRunnerConfigurationSchemaRequest(runner_id=FIXTURE_ID)).schema
    assert schema.version
    keys = {f.id for f in schema.environment_classes}
    assert {"cpu", "memory"} <= keys
    assert any(s.scm_id for s in schema.scm)
    via_get = api.get_runner_configuration_schema(
        rc.GetRunnerConfigurationSchemaRequest(runner_id=FIXTURE_ID), use_get=True
    ).schema
    assert via_get == schema


def test_validate_runner_configuration(api: Api) -> None:
    ok = api.validate_runner_configuration(
        rc.ValidateRunnerConfigurationRequest(
            runner_id=FIXTURE_ID,
            scm_integration=rc.ValidateRunnerConfigurationRequest.ValidateSCMIntegration(
                id="integration-id", scm_id="github", host="github.com",
                oauth_client_id="client_id", oauth_plaintext_client_secret="client_secret",
            ),
        )
    )
    assert ok.scm_integration.valid, ok
    bad = api.validate_runner_configuration(
        rc.ValidateRunnerConfigurationRequest(
            runner_id=FIXTURE_ID,
            environment_class=rc.EnvironmentClass(display_name="x", configuration=[rc.FieldValue(key="cpu", value="2")]),
        )
    )
    assert not bad.environment_class.valid
    assert "memory" in {e.key for e in bad.environment_class.configuration_errors}


# ---------------------------------------------------------------- environment classes


def test_environment_class_lifecycle(api: Api) -> None:
    created = api.create_environment_class(
        rc.CreateEnvironmentClassRequest(
            runner_id=FIXTURE_ID, display_name="Large Instance", description="8 CPU, 16GB RAM",
            configuration=[rc.FieldValue(key="cpu", value="8"), rc.FieldValue(key="memory", value="16384")],
        )
    )
    assert is_uuid(created.id)
    got = api.get_environment_class(rc.GetEnvironmentClassRequest(environment_class_id=created.id)).environment_class
    assert (got.id, got.runner_id, got.display_name, got.description) == (
        created.id, FIXTURE_ID, "Large Instance", "8 CPU, 16GB RAM",
    )
    assert [(f.key, f.value) for f in got.configuration] == [("cpu", "8"), ("memory", "16384")]
    assert got.enabled

    api.update_environment_class(
        rc.UpdateEnvironmentClassRequest(environment_class_id=created.id, display_name="Renamed", enabled=False)
    )
    got = api.get_environment_class(
        rc.GetEnvironmentClassRequest(environment_class_id=created.id), use_get=True
    ).environment_class
    assert (got.display_name, got.description, got.enabled) == ("Renamed", "8 CPU, 16GB RAM", False)

    mine = rc.ListEnvironmentClassesRequest.Filter(runner_ids=[FIXTURE_ID])
    listed = api.list_environment_classes(rc.ListEnvironmentClassesRequest(filter=mine, pagination=page(100)))
    assert created.id in {c.id for c in listed.environment_classes}
    assert all(c.runner_id == FIXTURE_ID for c in listed.environment_classes)
    enabled = api.list_environment_classes(
        rc.ListEnvironmentClassesRequest(filter=rc.ListEnvironmentClassesRequest.Filter(enabled=True), pagination=page(100)),
        use_get=True,
    )
    assert created.id not in {c.id for c in enabled.environment_classes}
    assert all(c.enabled for c in enabled.environment_classes)


# ---------------------------------------------------------------- host authentication tokens


def test_host_authentication_token_lifecycle(api: Api) -> None:
    user = "f53d2330-3795-4c5d-a1f3-453121af9c60"
    expires = timestamp_pb2.Timestamp(seconds=1735689599)  # 2024-12-31T23:59:59Z
    token = api.create_host_authentication_token(
        rc.CreateHostAuthenticationTokenRequest(
            runner_id=FIXTURE_ID, user_id=user, host="github.com", token="gho_secret",
            source=rc.HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH, expires_at=expires, refresh_token="ghr_secret",
        )
    ).token
    assert is_uuid(token.id)
    assert (token.runner_id, token.host, token.source) == (FIXTURE_ID, "github.com", rc.HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH)
    assert token.expires_at == expires
    assert "gho_secret" not in str(token) and "ghr_secret" not in str(token)

    later = timestamp_pb2.Timestamp(seconds=1767225599)
    api.update_host_authentication_token(rc.UpdateHostAuthenticationTokenRequest(id=token.id, token="gho_new", expires_at=later))
    got = api.get_host_authentication_token(rc.GetHostAuthenticationTokenRequest(id=token.id)).token
    assert got.expires_at == later

    listed = api.list_host_authentication_tokens(
        rc.ListHostAuthenticationTokensRequest(
            filter=rc.ListHostAuthenticationTokensRequest.Filter(runner_id=FIXTURE_ID), pagination=page(100)
        ),
        use_get=True,
    )
    assert token.id in {t.id for t in listed.tokens}
    assert all(t.runner_id == FIXTURE_ID for t in listed.tokens)

    api.delete_host_authentication_token(rc.DeleteHostAuthenticationTokenRequest(id=token.id))
    with pytest.raises(errors.NotFoundError):
        api.get_host_authentication_token(rc.GetHostAuthenticationTokenRequest(id=token.id))


# ---------------------------------------------------------------- SCM integrations


def test_scm_integration_lifecycle(api: Api) -> None:
    created = api.create_scm_integration(
        rc.CreateSCMIntegrationRequest(
            runner_id=FIXTURE_ID, scm_id="github", host="github.example.com",
            oauth_client_id="client_id", oauth_plaintext_client_secret="client_secret",
        )
    )
    assert is_uuid(created.id)
    got = api.get_scm_integration(rc.GetSCMIntegrationRequest(id=created.id)).integration
    assert (got.scm_id, got.host, got.runner_id, got.oauth.client_id) == ("github", "github.example.com", FIXTURE_ID, "client_id")
    assert got.oauth.encrypted_client_secret and b"client_secret" not in got.oauth.encrypted_client_secret

    api.update_scm_integration(rc.UpdateSCMIntegrationRequest(id=created.id, oauth_client_id="new_client_id"))
    got = api.get_scm_integration(rc.GetSCMIntegrationRequest(id=created.id), use_get=True).integration
    assert got.oauth.client_id == "new_client_id"

    listed = api.list_scm_integrations(
        rc.ListSCMIntegrationsRequest(filter=rc.ListSCMIntegrationsRequest.Filter(runner_ids=[FIXTURE_ID]), pagination=page(100))
    )
    assert created.id in {i.id for i in listed.integrations}

    api.delete_scm_integration(rc.DeleteSCMIntegrationRequest(id=created.id))
    with pytest.raises(errors.NotFoundError) as err:
        api.get_scm_integration(rc.GetSCMIntegrationRequest(id=created.id), use_get=True)
    assert created.id in str(err.value)


def test_seeded_records_read_the_same_through_post_and_get(api: Api) -> None:
    reads: List[tuple] = [
        ("get_scm_integration", rc.GetSCMIntegrationRequest(id=FIXTURE_ID)),
        ("get_environment_class", rc.GetEnvironmentClassRequest(environment_class_id=FIXTURE_ID)),
        ("get_host_authentication_token", rc.GetHostAuthenticationTokenRequest(id=FIXTURE_ID)),
        ("list_scm_integrations", rc.ListSCMIntegrationsRequest()),
        ("list_environment_classes", rc.ListEnvironmentClassesRequest()),
        ("list_host_authentication_tokens", rc.ListHostAuthenticationTokensRequest()),
    ]
    for method, request in reads:
        posted = getattr(api, method)(request)
        assert posted == getattr(api, method)(request, use_get=True), method
        assert posted.ByteSize() > 0, method
    integration = api.get_scm_integration(rc.GetSCMIntegrationRequest(id=FIXTURE_ID)).integration
    assert (integration.scm_id, integration.host) == ("gitlab", "gitlab.com")


# ---------------------------------------------------------------- errors


def test_unknown_ids_are_not_found(api: Api) -> None:
    calls: List[Callable[[], object]] = [
        lambda: api.get_scm_integration(rc.GetSCMIntegrationRequest(id=UNKNOWN_ID)),
        lambda: api.update_scm_integration(rc.UpdateSCMIntegrationRequest(id=UNKNOWN_ID, pat=True)),
        lambda: api.delete_scm_integration(rc.DeleteSCMIntegrationRequest(id=UNKNOWN_ID)),
        lambda: api.get_environment_class(rc.GetEnvironmentClassRequest(environment_class_id=UNKNOWN_ID)),
        lambda: api.update_environment_class(rc.UpdateEnvironmentClassRequest(environment_class_id=UNKNOWN_ID, display_name="Renamed")),
        lambda: api.get_host_authentication_token(rc.GetHostAuthenticationTokenRequest(id=UNKNOWN_ID)),
        lambda: api.update_host_authentication_token(rc.UpdateHostAuthenticationTokenRequest(id=UNKNOWN_ID, token="t")),
        lambda: api.delete_host_authentication_token(rc.DeleteHostAuthenticationTokenRequest(id=UNKNOWN_ID)),
        lambda: api.get_runner_configuration_schema(rc.GetRunnerConfigurationSchemaRequest(runner_id=UNKNOWN_ID)),
    ]
    for call in calls:
        with pytest.raises(errors.NotFoundError) as err:
            call()
        assert UNKNOWN_ID in str(err.value)


def test_invalid_requests_are_validation_errors_naming_the_field(api: Api) -> None:
    with pytest.raises(errors.ValidationError, match=r"validation error: id: value must be a valid UUID"):
        api.get_scm_integration(rc.GetSCMIntegrationRequest(id="not-a-uuid"))
    with pytest.raises(errors.ValidationError, match=r"validation error: id: value must be a valid UUID"):
        api.get_scm_integration(rc.GetSCMIntegrationRequest(id="not-a-uuid"), use_get=True)
    with pytest.raises(errors.ValidationError, match=r"page_size"):
        api.list_scm_integrations(rc.ListSCMIntegrationsRequest(pagination=page(101)))
    with pytest.raises(errors.ValidationError, match=r"runner_id"):
        api.create_environment_class(rc.CreateEnvironmentClassRequest(display_name="x"))


def test_llm_methods_are_unimplemented_capabilities(api: Api) -> None:
    calls = [
        lambda: api.create_llm_integration(rc.CreateLLMIntegrationRequest(runner_id=FIXTURE_ID)),
        lambda: api.get_llm_integration(rc.GetLLMIntegrationRequest(id=FIXTURE_ID)),
        lambda: api.get_llm_integration(rc.GetLLMIntegrationRequest(id=FIXTURE_ID), use_get=True),
        lambda: api.list_llm_integrations(rc.ListLLMIntegrationsRequest()),
        lambda: api.update_llm_integration(rc.UpdateLLMIntegrationRequest(id=FIXTURE_ID)),
        lambda: api.delete_llm_integration(rc.DeleteLLMIntegrationRequest(id=FIXTURE_ID)),
    ]
    for call in calls:
        with pytest.raises(errors.CapabilityUnavailableError, match="does not cover .*LLMIntegration.* yet"):
            call()


def test_missing_credentials_are_authentication_errors(start_server: Callable[..., MockServer], kind: str) -> None:
    server = start_server("--require-auth")
    assert Api(kind, server.url).get_scm_integration(rc.GetSCMIntegrationRequest(id=FIXTURE_ID)).integration.id == FIXTURE_ID
    anonymous = Api(kind, server.url, api_key=None)
    with pytest.raises(errors.AuthenticationRequiredError):
        anonymous.get_scm_integration(rc.GetSCMIntegrationRequest(id=FIXTURE_ID))


def test_a_call_past_its_deadline_is_deadline_exceeded(
    start_server: Callable[..., MockServer], kind: str, tmp_path: Path
) -> None:
    (tmp_path / "stall.yaml").write_text("description: every call takes 3 s\nrules:\n  - delay: {ms: 3000}\n")
    server = start_server("--scenario-dir", str(tmp_path))
    api = Api(kind, server.url)
    started = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError):
        api.get_scm_integration(rc.GetSCMIntegrationRequest(id=FIXTURE_ID), headers={"x-mock-scenario": "stall"}, timeout=0.3)
    assert time.monotonic() - started < 2.5


# ---------------------------------------------------------------- pagination


@pytest.mark.parametrize(
    "method, request_type, items",
    [
        ("list_environment_classes", rc.ListEnvironmentClassesRequest, "environment_classes"),
        ("list_scm_integrations", rc.ListSCMIntegrationsRequest, "integrations"),
        ("list_host_authentication_tokens", rc.ListHostAuthenticationTokensRequest, "tokens"),
    ],
)
def test_pagination_sees_every_record_once(
    start_server: Callable[..., MockServer], kind: str, method: str, request_type: type, items: str
) -> None:
    api = Api(kind, start_server("--generate", "60").url)
    everything = [r.id for r in getattr(getattr(api, method)(request_type(pagination=page(100))), items)]
    assert len(everything) > 60
    first = getattr(api, method)(request_type())
    assert len(getattr(first, items)) == 25, "the default page size is 25"
    seen: List[str] = []
    token = ""
    for n in range(MAX_PAGES):
        response = getattr(api, method)(request_type(pagination=page(7, token)), use_get=n % 2 == 1)
        seen.extend(r.id for r in getattr(response, items))
        token = response.pagination.next_token
        if not token:
            break
    assert not token, "pagination did not terminate"
    assert len(seen) == len(set(seen)), "a record came twice"
    assert sorted(seen) == sorted(everything)
