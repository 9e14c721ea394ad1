"""gitpod-sdk 0.11.0 on SCM integrations (lifecycle, conflicts, secrets that never come back)
and ValidateRunnerConfiguration."""

from __future__ import annotations

import base64
import binascii
import uuid

import pytest

import gitpod
from sdk011_harness import FIXTURE_ID, RUNNER_ID, MockServer, Wire, make_client
from sdk011_checks import UNKNOWN_ID, NOT_A_UUID, is_uuid, fields, assert_names_field, free_host


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
