"""Failure scenarios seen through the official SDK gitpod-sdk 0.11.0 with its default retries.

The SDK retries up to twice on 408, 409, 429, 5xx and connection errors, waiting for
`retry-after-ms` when the answer carries it, and counts its attempts in `X-Stainless-Retry-Count`
(0, 1, 2). These tests script failures on the mock, let the SDK handle them, and then read the
mock's journal (`/__mock/journal`) to show what actually went over the wire.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional

import httpx
import pytest

import gitpod
from sdk011_harness import FIXTURE_ID, REQUEST_TIMEOUT_S, RUNNER_ID, MockServer, Wire

GCP_RUNNER = "07503cd0-8150-42b7-8429-5bf8513241c9"


def sdk(server: MockServer, wire: Wire, headers: Optional[Dict[str, str]] = None, **options) -> gitpod.Gitpod:
    """An SDK client with the SDK's own defaults (max_retries=2) unless `options` say otherwise."""
    return gitpod.Gitpod(
        base_url=server.url,
        bearer_token="dummy-bearer-token",
        timeout=REQUEST_TIMEOUT_S,
        http_client=wire.http_client(),
        default_headers=headers,
        **options,
    )


def control(server: MockServer, method: str, path: str, **kwargs) -> dict:
    """A control-plane call; fails the test unless it answers 200."""
    response = httpx.request(method, server.url + "/__mock/" + path, timeout=REQUEST_TIMEOUT_S, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def journal(server: MockServer, session: str = "default") -> List[dict]:
    return control(server, "GET", "journal", params={"session": session})["entries"]


def retry_counts(entries: List[dict]) -> List[Optional[str]]:
    return [e["headers"].get("x-stainless-retry-count") for e in entries]


def logical_calls(client: gitpod.Gitpod) -> List[Callable[[], object]]:
    configs = client.runners.configurations
    return [
        lambda: configs.scm_integrations.retrieve(id=FIXTURE_ID).integration.id,
        lambda: configs.environment_classes.retrieve(environment_class_id=FIXTURE_ID).environment_class.id,
        lambda: configs.host_authentication_tokens.retrieve(id=FIXTURE_ID).token.id,
        lambda: configs.schema.retrieve(runner_id=RUNNER_ID).schema is not None,
    ]


@pytest.mark.parametrize("switched_on", ["serve --scenario", "x-mock-scenario header"])
def test_flaky_transient_503s_are_absorbed_by_the_sdks_retries(
    start_server: Callable[..., MockServer], wire: Wire, switched_on: str
) -> None:
    if switched_on == "serve --scenario":
        server, headers, session = start_server("--scenario", "flaky"), None, "default"
    else:
        server, session = start_server(), "sdk-flaky"
        headers = {"x-mock-scenario": "flaky", "x-mock-session": session}
    with sdk(server, wire, headers) as client:
        assert client.max_retries == 2, "the SDK's default"
        results = [call() for call in logical_calls(client)]
    assert results == [FIXTURE_ID, FIXTURE_ID, FIXTURE_ID, True]

    # Each logical call went out twice: a 503 with retry-after-ms, then the retry that succeeded.
    assert [e.status for e in wire.exchanges] == [503, 200] * 4
    assert all(e.response_headers.get("retry-after-ms") == "20" for e in wire.exchanges[::2])
    entries = journal(server, session)
    assert retry_counts(entries) == ["0", "1"] * 4
    assert [e["code"] for e in entries] == ["unavailable", "ok"] * 4
    assert [e.get("scenario") for e in entries] == ["flaky", None] * 4
    assert all(e["session"] == session for e in entries)
    print("\nX-Stainless-Retry-Count per request:", [(e["method"], e["headers"]["x-stainless-retry-count"], e["code"]) for e in entries])

    retried = control(server, "POST", "verify", json={"session": session, "headers": {"x-stainless-retry-count": 1}, "code": "ok"})
    assert retried["count"] == 4
    coverage = control(server, "GET", "coverage", params={"session": session})
    assert coverage["scenarios"] == {"flaky": 4}
    assert coverage["codes"] == {"ok": 4, "unavailable": 4}


def test_a_rate_limit_raises_rate_limit_error_once_retries_are_exhausted(server: MockServer, wire: Wire) -> None:
    # One call per 100 s, but retry-after-ms tells the SDK to come back after 5 ms: it retries
    # twice, quickly, and gives up.
    scenario = 'rules:\n  - rate_limit: {capacity: 1, per_second: 0.01}\n    headers: {retry-after-ms: "5"}\n'
    assert control(server, "POST", "scenarios", params={"name": "tight"}, content=scenario) == {"loaded": "tight"}
    control(server, "POST", "scenarios/tight/activate")
    with sdk(server, wire) as client:
        configs = client.runners.configurations
        assert configs.scm_integrations.retrieve(id=FIXTURE_ID).integration.id == FIXTURE_ID
        with pytest.raises(gitpod.RateLimitError) as info:
            configs.scm_integrations.retrieve(id=FIXTURE_ID)
    err = info.value
    assert err.status_code == 429
    assert err.body == {"code": "resource_exhausted", "message": "rate limit exceeded: retry in 100s"}
    assert err.response.headers["retry-after"] == "100"

    entries = journal(server)
    assert [(e["status"], e["headers"]["x-stainless-retry-count"]) for e in entries] == [
        (200, "0"),
        (429, "0"),
        (429, "1"),
        (429, "2"),
    ]


def test_the_shipped_rate_limit_lets_a_burst_of_five_through(start_server: Callable[..., MockServer], wire: Wire) -> None:
    server = start_server("--scenario", "rate-limited")
    with sdk(server, wire, max_retries=0) as client:
        for _ in range(5):
            client.runners.configurations.scm_integrations.retrieve(id=FIXTURE_ID)
        with pytest.raises(gitpod.RateLimitError) as info:
            client.runners.configurations.scm_integrations.retrieve(id=FIXTURE_ID)
    assert info.value.body == {"code": "resource_exhausted", "message": "rate limit exceeded: retry in 1s"}
    assert info.value.response.headers["retry-after"] == "1"


def test_auth_expired_raises_authentication_error_without_retrying(start_server: Callable[..., MockServer], wire: Wire) -> None:
    server = start_server("--scenario", "auth-expired")
    with sdk(server, wire) as client:
        with pytest.raises(gitpod.AuthenticationError) as info:
            client.runners.configurations.scm_integrations.retrieve(id=FIXTURE_ID)
    assert info.value.status_code == 401
    assert info.value.body == {"code": "unauthenticated", "message": "the access token has expired; sign in again"}
    assert [(e["code"], e.get("scenario")) for e in journal(server)] == [("unauthenticated", "auth-expired")]


def test_permission_denied_writes_raises_on_create_while_reads_work(
    start_server: Callable[..., MockServer], wire: Wire
) -> None:
    server = start_server("--scenario", "permission-denied-writes")
    with sdk(server, wire) as client:
        configs = client.runners.configurations
        with pytest.raises(gitpod.PermissionDeniedError) as info:
            configs.scm_integrations.create(runner_id=GCP_RUNNER, scm_id="github", host="github.example.com", pat=True)
        assert configs.scm_integrations.retrieve(id=FIXTURE_ID).integration.id == FIXTURE_ID
        hosts = [i.host for i in configs.scm_integrations.list(filter={"runner_ids": [GCP_RUNNER]})]
    assert info.value.status_code == 403
    assert info.value.body == {
        "code": "permission_denied",
        "message": "the caller may not change runner configuration",
    }
    assert "github.example.com" not in hosts
    assert [(e["method"], e["code"]) for e in journal(server)] == [
        ("CreateSCMIntegration", "permission_denied"),
        ("GetSCMIntegration", "ok"),
        ("ListSCMIntegrations", "ok"),
    ]
