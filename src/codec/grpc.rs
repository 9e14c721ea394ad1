//! gRPC and gRPC-Web framing of a unary call, as the gRPC over HTTP/2 and gRPC-Web
//! specifications and connect-go have it: the 5-byte envelope, `grpc-timeout`, and the status
//! (`grpc-status`, a percent-encoded `grpc-message`, and `grpc-status-details-bin` holding a
//! `google.rpc.Status` with the error's details), which gRPC-Web sends in a trailer frame; and
//! the end-of-stream frame of Connect's streaming protocol, which shares the envelope.

use super::compression::Compression;
use super::headers::names;
use crate::error::{Code, RpcError};
use base64::Engine;
use bytes::{BufMut, Bytes};
use http::{HeaderMap, HeaderValue};
use std::time::Duration;

/// The envelope flag of a compressed message.
const FLAG_COMPRESSED: u8 = 0b0000_0001;
/// The envelope flag of gRPC-Web's trailer frame.
const FLAG_TRAILERS: u8 = 0b1000_0000;
/// The envelope flag of the Connect streaming protocol's end-of-stream frame.
const FLAG_END_STREAM: u8 = 0b0000_0010;

/// `google.rpc.Status`, the message `grpc-status-details-bin` carries.
#[derive(Clone, PartialEq, prost::Message)]
struct Status {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<Any>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
struct Any {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// The gRPC status number of a code: the codes are numbered as gRPC numbers them, 0 being OK.
pub fn status_number(code: Code) -> u32 {
    Code::all()
        .position(|c| c == code)
        .map_or(2, |at| at as u32 + 1)
}

/// `grpc-timeout`: at most 8 ASCII digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`). A timeout
/// too long to matter is none, as connect-go and grpc-go take it.
pub fn timeout(headers: &HeaderMap) -> Result<Option<Duration>, RpcError> {
    let Some(value) = headers.get(&names::GRPC_TIMEOUT) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let invalid = |why: &str| {
        RpcError::invalid_argument(format!(
            "grpc-timeout {text:?} {why}: send at most 8 digits and a unit, H, M, S, m, u or n"
        ))
    };
    let Some(unit) = text.chars().last() else {
        return Err(invalid("is empty"));
    };
    let digits = &text[..text.len() - unit.len_utf8()];
    let per_unit = match unit {
        'H' => Duration::from_secs(3600),
        'M' => Duration::from_secs(60),
        'S' => Duration::from_secs(1),
        'm' => Duration::from_millis(1),
        'u' => Duration::from_micros(1),
        'n' => Duration::from_nanos(1),
        _ => return Err(invalid("has no valid unit")),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("is not a number"));
    }
    if digits.len() > 8 {
        return Err(invalid("is too long"));
    }
    let n: u32 = digits.parse().map_err(|_| invalid("is not a number"))?;
    Ok(per_unit.checked_mul(n))
}

/// The one message of a unary request body: exactly one envelope, decompressed with the
/// request's `grpc-encoding` when its flag says so, within `limit` bytes.
pub fn unframe(body: &[u8], compression: Compression, limit: usize) -> Result<Bytes, RpcError> {
    let Some((flags, message, rest)) = envelope(body)? else {
        return Err(cardinality("zero"));
    };
    if !rest.is_empty() {
        // A broken second envelope is reported as such, as connect-go reads it.
        envelope(rest)?;
        return Err(cardinality("multiple"));
    }
    if flags & !FLAG_COMPRESSED != 0 {
        return Err(RpcError::invalid_argument(format!(
            "protocol error: invalid envelope flags {flags:#04x} on a request message"
        )));
    }
    let message = Bytes::copy_from_slice(message);
    if flags & FLAG_COMPRESSED == 0 || message.is_empty() {
        return Ok(message);
    }
    if compression == Compression::Identity {
        return Err(RpcError::invalid_argument(
            "protocol error: sent compressed message without compression support (no grpc-encoding)",
        ));
    }
    compression.decompress(message, limit)
}

/// An envelope's flags and message, and the bytes that follow it.
pub type Envelope<'a> = (u8, &'a [u8], &'a [u8]);

/// The first envelope of `body`; None for an empty body.
pub fn envelope(body: &[u8]) -> Result<Option<Envelope<'_>>, RpcError> {
    if body.is_empty() {
        return Ok(None);
    }
    let Some((prefix, rest)) = body.split_first_chunk::<5>() else {
        return Err(RpcError::invalid_argument(format!(
            "protocol error: incomplete envelope: {} of its 5 prefix bytes",
            body.len()
        )));
    };
    let size = u32::from_be_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]) as usize;
    if rest.len() < size {
        return Err(RpcError::invalid_argument(format!(
            "protocol error: promised {size} bytes in enveloped message, got {} bytes",
            rest.len()
        )));
    }
    let (message, rest) = rest.split_at(size);
    Ok(Some((prefix[0], message, rest)))
}

