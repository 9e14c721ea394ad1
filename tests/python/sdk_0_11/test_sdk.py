"""gitpod-mock driven by the official Python SDK gitpod-sdk 0.11.0 (Stainless, JSON over POST).

All 16 documented RunnerConfigurationService methods are called through the SDK's resource API
(`client.runners.configurations...`), and the tests assert on behaviour: what was stored comes
back, updates are visible in the next read, deletes make reads fail with NotFoundError, list
filters and auto-pagination see every record exactly once, errors map to the SDK's exception
classes, and secrets never come back.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import gitpod
from sdk011_harness import FIXTURE_ID, RUNNER_ID, MockServer, Wire, make_client
from sdk011_checks import SERVICE_PATH, UNKNOWN_ID, NOT_A_UUID, is_uuid, fields, assert_names_field, collect


# ---------------------------------------------------------------- wire and paths


def test_root_describes_the_server(server: MockServer) -> None:
    import httpx

    response = httpx.get(server.url + "/", timeout=10)
    assert response.status_code == 200
    assert isinstance(response.json(), dict)


def test_sdk_posts_json_to_the_service_path(client: gitpod.Gitpod, wire: Wire) -> None:
    client.runners.configurations.schema.retrieve(runner_id=RUNNER_ID)
    [exchange] = wire.exchanges
    assert exchange.method == "POST"
    assert exchange.path == f"{SERVICE_PATH}/GetRunnerConfigurationSchema"
    assert exchange.request_headers["content-type"] == "application/json"
    assert exchange.request_headers["authorization"] == "Bearer dummy-bearer-token"
    assert "connect-protocol-version" not in exchange.request_headers
    assert exchange.request_json() == {"runnerId": RUNNER_ID}
    assert exchange.status == 200
    assert exchange.response_headers["content-type"].startswith("application/json")


def test_api_prefixed_base_url(server: MockServer) -> None:
    """The SDK's default base URL ends in /api; the mock must serve the same paths under /api."""
    wire = Wire()
    with make_client(server.url + "/api", wire) as client:
        configs = client.runners.configurations
        created = configs.environment_classes.create(
            runner_id=RUNNER_ID, display_name="Prefixed", description="created via /api"
        )
        got = configs.environment_classes.retrieve(environment_class_id=created.id)
        assert got.environment_class is not None
        assert got.environment_class.display_name == "Prefixed"
        listed = {c.id for c in configs.environment_classes.list(filter={"runner_ids": [RUNNER_ID]})}
        assert created.id in listed
    assert wire.exchanges
    for exchange in wire.exchanges:
        assert exchange.path.startswith(f"/api{SERVICE_PATH}/"), exchange.path


# ---------------------------------------------------------------- schema


def test_schema_retrieve(client: gitpod.Gitpod) -> None:
    response = client.runners.configurations.schema.retrieve(runner_id=RUNNER_ID)
    schema = response.schema_
    assert schema is not None
    scm_ids = {scm.scm_id for scm in schema.scm or []}
    assert {"github", "gitlab", "bitbucket", "azure-devops"} <= scm_ids
    for scm in schema.scm or []:
        assert scm.name, f"scm {scm.scm_id} has no name"


def test_schema_unknown_runner_is_not_found(client: gitpod.Gitpod) -> None:
    with pytest.raises(gitpod.NotFoundError) as info:
        client.runners.configurations.schema.retrieve(runner_id=UNKNOWN_ID)
    assert info.value.code == "not_found"


def test_schema_invalid_runner_id_is_bad_request(client: gitpod.Gitpod) -> None:
    with pytest.raises(gitpod.BadRequestError) as info:
        client.runners.configurations.schema.retrieve(runner_id=NOT_A_UUID)
    assert info.value.code == "invalid_argument"
    assert_names_field(info.value, "runner_id")


# ---------------------------------------------------------------- environment classes


def test_environment_class_fixture(client: gitpod.Gitpod) -> None:
    got = client.runners.configurations.environment_classes.retrieve(environment_class_id=FIXTURE_ID)
    ec = got.environment_class
    assert ec is not None
    assert ec.id == FIXTURE_ID
    assert ec.runner_id == RUNNER_ID
    assert ec.display_name


