//! The Connect protocol's share of the OpenAPI document: the error answers every operation may
//! give (with the headers the server sends along), the Connect request headers and the query
//! parameters of a Connect GET.

use crate::codec::compression::ACCEPTED;
use crate::error::Code;
use serde_json::{json, Map, Value};

/// An error answer: its HTTP status, component name, what it means, the headers the server
/// adds to it, and whether only POST calls can get it.
pub(super) struct ErrorResponse {
    pub status: u16,
    pub name: &'static str,
    description: &'static str,
    /// (header, description, its value when the server always sends the same)
    headers: &'static [(&'static str, &'static str, Option<&'static str>)],
    pub post_only: bool,
}

const fn error(status: u16, name: &'static str, description: &'static str) -> ErrorResponse {
    ErrorResponse {
        status,
        name,
        description,
        headers: &[],
        post_only: false,
    }
}

/// Every error answer an operation may give, in status order.
pub(super) const ERROR_RESPONSES: &[ErrorResponse] = &[
    error(400, "InvalidArgument", "invalid_argument (the request breaks the contract's rules; details carry buf.validate.Violations), failed_precondition or out_of_range"),
    error(401, "Unauthenticated", "unauthenticated: no valid bearer token"),
    error(403, "PermissionDenied", "permission_denied: the token may not do this"),
    error(404, "NotFound", "not_found: no record has this id"),
    ErrorResponse {
        headers: &[("Allow", "The HTTP methods the path takes: POST, and GET for methods without side effects.", None)],
        ..error(405, "MethodNotAllowed", "The path was called with an HTTP method it does not take (any method but those listed for it): code unknown, as Connect clients read a 405")
    },
    error(409, "Conflict", "already_exists or aborted"),
    ErrorResponse {
        headers: &[("Accept-Post", "The content types a POST may carry.", Some(crate::codec::headers::ACCEPTED_CONTENT_TYPES))],
        post_only: true,
        ..error(415, "UnsupportedMediaType", "The POST body's Content-Type is none of Connect's, gRPC's or gRPC-Web's (or is missing): code unknown, as Connect clients read a 415")
    },
    error(429, "ResourceExhausted", "resource_exhausted: rate limited, a limit reached, or a body over --max-body-bytes"),
    error(500, "Internal", "internal, unknown or data_loss"),
    ErrorResponse {
        headers: &[("Accept-Encoding", "Sent with an unsupported Content-Encoding or compression parameter: the compressions the server takes, as connect-go sends it.", Some(ACCEPTED))],
        ..error(501, "Unimplemented", "unimplemented: the method, or the request's compression, is not supported")
    },
    error(503, "Unavailable", "unavailable: try again later"),
    error(504, "DeadlineExceeded", "deadline_exceeded: the call ran past its Connect-Timeout-Ms"),
];

/// `components.responses`: one per error answer, each a Connect JSON error.
pub(super) fn responses() -> Map<String, Value> {
    ERROR_RESPONSES
        .iter()
        .map(|e| {
            let mut response = json!({
                "description": e.description,
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ConnectError" } } },
            });
            if !e.headers.is_empty() {
                let headers: Map<String, Value> = e
                    .headers
                    .iter()
                    .map(|(name, description, value)| {
                        let schema = match value {
                            Some(value) => json!({ "type": "string", "const": value }),
                            None => json!({ "type": "string" }),
                        };
                        (
                            name.to_string(),
                            json!({ "description": description, "schema": schema }),
                        )
                    })
                    .collect();
                response["headers"] = Value::Object(headers);
            }
            (e.name.to_string(), response)
        })
        .collect()
}

/// `components.parameters`: the Connect headers and the GET query parameters shared by every
/// operation. The GET `message` parameter is per operation (its content is the request schema).
pub(super) fn parameters() -> Value {
    let header = |name: &str, description: &str, schema: Value| json!({ "name": name, "in": "header", "required": false, "description": description, "schema": schema });
    let query = |name: &str, description: &str, schema: Value| json!({ "name": name, "in": "query", "required": true, "description": description, "schema": schema });
    json!({
        "ConnectProtocolVersion": header("Connect-Protocol-Version", "The Connect protocol version; optional for unary calls, and 1 when sent.", json!({ "type": "string", "enum": ["1"] })),
        "ConnectTimeoutMs": header("Connect-Timeout-Ms", "The call's deadline in milliseconds, a positive integer of at most 10 digits; past it the answer is deadline_exceeded.", json!({ "type": "string", "pattern": "^0*[1-9][0-9]*$", "maxLength": 10 })),
        // A generated body is never compressed, so only identity is described.
        "ContentEncoding": header("Content-Encoding", "How the request body is compressed. The server also takes gzip, with a gzip-compressed body, which OpenAPI has no way to describe; any other encoding is unimplemented.", json!({ "type": "string", "enum": ["identity", ""] })),
        "AcceptEncoding": header("Accept-Encoding", "Compressions the client accepts for the response (gzip is used when listed).", json!({ "type": "string" })),
        "ConnectQuery": query("connect", "The Connect protocol version of a GET call.", json!({ "type": "string", "enum": ["v1"] })),
        "EncodingQuery": query("encoding", "The codec of the message parameter. This document describes the JSON form; the server also takes encoding=proto with base64=1 and a base64 protobuf message, optionally compressed (compression=gzip).", json!({ "type": "string", "enum": ["json"] })),
    })
}

pub(super) fn connect_error_schema() -> Value {
    let codes: Vec<&str> = Code::all().map(Code::as_str).collect();
    json!({
        "type": "object",
        "title": "Connect error",
        "description": "The Connect protocol's unary error body.",
        "required": ["code"],
        "properties": {
            "code": { "type": "string", "enum": codes },
            "message": { "type": "string" },
            "details": { "type": "array", "items": { "$ref": "#/components/schemas/ConnectErrorDetail" } },
        },
        "example": { "code": "not_found", "message": "SCM integration d2c94c27-3b76-4a42-b88c-95a85e392c68 not found" },
    })
}

pub(super) fn connect_error_detail_schema() -> Value {
    json!({
        "type": "object",
        "required": ["type", "value"],
        "properties": {
            "type": { "type": "string", "description": "The detail's protobuf message name, e.g. buf.validate.Violations." },
            "value": { "type": "string", "contentEncoding": "base64", "description": "The detail message, protobuf-encoded, in unpadded base64." },
            "debug": { "description": "The detail in proto3 JSON, for humans." },
        },
    })
}
