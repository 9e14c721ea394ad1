//! The Connect error model: codes, their HTTP statuses, and `RpcError`, the one error every
//! pipeline step returns and the one place errors become JSON bodies.

use base64::Engine;
#[cfg(test)]
use serde_json::{json, Value};
use std::borrow::Cow;

/// A Connect error code, with the HTTP status the Connect protocol assigns to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    Canceled,
    Unknown,
    InvalidArgument,
    DeadlineExceeded,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    ResourceExhausted,
    FailedPrecondition,
    Aborted,
    OutOfRange,
    Unimplemented,
    Internal,
    Unavailable,
    DataLoss,
    Unauthenticated,
}

/// Every code with its wire name and HTTP status, from the Connect protocol specification.
const CODES: &[(Code, &str, u16)] = &[
    (Code::Canceled, "canceled", 499),
    (Code::Unknown, "unknown", 500),
    (Code::InvalidArgument, "invalid_argument", 400),
    (Code::DeadlineExceeded, "deadline_exceeded", 504),
    (Code::NotFound, "not_found", 404),
    (Code::AlreadyExists, "already_exists", 409),
    (Code::PermissionDenied, "permission_denied", 403),
    (Code::ResourceExhausted, "resource_exhausted", 429),
    (Code::FailedPrecondition, "failed_precondition", 400),
    (Code::Aborted, "aborted", 409),
    (Code::OutOfRange, "out_of_range", 400),
    (Code::Unimplemented, "unimplemented", 501),
    (Code::Internal, "internal", 500),
    (Code::Unavailable, "unavailable", 503),
    (Code::DataLoss, "data_loss", 500),
    (Code::Unauthenticated, "unauthenticated", 401),
];

impl Code {
    fn entry(self) -> &'static (Code, &'static str, u16) {
        CODES
            .iter()
            .find(|(code, ..)| *code == self)
            .expect("every code is in CODES")
    }

    /// The snake_case name used on the wire, e.g. `invalid_argument`.
    pub fn as_str(self) -> &'static str {
        self.entry().1
    }

    /// The HTTP status Connect unary responses carry for this code.
    pub fn http_status(self) -> u16 {
        self.entry().2
    }

    /// Parses a wire name such as `not_found`.
    pub fn from_name(name: &str) -> Option<Code> {
        CODES
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(code, ..)| *code)
    }

    /// All codes, in the order of the specification.
    pub fn all() -> impl Iterator<Item = Code> {
        CODES.iter().map(|(code, ..)| *code)
    }
}

/// One entry of an error's `details`: a protobuf message carried as base64, plus its JSON form
/// under `debug` for humans (None: the body then has no `debug` key).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorDetail {
    pub type_name: String,
    pub value: Vec<u8>,
    pub debug: Option<DebugJson>,
}

/// A detail's `debug` JSON, kept as written text: error bodies embed it as it is, and the
/// validation detail writes it once, straight from its typed form, with no `Value` tree.
#[derive(Debug, Clone, PartialEq)]
pub struct DebugJson(std::sync::Arc<str>);

impl DebugJson {
    /// The debug JSON for a value; None for null, which means no debug.
    pub fn of(value: &impl serde::Serialize) -> Option<DebugJson> {
        let text = serde_json::to_string(value).ok()?;
        (text != "null").then(|| DebugJson(text.into()))
    }

    /// Text the mock wrote itself as JSON (see `contract::violations`); debug builds check it.
    pub fn written(text: String) -> DebugJson {
        debug_assert!(
            serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok(),
            "not JSON: {text}"
        );
        DebugJson(text.into())
    }

    pub fn text(&self) -> &str {
        &self.0
    }
}

/// An error answered to a client: a Connect code, a message that names the problem, and details.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: Code,
    pub message: String,
    pub details: Vec<ErrorDetail>,
    /// The HTTP status, when it is not the code's own (404, 405 and 415 for routing problems).
    pub http_status: Option<u16>,
    /// Extra response headers such as `Allow` or `Accept-Post`.
    pub headers: Vec<(&'static str, String)>,
}

impl RpcError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            details: Vec::new(),
            http_status: None,
            headers: Vec::new(),
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidArgument, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }

    /// The `not_found` of a record named by id, in the one format every handler uses:
    /// `runner d2c94c27-… not found`, or `runner "" not found` (see `shown_id`).
    pub fn no_such(what: &str, id: &str) -> Self {
        Self::not_found(format!("{what} {} not found", shown_id(id)))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Code::Internal, message)
    }

    pub fn with_detail(mut self, detail: ErrorDetail) -> Self {
        self.details.push(detail);
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn status(&self) -> u16 {
        self.http_status.unwrap_or_else(|| self.code.http_status())
    }

    /// The Connect JSON error body as bytes, written directly (every invalid request ends
    /// here). Same content as `to_json`, which a test checks.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let details: usize = self
            .details
            .iter()
            .map(|d| {
                48 + d.type_name.len()
                    + d.value.len() * 4 / 3
                    + d.debug.as_ref().map_or(0, |j| j.text().len())
            })
            .sum();
        let mut out = Vec::with_capacity(64 + self.message.len() + details);
        out.extend_from_slice(b"{\"code\":\"");
        out.extend_from_slice(self.code.as_str().as_bytes());
        out.extend_from_slice(b"\",\"message\":");
        crate::json_text::write_string(&self.message, &mut out);
        if !self.details.is_empty() {
            out.extend_from_slice(b",\"details\":[");
            let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
            for (i, d) in self.details.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"type\":");
                crate::json_text::write_string(&d.type_name, &mut out);
                out.extend_from_slice(b",\"value\":\"");
                out.extend_from_slice(b64.encode(&d.value).as_bytes());
                out.push(b'"');
                if let Some(debug) = &d.debug {
                    out.extend_from_slice(b",\"debug\":");
                    out.extend_from_slice(debug.text().as_bytes());
                }
                out.push(b'}');
            }
            out.push(b']');
        }
        out.push(b'}');
        out
    }

    /// The Connect JSON error body: `{"code", "message", "details": [{"type", "value", "debug"}]}`,
    /// as a `Value`: the readable statement of what `to_json_bytes` writes, for tests.
    #[cfg(test)]
    pub fn to_json(&self) -> Value {
        let mut body = json!({ "code": self.code.as_str(), "message": self.message });
        if !self.details.is_empty() {
            let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
            body["details"] = self
                .details
                .iter()
                .map(|d| {
                    let mut detail = json!({ "type": d.type_name, "value": b64.encode(&d.value) });
                    // `debug` is optional in Connect: a detail without one leaves it out.
                    if let Some(debug) = &d.debug {
                        detail["debug"] = serde_json::from_str(debug.text()).expect("valid JSON");
                    }
                    detail
                })
                .collect();
        }
        body
    }
}

