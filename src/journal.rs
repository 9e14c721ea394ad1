//! The journal: a bounded ring buffer of what each call asked and got, with secrets redacted,
//! plus per-session coverage counters that outlive the ring buffer.

use crate::pipeline::{Answer, Outcome};
use crate::session::Session;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Request headers the journal keeps (lowercase). Authorization is never kept.
const KEPT_HEADERS: &[&str] = &[
    "user-agent",
    "content-type",
    "content-encoding",
    "connect-protocol-version",
    "connect-timeout-ms",
    "x-stainless-retry-count",
    "x-stainless-lang",
    "x-stainless-package-version",
    "x-mock-scenario",
];

/// Body fields whose values are secrets; the journal shows them as `[REDACTED]`.
const SECRET_FIELDS: &[&str] = &[
    "token",
    "refreshToken",
    "oauthPlaintextClientSecret",
    "oauthEncryptedClientSecret",
    "apiKey",
];

/// One call as the journal records it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub seq: u64,
    /// Wall-clock time the call arrived, RFC 3339 with milliseconds.
    pub at: String,
    pub session: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// The Connect code, or "ok".
    pub code: String,
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    /// Request headers worth seeing in tests (retry counts, user agent), secrets left out.
    pub headers: BTreeMap<String, String>,
    /// The request body in canonical JSON with secrets redacted; null if it could not be read.
    pub request: Value,
}

/// A ring buffer of entries; the oldest go when it is full.
#[derive(Debug, Clone)]
pub struct Journal {
    entries: VecDeque<Entry>,
    capacity: usize,
    next_seq: u64,
    dropped: u64,
}

impl Journal {
    pub fn new(capacity: usize) -> Journal {
        Journal {
            entries: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            next_seq: 1,
            dropped: 0,
        }
    }

    pub fn push(&mut self, mut entry: Entry) {
        if self.capacity == 0 {
            self.dropped += 1;
            return;
        }
        entry.seq = self.next_seq;
        self.next_seq += 1;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(entry);
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many entries fell out of the buffer.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// Which methods, codes and scenario rules a session exercised.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub methods: BTreeMap<String, u64>,
    pub codes: BTreeMap<String, u64>,
    pub scenarios: BTreeMap<String, u64>,
}

impl Coverage {
    pub fn record(&mut self, entry: &Entry) {
        *self.methods.entry(entry.method.clone()).or_default() += 1;
        *self.codes.entry(entry.code.clone()).or_default() += 1;
        if let Some(s) = &entry.scenario {
            *self.scenarios.entry(s.clone()).or_default() += 1;
        }
    }
}

/// Journals a finished RPC in its session, and counts it in the session's coverage.
pub fn record(
    session: &Mutex<Session>,
    parts: &http::request::Parts,
    outcome: &Outcome,
    started: Instant,
) {
    let (status, code) = match &outcome.answer {
        Answer::Reply(_) => (200, "ok".to_string()),
        Answer::Error(e) => (e.status(), e.code.as_str().to_string()),
        Answer::Raw { status, .. } => (*status, "raw".to_string()),
        Answer::Connection(fault) => (0, format!("{fault:?}").to_lowercase()),
    };
    let path = parts.uri.path();
    let headers = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            parts.headers.get(*name).map(|v| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
        })
        .collect();
    let mut session = session.lock();
    let entry = Entry {
        seq: 0,
        at: now_rfc3339(),
        session: session.id.clone(),
        method: path.rsplit('/').next().unwrap_or_default().to_string(),
        path: path.to_string(),
        status,
        code,
        latency_ms: (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        scenario: outcome.fired.as_ref().map(|(name, _)| name.clone()),
        rule: outcome.fired.as_ref().map(|(_, index)| index + 1),
        headers,
        request: redact(&outcome.request),
    };
    session.coverage.record(&entry);
    session.journal.push(entry);
}

fn now_rfc3339() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = crate::store::rfc3339(since.as_secs() as i64);
    format!(
        "{}.{:03}Z",
        seconds.trim_end_matches('Z'),
        since.subsec_millis()
    )
}

/// A copy of `body` with every secret field's value replaced.
pub fn redact(body: &Value) -> Value {
    match body {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let secret = SECRET_FIELDS.contains(&k.as_str())
                        && !matches!(v, Value::Null | Value::Object(_));
                    (
                        k.clone(),
                        if secret {
                            Value::String("[REDACTED]".into())
                        } else {
                            redact(v)
                        },
                    )
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(method: &str) -> Entry {
        Entry {
            seq: 0,
            at: String::new(),
            session: "s".into(),
            method: method.into(),
            path: String::new(),
            status: 200,
            code: "ok".into(),
            latency_ms: 0.0,
            scenario: None,
            rule: None,
            headers: BTreeMap::new(),
            request: Value::Null,
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_entries() {
        let mut journal = Journal::new(3);
        for i in 0..5 {
            journal.push(entry(&format!("M{i}")));
        }
        let kept: Vec<_> = journal
            .entries()
            .map(|e| (e.seq, e.method.as_str()))
            .collect();
        assert_eq!(kept, [(3, "M2"), (4, "M3"), (5, "M4")]);
        assert_eq!(journal.dropped(), 2);
    }

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let body = json!({"token": "gho_x", "host": "h", "scmIntegration": {"oauthPlaintextClientSecret": "s"}, "list": [{"apiKey": "k"}]});
        let out = redact(&body).to_string();
        assert!(
            !out.contains("gho_x") && !out.contains("\"s\"") && !out.contains("\"k\""),
            "{out}"
        );
        assert!(out.contains("\"host\":\"h\""));
    }
}
