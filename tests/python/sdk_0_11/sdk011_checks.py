"""What the gitpod-sdk 0.11.0 tests share: the ids they use and the small checks and walks
over the SDK's models and pages (test_sdk.py, test_scm_integrations.py, test_pagination.py)."""

from __future__ import annotations

import re
import uuid
from typing import Iterable, List, Set

import gitpod
from sdk011_harness import RUNNER_ID, Wire

SERVICE_PATH = "/gitpod.v1.RunnerConfigurationService"
UNKNOWN_ID = "3f1c6b0e-9a4d-4e8b-a1f2-7c5d9e0b4a11"  # a valid UUID no fixture uses
NOT_A_UUID = "not-a-uuid"
MAX_PAGES = 200  # guards against a server that keeps handing out the same page

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
