//! The real API a mock forwards calls to (`serve --upstream URL`): where it is, whether the
//! client gets its answer (`--proxy`) or the mock's (`--shadow`), and the client that forwards
//! a call within `--upstream-timeout-ms`, over http:// or https:// (h2 or http/1.1 by ALPN;
//! its TLS is `tls`). The shadow call path is `shadow`.

pub mod record;
mod select;
pub(crate) mod shadow;
mod tls;
mod wire;

use crate::codec::compression::Compression;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName};
use http::{Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::path::PathBuf;
use std::time::Duration;

/// The timeout a forwarded call gets unless `--upstream-timeout-ms` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(5000);

/// The largest upstream answer read; a larger one is reported as an upstream failure.
pub(crate) const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Whose answer the client gets when an upstream is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The mock's; the upstream is called too and its answer only compared (`--shadow`).
    #[default]
    Shadow,
    /// The upstream's; the mock's answer is only compared (`--proxy`).
    Proxy,
}

/// The upstream's answer to a forwarded call, read whole.
#[derive(Debug, Clone)]
pub struct UpstreamAnswer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Why a forwarded call has no answer; the text names the upstream and the cause, and never
/// a header of the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamFailure {
    /// No answer within the timeout.
    Timeout(Duration),
    /// Connection refused, reset, or another transport problem.
    Transport(String),
    /// An https upstream's TLS handshake failed: its certificate is not trusted or not for
    /// its host, or it does not speak TLS. The text is rustls's.
    Tls(String),
}

impl std::fmt::Display for UpstreamFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamFailure::Timeout(limit) => write!(
                f,
                "the upstream did not answer within {} ms (--upstream-timeout-ms)",
                limit.as_millis()
            ),
            UpstreamFailure::Transport(why) => {
                write!(f, "the upstream could not be reached: {why}")
            }
            UpstreamFailure::Tls(why) => {
                write!(
                    f,
                    "the upstream could not be reached: TLS handshake failed: {why}"
                )
            }
        }
    }
}

/// What `--upstream` and the flags beside it ask for, checked when the app is built.
#[derive(Debug, Clone)]
pub struct Config {
    pub url: String,
    pub mode: Mode,
    pub timeout: Duration,
    /// `--shadow-methods` globs; every method without one.
    pub methods: Vec<String>,
    /// `--shadow-sample`: the share of calls forwarded.
    pub sample: f64,
    /// `--record DIR`: where the upstream's records are written at shutdown.
    pub record: Option<PathBuf>,
    /// `--upstream-ca`: PEM files of roots an https upstream is trusted by, beside the
    /// system's.
    pub ca_files: Vec<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            url: String::new(),
            mode: Mode::default(),
            timeout: DEFAULT_TIMEOUT,
            methods: Vec::new(),
            sample: 1.0,
            record: None,
            ca_files: Vec::new(),
        }
    }
}

/// Gives `app` the upstream `config` describes, if any.
pub fn attach(config: Option<Config>, app: crate::app::App) -> Result<crate::app::App, String> {
    let Some(config) = config else {
        return Ok(app);
    };
    if config.url.is_empty() {
        return Err("--shadow-methods and --shadow-sample need --upstream".into());
    }
    let (url, ca_files) = (&config.url, &config.ca_files);
    let mut upstream = Upstream::new(url, config.mode, config.timeout, ca_files)?;
    upstream.selection = select::Selection::new(config.methods, config.sample)?;
    if let Some(dir) = &config.record {
        upstream.recorder = Some(record::Recorder::new(dir, &app.contract)?);
    }
    let mut app = app;
    // Once, at start: every upstream answer is checked against its message's rules.
    app.contract.compile_response_validators()?;
    Ok(app.with_upstream(upstream))
}

