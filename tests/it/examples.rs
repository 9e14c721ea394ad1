//! Every documented example of the API reference, against the default fixtures: one reviewed
//! snapshot per request of every documented method, holding its whole status and body and what
//! it changed in the session's data; each body checked against the response schema, and its
//! field names against the reference's example response.

use crate::support::{assert_only_these_snapshots, TestServer};
use gitpod_mock::contract::Contract;
use gitpod_mock::service::METHODS;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One request example of the API reference.
struct Documented {
    /// The snapshot's name: the request example's name in snake_case.
    name: String,
    method: &'static str,
    summary: &'static str,
    request: Value,
    /// The reference's example response of the method, with placeholder values.
    response: Value,
}

/// Every request example of every documented method, in the reference's order.
fn documented() -> Vec<Documented> {
    let parse = |text: &str| serde_json::from_str(text).expect("the reference's JSON parses");
    let mut out = Vec::new();
    for method in METHODS {
        for (name, summary, request) in method.example.requests {
            out.push(Documented {
                name: name.to_lowercase().replace(' ', "_"),
                method: method.name,
                summary,
                request: parse(request),
                response: parse(method.example.response),
            });
        }
    }
    out
}

#[tokio::test]
async fn every_documented_example_answers_as_snapshotted() {
    let contract = Contract::load();
    let examples = documented();
    for example in &examples {
        // A fresh server per example, so deletes and updates do not leak into later examples.
        let server = TestServer::start().await;
        let before = server.state().await;
        let reply = server.call(example.method, example.request.clone()).await;
        let body = reply.json();
        let changes = changes(&before, &server.state().await);
        let name = &example.name;
        assert_eq!(reply.status, 200, "{name}: {body}");
        let procedure = contract.procedure(example.method).unwrap();
        let schema = contract.response_schema(&procedure.output);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let problems: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect();
        assert!(
            problems.is_empty(),
            "{name}: breaks its schema: {problems:?}"
        );
        let generated = std::sync::Arc::new(made_up_by(&example.request));
        let redact = |label: &'static str| {
            let generated = generated.clone();
            insta::dynamic_redaction(move |value, _| match value.as_str() {
                Some(text) if generated(text) => label.into(),
                _ => value,
            })
        };
        insta::with_settings!({
            sort_maps => true,
            description => example.summary,
            omit_expression => true,
            // What the call drew from the session's seeded generator: stable for one seed, but
            // any extra draw elsewhere would shift it, which is no change of behaviour.
            redactions => vec![
                (".**.id", redact("[generated id]")),
                (".**.encryptedClientSecret", redact("[generated ciphertext]")),
            ],
        }, {
            insta::assert_json_snapshot!(
                name.as_str(),
                json!({
                    "method": example.method,
                    "request": example.request,
                    "status": reply.status,
                    "body": body,
                    "changes": changes,
                })
            );
        });
    }
    let methods: BTreeSet<&str> = examples.iter().map(|e| e.method).collect();
    let served: BTreeSet<&str> = METHODS.iter().map(|m| m.name).collect();
    assert_eq!(
        methods, served,
        "every method the mock serves has at least one request example"
    );
    assert_only_these_snapshots("it__examples__", examples.iter().map(|e| e.name.as_str()));
}

/// A predicate for the text a call made up: in neither the default fixtures nor its request.
/// (The mock's answers carry no clock readings: their timestamps come from the fixtures or the
/// request, so there is no clock to redact.)
fn made_up_by(request: &Value) -> impl Fn(&str) -> bool + Send + Sync {
    let mut known = BTreeSet::new();
    strings(request, &mut known);
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for dir in [fixtures.clone(), fixtures.join("schemas")] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                strings(&serde_json::from_str(&text).unwrap(), &mut known);
            }
        }
    }
    move |text: &str| !known.contains(text)
}

fn strings(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(fields) => fields.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// What a call changed in an exported state, per resource list: the records added, the ids
/// removed, and for each changed record the fields that differ, as `[before, after]`.
fn changes(before: &Value, after: &Value) -> Value {
    let by_id = |state: &Value, list: &str| -> BTreeMap<String, Value> {
        let rows = state[list].as_array().cloned().unwrap_or_default();
        rows.into_iter()
            .map(|r| (r["id"].as_str().expect("records have ids").to_string(), r))
            .collect()
    };
    let mut out = Map::new();
    for list in after.as_object().expect("an export").keys() {
        let (old, new) = (by_id(before, list), by_id(after, list));
        let added: Vec<&Value> = new
            .iter()
            .filter(|(id, _)| !old.contains_key(*id))
            .map(|(_, r)| r)
            .collect();
        let removed: Vec<&String> = old.keys().filter(|id| !new.contains_key(*id)).collect();
        let mut changed = Map::new();
        for (id, was) in &old {
            let Some(now) = new.get(id) else { continue };
            let fields: BTreeSet<&String> = was
                .as_object()
                .unwrap()
                .keys()
                .chain(now.as_object().unwrap().keys())
                .collect();
            let diff: Map<String, Value> = fields
                .into_iter()
                .filter(|f| was[f.as_str()] != now[f.as_str()])
                .map(|f| (f.clone(), json!([was[f.as_str()], now[f.as_str()]])))
                .collect();
            if !diff.is_empty() {
                changed.insert(id.clone(), Value::Object(diff));
            }
        }
        let mut entry = Map::new();
        for (key, value) in [
            ("added", json!(added)),
            ("removed", json!(removed)),
            ("changed", Value::Object(changed)),
        ] {
            if value.as_array().is_some_and(|a| !a.is_empty())
                || value.as_object().is_some_and(|o| !o.is_empty())
            {
                entry.insert(key.into(), value);
            }
        }
        if !entry.is_empty() {
            out.insert(list.clone(), Value::Object(entry));
        }
    }
    Value::Object(out)
}

#[tokio::test]
async fn every_answer_uses_only_the_field_names_of_the_reference_response() {
    for example in documented() {
        let server = TestServer::start().await;
        let reply = server.call(example.method, example.request.clone()).await;
        assert_eq!(reply.status, 200, "{}: {}", example.name, reply.text());
        let (ours, reference) = (paths(&reply.json()), paths(&example.response));
        let unknown: Vec<&String> = ours.difference(&reference).collect();
        assert!(
            unknown.is_empty(),
            "{}: not in the reference: {unknown:?}",
            example.name
        );
        assert!(
            reference.is_empty() || !ours.is_empty(),
            "{}: none of the reference's fields",
            example.name
        );
    }
}

/// Every field path of a JSON value, e.g. `token.subject.principal`, `scopes[]`.
fn paths(value: &Value) -> BTreeSet<String> {
    fn walk(value: &Value, at: &str, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(fields) => {
                for (name, v) in fields {
                    let path = if at.is_empty() {
                        name.clone()
                    } else {
                        format!("{at}.{name}")
                    };
                    out.insert(path.clone());
                    walk(v, &path, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, &format!("{at}[]"), out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(value, "", &mut out);
    out
}
