//! The Connect GET form of a unary call,
//! `?connect=v1&encoding=json|proto&message=…&base64=1&compression=…`: the query string
//! parsed into the codec, the compression and the (still compressed) message bytes.
//! Parameters may come in any order; unknown ones are ignored; the first of a repeated one wins.
//! Also the query parameters (`token`, `pageSize`) that SDK 0.x puts on POST List calls.

use super::compression::Compression;
use super::Encoding;
use crate::error::RpcError;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde_json::Value;

/// A GET request's message, as the query string carries it.
#[derive(Debug, PartialEq, Eq)]
pub struct GetMessage {
    pub encoding: Encoding,
    pub compression: Compression,
    /// The message bytes after percent- and base64-decoding; still compressed.
    pub message: Vec<u8>,
}

/// Reads the Connect GET parameters out of a query string.
pub fn parse(query: Option<&str>) -> Result<GetMessage, RpcError> {
    let pairs: Vec<(String, Vec<u8>)> = query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = String::from_utf8_lossy(&percent_decode(key)).into_owned();
            (key, percent_decode(value))
        })
        .collect();
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let text = |name: &str| get(name).map(|v| String::from_utf8_lossy(v).into_owned());
    let missing = |name: &str, hint: &str| {
        RpcError::invalid_argument(format!(
            "Connect GET request is missing the query parameter {name}: {hint}"
        ))
    };

    match text("connect").as_deref() {
        Some("v1") => {}
        Some(other) => {
            return Err(RpcError::invalid_argument(format!(
                "query parameter connect must be \"v1\": got {other:?}"
            )))
        }
        None => return Err(missing("connect", "add connect=v1")),
    }
    let encoding = match text("encoding").as_deref() {
        Some("json") => Encoding::Json,
        Some("proto") => Encoding::Proto,
        Some(other) => {
            return Err(RpcError::invalid_argument(format!(
                "query parameter encoding {other:?} is not supported: use json or proto"
            )))
        }
        None => return Err(missing("encoding", "add encoding=json or encoding=proto")),
    };
    let compression = match text("compression") {
        Some(name) => Compression::from_name(&name, "query parameter compression")?,
        None => Compression::Identity,
    };
    let raw = get("message")
        .ok_or_else(|| missing("message", "it carries the request message"))?
        .clone();
    let message = match text("base64").as_deref() {
        Some("1") => decode_base64(&raw)?,
        None | Some("0") | Some("") => raw,
        Some(other) => {
            return Err(RpcError::invalid_argument(format!(
                "query parameter base64 must be \"1\" (or absent): got {other:?}"
            )))
        }
    };
    Ok(GetMessage {
        encoding,
        compression,
        message,
    })
}

/// Decodes `%XX` escapes and `+` (a space, as in forms) into bytes; a stray `%` stays as is.
pub fn percent_decode(s: &str) -> Vec<u8> {
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
    out
}

/// The spec asks for URL-safe base64 with optional padding; the standard alphabet is accepted
/// too, including a `+` that arrived unescaped and so decoded to a space.
fn decode_base64(value: &[u8]) -> Result<Vec<u8>, RpcError> {
    let normal: Vec<u8> = value
        .iter()
        .map(|b| match b {
            b'-' => b'+',
            b'_' => b'/',
            b' ' => b'+',
            b => *b,
        })
        .collect();
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    engine.decode(normal).map_err(|e| {
        RpcError::invalid_argument(format!(
            "query parameter message is not valid base64 (base64=1): {e}"
        ))
    })
}

/// The SDKs send `token` and `pageSize` as query parameters on List calls; they override the
/// body's pagination, and are then validated like the body.
pub fn apply_query_pagination(
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
        let value = String::from_utf8_lossy(&percent_decode(value)).into_owned();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    fn message(query: &str) -> Result<GetMessage, RpcError> {
        parse(Some(query))
    }

    #[test]
    fn parameters_in_any_order_with_unknown_ones_ignored() {
        let a = message("connect=v1&encoding=json&message=%7B%22id%22%3A%22x%22%7D").unwrap();
        let b = message("cachebust=3&message=%7B%22id%22%3A%22x%22%7D&encoding=json&connect=v1")
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.message, br#"{"id":"x"}"#);
        assert_eq!(a.encoding, Encoding::Json);
        assert_eq!(a.compression, Compression::Identity);
    }

    #[test]
    fn base64_accepts_url_safe_standard_padded_and_unpadded() {
        for encoded in ["-_8", "-_8=", "%2B%2F8%3D", "+/8"] {
            let got = message(&format!(
                "connect=v1&encoding=proto&base64=1&message={encoded}"
            ))
            .unwrap();
            assert_eq!(got.message, vec![0xfb, 0xff], "{encoded}");
        }
        let err = message("connect=v1&encoding=proto&base64=1&message=%%%").unwrap_err();
        assert!(err.message.contains("not valid base64"), "{}", err.message);
    }

    #[test]
    fn missing_or_bad_parameters_name_the_problem() {
        let cases = [
            (
                "encoding=json&message=e30",
                "missing the query parameter connect",
            ),
            (
                "connect=v2&encoding=json&message=e30",
                "connect must be \"v1\"",
            ),
            (
                "connect=v1&message=e30",
                "missing the query parameter encoding",
            ),
            (
                "connect=v1&encoding=xml&message=e30",
                "\"xml\" is not supported",
            ),
            (
                "connect=v1&encoding=json",
                "missing the query parameter message",
            ),
            (
                "connect=v1&encoding=json&message=e30&base64=yes",
                "base64 must be",
            ),
        ];
        for (query, expected) in cases {
            let err = message(query).unwrap_err();
            assert_eq!(err.code, Code::InvalidArgument, "{query}");
            assert!(err.message.contains(expected), "{query}: {}", err.message);
        }
        assert!(parse(None).is_err());
        let err = message("connect=v1&encoding=json&message=e30&compression=br").unwrap_err();
        assert_eq!(err.code, Code::Unimplemented);
    }

    #[test]
    fn percent_decoding_handles_escapes_and_stray_percents() {
        assert_eq!(percent_decode("a%3Db"), b"a=b");
        assert_eq!(percent_decode("a+b"), b"a b");
        assert_eq!(percent_decode("100%"), b"100%");
        assert_eq!(percent_decode("%zz"), b"%zz");
        assert_eq!(percent_decode("%FF"), vec![0xff]);
    }
}
