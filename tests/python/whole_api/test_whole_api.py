"""The whole Gitpod public API in one command: `gitpod-mock serve --contract
target/gitpod-api.binpb` (every gitpod.v1 service of gitpod-sdk 1.2.0), driven by that SDK's
own service clients (`ona_sdk.create_client(...).services`), binary and JSON codecs.

Services the mock serves from state (environments, projects, webhooks, security policies, the
LLM integrations, secrets, runners, groups, editors, organizations) go through create, get,
list (pages), update and delete; methods it answers with generated data (secret values,
ResolveEditorURL, members) answer every call with a message the SDK decodes, also strictly from its JSON; RunnerConfigurationService keeps its
hand-built profile. `GET /` gives every method a behaviour; the counts are printed."""

from __future__ import annotations

import collections
import json
import re
import uuid
from typing import Any, Callable, List

import pytest
from gitpod.v1 import editor_pb2, environment_pb2, group_pb2, organization_pb2, pagination_pb2
from gitpod.v1 import project_pb2, runner_configuration_pb2, runner_pb2, secret_pb2, security_pb2
from gitpod.v1 import webhook_pb2
from google.protobuf import descriptor_pb2, json_format
from ona_sdk import errors

from conftest import BEHAVIOURS, REPO, Api, Server, descriptors

ORG = "b0e12f6c-6f8e-4d7c-9a1b-2c3d4e5f6a7b"
RUNNER = "d2c94c27-3b76-4a42-b88c-95a85e392c68"  # the embedded fixtures' runner
UNKNOWN = "3f1c6b0e-9a4d-4e8b-a1f2-7c5d9e0b4a11"
MAX_PAGES = 50
# gitpod.v1.SupportedModel, an enum of another file of the SDK's.
SONNET_4 = runner_configuration_pb2.CreateLLMIntegrationRequest.DESCRIPTOR.fields_by_name[
    "models"].enum_type.values_by_name["SUPPORTED_MODEL_SONNET_4"].number


def page(size: int = 0, token: str = "") -> pagination_pb2.PaginationRequest:
    return pagination_pb2.PaginationRequest(page_size=size, token=token)


def all_pages(list_call: Callable[..., Any], items: str, size: int, **fields: Any) -> List[List[str]]:
    """The ids on each page, following pagination.next_token until it is empty."""
    pages, token = [], ""
    for _ in range(MAX_PAGES):
        answer = list_call(pagination=page(size, token), **fields)
        pages.append([r.id for r in getattr(answer, items)])
        token = answer.pagination.next_token
        if not token:
            return pages
    raise AssertionError(f"more than {MAX_PAGES} pages")


def not_found(call: Callable[[Any], Any], request: Any) -> errors.NotFoundError:
    with pytest.raises(errors.NotFoundError) as error:
        call(request)
    return error.value


# ---------------------------------------------------------------- every method, a behaviour


def test_every_method_of_the_api_has_a_behaviour(server: Server) -> None:
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptors().read_bytes()).file
    declared = sorted(f"/{f.package}.{s.name}/{m.name}" for f in files for s in f.service for m in s.method)
    listing = server.get("/")
    served = {m["path"]: m["behaviour"] for m in listing["methods"]}
    assert sorted(served) == declared and len(declared) == 300
    assert len(listing["services"]) == 26
    kinds = collections.Counter(b.split(":")[0] for b in served.values())
    BEHAVIOURS.update(sorted(kinds.items(), key=lambda kv: -kv[1]))
    print(f"\nmethods by behaviour: {dict(BEHAVIOURS)}")
    assert set(kinds) == {"resource", "generated", "profile", "unimplemented"}
    assert sum(kinds.values()) == 300
    # Only the one streaming method is not served.
    assert [p for p, b in served.items() if b.startswith("unimplemented")] == [
        "/gitpod.v1.EventService/WatchEvents"]
    # The profile: RunnerConfigurationService's hand-built behaviour, for every method of it
    # but the LLM integrations', which are plain resources.
    profile = sorted(p for p, b in served.items() if b == "profile")
    assert len(profile) == 16 and profile == sorted(
        p for p in served if p.startswith("/gitpod.v1.RunnerConfigurationService/") and "LLMIntegration" not in p)
    llm = [p for p in served if "LLMIntegration" in p]
    assert len(llm) == 5 and all(served[p].startswith("resource: ") for p in llm)


# ---------------------------------------------------------------- resources, from state