/// A configured upstream.
pub struct Upstream {
    /// Scheme and authority, and a path prefix without its trailing slash.
    base: String,
    pub mode: Mode,
    pub timeout: Duration,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    selection: select::Selection,
    /// `--record`: the recording of the upstream's answers.
    pub recorder: Option<record::Recorder>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("base", &self.base)
            .field("mode", &self.mode)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// An upstream at `url` (`http[s]://host[:port][/prefix]`); an https one is trusted by
    /// the system's roots and the certificates in `ca_files` (PEM, `--upstream-ca`). Checked
    /// once, at startup: credentials in the URL would end up in reports, and a CA file that
    /// is missing, empty or not PEM, or given for an http:// upstream, is refused by name.
    pub fn new(
        url: &str,
        mode: Mode,
        timeout: Duration,
        ca_files: &[PathBuf],
    ) -> Result<Upstream, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("--upstream {url:?} is not a URL: {e}"))?;
        let scheme = match uri.scheme_str() {
            Some(scheme @ ("http" | "https")) => scheme,
            _ => {
                return Err(format!(
                    "--upstream {url:?} must start with http:// or https://"
                ))
            }
        };
        let authority = uri
            .authority()
            .ok_or_else(|| format!("--upstream {url:?} names no host"))?;
        if authority.as_str().contains('@') {
            return Err(format!(
                "--upstream must not carry credentials in its URL; the client's Authorization \
                 header is passed through (host {})",
                authority.host()
            ));
        }
        if timeout.is_zero() {
            return Err("--upstream-timeout-ms must be more than 0".into());
        }
        let https = scheme == "https";
        if !https && !ca_files.is_empty() {
            let files: Vec<_> = ca_files.iter().map(|f| f.display().to_string()).collect();
            return Err(format!(
                "--upstream-ca {}: the upstream {url:?} is not https://, so no CA is asked for",
                files.join(", ")
            ));
        }
        let prefix = uri.path().trim_end_matches('/');
        Ok(Upstream {
            base: format!("{scheme}://{authority}{prefix}"),
            mode,
            timeout,
            client: client(tls::connector(https, ca_files)?),
            selection: select::Selection::new(Vec::new(), 1.0)?,
            recorder: None,
        })
    }

    /// Whether this call of `procedure` goes to the upstream too.
    pub(crate) fn selects(&self, procedure: &crate::contract::Procedure) -> bool {
        self.selection.selects(procedure)
    }

    /// The upstream's base URL, for the drift report.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Forwards a call: its method, path and query, its headers but the hop-by-hop ones, and
    /// its body. The answer is read whole within the timeout.
    pub async fn forward(
        &self,
        parts: &http::request::Parts,
        body: Bytes,
    ) -> Result<UpstreamAnswer, UpstreamFailure> {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = Request::builder()
            .method(parts.method.clone())
            .uri(format!("{}{path}", self.base))
            .body(Full::new(body))
            .map_err(|e| UpstreamFailure::Transport(format!("bad request URI: {e}")))?;
        *request.headers_mut() = end_to_end(&parts.headers);
        let exchange = async {
            let response =
                self.client
                    .request(request)
                    .await
                    .map_err(|e| match tls::tls_cause(&e) {
                        Some(why) => UpstreamFailure::Tls(why),
                        None => UpstreamFailure::Transport(describe(&e)),
                    })?;
            let (head, body) = response.into_parts();
            let body = Limited::new(body, MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|e| UpstreamFailure::Transport(format!("reading its answer: {e}")))?
                .to_bytes();
            Ok(UpstreamAnswer {
                status: head.status.as_u16(),
                headers: head.headers,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or(Err(UpstreamFailure::Timeout(self.timeout)))
    }
}

/// The pooled client: HTTP/1.1 for http://, and h2 or HTTP/1.1 as an https upstream's ALPN
/// chooses.
fn client(
    connector: HttpsConnector<HttpConnector>,
) -> Client<HttpsConnector<HttpConnector>, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build(connector)
}

/// A client error with its causes, e.g. "client error (Connect): tcp connect error: Connection
/// refused (os error 111)".
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A body as sent, decompressed as its Content-Encoding says (with the codec's own
/// decompression, within `MAX_ANSWER_BYTES`); empty if it does not decompress.
pub(crate) fn decompressed(headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Compression::from_name(encoding, "content-encoding")
        .and_then(|c| c.decompress(Bytes::copy_from_slice(body), MAX_ANSWER_BYTES))
        .map_or_else(|_| Vec::new(), |b| b.to_vec())
}

/// Hop-by-hop headers (RFC 9110 7.6.1), which describe one connection and are not forwarded.
const HOP_BY_HOP: [HeaderName; 7] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
];

/// The headers a forwarded call carries: the client's, Authorization included, without the
/// hop-by-hop ones, those its Connection header names, Upgrade, Host (the upstream's own is
/// set by the client) and Content-Length (set for the body sent).
pub(crate) fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
        .collect();
    let mut kept = headers.clone();
    for name in HOP_BY_HOP
        .iter()
        .chain([&header::UPGRADE, &header::HOST, &header::CONTENT_LENGTH])
    {
        kept.remove(name);
    }
    for name in named {
        kept.remove(name.as_str());
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_stay_behind_and_authorization_goes_through() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer t".parse().unwrap());
        headers.insert("connection", "keep-alive, x-private".parse().unwrap());
        headers.insert("x-private", "1".parse().unwrap());
        headers.insert("transfer-encoding", "chunked".parse().unwrap());
        headers.insert("host", "mock:4010".parse().unwrap());
        headers.insert("connect-protocol-version", "1".parse().unwrap());
        let kept = end_to_end(&headers);
        let names: Vec<&str> = kept.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["authorization", "connect-protocol-version"]);
    }

    #[test]
    fn an_upstream_url_is_checked_at_startup() {
        let new = |url: &str, timeout: Duration, ca: &[PathBuf]| {
            Upstream::new(url, Mode::Shadow, timeout, ca)
        };
        let timeout = DEFAULT_TIMEOUT;
        let ok = new("http://127.0.0.1:9/api/", timeout, &[]).unwrap();
        assert_eq!(ok.base(), "http://127.0.0.1:9/api");
        let https = new("https://app.gitpod.io/api", timeout, &[]).unwrap();
        assert_eq!(https.base(), "https://app.gitpod.io/api");
        for url in ["http://u:p@h", "https://u:p@h"] {
            let creds = new(url, timeout, &[]).unwrap_err();
            assert!(creds.contains("must not carry credentials"), "{creds}");
            assert!(!creds.contains("u:p"), "{creds}");
        }
        let ftp = new("ftp://h", timeout, &[]).unwrap_err();
        assert!(ftp.contains("must start with http:// or https://"), "{ftp}");
        let never = new("http://h", Duration::ZERO, &[]).unwrap_err();
        assert!(never.contains("--upstream-timeout-ms"), "{never}");
        // A CA file is for an https upstream only, and is read at once.
        let ca = [PathBuf::from("/no/such/ca.pem")];
        let plain = new("http://h", timeout, &ca).unwrap_err();
        assert!(plain.contains("is not https://"), "{plain}");
        let missing = new("https://h", timeout, &ca).unwrap_err();
        assert!(
            missing.starts_with("--upstream-ca /no/such/ca.pem: "),
            "{missing}"
        );
    }
}