/// An id as messages show it: bare when it is a plain token such as a UUID, quoted when it
/// would not read well bare (empty, or with spaces, quotes or other punctuation).
pub fn shown_id(id: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !id.is_empty() && id.chars().all(plain) {
        Cow::Borrowed(id)
    } else {
        Cow::Owned(format!("{id:?}"))
    }
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for RpcError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_body_is_the_json_body() {
        let plain = RpcError::not_found("gone");
        let detailed = RpcError::invalid_argument("bad")
            .with_detail(ErrorDetail {
                type_name: "t".into(),
                value: vec![1, 2, 3],
                debug: DebugJson::of(&json!({"a": [1]})),
            })
            .with_detail(ErrorDetail {
                type_name: "u".into(),
                value: vec![],
                debug: None,
            });
        for e in [plain, detailed] {
            let bytes: Value = serde_json::from_slice(&e.to_json_bytes()).unwrap();
            assert_eq!(bytes, e.to_json());
        }
    }

    #[test]
    fn every_code_round_trips_through_its_name() {
        assert_eq!(Code::all().count(), 16);
        for code in Code::all() {
            assert_eq!(Code::from_name(code.as_str()), Some(code));
        }
    }

    /// The Connect protocol specification's table of error codes, written out from
    /// <https://connectrpc.com/docs/protocol#error-codes> (connect-go's `connectCodeToHTTP`
    /// returns the same literals), in the specification's order: wire name and HTTP status.
    const SPECIFICATION: [(&str, u16); 16] = [
        ("canceled", 499),
        ("unknown", 500),
        ("invalid_argument", 400),
        ("deadline_exceeded", 504),
        ("not_found", 404),
        ("already_exists", 409),
        ("permission_denied", 403),
        ("resource_exhausted", 429),
        ("failed_precondition", 400),
        ("aborted", 409),
        ("out_of_range", 400),
        ("unimplemented", 501),
        ("internal", 500),
        ("unavailable", 503),
        ("data_loss", 500),
        ("unauthenticated", 401),
    ];

    #[test]
    fn every_code_has_the_specifications_wire_name_and_status() {
        let ours: Vec<(&str, u16)> = Code::all().map(|c| (c.as_str(), c.http_status())).collect();
        assert_eq!(ours, SPECIFICATION);
        for (name, status) in SPECIFICATION {
            let code = Code::from_name(name).unwrap_or_else(|| panic!("{name} is not a code"));
            assert_eq!(RpcError::new(code, "m").status(), status, "{name}");
        }
    }

    #[test]
    fn details_use_unpadded_base64() {
        let detail = ErrorDetail {
            type_name: "x.Y".into(),
            value: vec![1],
            debug: DebugJson::of(&json!({})),
        };
        let body = RpcError::invalid_argument("bad")
            .with_detail(detail)
            .to_json();
        assert_eq!(body["details"][0]["value"], "AQ");
        assert_eq!(body["code"], "invalid_argument");
    }

    #[test]
    fn not_found_messages_quote_only_ids_that_need_it() {
        let message = |id: &str| RpcError::no_such("runner", id).message;
        let uuid = "d2c94c27-3b76-4a42-b88c-95a85e392c68";
        assert_eq!(message(uuid), format!("runner {uuid} not found"));
        assert_eq!(message(""), "runner \"\" not found");
        assert_eq!(message("a b"), "runner \"a b\" not found");
        assert_eq!(message("x\"y"), "runner \"x\\\"y\" not found");
        assert_eq!(RpcError::no_such("runner", "").code, Code::NotFound);
    }

    #[test]
    fn a_detail_without_debug_has_no_debug_key() {
        let detail = |debug: Value| ErrorDetail {
            type_name: "x.Y".into(),
            value: vec![1],
            debug: DebugJson::of(&debug),
        };
        let body = RpcError::invalid_argument("bad")
            .with_detail(detail(Value::Null))
            .with_detail(detail(json!({"a": 1})))
            .to_json();
        assert_eq!(body["details"][0], json!({"type": "x.Y", "value": "AQ"}));
        assert_eq!(body["details"][1]["debug"], json!({"a": 1}));
    }
}
