//! The dashboard's files under `/__mock/ui/`, built from `ui/src` with npm at development time
//! and committed in `ui/dist`, embedded here so the binary serves them with nothing to install.

use crate::body::{full, Body};
use crate::error::RpcError;
use http::{Method, Response, StatusCode};

const INDEX: &[u8] = include_bytes!("../../ui/dist/index.html");
const SCRIPT: &[u8] = include_bytes!("../../ui/dist/app.js");
const STYLE: &[u8] = include_bytes!("../../ui/dist/app.css");

/// The page may load and call only its own origin: no CDN, no fonts, no beacons.
const POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Whether `rest` (the path after `/__mock/`) is the dashboard's.
pub fn handles(rest: &str) -> bool {
    rest == "ui" || rest.starts_with("ui/")
}

/// Serves a dashboard path: a file, or the redirect from `ui` to `ui/`.
pub fn serve(method: &Method, rest: &str) -> Result<Response<Body>, RpcError> {
    super::only(method, rest, &[Method::GET, Method::HEAD])?;
    let (content_type, body) = match rest {
        // Relative URLs in the page resolve against `ui/`, so `ui` is sent there.
        "ui" => {
            return Response::builder()
                .status(StatusCode::PERMANENT_REDIRECT)
                // Relative, so that a proxy mounting the mock under a prefix keeps it.
                .header(http::header::LOCATION, "ui/")
                .body(full(bytes::Bytes::new()))
                .map_err(|e| RpcError::internal(e.to_string()));
        }
        "ui/" | "ui/index.html" => ("text/html; charset=utf-8", INDEX),
        "ui/app.js" => ("text/javascript; charset=utf-8", SCRIPT),
        "ui/app.css" => ("text/css; charset=utf-8", STYLE),
        _ => {
            return Err(RpcError::not_found(format!(
                "the dashboard has no file /__mock/{rest}; open /__mock/ui/"
            ))
            .with_status(404))
        }
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, content_type)
        .header(http::header::CACHE_CONTROL, "no-cache")
        .header("content-security-policy", POLICY)
        .header("x-content-type-options", "nosniff")
        .body(full(bytes::Bytes::from_static(body)))
        .map_err(|e| RpcError::internal(e.to_string()))
}
