//! CORS for local frontend development: which origins may call the mock from a browser,
//! answering preflights for the Connect headers, and the headers every cross-origin answer
//! carries so connect-web can read Connect and retry metadata.
//!
//! By default any origin is allowed when the server listens on a loopback address (a frontend
//! dev server on another localhost port), and none otherwise; `--cors-origin` (repeatable) or
//! `GITPOD_MOCK_CORS_ORIGINS` (comma-separated) lists the allowed origins instead, `*` for any.

use crate::error::{Code, RpcError};
use http::{HeaderMap, HeaderValue, Method};
use std::net::{IpAddr, ToSocketAddrs};

/// The origins whose browsers may call the mock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    Any,
    /// Exact origins such as `http://localhost:5173`, lowercased without a trailing slash.
    Only(Vec<String>),
}

impl Default for AllowedOrigins {
    /// Any origin: the default for a server on loopback, which is how tests embed the mock.
    fn default() -> Self {
        AllowedOrigins::Any
    }
}

/// Whether a listening address is loopback only (a name counts when every address it resolves
/// to is). CORS defaults and the control-plane token both follow it.
pub fn is_loopback_host(host: &str) -> bool {
    match host.trim_matches(['[', ']']).parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => (host, 0)
            .to_socket_addrs()
            .map(|mut addrs| addrs.all(|a| a.ip().is_loopback()))
            .unwrap_or(false),
    }
}

impl AllowedOrigins {
    /// The configured origins, or when there are none the default for `host`, the address
    /// the server listens on (a name counts as loopback when every address it resolves to is).
    pub fn for_host(configured: &[String], host: &str) -> AllowedOrigins {
        Self::resolve(configured, is_loopback_host(host))
    }

    /// The configured origins, or when there are none: any origin on loopback, none elsewhere.
    pub fn resolve(configured: &[String], loopback: bool) -> AllowedOrigins {
        let origins: Vec<String> = configured
            .iter()
            .map(|o| normalize(o))
            .filter(|o| !o.is_empty())
            .collect();
        if origins.iter().any(|o| o == "*") || (origins.is_empty() && loopback) {
            AllowedOrigins::Any
        } else {
            AllowedOrigins::Only(origins)
        }
    }

    pub fn allows(&self, origin: &str) -> bool {
        match self {
            AllowedOrigins::Any => true,
            AllowedOrigins::Only(list) => list.contains(&normalize(origin)),
        }
    }

    /// One line for the startup banner and errors.
    pub fn describe(&self) -> String {
        match self {
            AllowedOrigins::Any => "any origin".into(),
            AllowedOrigins::Only(list) if list.is_empty() => "no origin".into(),
            AllowedOrigins::Only(list) => list.join(", "),
        }
    }
}

fn normalize(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// Request headers a preflight may ask for: the Connect protocol's, auth, and the SDKs' own.
/// A name ending in `*` allows every header with that prefix.
const ALLOWED_HEADERS: &[&str] = &[
    "connect-protocol-version",
    "connect-timeout-ms",
    "connect-accept-encoding",
    "connect-content-encoding",
    "content-type",
    "content-encoding",
    "accept-encoding",
    "accept",
    "accept-language",
    "content-language",
    "authorization",
    "user-agent",
    "x-user-agent",
    "x-grpc-web",
    "grpc-timeout",
    "x-mock-*",
    "x-stainless-*",
];

/// Response headers a browser script may read besides the safelisted ones.
const EXPOSED_HEADERS: &str = "Grpc-Status, Grpc-Message, Grpc-Status-Details-Bin, \
    Connect-Content-Encoding, Connect-Accept-Encoding, Content-Encoding, Retry-After, \
    Retry-After-Ms, X-Should-Retry, X-Mock-Violations";

const ALLOWED_METHODS: &str = "POST, GET";

/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "7200";

fn header_allowed(name: &str) -> bool {
    ALLOWED_HEADERS
        .iter()
        .any(|allowed| match allowed.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == *allowed,
        })
}

/// A CORS preflight: `OPTIONS` with an `Origin` and `Access-Control-Request-Method`.
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(http::header::ORIGIN)
        && headers.contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The headers of a successful preflight answer, or `permission_denied` naming what is not
