//! The one pipeline every call runs through: route, check protocol headers, read the body,
//! decode, apply query overrides, validate, handle, encode. Each step returns
//! `Result<_, RpcError>`; `http` turns the outcome into a response.

use crate::app::{App, Endpoint};
use crate::codec::{self, Encoding};
use crate::contract::Violation;
use crate::error::{Code, ErrorDetail, RpcError};
use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::Value;

/// The parts of an HTTP request the pipeline reads.
pub struct Call<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
}

/// A successful answer: the encoded body and its content type.
pub struct Reply {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// Strips the `/api` prefix the SDKs' default base URL carries.
pub fn route_path(path: &str) -> &str {
    path.strip_prefix("/api")
        .filter(|rest| rest.starts_with('/'))
        .unwrap_or(path)
}

/// Finds the endpoint for a POST and checks the headers, before any body is read.
pub fn accept<'a>(app: &'a App, call: &Call<'_>) -> Result<(&'a Endpoint, Encoding), RpcError> {
    let path = route_path(call.path);
    let endpoint = app.endpoint(path).ok_or_else(|| {
        RpcError::new(
            Code::Unimplemented,
            format!("{path} is not a procedure of {}", crate::contract::SERVICE),
        )
        .with_status(404)
    })?;
    if call.method != Method::POST {
        return Err(RpcError::new(
            Code::Unknown,
            format!(
                "HTTP method {} is not allowed on {path}: use POST",
                call.method
            ),
        )
        .with_status(405)
        .with_header("allow", "POST"));
    }
    if let Some(version) = call.headers.get("connect-protocol-version") {
        if version.as_bytes() != b"1" {
            let got = String::from_utf8_lossy(version.as_bytes());
            return Err(RpcError::invalid_argument(format!(
                "connect-protocol-version must be \"1\": got {got:?}"
            )));
        }
    }
    let content_type = call
        .headers
        .get(http::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let encoding = content_type.as_deref().and_then(Encoding::from_content_type).ok_or_else(|| {
        let got = content_type.as_deref().unwrap_or("none");
        RpcError::new(Code::Unknown, format!("content type {got:?} is not supported: use application/json or application/proto"))
            .with_status(415)
            .with_header("accept-post", "application/json, application/proto")
    })?;
    if endpoint.handler.is_none() {
        return Err(RpcError::new(
            Code::Unimplemented,
            format!("gitpod-mock does not cover {} yet: the method exists in the real service but is not in the documented API", endpoint.procedure.name),
        ));
    }
    Ok((endpoint, encoding))
}

/// Runs a call whose body has been read: decode, override, validate, handle, encode.
pub fn execute(
    app: &App,
    endpoint: &Endpoint,
    encoding: Encoding,
    query: Option<&str>,
    body: &Bytes,
) -> Result<Reply, RpcError> {
    let procedure = &endpoint.procedure;
    let message = codec::decode(&procedure.input, encoding, body, app.settings.strict)?;
    let mut request = codec::canonical(&message);
    apply_query_pagination(&mut request, procedure, query)?;
    if let Err(violations) = app.contract.validate_request(&procedure.input, &request) {
        return Err(validation_error(app, &violations));
    }
    let handler = endpoint
        .handler
        .expect("accept() refuses endpoints without a handler");
    let response = app.with_state(|state| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(state, &request)))
            .unwrap_or_else(|_| {
                Err(RpcError::internal(format!(
                    "the mock's {} handler failed; this is a gitpod-mock bug",
                    procedure.name
                )))
            })
    })?;
    let body = codec::encode(&procedure.output, encoding, response)?;
    Ok(Reply {
        content_type: encoding.content_type(),
        body,
    })
}

/// The SDKs send `token` and `pageSize` as query parameters on List calls; they override the
/// body's pagination, and are then validated like the body.
fn apply_query_pagination(
    request: &mut Value,
    procedure: &crate::contract::Procedure,
    query: Option<&str>,
) -> Result<(), RpcError> {
    let Some(query) = query else { return Ok(()) };
    if procedure.input.get_field_by_name("pagination").is_none() {
        return Ok(());
    }
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        let pagination = request
            .as_object_mut()
            .expect("canonical requests are objects")
            .entry("pagination")
            .or_insert_with(|| serde_json::json!({"pageSize": 0, "token": ""}));
        match key {
            "token" => pagination["token"] = Value::String(value),
            "pageSize" | "page_size" => {
                let size: i64 = value.parse().map_err(|_| {
                    RpcError::invalid_argument(format!(
                        "query parameter pageSize must be an integer, got {value:?}"
                    ))
                })?;
                pagination["pageSize"] = size.into();
            }
            _ => {}
        }
    }
    Ok(())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `invalid_argument` in the protovalidate style, with a `buf.validate.Violations` detail.
fn validation_error(app: &App, violations: &[Violation]) -> RpcError {
    let lines: Vec<String> = violations
        .iter()
        .map(|v| {
            if v.field_path.is_empty() {
                v.message.clone()
            } else {
                format!("{}: {}", v.field_path, v.message)
            }
        })
        .collect();
    let message = match lines.as_slice() {
        [one] => format!("validation error: {one}"),
        many => format!("validation error:\n - {}", many.join("\n - ")),
    };
    let detail = Violation::to_message(&app.contract, violations);
    use prost::Message;
    RpcError::invalid_argument(message).with_detail(ErrorDetail {
        type_name: "buf.validate.Violations".into(),
        value: detail.encode_to_vec(),
        debug: serde_json::to_value(&detail).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_prefix_is_stripped_only_as_a_whole_segment() {
        assert_eq!(route_path("/api/gitpod.v1.X/Y"), "/gitpod.v1.X/Y");
        assert_eq!(route_path("/apix/Y"), "/apix/Y");
        assert_eq!(route_path("/gitpod.v1.X/Y"), "/gitpod.v1.X/Y");
    }

    #[test]
    fn percent_decoding_handles_escapes_and_stray_percents() {
        assert_eq!(percent_decode("a%3Db"), "a=b");
        assert_eq!(percent_decode("a+b"), "a b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
