//! Paging through every list of a server holding the fixtures plus 120 generated records per
//! resource: every row exactly once and in creation order at any page size, stable tokens that
//! only their own list accepts, and the SDKs' `?token=&pageSize=` query overriding the body.

use crate::support::{Reply, TestServer, EXAMPLE_ID, SERVICE};
use gitpod_mock::app::{self, App, Settings};
use gitpod_mock::contract::Contract;
use gitpod_mock::store::fixtures::{self, Fixtures, Source};
use gitpod_mock::store::generate::Counts;
use gitpod_mock::store::records::{EnvironmentClass, HostToken, ScmIntegration};
use gitpod_mock::store::Resource;
use serde_json::{json, Value};
use std::collections::HashSet;

const GENERATED: usize = 120;

/// (method, list field, the token kind errors name)
const LISTS: [(&str, &str, &str); 3] = [
    (
        "ListEnvironmentClasses",
        "environmentClasses",
        "environmentClasses",
    ),
    ("ListSCMIntegrations", "integrations", "integrations"),
    ("ListHostAuthenticationTokens", "tokens", "tokens"),
];

async fn generated() -> (TestServer, Fixtures) {
    let contract = Contract::load();
    let fixtures = fixtures::load(&contract, Source::Embedded).unwrap();
    let state = app::state_from(&fixtures, Some(42), Counts::all(GENERATED));
    let server = TestServer::with(App::new(contract, state, Settings::default())).await;
    (server, fixtures)
}

fn ids<R: Resource>(rows: &[R]) -> Vec<String> {
    rows.iter().map(|r| r.id().to_string()).collect()
}

/// The fixture ids of a list, in file order: the first rows of every listing.
fn fixture_ids(fixtures: &Fixtures, list: &str) -> Vec<String> {
    match list {
        "environmentClasses" => ids(fixtures.rows::<EnvironmentClass>()),
        "integrations" => ids(fixtures.rows::<ScmIntegration>()),
        _ => ids(fixtures.rows::<HostToken>()),
    }
}