/// allowed: the origin, the method or a header.
pub fn preflight(
    allowed: &AllowedOrigins,
    headers: &HeaderMap,
) -> Result<Vec<(&'static str, String)>, RpcError> {
    let text = |name| {
        headers
            .get(name)
            .map(|v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default()
    };
    let origin = text(http::header::ORIGIN);
    let denied = |why: String| RpcError::new(Code::PermissionDenied, why);
    if !allowed.allows(&origin) {
        return Err(denied(format!(
            "CORS: origin {origin:?} is not allowed (allowed: {}); start gitpod-mock with --cors-origin {origin} or set GITPOD_MOCK_CORS_ORIGINS",
            allowed.describe()
        )));
    }
    let method = text(http::header::ACCESS_CONTROL_REQUEST_METHOD);
    if method != "POST" && method != "GET" {
        return Err(denied(format!(
            "CORS: method {method:?} is not allowed: Connect calls use {ALLOWED_METHODS}"
        )));
    }
    let requested: Vec<String> = text(http::header::ACCESS_CONTROL_REQUEST_HEADERS)
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    let refused: Vec<&str> = requested
        .iter()
        .filter(|h| !header_allowed(h))
        .map(String::as_str)
        .collect();
    if !refused.is_empty() {
        return Err(denied(format!(
            "CORS: request headers {} are not allowed; allowed are {}",
            refused.join(", "),
            ALLOWED_HEADERS.join(", ")
        )));
    }
    let mut out = vec![
        ("access-control-allow-origin", origin),
        ("access-control-allow-credentials", "true".into()),
        ("access-control-allow-methods", ALLOWED_METHODS.into()),
        ("access-control-max-age", MAX_AGE.into()),
        (
            "vary",
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers".into(),
        ),
    ];
    if !requested.is_empty() {
        out.push(("access-control-allow-headers", requested.join(", ")));
    }
    if headers.contains_key("access-control-request-private-network") {
        out.push(("access-control-allow-private-network", "true".into()));
    }
    Ok(out)
}

/// Adds the CORS headers of an actual (non-preflight) answer when the request came from an
/// allowed origin. Answers to other origins go out unchanged, so the browser withholds them.
pub fn decorate(allowed: &AllowedOrigins, request: &HeaderMap, response: &mut HeaderMap) {
    let Some(origin) = request.get(http::header::ORIGIN) else {
        return;
    };
    response.append(http::header::VARY, HeaderValue::from_static("Origin"));
    if !allowed.allows(&String::from_utf8_lossy(origin.as_bytes())) {
        return;
    }
    response.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    response.insert(
        http::header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    response.insert(
        http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED_HEADERS),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn the_default_is_permissive_only_on_loopback() {
        let none: Vec<String> = Vec::new();
        for host in ["127.0.0.1", "::1", "[::1]", "localhost"] {
            assert_eq!(
                AllowedOrigins::for_host(&none, host),
                AllowedOrigins::Any,
                "{host}"
            );
        }
        let public = AllowedOrigins::for_host(&none, "0.0.0.0");
        assert!(!public.allows("http://localhost:5173"));
        let listed = AllowedOrigins::for_host(&["http://LocalHost:5173/".into()], "0.0.0.0");
        assert!(listed.allows("http://localhost:5173"));
        assert!(!listed.allows("http://localhost:3000"));
        let star = AllowedOrigins::for_host(&["*".into()], "0.0.0.0");
        assert_eq!(star, AllowedOrigins::Any);
    }

    #[test]
    fn preflight_echoes_fitting_headers_and_names_refused_ones() {
        let ok = preflight(
            &AllowedOrigins::Any,
            &headers(&[
                ("origin", "http://localhost:5173"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "content-type,connect-protocol-version,x-mock-session",
                ),
            ]),
        )
        .unwrap();
        let get = |name| ok.iter().find(|(k, _)| *k == name).unwrap().1.clone();
        assert_eq!(get("access-control-allow-origin"), "http://localhost:5173");
        assert_eq!(
            get("access-control-allow-headers"),
            "content-type, connect-protocol-version, x-mock-session"
        );
        let err = preflight(
            &AllowedOrigins::Any,
            &headers(&[
                ("origin", "http://a"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "x-secret"),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.code, Code::PermissionDenied);
        assert!(err.message.contains("x-secret"), "{}", err.message);
        let err = preflight(
            &AllowedOrigins::Only(vec![]),
            &headers(&[
                ("origin", "http://a"),
                ("access-control-request-method", "POST"),
            ]),
        )
        .unwrap_err();
        assert!(
            err.message.contains("--cors-origin http://a"),
            "{}",
            err.message
        );
    }
}