/// The error for a unary request with no message or with more than one: gRPC calls it a
/// cardinality violation, whose code is unimplemented.
fn cardinality(how_many: &str) -> RpcError {
    RpcError::new(
        Code::Unimplemented,
        format!("unary request has {how_many} messages"),
    )
}

/// A message in its envelope, compressed (and flagged so) unless `compression` is identity.
pub fn frame(message: Vec<u8>, compression: Compression) -> Vec<u8> {
    match compression {
        Compression::Identity => envelop(0, &message),
        _ => envelop(FLAG_COMPRESSED, &compression.compress(message)),
    }
}

/// The frame that ends a Connect stream: `{}` for success, or `{"error": …}` holding the error
/// as a unary Connect error body has it. Its HTTP status stays 200 either way.
pub fn end_stream(error: Option<&RpcError>) -> Vec<u8> {
    let Some(error) = error else {
        return envelop(FLAG_END_STREAM, b"{}");
    };
    let error = error.to_json_bytes();
    let mut message = Vec::with_capacity(error.len() + 10);
    message.extend_from_slice(b"{\"error\":");
    message.extend_from_slice(&error);
    message.push(b'}');
    envelop(FLAG_END_STREAM, &message)
}

fn envelop(flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + payload.len());
    out.put_u8(flags);
    out.put_u32(payload.len() as u32);
    out.extend_from_slice(payload);
    out
}

/// The status of a call: `grpc-status` 0 for success, or the error's code, message and details.
pub fn status(error: Option<&RpcError>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Some(e) = error else {
        headers.insert(names::GRPC_STATUS.clone(), HeaderValue::from_static("0"));
        return headers;
    };
    let number = status_number(e.code);
    headers.insert(names::GRPC_STATUS.clone(), HeaderValue::from(number));
    if let Ok(message) = HeaderValue::from_str(&percent_encode(&e.message)) {
        headers.insert(names::GRPC_MESSAGE.clone(), message);
    }
    let status = Status {
        code: number as i32,
        message: e.message.clone(),
        details: e
            .details
            .iter()
            .map(|d| Any {
                type_url: format!("type.googleapis.com/{}", d.type_name),
                value: d.value.clone(),
            })
            .collect(),
    };
    let bin = base64::engine::general_purpose::STANDARD_NO_PAD
        .encode(prost::Message::encode_to_vec(&status));
    if let Ok(bin) = HeaderValue::from_str(&bin) {
        headers.insert(names::GRPC_STATUS_DETAILS_BIN.clone(), bin);
    }
    headers
}

/// gRPC-Web's trailer frame: the status as HTTP/1 header lines, names in lower case.
pub fn web_trailers(status: &HeaderMap) -> Vec<u8> {
    let mut block = Vec::new();
    for (name, value) in status {
        block.extend_from_slice(name.as_str().as_bytes());
        block.extend_from_slice(b": ");
        block.extend_from_slice(value.as_bytes());
        block.extend_from_slice(b"\r\n");
    }
    envelop(FLAG_TRAILERS, &block)
}

