//! The Connect request headers of a unary call, and the content types of every protocol: the protocol version, the codec and
//! compression of a POST body, and the deadline (`Connect-Timeout-Ms`), each read into a typed
//! value or an error that names the header and what it should be.

use super::compression::Compression;
use super::Encoding;
use crate::error::{Code, RpcError};
use http::{HeaderMap, HeaderName};
use std::time::Duration;

/// The protocol headers the call path reads and writes on every call, as names made once:
/// looking a header up by a `&str` parses and checks the name each time.
pub mod names {
    use http::HeaderName;

    pub static CONNECT_PROTOCOL_VERSION: HeaderName =
        HeaderName::from_static("connect-protocol-version");
    pub static CONNECT_TIMEOUT_MS: HeaderName = HeaderName::from_static("connect-timeout-ms");
    pub static GRPC_TIMEOUT: HeaderName = HeaderName::from_static("grpc-timeout");
    pub static GRPC_ENCODING: HeaderName = HeaderName::from_static("grpc-encoding");
    pub static GRPC_ACCEPT_ENCODING: HeaderName = HeaderName::from_static("grpc-accept-encoding");
    pub static GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
    pub static GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");
    pub static GRPC_STATUS_DETAILS_BIN: HeaderName =
        HeaderName::from_static("grpc-status-details-bin");
    pub static X_MOCK_SESSION: HeaderName = HeaderName::from_static("x-mock-session");
    pub static X_MOCK_SCENARIO: HeaderName = HeaderName::from_static("x-mock-scenario");
}

/// `Connect-Protocol-Version`: optional for unary calls, and `1` when sent.
pub fn protocol_version(headers: &HeaderMap) -> Result<(), RpcError> {
    match headers.get(&names::CONNECT_PROTOCOL_VERSION) {
        Some(version) if version.as_bytes() != b"1" => {
            let got = String::from_utf8_lossy(version.as_bytes());
            Err(RpcError::invalid_argument(format!(
                "connect-protocol-version must be \"1\": got {got:?}"
            )))
        }
        _ => Ok(()),
    }
}

/// The codec from `Content-Type` and the compression from `Content-Encoding` of a POST.
pub fn post_codec(headers: &HeaderMap) -> Result<(Encoding, Compression), RpcError> {
    let header = |name: HeaderName| {
        headers
            .get(name)
            .map(|v: &http::HeaderValue| String::from_utf8_lossy(v.as_bytes()))
    };
    let content_type = header(http::header::CONTENT_TYPE);
    let encoding = content_type
        .as_deref()
        .and_then(Encoding::from_content_type)
        .ok_or_else(|| unsupported_media_type(content_type.as_deref().unwrap_or("none")))?;
    let compression = match header(http::header::CONTENT_ENCODING) {
        Some(name) => Compression::from_name(&name, "content encoding")?,
        None => Compression::Identity,
    };
    Ok((encoding, compression))
}

/// Every content type a procedure accepts, over Connect, gRPC and gRPC-Web: a 415's
/// `Accept-Post`, as connect-go lists its handlers' types.
pub const ACCEPTED_CONTENT_TYPES: &str = "application/json, application/proto, \
    application/grpc, application/grpc+proto, application/grpc+json, application/grpc-web, \
    application/grpc-web+proto, application/grpc-web+json, application/grpc-web-text, \
    application/grpc-web-text+proto";

/// The 415 for a content type no protocol takes, listing those that are.
pub fn unsupported_media_type(content_type: &str) -> RpcError {
    RpcError::new(
        Code::Unknown,
        format!("content type {content_type:?} is not supported: use {ACCEPTED_CONTENT_TYPES}"),
    )
    .with_status(415)
    .with_header("accept-post", ACCEPTED_CONTENT_TYPES)
}

/// `Connect-Timeout-Ms`: a positive integer of at most 10 digits, in milliseconds.
pub fn timeout(headers: &HeaderMap) -> Result<Option<Duration>, RpcError> {
    let Some(value) = headers.get(&names::CONNECT_TIMEOUT_MS) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    let millis = Some(text)
        .filter(|t| (1..=10).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|ms| *ms > 0);
    match millis {
        Some(ms) => Ok(Some(Duration::from_millis(ms))),
        None => Err(RpcError::invalid_argument(format!(
            "connect-timeout-ms must be a positive integer of at most 10 digits: got {:?}",
            String::from_utf8_lossy(value.as_bytes())
        ))),
    }
}

/// The error a call gets when it runs past its `Connect-Timeout-Ms`.
pub fn deadline_exceeded(timeout: Duration) -> RpcError {
    RpcError::new(
        Code::DeadlineExceeded,
        format!(
            "the call did not finish within its connect-timeout-ms of {} ms",
            timeout.as_millis()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, value.parse().unwrap());
        headers
    }

    #[test]
    fn timeouts_are_positive_integers_of_at_most_ten_digits() {
        let ms = |v: &str| timeout(&with("connect-timeout-ms", v));
        assert_eq!(ms("1").unwrap(), Some(Duration::from_millis(1)));
        assert_eq!(
            ms("9999999999").unwrap(),
            Some(Duration::from_millis(9_999_999_999))
        );
        assert_eq!(timeout(&HeaderMap::new()).unwrap(), None);
        for bad in ["0", "-1", "+1", "1.5", "12345678901", "1e3", "abc", ""] {
            let err = ms(bad).unwrap_err();
            assert_eq!(err.code, Code::InvalidArgument, "{bad}");
            assert!(
                err.message.starts_with("connect-timeout-ms must be"),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn post_bodies_name_their_codec_and_compression() {
        let mut headers = with("content-type", "application/proto");
        headers.insert("content-encoding", "gzip".parse().unwrap());
        assert_eq!(
            post_codec(&headers).unwrap(),
            (Encoding::Proto, Compression::Gzip)
        );
        let err = post_codec(&with("content-type", "text/plain")).unwrap_err();
        assert_eq!(err.status(), 415);
        assert!(protocol_version(&with("connect-protocol-version", "1")).is_ok());
        assert!(protocol_version(&with("connect-protocol-version", "2")).is_err());
    }
}
