//! The journal: a ring buffer per session of what each call asked and got, with secrets
//! redacted, bounded in entries and in bytes, plus per-session coverage counters that outlive
//! the ring buffer. The RPC path records every call that reached the mock here, and logs it.

mod answer;
mod body;

pub use answer::Answered;

pub use body::BODY_CAP;

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
    "grpc-timeout",
    "grpc-encoding",
    "grpc-accept-encoding",
    "x-grpc-web",
    "x-stainless-retry-count",
    "x-stainless-lang",
    "x-stainless-package-version",
    "x-mock-scenario",
];

/// What an entry costs besides its body and headers (its other strings, the map and deque
/// nodes), counted against the session's byte budget.
const ENTRY_OVERHEAD: usize = 256;

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
    /// How the call was made: `connect+json`, `connect+proto`, `connect-get+json`, …
    pub protocol: &'static str,
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
    /// At most [`BODY_CAP`] bytes of it are kept.
    pub request: Value,
    /// Whether `request` was cut to [`BODY_CAP`] bytes.
    pub truncated: bool,
    /// What a `--lenient` call broke but was answered anyway, as `x-mock-violations` lists it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Value>,
    /// Each active scenario rule and whether it fired for this call; for one that did not,
    /// the first reason (`when nth: 3, this was call 2`). At most 16 rules, the rest counted.
    #[serde(skip_serializing_if = "crate::scenario::Explanation::is_empty")]
    pub why: crate::scenario::Explanation,
    /// `upstream` for a call the client got the upstream's answer to (`--proxy`): status and
    /// code are the upstream's, the rest what the mock saw of the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<&'static str>,
    /// The answer, decoded when the journal is read (`response` there).
    #[serde(skip)]
    pub answer: Answered,
    /// About how many bytes the entry holds, for the session's journal budget.
    #[serde(skip)]
    pub bytes: usize,
}

/// A ring buffer of entries, bounded in count and in (approximate) bytes; the oldest go first.
#[derive(Debug, Clone)]
pub struct Journal {
    entries: VecDeque<Entry>,
    capacity: usize,
    max_bytes: usize,
    bytes: usize,
    next_seq: u64,
    dropped: u64,
}

impl Journal {
    pub fn new(capacity: usize, max_bytes: usize) -> Journal {
        Journal {
            entries: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            max_bytes,
            bytes: 0,
            next_seq: 1,
            dropped: 0,
        }
    }

    /// Adds an entry, dropping the oldest ones to stay within both bounds. An entry bigger
    /// than the whole byte budget is counted as dropped at once.
    pub fn push(&mut self, mut entry: Entry) {
        entry.seq = self.next_seq;
        self.next_seq += 1;
        if self.capacity == 0 || entry.bytes > self.max_bytes {
            self.dropped += 1;
            return;
        }
        while self.entries.len() == self.capacity || self.bytes + entry.bytes > self.max_bytes {
            let Some(oldest) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= oldest.bytes;
            self.dropped += 1;
        }
        self.bytes += entry.bytes;
        self.entries.push_back(entry);
    }

    /// The `seq` the next entry pushed gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
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

