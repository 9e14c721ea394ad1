"""gitpod-mock driven by the official Python SDK gitpod-sdk 0.11.0 (Stainless, JSON over POST).

All 16 documented RunnerConfigurationService methods are called through the SDK's resource API
(`client.runners.configurations...`), and the tests assert on behaviour: what was stored comes
back, updates are visible in the next read, deletes make reads fail with NotFoundError, list
filters and auto-pagination see every record exactly once, errors map to the SDK's exception
classes, and secrets never come back.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import datetime, timezone
from typing import Callable, Dict, Iterable, List, Set

import pytest

import gitpod
from sdk011_harness import FIXTURE_ID, RUNNER_ID, MockServer, Wire, make_client

SERVICE_PATH = "/gitpod.v1.RunnerConfigurationService"
UNKNOWN_ID = "3f1c6b0e-9a4d-4e8b-a1f2-7c5d9e0b4a11"  # a valid UUID no fixture uses
NOT_A_UUID = "not-a-uuid"
MAX_PAGES = 200  # guards against a server that keeps handing out the same page


# ---------------------------------------------------------------- helpers


def is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def fields(model: gitpod.BaseModel) -> dict:
    """A model's declared fields as plain data.

    Compare with this rather than `==`: SDK 0.11 pages build their items with the camelCase keys
    also kept as pydantic extras, so a listed item never `==` the same record retrieved.
    """
    return model.model_dump(include=set(type(model).model_fields))


def error_message(err: gitpod.APIStatusError) -> str:
    assert isinstance(err.body, dict), f"error body is not a JSON object: {err.body!r}"
    message = err.body.get("message")
    assert isinstance(message, str) and message, f"error body has no message: {err.body!r}"
    return message


def assert_names_field(err: gitpod.APIStatusError, field: str) -> None:
    """The Connect error message names the offending field, e.g. `validation error: id: ...`.

    The field may be a path (`filter.runner_id`, `pagination.page_size`); `id` must not match inside
    `runner_id`.
    """
    message = error_message(err)
    assert re.search(rf"(?<!\w){re.escape(field)}\b", message), (
        f"expected the error message to name field {field!r}, got {message!r}"
    )


def collect(pages: Iterable, item_attr: str) -> List:
    """Items of every page from an SDK page iterator, with a bound on the number of pages."""
    items = []
    for n, page in enumerate(pages, start=1):
        assert n <= MAX_PAGES, "pagination did not terminate"
        items.extend(getattr(page, item_attr))
    return items


def list_pages(wire: Wire, method: str) -> int:
    return len(wire.to(method))


def page_counts(total: int, page_size: int) -> Set[int]:
    """Requests auto-pagination needs: ceil(total / size), or one more (an empty last page) when it divides."""
    pages = -(-total // page_size)
    return {pages, pages + 1} if total % page_size == 0 else {pages}


def scm_hosts_of_runner(client: gitpod.Gitpod, runner_id: str) -> Set[str]:
    page = client.runners.configurations.scm_integrations.list(
        filter={"runner_ids": [runner_id]}, pagination={"page_size": 100}
    )
    return {i.host for i in page}


def free_host(client: gitpod.Gitpod, preferred: str, runner_id: str = RUNNER_ID) -> str:
    """`preferred` unless the runner already has an SCM integration for it."""
    used = scm_hosts_of_runner(client, runner_id)
    if preferred not in used:
        return preferred
    return f"{uuid.uuid4().hex[:8]}.{preferred}"


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


# ---------------------------------------------------------------- SCM integrations


def test_scm_integration_fixture(client: gitpod.Gitpod) -> None:
    integration = client.runners.configurations.scm_integrations.retrieve(id=FIXTURE_ID).integration
    assert integration is not None
    assert integration.id == FIXTURE_ID
    assert integration.scm_id == "gitlab"
    assert integration.host == "gitlab.com"
    assert integration.runner_id == RUNNER_ID


def test_scm_integration_lifecycle(client: gitpod.Gitpod, wire: Wire) -> None:
    scm = client.runners.configurations.scm_integrations
    host = free_host(client, "github.com")
    created = scm.create(
        runner_id=RUNNER_ID,
        scm_id="github",
        host=host,
        oauth_client_id="client_id",
        oauth_plaintext_client_secret="client_secret_sdk_test_1",
        pat=True,
    )
    assert is_uuid(created.id) and created.id != FIXTURE_ID

    got = scm.retrieve(id=created.id).integration
    assert got is not None
    assert got.id == created.id
    assert got.runner_id == RUNNER_ID
    assert got.scm_id == "github"
    assert got.host == host
    assert got.pat is True
    assert got.oauth is not None and got.oauth.client_id == "client_id"

    # Update: only the fields present change.
    assert scm.update(id=created.id, oauth_client_id="new_client_id",
                      oauth_plaintext_client_secret="client_secret_sdk_test_2") == {}
    got = scm.retrieve(id=created.id).integration
    assert got is not None
    assert got.oauth is not None and got.oauth.client_id == "new_client_id"
    assert got.pat is True
    assert got.host == host and got.scm_id == "github"

    scm.update(id=created.id, pat=False, issuer_url="https://github.example.com")
    got = scm.retrieve(id=created.id).integration
    assert got is not None
    assert not got.pat
    assert got.oauth is not None
    assert got.oauth.client_id == "new_client_id"
    assert got.oauth.issuer_url == "https://github.example.com"

    listed = {i.id: i for i in scm.list(filter={"runner_ids": [RUNNER_ID]})}
    assert fields(listed[created.id]) == fields(got)
    assert FIXTURE_ID in listed
    assert all(i.runner_id == RUNNER_ID for i in listed.values())

    # Delete; the second delete and any read are not_found; the runner+host is free again.
    assert scm.delete(id=created.id) == {}
    with pytest.raises(gitpod.NotFoundError):
        scm.retrieve(id=created.id)
    with pytest.raises(gitpod.NotFoundError):
        scm.delete(id=created.id)
    with pytest.raises(gitpod.NotFoundError):
        scm.update(id=created.id, pat=True)
    assert created.id not in {i.id for i in scm.list(filter={"runner_ids": [RUNNER_ID]})}
    again = scm.create(runner_id=RUNNER_ID, scm_id="github", host=host, pat=True)
    assert again.id != created.id


def test_scm_integration_duplicate_is_conflict(client: gitpod.Gitpod) -> None:
    scm = client.runners.configurations.scm_integrations
    # The fixture already holds gitlab.com for the runner.
    with pytest.raises(gitpod.ConflictError) as info:
        scm.create(runner_id=RUNNER_ID, scm_id="gitlab", host="gitlab.com", pat=True)
    assert info.value.code == "already_exists"
    assert info.value.status_code == 409

    host = free_host(client, "bitbucket.org")
    first = scm.create(runner_id=RUNNER_ID, scm_id="bitbucket", host=host, pat=True)
    with pytest.raises(gitpod.ConflictError) as info:
        scm.create(runner_id=RUNNER_ID, scm_id="bitbucket", host=host, pat=True)
    assert info.value.code == "already_exists"
    same_host = [i for i in scm.list(filter={"runner_ids": [RUNNER_ID]}) if i.host == host]
    assert [i.id for i in same_host] == [first.id]


def test_scm_integration_duplicate_with_sdk_retries(server: MockServer) -> None:
    """SDK 0.x retries 409 by default; the retried create must still end in ConflictError, not a duplicate."""
    wire = Wire()
    with make_client(server.url, wire, max_retries=2) as client:
        scm = client.runners.configurations.scm_integrations
        with pytest.raises(gitpod.ConflictError):
            scm.create(runner_id=RUNNER_ID, scm_id="gitlab", host="gitlab.com", pat=True)
        attempts = wire.to("CreateSCMIntegration")
        assert 1 <= len(attempts) <= 3
        assert all(e.status == 409 for e in attempts)
        same_host = [i for i in scm.list(filter={"runner_ids": [RUNNER_ID]}) if i.host == "gitlab.com"]
        assert [i.id for i in same_host] == [FIXTURE_ID]


def test_scm_client_secret_never_returned(client: gitpod.Gitpod, wire: Wire) -> None:
    configs = client.runners.configurations
    scm = configs.scm_integrations
    secret = "s3cr3t-oauth-client-secret-sdk-test"
    secret2 = "s3cr3t-oauth-client-secret-sdk-test-rotated"
    host = free_host(client, "github.com")

    configs.validate(
        runner_id=RUNNER_ID,
        scm_integration={"scm_id": "github", "host": host, "oauth_client_id": "cid",
                         "oauth_plaintext_client_secret": secret},
    )
    created = scm.create(runner_id=RUNNER_ID, scm_id="github", host=host,
                         oauth_client_id="cid", oauth_plaintext_client_secret=secret)
    scm.retrieve(id=created.id)
    list(scm.list(filter={"runner_ids": [RUNNER_ID]}))
    list(scm.list())
    scm.update(id=created.id, oauth_plaintext_client_secret=secret2)
    got = scm.retrieve(id=created.id).integration
    list(scm.list(filter={"runner_ids": [RUNNER_ID]}))

    sent = "".join(e.request_body.decode() for e in wire.exchanges)
    assert secret in sent and secret2 in sent
    received = wire.all_response_text()
    assert secret not in received and secret2 not in received
    assert "oauthPlaintextClientSecret" not in received

    # The stored secret is "encrypted": it must not be the plaintext in base64 either.
    assert got is not None and got.oauth is not None
    encrypted = got.oauth.encrypted_client_secret
    if encrypted:
        try:
            decoded = base64.b64decode(encrypted + "=" * (-len(encrypted) % 4))
        except (binascii.Error, ValueError):
            decoded = b""
        assert secret.encode() not in decoded and secret2.encode() not in decoded


def test_scm_integration_errors(client: gitpod.Gitpod) -> None:
    scm = client.runners.configurations.scm_integrations
    for call in (
        lambda: scm.retrieve(id=UNKNOWN_ID),
        lambda: scm.update(id=UNKNOWN_ID, pat=True),
        lambda: scm.delete(id=UNKNOWN_ID),
        lambda: scm.create(runner_id=UNKNOWN_ID, scm_id="github", host="github.com", pat=True),
    ):
        with pytest.raises(gitpod.NotFoundError) as info:
            call()
        assert info.value.code == "not_found"

    for call, field in (
        (lambda: scm.retrieve(id=NOT_A_UUID), "id"),
        (lambda: scm.update(id=NOT_A_UUID, pat=True), "id"),
        (lambda: scm.delete(id=NOT_A_UUID), "id"),
        (lambda: scm.create(runner_id=NOT_A_UUID, scm_id="github", host="github.com"), "runner_id"),
        (lambda: scm.list(filter={"runner_ids": [NOT_A_UUID]}), "runner_ids"),
    ):
        with pytest.raises(gitpod.BadRequestError) as info:
            call()
        assert info.value.code == "invalid_argument"
        assert_names_field(info.value, field)


# ---------------------------------------------------------------- validate


def test_validate_scm_integration(client: gitpod.Gitpod) -> None:
    configs = client.runners.configurations
    ok = configs.validate(
        runner_id=RUNNER_ID,
        scm_integration={"id": "integration-id", "scm_id": "github", "host": "github.com",
                         "oauth_client_id": "client_id", "oauth_plaintext_client_secret": "client_secret"},
    )
    assert ok.scm_integration is not None
    assert ok.scm_integration.valid is True
    assert ok.environment_class is None

    bad = configs.validate(
        runner_id=RUNNER_ID,
        scm_integration={"scm_id": "no-such-scm", "host": "example.com", "pat": True},
    )
    assert bad.scm_integration is not None
    assert not bad.scm_integration.valid
    assert bad.scm_integration.scm_id_error


def test_validate_environment_class(client: gitpod.Gitpod) -> None:
    """Checked against the runner's schema: the AWS runner requires cpu (1-64) and memory."""
    configs = client.runners.configurations
    valid_configuration = [{"key": "cpu", "value": "8"}, {"key": "memory", "value": "16384"}]

    def validate(display_name: str, configuration: list) -> object:
        return configs.validate(
            runner_id=RUNNER_ID,
            environment_class={"id": str(uuid.uuid4()), "runner_id": RUNNER_ID, "display_name": display_name,
                               "description": "8 CPU, 16GB RAM", "configuration": configuration},
        )

    ok = validate("Large Instance", valid_configuration)
    assert ok.environment_class is not None
    assert ok.environment_class.valid is True
    assert not ok.environment_class.configuration_errors
    assert ok.scm_integration is None

    bad_name = validate("ab", valid_configuration).environment_class
    assert bad_name is not None
    assert not bad_name.valid
    assert bad_name.display_name_error
    assert not bad_name.description_error
    assert not bad_name.configuration_errors

    bad_config = validate("Large Instance", [{"key": "cpu", "value": "1000"}, {"key": "memory", "value": "16384"}])
    result = bad_config.environment_class
    assert result is not None
    assert not result.valid
    assert [e.key for e in result.configuration_errors or []] == ["cpu"]
    assert not result.display_name_error

    missing = validate("Large Instance", []).environment_class
    assert missing is not None
    assert not missing.valid
    assert {"cpu", "memory"} <= {e.key for e in missing.configuration_errors or []}


