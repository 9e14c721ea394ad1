//! Duplicate JSON fields as connect-go (protojson) treats them: a known field given twice, in
//! either spelling, is `invalid_argument`; an unknown field may repeat, since it is skipped
//! unread, unless `--strict` rejects the unknown field itself.

use crate::support::{TestServer, EXAMPLE_ID, SERVICE};

const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

#[tokio::test]
async fn repeated_unknown_fields_are_ignored_at_any_depth() {
    let server = TestServer::start().await;
    let get = format!("{SERVICE}/GetSCMIntegration");
    let body = format!(r#"{{"id":"{EXAMPLE_ID}","extra":1,"extra":2}}"#);
    let reply = server.post(&get, JSON, body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["integration"]["id"], EXAMPLE_ID);

    let list = format!("{SERVICE}/ListSCMIntegrations");
    let body = r#"{"filter":{"x":{"y":1,"y":2},"x":[]},"pagination":{"pageSize":1,"n":1,"n":2}}"#;
    let reply = server.post(&list, JSON, body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[tokio::test]
async fn known_fields_repeat_only_once_whatever_the_spelling_or_depth() {
    let server = TestServer::start().await;
    let list = format!("{SERVICE}/ListSCMIntegrations");
    let prefix = "unmarshal into gitpod.v1.ListSCMIntegrationsRequest: ";
    #[rustfmt::skip]
    let cases = [
        (r#"{"extra":1,"extra":2,"pagination":{},"pagination":{}}"#, r#"duplicate field "pagination""#),
        (r#"{"pagination":{"pageSize":1,"page_size":2}}"#, r#"duplicate field "page_size" (also given as "pageSize")"#),
        (r#"{"filter":{"runner_ids":[],"other":1,"runnerIds":[]}}"#, r#"duplicate field "runnerIds" (also given as "runner_ids")"#),
    ];
    for (body, reason) in cases {
        let reply = server.post(&list, JSON, body).await;
        reply.assert_error(400, "invalid_argument", &format!("{prefix}{reason}"));
    }
}

#[tokio::test]
async fn under_strict_the_unknown_field_is_the_error_not_its_repetition() {
    let server = TestServer::from(crate::support::mock().strict(true)).await;
    let get = format!("{SERVICE}/GetSCMIntegration");
    let body = format!(r#"{{"id":"{EXAMPLE_ID}","extra":1,"extra":2}}"#);
    let message = server
        .post(&get, JSON, body)
        .await
        .assert_code(400, "invalid_argument");
    assert!(message.contains("extra"), "{message}");
    assert!(!message.contains("duplicate"), "{message}");
}