/// `grpc-message` encoding: bytes outside printable ASCII, and `%`, as `%XX`.
fn percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for byte in message.bytes() {
        if (b' '..=b'~').contains(&byte) && byte != b'%' {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorDetail;

    fn headers(timeout: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("grpc-timeout", HeaderValue::from_str(timeout).unwrap());
        h
    }

    #[test]
    fn a_connect_stream_ends_with_its_error_in_a_flagged_json_frame() {
        assert_eq!(end_stream(None), [2, 0, 0, 0, 2, b'{', b'}']);
        let frame = end_stream(Some(&RpcError::not_found("no such thing")));
        assert_eq!((frame[0], frame.len() - 5), (2, promised(&frame)));
        let message: serde_json::Value = serde_json::from_slice(&frame[5..]).unwrap();
        assert_eq!(
            message,
            serde_json::json!({"error": {"code": "not_found", "message": "no such thing"}})
        );
    }

    fn promised(frame: &[u8]) -> usize {
        u32::from_be_bytes([frame[1], frame[2], frame[3], frame[4]]) as usize
    }

    #[test]
    fn timeouts_follow_the_specifications_grammar() {
        let ok = |t: &str| timeout(&headers(t)).unwrap();
        assert_eq!(ok("1S"), Some(Duration::from_secs(1)));
        assert_eq!(ok("250m"), Some(Duration::from_millis(250)));
        assert_eq!(ok("99999999n"), Some(Duration::from_nanos(99_999_999)));
        assert_eq!(ok("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(timeout(&HeaderMap::new()).unwrap(), None);
        for bad in ["", "S", "10", "10s", "-1S", "1.5S", "123456789m", "١S"] {
            let e = timeout(&headers(bad)).unwrap_err();
            assert_eq!(e.code, Code::InvalidArgument, "{bad:?}");
            assert!(e.message.contains(&format!("{bad:?}")), "{}", e.message);
        }
    }

    #[test]
    fn a_unary_body_holds_exactly_one_envelope() {
        let one = envelop(0, b"\x08\x01");
        assert_eq!(
            &unframe(&one, Compression::Identity, 100).unwrap()[..],
            b"\x08\x01"
        );
        let empty = envelop(0, b"");
        assert!(unframe(&empty, Compression::Identity, 100)
            .unwrap()
            .is_empty());
        let message = |body: &[u8]| unframe(body, Compression::Identity, 100).unwrap_err();
        let zero = message(b"");
        assert_eq!(
            (zero.code, zero.message.as_str()),
            (Code::Unimplemented, "unary request has zero messages")
        );
        let two = message(&[one.clone(), one.clone()].concat());
        assert_eq!(
            (two.code, two.message.as_str()),
            (Code::Unimplemented, "unary request has multiple messages")
        );
        let short = message(&one[..6]);
        assert_eq!(
            short.message,
            "protocol error: promised 2 bytes in enveloped message, got 1 bytes"
        );
        assert_eq!(message(&one[..3]).code, Code::InvalidArgument);
        let compressed_without_encoding = message(&envelop(FLAG_COMPRESSED, b"xx"));
        assert!(compressed_without_encoding
            .message
            .contains("without compression support"));
        let trailer_flag = message(&envelop(FLAG_TRAILERS, b""));
        assert!(
            trailer_flag.message.contains("flags 0x80"),
            "{}",
            trailer_flag.message
        );
    }

    #[test]
    fn compressed_frames_round_trip() {
        let framed = frame(b"hello hello hello".to_vec(), Compression::Gzip);
        assert_eq!(framed[0], FLAG_COMPRESSED);
        let back = unframe(&framed, Compression::Gzip, 100).unwrap();
        assert_eq!(&back[..], b"hello hello hello");
    }

    #[test]
    fn an_errors_status_carries_its_code_message_and_details() {
        let e = RpcError::invalid_argument("bad 100% ✓\n").with_detail(ErrorDetail {
            type_name: "buf.validate.Violations".into(),
            value: vec![1, 2, 3],
            debug: None,
        });
        let status = status(Some(&e));
        assert_eq!(status["grpc-status"], "3");
        assert_eq!(status["grpc-message"], "bad 100%25 %E2%9C%93%0A");
        let bin = status["grpc-status-details-bin"].to_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(bin)
            .unwrap();
        let decoded = <Status as prost::Message>::decode(&bytes[..]).unwrap();
        assert_eq!(
            (decoded.code, decoded.message.as_str()),
            (3, "bad 100% ✓\n")
        );
        assert_eq!(
            decoded.details[0].type_url,
            "type.googleapis.com/buf.validate.Violations"
        );
        assert_eq!(decoded.details[0].value, vec![1, 2, 3]);
        let trailer = web_trailers(&status);
        assert_eq!(trailer[0], FLAG_TRAILERS);
        assert!(std::str::from_utf8(&trailer[5..])
            .unwrap()
            .starts_with("grpc-status: 3\r\n"));
    }

    #[test]
    fn codes_number_as_grpc_numbers_them() {
        // The gRPC status codes table (doc/statuscodes.md), written out.
        let grpc = [
            ("canceled", 1),
            ("unknown", 2),
            ("invalid_argument", 3),
            ("deadline_exceeded", 4),
            ("not_found", 5),
            ("already_exists", 6),
            ("permission_denied", 7),
            ("resource_exhausted", 8),
            ("failed_precondition", 9),
            ("aborted", 10),
            ("out_of_range", 11),
            ("unimplemented", 12),
            ("internal", 13),
            ("unavailable", 14),
            ("data_loss", 15),
            ("unauthenticated", 16),
        ];
        assert_eq!(Code::all().count(), grpc.len());
        for (name, number) in grpc {
            let code = Code::from_name(name).unwrap();
            assert_eq!(status_number(code), number, "{name}");
        }
    }
}