def environment_spec(repo: str) -> environment_pb2.EnvironmentSpec:
    git = environment_pb2.GitInitializer(remote_uri=repo, clone_target="main")
    initializer = environment_pb2.EnvironmentInitializer(specs=[environment_pb2.EnvironmentInitializer.Spec(git=git)])
    return environment_pb2.EnvironmentSpec(
        desired_phase=environment_pb2.ENVIRONMENT_PHASE_RUNNING,
        machine=environment_pb2.EnvironmentSpec.Machine(**{"class": RUNNER}),
        content=environment_pb2.EnvironmentSpec.Content(initializer=initializer))


def test_environments_from_create_to_delete(api: Api) -> None:
    service = api.environment
    spec = environment_spec("https://github.com/gitpod-io/empty")
    created = service.create_environment(environment_pb2.CreateEnvironmentRequest(spec=spec))
    assert isinstance(created, environment_pb2.CreateEnvironmentResponse)
    env = created.environment
    uuid.UUID(env.id)
    assert env.spec == spec
    got = service.get_environment(environment_pb2.GetEnvironmentRequest(environment_id=env.id))
    assert isinstance(got, environment_pb2.GetEnvironmentResponse) and got.environment == env
    listed = service.list_environments(environment_pb2.ListEnvironmentsRequest())
    assert isinstance(listed, environment_pb2.ListEnvironmentsResponse)
    assert [e.id for e in listed.environments] == [env.id]

    metadata = environment_pb2.UpdateEnvironmentRequest.Metadata(name="renamed")
    updated = service.update_environment(environment_pb2.UpdateEnvironmentRequest(environment_id=env.id, metadata=metadata))
    assert isinstance(updated, environment_pb2.UpdateEnvironmentResponse)
    after = service.get_environment(environment_pb2.GetEnvironmentRequest(environment_id=env.id)).environment
    assert after.metadata.name == "renamed" and after.spec == spec

    deleted = service.delete_environment(environment_pb2.DeleteEnvironmentRequest(environment_id=env.id))
    assert isinstance(deleted, environment_pb2.DeleteEnvironmentResponse)
    error = not_found(service.get_environment, environment_pb2.GetEnvironmentRequest(environment_id=env.id))
    assert env.id in str(error)
    assert list(service.list_environments(environment_pb2.ListEnvironmentsRequest()).environments) == []
    not_found(service.delete_environment, environment_pb2.DeleteEnvironmentRequest(environment_id=env.id))


