//! `not_found` messages name the missing record's id in one format: bare when it is a UUID,
//! quoted when it would not read well bare, such as the empty runner id that only
//! ValidateRunnerConfiguration (which has no rules) lets through.

use crate::support::TestServer;
use serde_json::json;

#[tokio::test]
async fn an_empty_or_spaced_runner_id_is_quoted() {
    let server = TestServer::start().await;
    for (runner, message) in [
        ("", r#"runner "" not found"#),
        ("no such runner", r#"runner "no such runner" not found"#),
        ("not-a-uuid", "runner not-a-uuid not found"),
    ] {
        let body = json!({"runnerId": runner, "environmentClass": {"displayName": "abc"}});
        let reply = server.call("ValidateRunnerConfiguration", body).await;
        reply.assert_error(404, "not_found", message);
    }
}
