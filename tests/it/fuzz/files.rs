//! Scenario and fixture files for the harness: scenario files built rule by rule from the
//! format's own parts (or a shipped one), then perhaps mutated; fixture sets that are the
//! embedded ones with one file edited as a JSON tree or as bytes.

use super::mutate::{apply_bytes, byte_edits, tree_edits, write_edited, ByteEdit, TreeEdit};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A scenario file's text.
pub fn scenario_text() -> impl Strategy<Value = String> {
    let shipped = proptest::sample::select(shipped_scenarios());
    let built = proptest::collection::vec(rule(), 1..4)
        .prop_map(|rules| json!({ "description": "fuzz", "rules": rules }).to_string());
    let base = prop_oneof![1 => shipped, 3 => built];
    (
        base,
        prop_oneof![3 => Just(None), 1 => byte_edits().prop_map(Some)],
    )
        .prop_map(
            |(text, edits): (String, Option<Vec<ByteEdit>>)| match edits {
                None => text,
                Some(edits) => {
                    String::from_utf8_lossy(&apply_bytes(text.into_bytes(), &edits)).into_owned()
                }
            },
        )
}

fn shipped_scenarios() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut texts: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    texts.sort();
    texts
}

/// One rule: a match, a when, an action and the extras that go with any action, each from
/// values the format allows and some it does not.
fn rule() -> impl Strategy<Value = Value> {
    let method = proptest::sample::select(
        &[
            "*",
            "Create*",
            "GetSCMIntegration",
            "List*",
            "*Token*",
            "Nope",
        ][..],
    );
    let matcher = prop_oneof![
        2 => Just(json!({})),
        2 => method.prop_map(|m| json!({ "method": m })),
        1 => Just(json!({ "body": { "filter": {} } })),
        1 => Just(json!({ "fields": { "id": { "matches": "^d2" }, "pagination.pageSize": { "in": [0, 1] } } })),
        1 => Just(json!({ "fields": { "filter.runnerIds": { "contains": "x" }, "x": { "exists": false } } })),
        1 => Just(json!({ "headers": { "x-mock-session": "*" } })),
        1 => Just(json!({ "fields": { "id": { "matches": "(" } } })),
    ];
    let when = prop_oneof![
        3 => Just(json!({})),
        1 => (0..4u64).prop_map(|n| json!({ "nth": n })),
        1 => (0..4u64).prop_map(|n| json!({ "first": n, "after": n / 2 })),
        1 => (0..3u64).prop_map(|n| json!({ "every": n })),
        1 => prop_oneof![Just(0.5), Just(1.0), Just(-1.0), Just(2.0)].prop_map(|p| json!({ "probability": p })),
    ];
    let action = prop_oneof![
        3 => proptest::sample::select(&["internal", "unavailable", "not_found", "teapot", "deadline_exceeded", "resource_exhausted", "unauthenticated"][..])
            .prop_map(|c| json!({ "error": c })),
        1 => Just(json!({ "error": { "code": "failed_precondition", "message": "m", "details": [{ "type": "x.Y", "value": "AAEC" }] } })),
        1 => Just(json!({ "error": { "code": "internal", "details": [{ "value": "%%" }] } })),
        1 => (0..700u16).prop_map(|s| json!({ "raw": { "status": s, "content_type": "text/html", "body": "<h1>x</h1>" } })),
        1 => proptest::sample::select(&["reset", "close", "hang"][..]).prop_map(|c| json!({ "connection": c })),
        2 => respond_body().prop_map(|b| json!({ "respond": b })),
        1 => (0..4u32, prop_oneof![Just(0.5), Just(0.0), Just(1000.0)])
            .prop_map(|(c, r)| json!({ "rate_limit": { "capacity": c, "per_second": r } })),
        1 => Just(json!({ "exceed_deadline": { "margin_ms": 10, "fallback_ms": 50 } })),
        1 => Just(json!({ "pass": true })),
        1 => Just(json!({})),
    ];
    let delay = prop_oneof![
        4 => Just(None),
        1 => (0..3000u64).prop_map(|ms| Some(json!({ "ms": ms }))),
        1 => Just(Some(json!({ "min_ms": 5, "max_ms": 1 }))),
        1 => Just(Some(json!({ "median_ms": 100, "sigma": 3.0, "max_ms": 2000 }))),
    ];
    let dribble = prop_oneof![
        6 => Just(None),
        1 => (0..4usize).prop_map(|n| Some(json!({ "chunk_bytes": n, "interval_ms": 5 }))),
    ];
    let headers = prop_oneof![
        4 => Just(None),
        1 => Just(Some(json!({ "retry-after-ms": "10", "X-Should-Retry": "true" }))),
        1 => Just(Some(json!({ "bad header": "\u{1}" }))),
    ];
    (matcher, when, action, delay, dribble, headers).prop_map(|(m, w, a, d, dr, h)| {
        let mut rule = a;
        let object = rule.as_object_mut().unwrap();
        object.insert("match".into(), m);
        object.insert("when".into(), w);
        for (key, value) in [("delay", d), ("dribble", dr), ("headers", h)] {
            if let Some(value) = value {
                object.insert(key.into(), value);
            }
        }
        rule
    })
}

