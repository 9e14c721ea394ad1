//! Finding the differences between the upstream's answer to a call and the mock's: first the
//! Connect codes and statuses, then, when both succeed, the upstream's message against the
//! contract's response type (unknown fields, wrong JSON types, unknown enum values) and against
//! the mock's message, structurally (fields one side has and the other lacks, differing types).

use super::{Difference, Kind};
use crate::error::Code;
use crate::upstream::UpstreamFailure;
use prost_reflect::{FieldDescriptor, Kind as FieldKind, MessageDescriptor};
use serde_json::{Map, Value};

/// One side's answer: its HTTP status and its body as JSON (`Null` if it is not JSON).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side<'a> {
    pub(crate) status: u16,
    pub(crate) body: &'a Value,
}

impl Side<'_> {
    /// The Connect code the answer carries: `ok` for a 200, else its body's `code`.
    pub(crate) fn code(&self) -> Option<&str> {
        if self.status == 200 {
            return Some("ok");
        }
        self.body.get("code").and_then(Value::as_str)
    }
}

/// The differences between two answers to one call whose response type is `output`, each
/// (path, kind) once however many list elements show it.
pub(crate) fn answers(
    output: &MessageDescriptor,
    upstream: Side<'_>,
    mock: Side<'_>,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let mock_code = mock.code().unwrap_or("unknown");
    match upstream.code() {
        None => out.push(difference(
            "",
            Kind::NotAConnectCode,
            format!("HTTP {} without a Connect error code", upstream.status),
            format!("code {mock_code}"),
        )),
        Some("ok") => {}
        Some(name) => match Code::from_name(name) {
            None => out.push(difference(
                "",
                Kind::NotAConnectCode,
                format!("code {name:?}, not a Connect code"),
                format!("code {mock_code}"),
            )),
            Some(code) if code.http_status() != upstream.status => out.push(difference(
                "",
                Kind::StatusMismatch,
                format!("HTTP {} with code {name}", upstream.status),
                format!("code {name} goes with HTTP {}", code.http_status()),
            )),
            Some(_) => {}
        },
    }
    let upstream_code = upstream.code().unwrap_or("unknown");
    if upstream_code != mock_code {
        out.push(code_differs(upstream_code, mock_code));
    } else if upstream_code == "ok" {
        match (upstream.body.as_object(), mock.body.as_object()) {
            (Some(up), mock) => {
                message(output, up, mock, "", &mut out);
                if let Some(mock) = mock {
                    pages(up, mock, &mut out);
                }
            }
            (None, _) => out.push(difference(
                "",
                Kind::Unreadable,
                format!("a {} body, not a JSON object", shape(upstream.body)),
                format!("a {}", output.full_name()),
            )),
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|d| seen.insert((d.path.clone(), d.kind)));
    out
}

/// Two codes for one request: a validation difference when one side is `invalid_argument`
/// and the other `ok`, else a code difference.
fn code_differs(upstream: &str, mock: &str) -> Difference {
    let validation = |code: &str| match code {
        "ok" => "accepts the request".to_string(),
        _ => format!("rejects the request as {code}"),
    };
    match (upstream, mock) {
        ("ok", "invalid_argument") | ("invalid_argument", "ok") => difference(
            "",
            Kind::ValidationDiffers,
            validation(upstream),
            validation(mock),
        ),
        _ => difference(
            "",
            Kind::CodeDiffers,
            format!("code {upstream}"),
            format!("code {mock}"),
        ),
    }
}

/// The two list answers' pages: when one answers a next page and the other does not, one
/// finding that says how many records each answered, in place of the field difference of
/// `pagination.nextToken`.
fn pages(upstream: &Map<String, Value>, mock: &Map<String, Value>, out: &mut Vec<Difference>) {
    const NEXT: &str = "pagination.nextToken";
    let next = |m: &Map<String, Value>| {
        m.get("pagination")
            .and_then(|p| p.get("nextToken"))
            .and_then(Value::as_str)
            .is_some_and(|t| !t.is_empty())
    };
    let (up, theirs) = (next(upstream), next(mock));
    if up == theirs {
        return;
    }
    let page = |m: &Map<String, Value>, more: bool| {
        let records: usize = m.values().filter_map(Value::as_array).map(Vec::len).sum();
        let next = if more { "a next page" } else { "no next page" };
        format!("answers {records} records and {next}")
    };
    out.retain(|d| d.path != NEXT);
    out.push(difference(
        NEXT,
        Kind::PaginationDiffers,
        page(upstream, up),
        page(mock, theirs),
    ));
}

/// The finding a call gets when the upstream did not answer.
pub(crate) fn failure(failure: &UpstreamFailure, mock: Side<'_>) -> Difference {
    let kind = match failure {
        UpstreamFailure::Timeout(_) => Kind::UpstreamTimeout,
        UpstreamFailure::Transport(_) | UpstreamFailure::Tls(_) => Kind::UpstreamFailure,
    };
    let mock_code = mock.code().unwrap_or("unknown");
    difference("", kind, failure.to_string(), format!("code {mock_code}"))
}

fn difference(path: &str, kind: Kind, upstream: String, mock: String) -> Difference {
    Difference {
        path: path.to_string(),
        kind,
        upstream,
        mock,
    }
}

fn join(path: &str, key: &str) -> String {
    match path {
        "" => key.to_string(),
        _ => format!("{path}.{key}"),
    }
}

fn field_of(message: &MessageDescriptor, key: &str) -> Option<FieldDescriptor> {
    message
        .get_field_by_json_name(key)
        .or_else(|| message.get_field_by_name(key))
}

/// Compares an upstream message with the contract and, if given, with the mock's.
fn message(
    descriptor: &MessageDescriptor,
    upstream: &Map<String, Value>,
    mock: Option<&Map<String, Value>>,
    path: &str,
    out: &mut Vec<Difference>,
) {
    for (key, value) in upstream {
        let at = join(path, key);
        let Some(field) = field_of(descriptor, key) else {
            out.push(difference(
                &at,
                Kind::UnknownField,
                format!("answers {key:?} ({})", shape(value)),
                format!("{} has no field {key:?}", descriptor.full_name()),
            ));
            continue;
        };
        let theirs = mock.and_then(|m| m.get(field.json_name()).or_else(|| m.get(field.name())));
        if mock.is_some() && theirs.is_none_or(Value::is_null) && !value.is_null() {
            out.push(difference(
                &at,
                Kind::ExtraField,
                format!("answers it ({})", shape(value)),
                "leaves it out".into(),
            ));
        }
        field_value(&field, value, theirs, &at, out);
    }
    for (key, value) in mock.into_iter().flatten() {
        let present = field_of(descriptor, key).is_some_and(|f| {
            [f.json_name(), f.name()]
                .iter()
                .any(|k| upstream.get(*k).is_some_and(|v| !v.is_null()))
        });
        if !present && !value.is_null() {
            out.push(difference(
                &join(path, key),
                Kind::MissingField,
                "leaves it out".into(),
                format!("answers it ({})", shape(value)),
            ));
        }
    }
}

/// A field's value: a list, a map or a single value.
fn field_value(
    field: &FieldDescriptor,
    upstream: &Value,
    mock: Option<&Value>,
    path: &str,
    out: &mut Vec<Difference>,
) {
    if field.is_map() {
        let FieldKind::Message(entry) = field.kind() else {
            return;
        };
        let values = entry.map_entry_value_field();
        let Some(up) = upstream.as_object() else {
            return wrong_type(upstream, "an object (a map)", path, out);
        };
        for (key, v) in up {
            let theirs = mock.and_then(|m| m.get(key));
            single(&values.kind(), v, theirs, &format!("{path}{{}}"), out);
        }
    } else if field.is_list() {
        let Some(up) = upstream.as_array() else {
            return wrong_type(upstream, "an array", path, out);
        };
        for (i, v) in up.iter().enumerate() {
            let theirs = mock.and_then(|m| m.get(i));
            single(&field.kind(), v, theirs, &format!("{path}[]"), out);
        }
    } else {
        single(&field.kind(), upstream, mock, path, out);
    }
}

fn wrong_type(value: &Value, expected: &str, path: &str, out: &mut Vec<Difference>) {
    if value.is_null() {
        return;
    }
    out.push(difference(
        path,
        Kind::WrongType,
        format!("answers a {}", shape(value)),
        format!("the contract wants {expected}"),
    ));
}

/// One value of a field of `kind`.
fn single(
    kind: &FieldKind,
    upstream: &Value,
    mock: Option<&Value>,
    path: &str,
    out: &mut Vec<Difference>,
) {
    if upstream.is_null() {
        return;
    }
    let expected = expected_shapes(kind);
    if !expected.contains(&shape(upstream)) && !expected.contains(&"any") {
        return wrong_type(upstream, &expected.join(" or "), path, out);
    }
    if let Some(theirs) = mock.filter(|m| !m.is_null()) {
        if shape(theirs) != shape(upstream) {
            out.push(difference(
                path,
                Kind::TypeDiffers,
                format!("answers a {}", shape(upstream)),
                format!("answers a {}", shape(theirs)),
            ));
            return;
        }
    }
    match kind {
        FieldKind::Enum(e) => {
            if let Some(name) = upstream.as_str() {
                if e.get_value_by_name(name).is_none() {
                    out.push(difference(
                        path,
                        Kind::UnknownEnumValue,
                        format!("answers {name:?}"),
                        format!("{} has no value {name:?}", e.full_name()),
                    ));
                }
            }
        }
        FieldKind::Message(m) if !is_well_known(m) => {
            if let Some(up) = upstream.as_object() {
                message(m, up, mock.and_then(Value::as_object), path, out);
            }
        }
        _ => {}
    }
}

fn is_well_known(message: &MessageDescriptor) -> bool {
    message.package_name() == "google.protobuf"
}

/// The JSON types proto3's JSON mapping allows for a value of `kind`.
fn expected_shapes(kind: &FieldKind) -> &'static [&'static str] {
    match kind {
        FieldKind::Bool => &["boolean"],
        FieldKind::String | FieldKind::Bytes => &["string"],
        FieldKind::Double | FieldKind::Float => &["number", "string"],
        FieldKind::Int64
        | FieldKind::Uint64
        | FieldKind::Sint64
        | FieldKind::Fixed64
        | FieldKind::Sfixed64 => &["string", "number"],
        FieldKind::Enum(_) => &["string", "number"],
        FieldKind::Message(m) => match m.full_name() {
            "google.protobuf.Timestamp"
            | "google.protobuf.Duration"
            | "google.protobuf.FieldMask"
            | "google.protobuf.StringValue"
            | "google.protobuf.BytesValue" => &["string"],
            "google.protobuf.Value" => &["any"],
            "google.protobuf.ListValue" => &["array"],
            "google.protobuf.BoolValue" => &["boolean"],
            "google.protobuf.Int64Value" | "google.protobuf.UInt64Value" => &["string", "number"],
            "google.protobuf.Int32Value"
            | "google.protobuf.UInt32Value"
            | "google.protobuf.DoubleValue"
            | "google.protobuf.FloatValue" => &["number", "string"],
            _ => &["object"],
        },
        // 32-bit integers: a number, or a string holding one.
        _ => &["number", "string"],
    }
}

fn shape(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