def test_environment_pages_see_every_environment_once(api: Api) -> None:
    service = api.environment
    made = [service.create_environment(environment_pb2.CreateEnvironmentRequest(
        spec=environment_spec(f"https://github.com/gitpod-io/repo-{i}"))).environment.id for i in range(5)]
    pages = all_pages(lambda **f: service.list_environments(environment_pb2.ListEnvironmentsRequest(**f)),
                      "environments", 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == made


def test_projects_from_create_to_delete(api: Api) -> None:
    service = api.project
    git = environment_pb2.GitInitializer(remote_uri="https://github.com/gitpod-io/gitpod")
    initializer = environment_pb2.EnvironmentInitializer(specs=[environment_pb2.EnvironmentInitializer.Spec(git=git)])
    created = service.create_project(project_pb2.CreateProjectRequest(
        name="gitpod", initializer=initializer, devcontainer_file_path=".devcontainer/devcontainer.json",
        automations_file_path=".gitpod/automations.yaml")).project
    uuid.UUID(created.id)
    assert created.initializer == initializer
    assert (created.devcontainer_file_path, created.automations_file_path) == (
        ".devcontainer/devcontainer.json", ".gitpod/automations.yaml")
    assert service.get_project(project_pb2.GetProjectRequest(project_id=created.id)).project == created
    listed = service.list_projects(project_pb2.ListProjectsRequest(pagination=page(10)))
    assert [p.id for p in listed.projects] == [created.id]

    updated = service.update_project(project_pb2.UpdateProjectRequest(
        project_id=created.id, devcontainer_file_path="devcontainer.json")).project
    assert updated.devcontainer_file_path == "devcontainer.json"
    assert updated.automations_file_path == ".gitpod/automations.yaml" and updated.initializer == initializer
    assert service.get_project(project_pb2.GetProjectRequest(project_id=created.id)).project == updated

    assert isinstance(service.delete_project(project_pb2.DeleteProjectRequest(project_id=created.id)),
                      project_pb2.DeleteProjectResponse)
    not_found(service.get_project, project_pb2.GetProjectRequest(project_id=created.id))
    assert list(service.list_projects(project_pb2.ListProjectsRequest()).projects) == []


def test_a_created_resource_carries_the_name_it_was_created_with(api: Api) -> None:
    """What the real API does: the create request's `name` is the resource's metadata.name."""
    git = environment_pb2.GitInitializer(remote_uri="https://github.com/gitpod-io/gitpod")
    initializer = environment_pb2.EnvironmentInitializer(specs=[environment_pb2.EnvironmentInitializer.Spec(git=git)])
    project = api.project.create_project(project_pb2.CreateProjectRequest(name="gitpod", initializer=initializer)).project
    webhook = api.webhook.create_webhook(webhook_pb2.CreateWebhookRequest(
        name="on-push", description="d", **WEBHOOK_KIND)).webhook
    assert (project.metadata.name, webhook.metadata.name, webhook.metadata.description) == (
        "gitpod", "on-push", "d")
    renamed = api.project.update_project(project_pb2.UpdateProjectRequest(project_id=project.id, name="ona"))
    assert renamed.project.metadata.name == "ona"


# A webhook's type and provider must be set (`enum.not_in: [0]`), in the real API as here.
WEBHOOK_KIND = {"type": webhook_pb2.WEBHOOK_TYPE_SCM_REPOSITORY, "provider": webhook_pb2.WEBHOOK_PROVIDER_GITHUB}


def test_an_unset_webhook_kind_is_refused_by_its_rules(api: Api) -> None:
    with pytest.raises(Exception) as refused:
        api.webhook.create_webhook(webhook_pb2.CreateWebhookRequest(name="on-push"))
    assert "type: must not be in list [0]" in str(refused.value)
    assert "provider: must not be in list [0]" in str(refused.value)


def test_webhooks_from_create_to_delete(api: Api) -> None:
    service = api.webhook
    created = service.create_webhook(webhook_pb2.CreateWebhookRequest(
        name="on-push", **WEBHOOK_KIND)).webhook
    uuid.UUID(created.id)
    assert service.get_webhook(webhook_pb2.GetWebhookRequest(webhook_id=created.id)).webhook == created
    assert [w.id for w in service.list_webhooks(webhook_pb2.ListWebhooksRequest()).webhooks] == [created.id]
    updated = service.update_webhook(webhook_pb2.UpdateWebhookRequest(webhook_id=created.id, name="renamed"))
    assert isinstance(updated, webhook_pb2.UpdateWebhookResponse) and updated.webhook.id == created.id
    deleted = service.delete_webhook(webhook_pb2.DeleteWebhookRequest(webhook_id=created.id))
    assert isinstance(deleted, webhook_pb2.DeleteWebhookResponse)
    not_found(service.get_webhook, webhook_pb2.GetWebhookRequest(webhook_id=created.id))
    not_found(service.update_webhook, webhook_pb2.UpdateWebhookRequest(webhook_id=created.id, name="again"))


def test_security_policies_from_create_to_delete(api: Api) -> None:
    service = api.security
    metadata = security_pb2.SecurityPolicy.Metadata(name="lockdown")
    spec = security_pb2.SecurityPolicy.Spec()  # required, though it may be empty
    created = service.create_security_policy(security_pb2.CreateSecurityPolicyRequest(
        organization_id=ORG, metadata=metadata, spec=spec)).security_policy
    uuid.UUID(created.id)
    assert created.metadata == metadata
    get = security_pb2.GetSecurityPolicyRequest(security_policy_id=created.id)
    assert service.get_security_policy(get).security_policy == created
    listed = service.list_security_policies(security_pb2.ListSecurityPoliciesRequest())
    assert [p.id for p in listed.security_policies] == [created.id]
    renamed = security_pb2.SecurityPolicy.Metadata(name="open")
    updated = service.update_security_policy(security_pb2.UpdateSecurityPolicyRequest(
        security_policy_id=created.id, metadata=renamed)).security_policy
    assert updated.metadata == renamed and service.get_security_policy(get).security_policy == updated
    service.delete_security_policy(security_pb2.DeleteSecurityPolicyRequest(security_policy_id=created.id))
    not_found(service.get_security_policy, get)


def test_sessions_keep_their_records_apart(server: Server) -> None:
    one, other = Api(server.url, "proto"), Api(server.url, "proto")
    env = one.environment.create_environment(environment_pb2.CreateEnvironmentRequest(
        spec=environment_spec("https://github.com/gitpod-io/empty"))).environment
    not_found(other.environment.get_environment, environment_pb2.GetEnvironmentRequest(environment_id=env.id))


# ---------------------------------------------------------------- generated answers


def strictly_from_json(server: Server, api: Api, path: str, request: Any, answer: Any) -> None:
    """The same call over plain JSON Connect parses into the SDK's type with no unknown field,
    and is the answer the SDK decoded: a generated answer depends only on the request."""
    text = server.post_json(path, json_format.MessageToJson(request), api.session)
    parsed = json_format.Parse(text, type(answer)(), ignore_unknown_fields=False)
    assert parsed == answer, path


GENERATED = [
    ("secret", "SecretService/GetSecretValue", secret_pb2.GetSecretValueRequest(secret_id=UNKNOWN)),
    ("secret", "SecretService/UpdateSecretValue", secret_pb2.UpdateSecretValueRequest(secret_id=UNKNOWN, value="x")),
    ("editor", "EditorService/ResolveEditorURL", editor_pb2.ResolveEditorURLRequest(
        editor_id=UNKNOWN, environment_id=UNKNOWN, organization_id=ORG)),
    ("organization", "OrganizationService/ListMembers", organization_pb2.ListMembersRequest(organization_id=ORG)),
]


@pytest.mark.parametrize("service, path, request_", GENERATED, ids=[g[1] for g in GENERATED])
def test_a_generated_answer_decodes_into_the_sdks_type(
        service: str, path: str, request_: Any, api: Api, server: Server) -> None:
    listing = {m["path"]: m["behaviour"] for m in server.get("/")["methods"]}
    assert listing[f"/gitpod.v1.{path}"].startswith("generated: ")
    # The generated client's name for it: ResolveEditorURL -> resolve_editor_url.
    method = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", path.split("/")[1]).lower()
    call = getattr(getattr(api, service), method)
    answer = call(request_)
    module = type(request_).DESCRIPTOR.file.pool.FindMessageTypeByName(
        type(request_).DESCRIPTOR.full_name.replace("Request", "Response"))
    assert type(answer).DESCRIPTOR is module
    assert call(request_) == answer
    strictly_from_json(server, api, f"/gitpod.v1.{path}", request_, answer)


def test_secrets_runners_and_groups_are_resources_that_page(api: Api, server: Server) -> None:
    """Secret, Runner and Group have both a display `name` and an id (`id`, `runner_id`):
    they are resources named by the id, so what is created is what get and list answer."""
    listing = {m["path"]: m["behaviour"] for m in server.get("/")["methods"]}
    for path in ("SecretService/CreateSecret", "RunnerService/GetRunner", "GroupService/ListGroups"):
        assert listing[f"/gitpod.v1.{path}"].startswith("resource: "), path
    secrets = [api.secret.create_secret(secret_pb2.CreateSecretRequest(
        name=f"SECRET_{i}", environment_variable=True, scope=secret_pb2.SecretScope(organization_id=ORG))).secret
        for i in range(3)]
    assert [s.name for s in secrets] == ["SECRET_0", "SECRET_1", "SECRET_2"] and all(s.environment_variable for s in secrets)
    pages = all_pages(lambda **f: api.secret.list_secrets(secret_pb2.ListSecretsRequest(**f)), "secrets", 2)
    assert pages == [[secrets[0].id, secrets[1].id], [secrets[2].id]]
    api.secret.delete_secret(secret_pb2.DeleteSecretRequest(secret_id=secrets[0].id))
    assert [s.id for s in api.secret.list_secrets(secret_pb2.ListSecretsRequest()).secrets] == [
        s.id for s in secrets[1:]]

    runner = api.runner.create_runner(runner_pb2.CreateRunnerRequest(name="runner-one")).runner
    uuid.UUID(runner.runner_id)
    assert api.runner.get_runner(runner_pb2.GetRunnerRequest(runner_id=runner.runner_id)).runner == runner
    api.runner.update_runner(runner_pb2.UpdateRunnerRequest(runner_id=runner.runner_id, name="runner-two"))
    renamed = api.runner.get_runner(runner_pb2.GetRunnerRequest(runner_id=runner.runner_id)).runner
    assert renamed.name == "runner-two" and renamed.runner_id == runner.runner_id
    listed = api.runner.list_runners(runner_pb2.ListRunnersRequest(pagination=page(5)))
    assert [r.runner_id for r in listed.runners] == [runner.runner_id] and not listed.pagination.next_token
    api.runner.delete_runner(runner_pb2.DeleteRunnerRequest(runner_id=runner.runner_id))
    not_found(api.runner.get_runner, runner_pb2.GetRunnerRequest(runner_id=runner.runner_id))

    group = api.group.create_group(group_pb2.CreateGroupRequest(organization_id=ORG, name="developers")).group
    assert (group.name, group.organization_id) == ("developers", ORG)
    api.group.update_group(group_pb2.UpdateGroupRequest(group_id=group.id, name="designers"))
    got = api.group.get_group(group_pb2.GetGroupRequest(group_id=group.id)).group
    assert (got.id, got.name) == (group.id, "designers")
    # The request's oneof `id` names the group as well as its `group_id`.
    assert api.group.get_group(group_pb2.GetGroupRequest(id=group.id)).group == got
    api.group.delete_group(group_pb2.DeleteGroupRequest(group_id=group.id))
    not_found(api.group.update_group, group_pb2.UpdateGroupRequest(group_id=group.id, name="again"))


def test_editors_and_organizations_are_resources(api: Api) -> None:
    assert list(api.editor.list_editors(editor_pb2.ListEditorsRequest()).editors) == []
    assert UNKNOWN in str(not_found(api.editor.get_editor, editor_pb2.GetEditorRequest(id=UNKNOWN)))
    org = api.organization.create_organization(organization_pb2.CreateOrganizationRequest(name="Acme")).organization
    api.organization.update_organization(organization_pb2.UpdateOrganizationRequest(
        organization_id=org.id, name="Acme Two"))
    got = api.organization.get_organization(organization_pb2.GetOrganizationRequest(organization_id=org.id))
    assert (got.organization.id, got.organization.name) == (org.id, "Acme Two")
    not_found(api.organization.get_organization, organization_pb2.GetOrganizationRequest(organization_id=UNKNOWN))


def test_get_group_by_its_group_id_answers_not_found_naming_it(api: Api) -> None:
    """GetGroupRequest has `group_id` (and a oneof of `id` and `name`); the mock serves GetGroup
    from state, so an unknown group is not_found, and the message names what was asked for."""
    error = not_found(api.group.get_group, group_pb2.GetGroupRequest(group_id=UNKNOWN))
    assert UNKNOWN in str(error)


# ---------------------------------------------------------------- the hand-built profile


def test_runner_configuration_keeps_its_profile(api: Api) -> None:
    fixtures = json.loads((REPO / "fixtures/environment_classes.json").read_text())["environmentClasses"]
    service = api.runner_configuration
    answer = service.list_environment_classes(runner_configuration_pb2.ListEnvironmentClassesRequest(
        pagination=page(100)))
    assert isinstance(answer, runner_configuration_pb2.ListEnvironmentClassesResponse)
    assert [c.id for c in answer.environment_classes] == [c["id"] for c in fixtures]
    assert answer.environment_classes[0].display_name == fixtures[0]["displayName"]
    scm = service.get_scm_integration(runner_configuration_pb2.GetSCMIntegrationRequest(id=RUNNER))
    assert (scm.integration.id, scm.integration.host) == (RUNNER, "gitlab.com")
    schema = service.get_runner_configuration_schema(
        runner_configuration_pb2.GetRunnerConfigurationSchemaRequest(runner_id=RUNNER)).schema
    assert schema.version and {"cpu", "memory"} <= {f.id for f in schema.environment_classes}
    not_found(service.get_scm_integration, runner_configuration_pb2.GetSCMIntegrationRequest(id=UNKNOWN))
    with pytest.raises(errors.ValidationError):
        service.get_scm_integration(runner_configuration_pb2.GetSCMIntegrationRequest(id="not-a-uuid"))


def test_llm_integrations_are_resources_next_to_the_profile(api: Api) -> None:
    """LLM integrations are newer than contract/'s RunnerConfigurationService: served from
    state in the same service as the profile's methods."""
    rc = runner_configuration_pb2
    service = api.runner_configuration
    created = service.create_llm_integration(rc.CreateLLMIntegrationRequest(
        runner_id=RUNNER, models=[SONNET_4], endpoint="https://llm.example.com/v1",
        max_tokens=4096))
    uuid.UUID(created.id)
    got = service.get_llm_integration(rc.GetLLMIntegrationRequest(id=created.id)).integration
    assert (got.id, got.runner_id, list(got.models), got.endpoint, got.max_tokens) == (
        created.id, RUNNER, [SONNET_4], "https://llm.example.com/v1", 4096)
    listed = service.list_llm_integrations(rc.ListLLMIntegrationsRequest())
    assert [i.id for i in listed.integrations] == [created.id]
    service.update_llm_integration(rc.UpdateLLMIntegrationRequest(id=created.id, max_tokens=8192))
    after = service.get_llm_integration(rc.GetLLMIntegrationRequest(id=created.id)).integration
    assert (after.max_tokens, after.endpoint) == (8192, "https://llm.example.com/v1")
    service.delete_llm_integration(rc.DeleteLLMIntegrationRequest(id=created.id))
    not_found(service.get_llm_integration, rc.GetLLMIntegrationRequest(id=created.id))
