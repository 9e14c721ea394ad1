//! Connect unary compression: which encodings the mock speaks (`gzip`, `identity`), reading a
//! compressed request within the body limit, and compressing a response when the client asks.

use crate::error::{Code, RpcError};
use bytes::Bytes;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use std::io::{Read, Write};

/// The names clients may use, as listed in `unimplemented` errors.
pub const SUPPORTED: &str = "gzip, identity";

/// The `Accept-Encoding` an unsupported-compression error carries: the compressions the server
/// has, as connect-go lists its registered ones (identity needs no registration, so it is not
/// named).
pub const ACCEPTED: &str = "gzip";

/// A body encoding the mock understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Identity,
    Gzip,
}

impl Compression {
    /// The encoding named by `Content-Encoding` or the GET `compression` parameter. `what` names
    /// where the name came from, for the error message.
    pub fn from_name(name: &str, what: &str) -> Result<Compression, RpcError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Ok(Compression::Identity),
            "gzip" => Ok(Compression::Gzip),
            _ => Err(RpcError::new(
                Code::Unimplemented,
                format!("{what} {name:?} is not supported: supported encodings are {SUPPORTED}"),
            )
            .with_header("accept-encoding", ACCEPTED)),
        }
    }

    /// The response encoding for an `Accept-Encoding` header: gzip when it is listed without
    /// `q=0` (or a `*` allows it), identity otherwise. Unknown encodings are simply not chosen.
    pub fn negotiate(accept_encoding: Option<&str>) -> Compression {
        let Some(header) = accept_encoding else {
            return Compression::Identity;
        };
        let accepts = |wanted: &str| {
            header.split(',').any(|item| {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                name.eq_ignore_ascii_case(wanted) && !refused
            })
        };
        if accepts("gzip") || (accepts("*") && !header.to_ascii_lowercase().contains("gzip")) {
            Compression::Gzip
        } else {
            Compression::Identity
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::Identity => "identity",
            Compression::Gzip => "gzip",
        }
    }

    /// Decompresses a request message. The result may not exceed `limit` bytes: decompression
    /// stops one byte past it, so a gzip bomb costs at most `limit` bytes of memory.
    pub fn decompress(self, data: Bytes, limit: usize) -> Result<Bytes, RpcError> {
        match self {
            // An empty body stays empty whatever its encoding, as in connect-go.
            _ if data.is_empty() => Ok(data),
            Compression::Identity => Ok(data),
            Compression::Gzip => {
                let mut out = Vec::new();
                GzDecoder::new(&data[..])
                    .take(limit as u64 + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| {
                        RpcError::invalid_argument(format!(
                            "the gzip-compressed request message is corrupt: {e}"
                        ))
                    })?;
                if out.len() > limit {
                    return Err(RpcError::new(
                        Code::ResourceExhausted,
                        format!(
                            "the gzip-compressed request message decompresses to more than the limit of {limit} bytes (see --max-body-bytes)"
                        ),
                    ));
                }
                Ok(Bytes::from(out))
            }
        }
    }

    /// Compresses a response body.
    pub fn compress(self, data: Vec<u8>) -> Vec<u8> {
        match self {
            Compression::Identity => data,
            Compression::Gzip => {
                let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
                encoder
                    .write_all(&data)
                    .and_then(|()| encoder.finish())
                    .expect("writing to a Vec cannot fail")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_unknown_ones_list_the_supported() {
        assert_eq!(
            Compression::from_name("GZIP", "x").unwrap(),
            Compression::Gzip
        );
        assert_eq!(
            Compression::from_name("identity", "x").unwrap(),
            Compression::Identity
        );
        let err = Compression::from_name("br", "content encoding").unwrap_err();
        assert_eq!(err.code, Code::Unimplemented);
        assert_eq!(err.headers, vec![("accept-encoding", "gzip".to_string())]);
        assert_eq!(
            err.message,
            "content encoding \"br\" is not supported: supported encodings are gzip, identity"
        );
    }

    #[test]
    fn accept_encoding_picks_gzip_unless_refused() {
        let pick = |h: &str| Compression::negotiate(Some(h));
        assert_eq!(pick("gzip, deflate, br"), Compression::Gzip);
        assert_eq!(pick("br;q=1.0, GZip;q=0.5"), Compression::Gzip);
        assert_eq!(pick("gzip;q=0"), Compression::Identity);
        assert_eq!(pick("br, zstd"), Compression::Identity);
        assert_eq!(pick("*"), Compression::Gzip);
        assert_eq!(pick("*, gzip;q=0"), Compression::Identity);
        assert_eq!(Compression::negotiate(None), Compression::Identity);
    }

    #[test]
    fn gzip_round_trips_and_bombs_stop_at_the_limit() {
        let data = vec![b'a'; 10_000];
        let packed = Compression::Gzip.compress(data.clone());
        assert!(packed.len() < 200, "{}", packed.len());
        assert_eq!(
            Compression::Gzip
                .decompress(packed.clone().into(), 10_000)
                .unwrap(),
            data
        );
        let err = Compression::Gzip
            .decompress(packed.into(), 9_999)
            .unwrap_err();
        assert_eq!(err.code, Code::ResourceExhausted);
        assert!(Compression::Gzip
            .decompress(Bytes::new(), 100)
            .unwrap()
            .is_empty());
        let err = Compression::Gzip
            .decompress(Bytes::from_static(b"not gzip"), 100)
            .unwrap_err();
        assert_eq!(err.code, Code::InvalidArgument);
        assert!(err.message.contains("corrupt"), "{}", err.message);
    }
}
