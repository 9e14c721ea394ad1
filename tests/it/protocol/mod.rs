//! Protocol tests: Connect GET, gzip both ways, deadlines, codecs (binary and JSON answering
//! alike, mismatched bodies, errors staying JSON), unimplemented methods, CORS and the exported
//! contract. The helpers here build binary requests through the contract's own descriptors;
//! calls go through `support::Client`.

mod codecs;
mod compression;
mod cors;
mod deadlines;
mod export;
mod get;

use crate::support::{Client, Reply, TestServer, SERVICE};
use gitpod_mock::contract::Contract;
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

/// A Connect GET of a method with a raw query string.
pub async fn get(server: &Client, method: &str, query: &str) -> Reply {
    let line = format!("GET {SERVICE}/{method}?{query}");
    server.request(&line, &[], "").await
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

/// Asserts a Connect error reply by status, code and a part of its message.
#[track_caller]
pub fn assert_connect_error(reply: &Reply, status: u16, code: &str, contains: &str) {
    let body = String::from_utf8_lossy(&reply.body);
    assert_eq!(reply.status, status, "{body}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{body}"
    );
    assert_eq!(reply.code(), code, "{body}");
    assert!(
        reply.message().contains(contains),
        "{contains:?} not in {body}"
    );
}
