//! The drift report: how the real API's answers differ from the contract and from the mock's,
//! as findings keyed by method, field path and kind, each counted, with the first request
//! that showed it (its secrets redacted; headers, and so Authorization, are never kept).
//! `compare` finds the differences in one pair of answers.

pub(crate) mod compare;
pub mod files;

use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// What kind of difference a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The upstream answers a field the contract does not declare.
    UnknownField,
    /// The mock answers a field the upstream leaves out.
    MissingField,
    /// The upstream answers a declared field the mock leaves out.
    ExtraField,
    /// The upstream's JSON type is not the one the contract gives the field.
    WrongType,
    /// Both answer the field, as different JSON types.
    TypeDiffers,
    /// The upstream answers an enum value the contract lacks.
    UnknownEnumValue,
    /// The two answer the same request with different Connect codes.
    CodeDiffers,
    /// One side rejects the request as `invalid_argument` and the other accepts it: a rule
    /// one applies and the other does not.
    ValidationDiffers,
    /// One side answers a next page and the other does not, for the same request.
    PaginationDiffers,
    /// The upstream's answer breaks one of the contract's buf.validate rules.
    ViolatesRule,
    /// The upstream's error code is not a Connect code.
    NotAConnectCode,
    /// The upstream's HTTP status is not the one its Connect code goes with.
    StatusMismatch,
    /// The upstream's answer is not a Connect JSON answer.
    Unreadable,
    /// The upstream could not be reached.
    UpstreamFailure,
    /// The upstream did not answer in time.
    UpstreamTimeout,
}

impl Kind {
    /// The name the report uses, e.g. `unknown_field`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UnknownField => "unknown_field",
            Kind::MissingField => "missing_field",
            Kind::ExtraField => "extra_field",
            Kind::WrongType => "wrong_type",
            Kind::TypeDiffers => "type_differs",
            Kind::UnknownEnumValue => "unknown_enum_value",
            Kind::CodeDiffers => "code_differs",
            Kind::ValidationDiffers => "validation_differs",
            Kind::PaginationDiffers => "pagination_differs",
            Kind::ViolatesRule => "violates_rule",
            Kind::NotAConnectCode => "not_a_connect_code",
            Kind::StatusMismatch => "status_mismatch",
            Kind::Unreadable => "unreadable",
            Kind::UpstreamFailure => "upstream_failure",
            Kind::UpstreamTimeout => "upstream_timeout",
        }
    }
}

/// One difference in one pair of answers: where, what kind, and what each side did. The
/// texts describe shapes (types, field names, codes, enum names), never values, so no secret
/// an answer carries reaches the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The field path in the response message, e.g. `environmentClasses[].displayName`; empty
    /// for the answer as a whole.
    pub path: String,
    pub kind: Kind,
    pub upstream: String,
    pub mock: String,
}

/// A difference as the report keeps it: seen `count` times, first with `example`.
#[derive(Debug, Clone)]
struct Finding {
    upstream: String,
    mock: String,
    count: u64,
    /// The first request that showed it, redacted.
    example: Value,
}

/// The most findings a report keeps; later new ones are only counted, so an upstream that keeps
/// inventing fields cannot grow the report without bound.
pub const MAX_FINDINGS: usize = 1000;
/// The most bytes of JSON text a finding's example request keeps; a bigger one is summarised.
const EXAMPLE_CAP: usize = 16 * 1024;
/// The longest field path a finding keeps, in bytes.
const PATH_CAP: usize = 512;

/// Every finding so far, grouped by (method, path, kind).
#[derive(Debug, Default)]
pub struct Report {
    findings: Mutex<BTreeMap<(String, String, Kind), Finding>>,
    /// New findings not kept because the report was full.
    dropped: AtomicU64,
    compared: Mutex<u64>,
    /// Shadow calls whose upstream answer is still awaited.
    pending: AtomicU64,
}

impl Report {
    /// A shadow call's comparison has started.
    pub fn begin(&self) {
        self.pending.fetch_add(1, Ordering::Relaxed);
    }

    /// A shadow call's comparison has ended, recorded or not.
    pub fn end(&self) {
        self.pending.fetch_sub(1, Ordering::Relaxed);
    }