def test_environment_class_create_retrieve_update_list(client: gitpod.Gitpod) -> None:
    classes = client.runners.configurations.environment_classes
    configuration = [{"key": "cpu", "value": "8"}, {"key": "memory", "value": "16384"}]

    created = classes.create(
        runner_id=RUNNER_ID,
        display_name="Large Instance",
        description="8 CPU, 16GB RAM",
        configuration=configuration,
    )
    assert is_uuid(created.id)
    assert created.id != FIXTURE_ID
    other = classes.create(runner_id=RUNNER_ID, display_name="Other", description="another one")
    assert other.id != created.id

    ec = classes.retrieve(environment_class_id=created.id).environment_class
    assert ec is not None
    assert ec.id == created.id
    assert ec.runner_id == RUNNER_ID
    assert ec.display_name == "Large Instance"
    assert ec.description == "8 CPU, 16GB RAM"
    assert [(f.key, f.value) for f in ec.configuration or []] == [("cpu", "8"), ("memory", "16384")]

    # Only the fields present change.
    assert classes.update(environment_class_id=created.id, display_name="Huge Instance") == {}
    ec = classes.retrieve(environment_class_id=created.id).environment_class
    assert ec is not None
    assert ec.display_name == "Huge Instance"
    assert ec.description == "8 CPU, 16GB RAM"
    assert [(f.key, f.value) for f in ec.configuration or []] == [("cpu", "8"), ("memory", "16384")]

    classes.update(environment_class_id=created.id, enabled=False)
    ec = classes.retrieve(environment_class_id=created.id).environment_class
    assert ec is not None
    assert not ec.enabled  # false is omitted in proto3 JSON, so None or False
    assert ec.display_name == "Huge Instance"
    disabled = {c.id for c in classes.list(filter={"runner_ids": [RUNNER_ID], "enabled": False})}
    enabled = {c.id for c in classes.list(filter={"runner_ids": [RUNNER_ID], "enabled": True})}
    assert created.id in disabled and created.id not in enabled

    classes.update(environment_class_id=created.id, enabled=True, description="16 CPU, 32GB RAM")
    ec = classes.retrieve(environment_class_id=created.id).environment_class
    assert ec is not None
    assert ec.enabled is True
    assert ec.description == "16 CPU, 32GB RAM"
    assert ec.display_name == "Huge Instance"
    disabled = {c.id for c in classes.list(filter={"runner_ids": [RUNNER_ID], "enabled": False})}
    enabled = {c.id for c in classes.list(filter={"runner_ids": [RUNNER_ID], "enabled": True})}
    assert created.id in enabled and created.id not in disabled

    # The listed record equals the retrieved one.
    listed = {c.id: c for c in classes.list(filter={"runner_ids": [RUNNER_ID]})}
    assert fields(listed[created.id]) == fields(ec)
    assert other.id in listed and FIXTURE_ID in listed
    assert all(c.runner_id == RUNNER_ID for c in listed.values())


def test_environment_class_list_filters_by_provider(client: gitpod.Gitpod) -> None:
    classes = client.runners.configurations.environment_classes
    aws = collect(
        classes.list(filter={"runner_providers": ["RUNNER_PROVIDER_AWS_EC2"]}).iter_pages(),
        "environment_classes",
    )
    gcp = collect(
        classes.list(filter={"runner_providers": ["RUNNER_PROVIDER_GCP"]}).iter_pages(),
        "environment_classes",
    )
    assert FIXTURE_ID in {c.id for c in aws}
    assert FIXTURE_ID not in {c.id for c in gcp}
    assert RUNNER_ID not in {c.runner_id for c in gcp}


def test_environment_class_errors(client: gitpod.Gitpod) -> None:
    classes = client.runners.configurations.environment_classes
    with pytest.raises(gitpod.NotFoundError) as info:
        classes.retrieve(environment_class_id=UNKNOWN_ID)
    assert info.value.code == "not_found"
    assert info.value.status_code == 404
    with pytest.raises(gitpod.NotFoundError):
        classes.update(environment_class_id=UNKNOWN_ID, display_name="Nope")

    with pytest.raises(gitpod.BadRequestError) as info:
        classes.retrieve(environment_class_id=NOT_A_UUID)
    assert info.value.code == "invalid_argument"
    assert_names_field(info.value, "environment_class_id")

    with pytest.raises(gitpod.BadRequestError) as info:
        classes.create(runner_id=NOT_A_UUID, display_name="Large", description="8 CPU")
    assert_names_field(info.value, "runner_id")

    with pytest.raises(gitpod.BadRequestError) as info:
        classes.create(runner_id=RUNNER_ID, display_name="ab", description="display name too short")
    assert_names_field(info.value, "display_name")

    with pytest.raises(gitpod.NotFoundError):
        classes.create(runner_id=UNKNOWN_ID, display_name="Large", description="unknown runner")


# ---------------------------------------------------------------- host authentication tokens