# ---------------------------------------------------------------- pagination

LISTS = {
    # resource attribute -> (page item attribute, list method)
    "environment_classes": ("environment_classes", "ListEnvironmentClasses"),
    "host_authentication_tokens": ("tokens", "ListHostAuthenticationTokens"),
    "scm_integrations": ("integrations", "ListSCMIntegrations"),
}


def item_json_key(item_attr: str) -> str:
    head, *rest = item_attr.split("_")
    return head + "".join(part.title() for part in rest)


@pytest.fixture
def generated(start_server: Callable[..., MockServer]) -> MockServer:
    return start_server("--generate", "60")


@pytest.mark.parametrize("resource", sorted(LISTS))
def test_auto_pagination_sees_every_item_once(resource: str, generated: MockServer) -> None:
    item_attr, method = LISTS[resource]
    wire = Wire()
    with make_client(generated.url, wire) as client:
        api = getattr(client.runners.configurations, resource)

        # Expectation: walk the pages explicitly with the largest page size.
        expected: List[str] = []
        for item in collect(api.list(pagination={"page_size": 100}).iter_pages(), item_attr):
            expected.append(item.id)
        assert len(expected) == len(set(expected)), "duplicate ids with page size 100"
        assert len(expected) >= 61, "fixtures plus --generate 60 should hold more than 60 records"
        if len(expected) <= 100:
            assert list_pages(wire, method) == 1

        # Auto-pagination with a small page size in the body.
        wire.clear()
        seen = [item.id for item in api.list(pagination={"page_size": 7})]
        requests = wire.to(method)
        assert len(requests) in page_counts(len(expected), 7), "one request per page of 7"
        assert len(seen) == len(set(seen)), "an item was returned twice"
        assert sorted(seen) == sorted(expected)

        # Every follow-up page resends the body and carries the previous nextToken in ?token=.
        for previous, current in zip(requests, requests[1:]):
            next_token = previous.response_json()["pagination"]["nextToken"]
            assert current.url.params.get("token") == next_token
            assert current.request_json() == requests[0].request_json()
        last = requests[-1].response_json()
        assert not (last.get("pagination") or {}).get("nextToken") or not last.get(item_json_key(item_attr))

        # Auto-pagination with the page size as the SDK's query parameter (?pageSize=).
        wire.clear()
        seen = [item.id for item in api.list(page_size=10)]
        requests = wire.to(method)
        assert requests[0].url.params.get("pageSize") == "10"
        assert len(requests) in page_counts(len(expected), 10)
        assert sorted(seen) == sorted(expected)