    /// About how many bytes the kept entries hold.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// Which methods, codes and scenario rules a session exercised.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    /// Calls by path, so that two services' methods of one name are counted apart.
    pub methods: BTreeMap<String, u64>,
    pub codes: BTreeMap<String, u64>,
    pub scenarios: BTreeMap<String, u64>,
    /// Calls by path, then by code: which error paths of each method were taken.
    pub outcomes: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Coverage {
    pub fn record(&mut self, entry: &Entry) {
        count(&mut self.methods, &entry.path);
        count(&mut self.codes, &entry.code);
        if let Some(s) = &entry.scenario {
            count(&mut self.scenarios, s);
        }
        match self.outcomes.get_mut(&entry.path) {
            Some(codes) => count(codes, &entry.code),
            None => {
                let codes = BTreeMap::from([(entry.code.to_string(), 1)]);
                self.outcomes.insert(entry.path.clone(), codes);
            }
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

/// A call that reached the mock, finished or abandoned by its client, as the journal and the
/// request log tell it.
pub struct Call<'a> {
    pub parts: &'a http::request::Parts,
    pub protocol: &'static str,
    pub status: u16,
    /// The Connect code, "ok", "raw" for a scripted non-Connect answer, or the connection fault.
    pub code: Cow<'static, str>,
    /// The scenario and rule (0-based) that fired, if any.
    pub fired: Option<(String, usize)>,
    /// The canonical request; it is redacted and trimmed here.
    pub request: Value,
    /// The rules a lenient call broke, if any.
    pub violations: Vec<Value>,
    /// Each active scenario rule's verdict on the call.
    pub why: crate::scenario::Explanation,
    /// What the client was answered.
    pub answer: Answered,
    pub started: Instant,
}

impl Entry {
    /// The entry of a call in session `session`, its secrets redacted and its body trimmed.
    /// It takes no lock, so a session's calls can build entries side by side; its `seq` is
    /// given when it is pushed.
    pub fn new(session: &str, call: Call<'_>) -> Entry {
        let Call {
            parts,
            protocol,
            status,
            code,
            fired,
            why,
            mut request,
            violations,
            answer,
            started,
        } = call;
        let path = parts.uri.path();
        // One pass over the few headers a request has, rather than a lookup (which parses the
        // name) for each kept header; the first value of a repeated header is kept.
        let mut headers = BTreeMap::new();
        let mut bytes = ENTRY_OVERHEAD + 2 * path.len();
        for (name, value) in &parts.headers {
            if let Some(kept) = KEPT_HEADERS.iter().find(|k| **k == name.as_str()) {
                headers.entry(*kept).or_insert_with(|| {
                    bytes += value.len();
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                });
            }
        }
        let kept = body::keep(&mut request);
        bytes += violations
            .iter()
            .map(|v| v.to_string().len())
            .sum::<usize>();
        let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
        Entry {
            seq: 0,
            at: SystemTime::now(),
            session: session.to_string(),
            method: path.rsplit('/').next().unwrap_or_default().to_string(),
            path: path.to_string(),
            protocol,
            status,
            code,
            latency_ms,
            rule: fired.as_ref().map(|(_, index)| index + 1),
            scenario: fired.map(|(name, _)| name),
            headers,
            request,
            truncated: kept.truncated,
            violations,
            answered_by: None,
            bytes: bytes + kept.bytes + session.len() + why.bytes() + answer.bytes(),
            answer,
            why,
        }
    }
}

fn rfc3339_millis<S: serde::Serializer>(at: &SystemTime, out: S) -> Result<S::Ok, S::Error> {
    out.collect_str(&Millis(*at))
}

/// A time written as RFC 3339 UTC with milliseconds, e.g. `2025-01-02T03:04:05.678Z`.
#[derive(Debug, Clone, Copy)]
pub struct Millis(pub SystemTime);

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        thread_local! {
            /// The last second written, as RFC 3339 without its `Z`: the live feed writes the
            /// time of every call, and calls of one second share the date and time.
            static SECOND: std::cell::RefCell<(u64, String)> = const {
                std::cell::RefCell::new((u64::MAX, String::new()))
            };
        }
        let since = self.0.duration_since(UNIX_EPOCH).unwrap_or_default();
        let millis = since.subsec_millis();
        SECOND.with_borrow_mut(|(second, text)| {
            if *second != since.as_secs() {
                *second = since.as_secs();
                let full = crate::store::rfc3339(since.as_secs() as i64);
                *text = full.trim_end_matches('Z').to_string();
            }
            write!(f, "{text}.{millis:03}Z")
        })
    }
}

impl Serialize for Millis {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        out.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(method: &str) -> Entry {
        Entry {
            seq: 0,
            at: UNIX_EPOCH,
            session: "s".into(),
            method: method.into(),
            path: String::new(),
            protocol: "connect+json",
            status: 200,
            code: "ok".into(),
            latency_ms: 0.0,
            scenario: None,
            rule: None,
            headers: BTreeMap::new(),
            request: Value::Null,
            truncated: false,
            violations: Vec::new(),
            answered_by: None,
            why: Default::default(),
            answer: Answered::Nothing,
            bytes: 100,
        }
    }

    #[test]
    fn times_are_written_with_milliseconds_whether_their_second_is_new_or_not() {
        let at = |ms: u64| Millis(UNIX_EPOCH + std::time::Duration::from_millis(ms)).to_string();
        let written = [at(1_005), at(1_999), at(61_000), at(1_000)];
        assert_eq!(
            written,
            [
                "1970-01-01T00:00:01.005Z",
                "1970-01-01T00:00:01.999Z",
                "1970-01-01T00:01:01.000Z",
                "1970-01-01T00:00:01.000Z",
            ]
        );
    }

    #[test]
    fn the_ring_keeps_the_newest_entries() {
        let mut journal = Journal::new(3, usize::MAX);
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
    fn the_byte_budget_drops_the_oldest_entries_too() {
        let mut journal = Journal::new(100, 350);
        for i in 0..5 {
            journal.push(entry(&format!("M{i}")));
        }
        let kept: Vec<_> = journal.entries().map(|e| e.seq).collect();
        assert_eq!(kept, [3, 4, 5], "three entries of 100 bytes fit in 350");
        assert_eq!((journal.bytes(), journal.dropped()), (300, 2));
        let mut big = entry("Big");
        big.bytes = 351;
        journal.push(big);
        assert_eq!(
            journal.len(),
            3,
            "an entry over the whole budget is not kept"
        );
        assert_eq!(journal.dropped(), 3);
        let mut large = entry("Large");
        large.bytes = 250;
        journal.push(large);
        let kept: Vec<_> = journal.entries().map(|e| e.method.as_str()).collect();
        assert_eq!(kept, ["M4", "Large"]);
        assert_eq!(journal.bytes(), 350);
    }
}
