//! The journal: a bounded ring buffer of what each call asked and got, with secrets redacted,
//! plus per-session coverage counters that outlive the ring buffer.

use crate::pipeline::{Answer, Outcome};
use crate::session::Session;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
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
pub(crate) const SECRET_FIELDS: &[&str] = &[
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
    /// Wall-clock time the call arrived, written as RFC 3339 with milliseconds. Formatting
    /// waits until someone reads the journal, off the request path.
    #[serde(serialize_with = "rfc3339_millis")]
    pub at: SystemTime,
    pub session: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// The Connect code, or "ok".
    pub code: Cow<'static, str>,
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    /// Request headers worth seeing in tests (retry counts, user agent), secrets left out.
    pub headers: BTreeMap<&'static str, String>,
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
        count(&mut self.methods, &entry.method);
        count(&mut self.codes, &entry.code);
        if let Some(s) = &entry.scenario {
            count(&mut self.scenarios, s);
        }
    }
}

/// Adds one to `key`'s count, allocating the key only the first time it is seen.
fn count(counts: &mut BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_string(), 1);
        }
    }
}

/// Journals a finished RPC in its session, and counts it in the session's coverage. The
/// request is moved in and redacted in place.
pub fn record(
    session: &Mutex<Session>,
    parts: &http::request::Parts,
    outcome: &Outcome,
    mut request: Value,
    started: Instant,
) {
    let (status, code): (u16, Cow<'static, str>) = match &outcome.answer {
        Answer::Reply(_) => (200, Cow::Borrowed("ok")),
        Answer::Error(e) => (e.status(), Cow::Borrowed(e.code.as_str())),
        Answer::Raw { status, .. } => (*status, Cow::Borrowed("raw")),
        Answer::Connection(fault) => (0, Cow::Owned(format!("{fault:?}").to_lowercase())),
    };
    let path = parts.uri.path();
    // One pass over the few headers a request has, rather than a lookup (which parses the
    // name) for each kept header; the first value of a repeated header is kept.
    let mut headers = BTreeMap::new();
    for (name, value) in &parts.headers {
        if let Some(kept) = KEPT_HEADERS.iter().find(|k| **k == name.as_str()) {
            headers
                .entry(*kept)
                .or_insert_with(|| String::from_utf8_lossy(value.as_bytes()).into_owned());
        }
    }
    redact_in_place(&mut request);
    let at = SystemTime::now();
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
    let mut session = session.lock();
    let entry = Entry {
        seq: 0,
        at,
        session: session.id.clone(),
        method: path.rsplit('/').next().unwrap_or_default().to_string(),
        path: path.to_string(),
        status,
        code,
        latency_ms,
        scenario: outcome.fired.as_ref().map(|(name, _)| name.clone()),
        rule: outcome.fired.as_ref().map(|(_, index)| index + 1),
        headers,
        request,
    };
    session.coverage.record(&entry);
    session.journal.push(entry);
}

fn rfc3339_millis<S: serde::Serializer>(at: &SystemTime, out: S) -> Result<S::Ok, S::Error> {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = crate::store::rfc3339(since.as_secs() as i64);
    out.collect_str(&format_args!(
        "{}.{:03}Z",
        seconds.trim_end_matches('Z'),
        since.subsec_millis()
    ))
}

/// Replaces the value of every secret field in `body`, at any depth.
pub fn redact_in_place(body: &mut Value) {
    match body {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let secret = SECRET_FIELDS.contains(&k.as_str())
                    && !matches!(v, Value::Null | Value::Object(_));
                if secret {
                    *v = Value::String("[REDACTED]".into());
                } else {
                    redact_in_place(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_in_place),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(method: &str) -> Entry {
        Entry {
            seq: 0,
            at: UNIX_EPOCH,
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
        let mut body = body;
        redact_in_place(&mut body);
        let out = body.to_string();
        assert!(
            !out.contains("gho_x") && !out.contains("\"s\"") && !out.contains("\"k\""),
            "{out}"
        );
        assert!(out.contains("\"host\":\"h\""));
    }
}