@pytest.mark.parametrize("resource", sorted(LISTS))
def test_default_page_size_is_25(resource: str, generated: MockServer) -> None:
    item_attr, method = LISTS[resource]
    with make_client(generated.url) as client:
        api = getattr(client.runners.configurations, resource)
        first = api.list()
        assert len(getattr(first, item_attr)) == 25
        assert first.has_next_page()
        with pytest.raises(gitpod.BadRequestError) as info:
            api.list(pagination={"page_size": 101})
        assert_names_field(info.value, "page_size")


def test_paginated_runner_filter_matches_created_records(server: MockServer) -> None:
    """Create 30 classes on the runner; paging the runner filter 4 at a time finds exactly those plus the baseline."""
    with make_client(server.url) as client:
        classes = client.runners.configurations.environment_classes
        baseline = [c.id for c in classes.list(filter={"runner_ids": [RUNNER_ID]}, pagination={"page_size": 100})]
        assert FIXTURE_ID in baseline
        created = [
            classes.create(runner_id=RUNNER_ID, display_name=f"Class {n:02d}", description=f"class number {n}").id
            for n in range(30)
        ]
        assert len(set(created)) == 30
        seen = [c.id for c in classes.list(filter={"runner_ids": [RUNNER_ID]}, pagination={"page_size": 4})]
        assert len(seen) == len(set(seen)) == len(baseline) + 30
        assert set(seen) == set(baseline) | set(created)


