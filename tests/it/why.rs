//! Each journal entry explains the scenario rules: every active rule, whether it fired, and
//! for one that did not, the first reason (method, body, field, header or its `when` counter),
//! without echoing a value the call carried.

use crate::calls::{entries, get_scm, load, T};
use crate::support::TestServer;
use serde_json::{json, Value};

const RULES: &str = r#"rules:
  - match: {method: ListEnvironmentClasses}
    error: {code: unavailable, message: "down"}
  - match: {method: GetSCMIntegration, headers: {authorization: "Bearer right"}}
    error: {code: unauthenticated, message: "no"}
  - match: {method: GetSCMIntegration, fields: {id: {matches: "^0000"}}}
    error: {code: not_found, message: "gone"}
  - match: {method: GetSCMIntegration}
    when: {nth: 3}
    error: {code: unavailable, message: "third time"}
  - match: {method: GetSCMIntegration}
    error: {code: aborted, message: "never reached on the third call"}
    when: {after: 5}
"#;

/// (rule, fired, reason) of an entry's explanation.
fn why(entry: &Value) -> Vec<(u64, bool, String)> {
    let rules = entry["why"]["rules"].as_array().unwrap();
    rules
        .iter()
        .map(|r| {
            assert_eq!(r["scenario"], "t");
            let reason = r["reason"].as_str().unwrap().to_string();
            (r["rule"].as_u64().unwrap(), r["fired"] == true, reason)
        })
        .collect()
}

#[tokio::test]
async fn a_journal_entry_says_why_each_rule_did_or_did_not_fire() {
    let server = TestServer::start().await;
    load(&server, "t", RULES).await;
    let secret = ("authorization", "Bearer s3cret");
    for status in [200, 200, 503] {
        let reply = get_scm(&server, &[T, secret]).await;
        assert_eq!(
            reply.status,
            status,
            "rule 4 fires on call 3: {}",
            reply.text()
        );
    }
    let journal = server.request("GET /__mock/journal", &[], "").await;
    assert!(!journal.text().contains("s3cret"), "{}", journal.text());
    assert!(
        !journal.text().contains("Bearer right"),
        "{}",
        journal.text()
    );
    let all = entries(&journal.json(), "why");
    let calls: Vec<Value> = all.iter().map(|w| json!({ "why": w })).collect();
    let method = "method: the rule is for ListEnvironmentClasses, this was GetSCMIntegration";
    let header = "header authorization: the call's is not the rule's";
    let field = "field id: the request's does not match /^0000/";
    let expected = |call: u64| {
        let mut rules = vec![
            (1, false, method.to_string()),
            (2, false, header.to_string()),
            (3, false, field.to_string()),
        ];
        match call {
            3 => {
                rules.push((4, true, "fired: call 3 it matched".to_string()));
                rules.push((5, false, "not reached: t#4 fired first".to_string()));
            }
            n => {
                rules.push((4, false, format!("when nth: 3, this was call {n}")));
                rules.push((5, false, format!("when after: 5, this was call {n}")));
            }
        }
        rules
    };
    for (i, call) in calls.iter().enumerate() {
        assert_eq!(why(call), expected(i as u64 + 1), "call {}", i + 1);
    }
    // Without an active scenario there is nothing to explain, and no `why`.
    get_scm(&server, &[]).await;
    let journal = server.request("GET /__mock/journal", &[], "").await.json();
    assert_eq!(entries(&journal, "why").last(), Some(&Value::Null));
}
