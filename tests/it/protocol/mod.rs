//! Protocol tests: Connect GET, gzip both ways, deadlines, codecs (binary and JSON answering
//! alike, mismatched bodies, errors staying JSON), unimplemented methods, CORS and the exported
//! contract. The helpers here build binary requests through the contract's own descriptors.

mod codecs;
mod compression;
mod cors;
mod deadlines;
mod export;
mod get;

use crate::support::{Reply, TestServer, SERVICE};
use bytes::Bytes;
use gitpod_mock::contract::Contract;
use http::Request;
use http_body_util::Full;
use prost::Message;
use prost_reflect::DynamicMessage;
use serde_json::Value;
use std::io::{Read, Write};

fn contract() -> &'static Contract {
    static CONTRACT: std::sync::OnceLock<Contract> = std::sync::OnceLock::new();
    CONTRACT.get_or_init(Contract::load)
}

/// The binary encoding of a request given as proto3 JSON.
pub fn proto_request(method: &str, json: Value) -> Vec<u8> {
    let desc = contract().procedure(method).unwrap().input.clone();
    DynamicMessage::deserialize(desc, json)
        .unwrap()
        .encode_to_vec()
}

/// A binary response decoded into proto3 JSON (defaults left out).
pub fn proto_response(method: &str, bytes: &[u8]) -> Value {
    let desc = contract().procedure(method).unwrap().output.clone();
    let message = DynamicMessage::decode(desc, bytes).unwrap();
    serde_json::to_value(&message).unwrap()
}

/// A JSON response read through the message type, so it compares with `proto_response`.
pub fn json_response(method: &str, bytes: &[u8]) -> Value {
    let desc = contract().procedure(method).unwrap().output.clone();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let message = DynamicMessage::deserialize(desc, &mut de).unwrap();
    serde_json::to_value(&message).unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

pub fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// POSTs `body` to a method with a content type and extra headers.
pub async fn post(
    server: &TestServer,
    method: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Reply {
    let mut request = Request::post(server.url(&format!("{SERVICE}/{method}")))
        .header("content-type", content_type);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    server
        .send(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
}

/// Sends a request with any HTTP method, path and headers, and no body.
pub async fn bare(
    server: &TestServer,
    http_method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = Request::builder().method(http_method).uri(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    server
        .send(request.body(Full::new(Bytes::new())).unwrap())
        .await
}

/// A Connect GET of a method with a raw query string.
pub async fn get(server: &TestServer, method: &str, query: &str) -> Reply {
    bare(server, "GET", &format!("{SERVICE}/{method}?{query}"), &[]).await
}

/// Percent-encodes everything but unreserved characters.
pub fn urlencode(data: &[u8]) -> String {
    data.iter()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (*b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn base64url(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

pub fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply.headers.get(name).map(|v| v.to_str().unwrap())
}

/// Asserts a Connect error reply by status, code and a part of its message.
#[track_caller]
pub fn assert_connect_error(reply: &Reply, status: u16, code: &str, contains: &str) {
    let body = String::from_utf8_lossy(&reply.body);
    assert_eq!(reply.status, status, "{body}");
    assert_eq!(
        header(reply, "content-type"),
        Some("application/json"),
        "{body}"
    );
    assert_eq!(reply.code(), code, "{body}");
    assert!(
        reply.message().contains(contains),
        "{contains:?} not in {body}"
    );
}

/// A reply's body as text, for failure messages.
pub fn body_text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}