def test_paginated_host_tokens_by_runner(server: MockServer) -> None:
    with make_client(server.url) as client:
        tokens = client.runners.configurations.host_authentication_tokens
        baseline = {t.id for t in tokens.list(filter={"runner_id": RUNNER_ID}, pagination={"page_size": 100})}
        created = {
            tokens.create(runner_id=RUNNER_ID, host=f"git{n}.example.com", token=f"tok-{n}",
                          source="HOST_AUTHENTICATION_TOKEN_SOURCE_PAT").token.id
            for n in range(12)
        }
        seen = [t.id for t in tokens.list(filter={"runner_id": RUNNER_ID}, pagination={"page_size": 5})]
        assert len(seen) == len(set(seen))
        assert set(seen) == baseline | created


def test_same_seed_generates_same_data(start_server: Callable[..., MockServer]) -> None:
    ids: List[Dict[str, List[str]]] = []
    for _ in range(2):
        server = start_server("--generate", "60", "--seed", "42")
        with make_client(server.url) as client:
            configs = client.runners.configurations
            ids.append({
                resource: [i.id for i in getattr(configs, resource).list(pagination={"page_size": 100})]
                for resource in LISTS
            })
    assert ids[0] == ids[1]


# ---------------------------------------------------------------- strict response validation


def test_responses_pass_strict_sdk_validation(server: MockServer) -> None:
    """With _strict_response_validation the SDK rejects responses missing required fields or list arrays."""
    with make_client(server.url, strict=True) as client:
        configs = client.runners.configurations
        configs.schema.retrieve(runner_id=RUNNER_ID)
        assert configs.environment_classes.retrieve(environment_class_id=FIXTURE_ID).environment_class
        assert configs.host_authentication_tokens.retrieve(id=FIXTURE_ID).token.id == FIXTURE_ID
        assert configs.scm_integrations.retrieve(id=FIXTURE_ID).integration
        assert list(configs.environment_classes.list())
        assert list(configs.host_authentication_tokens.list())
        assert list(configs.scm_integrations.list())
        # An empty result still carries the list array.
        assert list(configs.host_authentication_tokens.list(filter={"subject_id": UNKNOWN_ID})) == []
        created = configs.host_authentication_tokens.create(
            runner_id=RUNNER_ID, host="github.com", token="t", source="HOST_AUTHENTICATION_TOKEN_SOURCE_PAT"
        )
        assert is_uuid(created.token.id)
