"""gitpod-sdk 0.11.0's auto-pagination over generated records, the default page size, filters
across pages, seeded generation, and every answer under the SDK's strict response validation."""

from __future__ import annotations

from typing import Callable, Dict, List

import pytest

import gitpod
from sdk011_harness import FIXTURE_ID, RUNNER_ID, MockServer, Wire, make_client
from sdk011_checks import UNKNOWN_ID, is_uuid, assert_names_field, collect, list_pages, page_counts


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