fn row_ids(page: &Value, list: &str) -> Vec<String> {
    let rows = page[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {page}"));
    rows.iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// The page's nextToken; proto3 JSON leaves it out on the last page rather than writing "".
fn next_token(page: &Value) -> Option<String> {
    assert!(page["pagination"].is_object(), "{page}");
    let token = page["pagination"]
        .get("nextToken")
        .map(|t| t.as_str().unwrap().to_string());
    assert_ne!(token.as_deref(), Some(""), "an empty nextToken is left out");
    token
}

/// Follows nextToken from the first page to the last, checking each page's size.
async fn page_through(
    server: &TestServer,
    method: &str,
    list: &str,
    size: i64,
    filter: Value,
) -> Vec<String> {
    let full = if size == 0 { 25 } else { size as usize };
    let (mut seen, mut token) = (Vec::new(), String::new());
    for _ in 0..1000 {
        let body = json!({"filter": filter, "pagination": {"pageSize": size, "token": token}});
        let page = server.ok(method, body).await;
        let ids = row_ids(&page, list);
        seen.extend(ids.iter().cloned());
        let Some(next) = next_token(&page) else {
            assert!(
                ids.len() <= full,
                "{method} size {size}: last page too long"
            );
            return seen;
        };
        assert_eq!(
            ids.len(),
            full,
            "{method} size {size}: a page before the last is full"
        );
        token = next;
    }
    panic!("{method} size {size}: nextToken never ran out");
}

#[tokio::test]
async fn every_row_is_seen_once_in_the_same_order_at_every_page_size() {
    let (server, fixtures) = generated().await;
    for (method, list, _) in LISTS {
        let first = fixture_ids(&fixtures, list);
        let held = server.app.with_state(|s| match list {
            "environmentClasses" => s.table::<EnvironmentClass>().len(),
            "integrations" => s.table::<ScmIntegration>().len(),
            _ => s.table::<HostToken>().len(),
        });
        assert_eq!(
            held,
            first.len() + GENERATED,
            "{method}: the store holds every row"
        );
        let mut reference: Option<Vec<String>> = None;
        for size in [1, 7, 25, 0, 100] {
            let seen = page_through(&server, method, list, size, json!({})).await;
            assert_eq!(seen.len(), first.len() + GENERATED, "{method} size {size}");
            let unique: HashSet<&String> = seen.iter().collect();
            assert_eq!(
                unique.len(),
                seen.len(),
                "{method} size {size}: a row came twice"
            );
            assert_eq!(
                seen[..first.len()],
                first[..],
                "{method}: fixtures first, in file order"
            );
            match &reference {
                None => reference = Some(seen),
                Some(reference) => assert_eq!(&seen, reference, "{method} size {size}: order"),
            }
        }
    }
}

#[tokio::test]
async fn filters_apply_before_paging() {
    let (server, _) = generated().await;
    let filter = json!({"enabled": true, "runnerProviders": ["RUNNER_PROVIDER_AWS_EC2"]});
    let (method, list) = ("ListEnvironmentClasses", "environmentClasses");
    let small = page_through(&server, method, list, 7, filter.clone()).await;
    assert_eq!(
        small,
        page_through(&server, method, list, 100, filter).await
    );
    assert!(small.len() > 7, "enough rows to need several pages");
    for id in &small {
        let class = server
            .ok("GetEnvironmentClass", json!({"environmentClassId": id}))
            .await;
        assert_eq!(class["environmentClass"]["enabled"], true, "{class}");
    }
}

#[tokio::test]
async fn tokens_are_stable_and_survive_new_rows() {
    let (server, _) = generated().await;
    for (method, list, _) in LISTS {
        let body = json!({"pagination": {"pageSize": 7}});
        let first = server.ok(method, body.clone()).await;
        assert_eq!(
            first,
            server.ok(method, body).await,
            "{method}: same request, same page"
        );
        let second = json!({"pagination": {"pageSize": 7, "token": next_token(&first).unwrap()}});
        let page = server.ok(method, second.clone()).await;
        assert_eq!(
            page,
            server.ok(method, second).await,
            "{method}: same token, same page"
        );
        let (a, b) = (row_ids(&first, list), row_ids(&page, list));
        assert!(
            b.len() == 7 && a.iter().all(|id| !b.contains(id)),
            "{method}: pages overlap"
        );
    }
    // A row created after a token was handed out goes to the end, so the token still resumes
    // at the same row.
    let first = server
        .ok(
            "ListEnvironmentClasses",
            json!({"pagination": {"pageSize": 3}}),
        )
        .await;
    let resume = json!({"pagination": {"pageSize": 3, "token": next_token(&first).unwrap()}});
    let before = server.ok("ListEnvironmentClasses", resume.clone()).await;
    let create = json!({"runnerId": EXAMPLE_ID, "displayName": "New", "description": "new one"});
    server.ok("CreateEnvironmentClass", create).await;
    assert_eq!(server.ok("ListEnvironmentClasses", resume).await, before);
}

fn assert_invalid_token(reply: &Reply, token: &str, kind: &str) {
    let message =
        format!("invalid pagination token {token:?}: pass the nextToken of a previous {kind} page");
    reply.assert_error(400, "invalid_argument", &message);
}

#[tokio::test]
async fn a_token_is_accepted_only_by_its_own_list() {
    let (server, _) = generated().await;
    for (from, _, _) in LISTS {
        let page = server
            .ok(from, json!({"pagination": {"pageSize": 2}}))
            .await;
        let token = next_token(&page).unwrap();
        for (to, _, kind) in LISTS.iter().filter(|(m, ..)| *m != from) {
            let reply = server
                .call(to, json!({"pagination": {"token": token}}))
                .await;
            assert_invalid_token(&reply, &token, kind);
        }
    }
}

#[tokio::test]
async fn garbage_tokens_are_invalid_arguments() {
    let (server, _) = generated().await;
    // Not base64; base64 of text without a position; a position that is not a number; ...
    let tokens = [
        "garbage!",
        "bm9wZQ",
        "ZW52aXJvbm1lbnRDbGFzc2VzOmFiYw",
        "%%%",
        " ",
    ];
    for (method, _, kind) in LISTS {
        for token in tokens {
            let reply = server
                .call(method, json!({"pagination": {"token": token}}))
                .await;
            assert_invalid_token(&reply, token, kind);
        }
    }
}

/// POSTs `body` to a method with a query string, as the SDKs' list calls do.
async fn post_query(server: &TestServer, method: &str, query: &str, body: Value) -> Reply {
    let path = format!("{SERVICE}/{method}?{query}");
    server
        .post(
            &path,
            &[("content-type", "application/json")],
            body.to_string(),
        )
        .await
}

#[tokio::test]
async fn query_parameters_override_the_body_pagination() {
    let (server, _) = generated().await;
    let method = "ListEnvironmentClasses";
    let reply = post_query(
        &server,
        method,
        "pageSize=3",
        json!({"pagination": {"pageSize": 1}}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(row_ids(&reply.json(), "environmentClasses").len(), 3);
    let token = next_token(&reply.json()).unwrap();
    let by_body = server
        .ok(
            method,
            json!({"pagination": {"pageSize": 7, "token": token}}),
        )
        .await;
    let encoded: String = token.bytes().map(|b| format!("%{b:02X}")).collect();
    #[rustfmt::skip]
    let queries = [
        (format!("token={token}&pageSize=7"), json!({"pagination": {"pageSize": 50, "token": "garbage!"}})),
        (format!("pageSize=7&token={token}"), json!({})),
        (format!("token={encoded}&page_size=7&other=1"), json!({"filter": {}})),
    ];
    for (query, body) in queries {
        let reply = post_query(&server, method, &query, body).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.text());
        assert_eq!(reply.json(), by_body, "{query}");
    }
    // The filter still comes from the body.
    let body = json!({"filter": {"runnerIds": [EXAMPLE_ID]}});
    let reply = post_query(&server, "ListSCMIntegrations", "pageSize=100", body).await;
    let rows = reply.json()["integrations"].as_array().unwrap().clone();
    assert!(
        !rows.is_empty() && rows.iter().all(|i| i["runnerId"] == EXAMPLE_ID),
        "{rows:?}"
    );
}

#[tokio::test]
async fn invalid_query_parameters_are_invalid_arguments() {
    let (server, _) = generated().await;
    let range = "validation error: pagination.page_size: value must be greater than or equal to 0 and less than or equal to 100";
    let not_int = |got: &str| format!("query parameter pageSize must be an integer, got {got:?}");
    let cases = [
        ("pageSize=101", range.to_string()),
        ("pageSize=-1", range.to_string()),
        ("pageSize=abc", not_int("abc")),
        ("pageSize=", not_int("")),
    ];
    for (method, _, kind) in LISTS {
        for (query, message) in &cases {
            let body = json!({"pagination": {"pageSize": 5}});
            let reply = post_query(&server, method, query, body).await;
            reply.assert_error(400, "invalid_argument", message);
        }
        let reply = post_query(&server, method, "token=garbage!", json!({})).await;
        assert_invalid_token(&reply, "garbage!", kind);
    }
}