def test_host_authentication_token_fixture(client: gitpod.Gitpod) -> None:
    token = client.runners.configurations.host_authentication_tokens.retrieve(id=FIXTURE_ID).token
    assert token.id == FIXTURE_ID
    assert token.runner_id == RUNNER_ID
    assert token.host


def test_host_authentication_token_lifecycle(client: gitpod.Gitpod, wire: Wire) -> None:
    tokens = client.runners.configurations.host_authentication_tokens
    secret = "gho_sdk_test_secret_value_1"
    refresh = "ghr_sdk_test_refresh_value_1"
    user_id = "f53d2330-3795-4c5d-a1f3-453121af9c60"
    expires = datetime(2030, 12, 31, 23, 59, 59, tzinfo=timezone.utc)

    created = tokens.create(
        runner_id=RUNNER_ID,
        user_id=user_id,
        host="github.com",
        token=secret,
        refresh_token=refresh,
        source="HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH",
        expires_at=expires,
        scopes=["repo", "read:user"],
        subject={"id": user_id, "principal": "PRINCIPAL_USER"},
    ).token
    assert is_uuid(created.id) and created.id != FIXTURE_ID
    assert created.runner_id == RUNNER_ID
    assert created.host == "github.com"
    assert created.source == "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH"
    assert created.expires_at == expires
    assert created.scopes == ["repo", "read:user"]
    assert created.subject is not None
    assert created.subject.id == user_id and created.subject.principal == "PRINCIPAL_USER"

    got = tokens.retrieve(id=created.id).token
    assert fields(got) == fields(created)

    # Update: only the fields present change.
    new_expiry = datetime(2031, 6, 30, 12, 0, 0, tzinfo=timezone.utc)
    new_secret = "gho_sdk_test_secret_value_2"
    assert tokens.update(id=created.id, expires_at=new_expiry, scopes=["repo"], token=new_secret) == {}
    got = tokens.retrieve(id=created.id).token
    assert got.expires_at == new_expiry
    assert got.scopes == ["repo"]
    assert got.host == "github.com"
    assert got.source == "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH"
    assert got.runner_id == RUNNER_ID

    listed = {t.id: t for t in tokens.list(filter={"runner_id": RUNNER_ID})}
    assert fields(listed[created.id]) == fields(got)
    assert FIXTURE_ID in listed
    assert all(t.runner_id == RUNNER_ID for t in listed.values())
    by_subject = {t.id for t in tokens.list(filter={"subject_id": user_id})}
    assert created.id in by_subject
    nobody = list(tokens.list(filter={"subject_id": UNKNOWN_ID}))
    assert nobody == []

    # Delete; the second delete and any read are not_found.
    assert tokens.delete(id=created.id) == {}
    with pytest.raises(gitpod.NotFoundError):
        tokens.retrieve(id=created.id)
    with pytest.raises(gitpod.NotFoundError):
        tokens.delete(id=created.id)
    with pytest.raises(gitpod.NotFoundError):
        tokens.update(id=created.id, scopes=["repo"])
    assert created.id not in {t.id for t in tokens.list(filter={"runner_id": RUNNER_ID})}

    # The token values were sent but never came back.
    sent = "".join(e.request_body.decode() for e in wire.exchanges)
    assert secret in sent and refresh in sent and new_secret in sent
    received = wire.all_response_text()
    for value in (secret, refresh, new_secret):
        assert value not in received


def test_host_authentication_token_errors(client: gitpod.Gitpod) -> None:
    tokens = client.runners.configurations.host_authentication_tokens
    for call in (
        lambda: tokens.retrieve(id=UNKNOWN_ID),
        lambda: tokens.update(id=UNKNOWN_ID, scopes=["repo"]),
        lambda: tokens.delete(id=UNKNOWN_ID),
    ):
        with pytest.raises(gitpod.NotFoundError) as info:
            call()
        assert info.value.code == "not_found"

    for call, field in (
        (lambda: tokens.retrieve(id=NOT_A_UUID), "id"),
        (lambda: tokens.delete(id=NOT_A_UUID), "id"),
        (lambda: tokens.update(id=NOT_A_UUID, scopes=["repo"]), "id"),
        (lambda: tokens.create(runner_id=NOT_A_UUID, host="github.com", token="x"), "runner_id"),
        (lambda: tokens.list(filter={"runner_id": NOT_A_UUID}), "runner_id"),
    ):
        with pytest.raises(gitpod.BadRequestError) as info:
            call()
        assert info.value.code == "invalid_argument"
        assert_names_field(info.value, field)