/// Respond bodies for any method: fitting ones, and ones of the wrong shape.
fn respond_body() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        Just(json!({ "integration": { "id": "i", "pat": true } })),
        Just(json!({ "token": { "id": "t", "source": 99, "expiresAt": "2024-01-01T00:00:00Z" } })),
        Just(json!({ "environmentClasses": [{ "id": "c" }], "pagination": { "nextToken": "n" } })),
        Just(json!({ "token": { "expiresAt": "yesterday" } })),
        Just(json!({ "nonsense": 1 })),
        Just(json!([])),
    ]
}

/// The embedded fixtures with one file edited.
#[derive(Debug, Clone)]
pub struct FixtureEdit {
    file: usize,
    tree: Vec<TreeEdit>,
    bytes: Option<Vec<ByteEdit>>,
}

pub fn fixture_edit() -> impl Strategy<Value = FixtureEdit> {
    (
        0..fixture_files().len(),
        tree_edits(),
        prop_oneof![4 => Just(None), 1 => byte_edits().prop_map(Some)],
    )
        .prop_map(|(file, tree, bytes)| FixtureEdit { file, tree, bytes })
}

/// Every fixture file, relative to the fixtures directory, with its parsed contents.
fn fixture_files() -> &'static [(String, Value)] {
    static FILES: std::sync::OnceLock<Vec<(String, Value)>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut names: Vec<String> = [
            "runners",
            "environment_classes",
            "scm_integrations",
            "host_authentication_tokens",
        ]
        .iter()
        .map(|n| format!("{n}.json"))
        .collect();
        for entry in std::fs::read_dir(dir.join("schemas")).unwrap() {
            names.push(format!(
                "schemas/{}",
                entry.unwrap().file_name().to_string_lossy()
            ));
        }
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let text = std::fs::read_to_string(dir.join(&name)).unwrap();
                (name, serde_json::from_str(&text).unwrap())
            })
            .collect()
    })
}

impl FixtureEdit {
    /// Writes the whole set, this edit applied, into `dir`.
    pub fn write(&self, dir: &Path) {
        std::fs::create_dir_all(dir.join("schemas")).unwrap();
        for (i, (name, value)) in fixture_files().iter().enumerate() {
            let text = if i == self.file {
                let edited = write_edited(value, &self.tree);
                match &self.bytes {
                    Some(edits) => apply_bytes(edited, edits),
                    None => edited,
                }
            } else {
                value.to_string().into_bytes()
            };
            std::fs::write(dir.join(name), text).unwrap();
        }
    }

    pub fn file(&self) -> &str {
        &fixture_files()[self.file].0
    }
}

/// A directory of this process's own for fixture sets; the harness removes it at the end.
pub fn scratch_dir() -> PathBuf {
    std::env::temp_dir().join(format!("gitpod-mock-fuzz-{}", std::process::id()))
}