    /// How many shadow calls are still being compared.
    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Relaxed)
    }

    /// Records the differences one call showed; `request` is the call's message, already
    /// redacted.
    pub fn record(&self, method: &str, request: &Value, differences: Vec<Difference>) {
        *self.compared.lock() += 1;
        if differences.is_empty() {
            return;
        }
        let mut findings = self.findings.lock();
        for d in differences {
            let key = (method.to_string(), cut(d.path, PATH_CAP), d.kind);
            if let Some(found) = findings.get_mut(&key) {
                found.count += 1;
                continue;
            }
            if findings.len() >= MAX_FINDINGS {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let finding = Finding {
                upstream: d.upstream,
                mock: d.mock,
                count: 1,
                example: bounded(request),
            };
            findings.insert(key, finding);
        }
    }

    /// The report `GET /__mock/drift` answers.
    pub fn to_json(&self, upstream: Option<&str>) -> Value {
        let findings: Vec<Value> = self
            .findings
            .lock()
            .iter()
            .map(|((method, path, kind), f)| {
                json!({
                    "method": method,
                    "path": path,
                    "kind": kind.as_str(),
                    "upstream": f.upstream,
                    "mock": f.mock,
                    "count": f.count,
                    "exampleRequest": f.example,
                })
            })
            .collect();
        json!({
            "upstream": upstream,
            "calls": *self.compared.lock(),
            "pending": self.pending(),
            "findings": findings,
            "droppedFindings": self.dropped.load(Ordering::Relaxed),
        })
    }

    /// Forgets every finding.
    pub fn clear(&self) {
        self.findings.lock().clear();
        *self.compared.lock() = 0;
        self.dropped.store(0, Ordering::Relaxed);
    }
}

/// `text` cut to at most `cap` bytes, on a character boundary.
fn cut(mut text: String, cap: usize) -> String {
    if text.len() > cap {
        let mut end = cap;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// The example a finding keeps of `request`: itself, or a summary when it is big.
fn bounded(request: &Value) -> Value {
    let bytes = serde_json::to_vec(request).map_or(0, |text| text.len());
    match bytes <= EXAMPLE_CAP {
        true => request.clone(),
        false => json!({ "omitted": format!("a request of {bytes} bytes of JSON") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(path: &str) -> Difference {
        Difference {
            path: path.into(),
            kind: Kind::UnknownField,
            upstream: "sends it".into(),
            mock: "contract has no such field".into(),
        }
    }

    #[test]
    fn a_drift_seen_many_times_is_one_finding_with_its_first_example() {
        let report = Report::default();
        for i in 0..1000 {
            report.record("GetX", &json!({ "n": i }), vec![unknown("a.b")]);
        }
        report.record("GetX", &json!({}), vec![unknown("a.c")]);
        let json = report.to_json(Some("http://up"));
        assert_eq!(json["calls"], 1001);
        let findings = json["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0]["path"], "a.b");
        assert_eq!(findings[0]["count"], 1000);
        assert_eq!(findings[0]["exampleRequest"], json!({ "n": 0 }));
        assert_eq!(findings[1]["count"], 1);
    }

    #[test]
    fn a_full_report_counts_new_findings_without_keeping_them_and_big_examples_are_summarised() {
        let report = Report::default();
        let big = json!({ "blob": "x".repeat(EXAMPLE_CAP) });
        for n in 0..MAX_FINDINGS + 5 {
            let path = format!("f{n}");
            report.record("Get", &big, vec![unknown(&path)]);
        }
        let json = report.to_json(None);
        assert_eq!(json["findings"].as_array().unwrap().len(), MAX_FINDINGS);
        assert_eq!(json["droppedFindings"], 5);
        let example = &json["findings"][0]["exampleRequest"];
        assert!(
            example["omitted"]
                .as_str()
                .unwrap()
                .contains("bytes of JSON"),
            "{example}"
        );
        report.record("Get", &json!({}), vec![unknown("f0")]);
        assert_eq!(
            report.to_json(None)["findings"][0]["count"],
            2,
            "known ones still count"
        );
    }
}
