//! The one way integration tests call the server. Requests are built here (`request`,
//! `rpc_request`) and sent through a `Client` to a server on a socket (`TestServer`, the real
//! server on an ephemeral port, derefs to its own), or to `InProcess`, the same server driven
//! without a socket on tokio's paused clock; both answer with a `Reply`.

mod in_process;

pub use in_process::{Exchange, InProcess};

use bytes::Bytes;
use gitpod_mock::app::App;
use gitpod_mock::{MockServer, MockServerBuilder};
use http::{HeaderMap, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client as Hyper;
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub const SERVICE: &str = "/gitpod.v1.RunnerConfigurationService";
/// The id the API reference uses in its examples for a runner, a class, an integration and a token.
pub const EXAMPLE_ID: &str = "d2c94c27-3b76-4a42-b88c-95a85e392c68";
pub const EXAMPLE_USER: &str = "f53d2330-3795-4c5d-a1f3-453121af9c60";

/// A request as tests write it: `"VERB /path"`, exactly these headers, and a body.
pub fn request(
    line: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> Request<Full<Bytes>> {
    let (verb, path) = line.split_once(' ').expect("a \"VERB /path\" line");
    let mut request = Request::builder().method(verb).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = Bytes::copy_from_slice(body.as_ref());
    request.body(Full::new(body)).unwrap()
}

/// A POST of `body` in `content_type` to a method of the service, with more headers.
pub fn rpc_request(
    method: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> Request<Full<Bytes>> {
    let mut all = vec![("content-type", content_type)];
    all.extend_from_slice(headers);
    request(&format!("POST {SERVICE}/{method}"), &all, body)
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// Reads a response whole; a body that breaks off reads as `broken`.
    async fn read<B: hyper::body::Body>(
        response: Response<B>,
        broken: impl FnOnce(B::Error) -> Result<Bytes, String>,
    ) -> Result<Reply, String> {
        let (parts, body) = response.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => broken(e)?,
        };
        Ok(Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// The Connect error code of an error reply.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }

    pub fn message(&self) -> String {
        let json = self.json();
        json["message"].as_str().unwrap_or_default().to_string()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts a Connect error reply: its HTTP status, its code and its whole message, and that it
    /// says so with the Connect JSON content type.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, message: &str) {
        let body = self.text();
        assert_eq!(self.status, status, "status of {body}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{body}"
        );
        assert_eq!(self.code(), code, "code of {body}");
        assert_eq!(self.message(), message, "message of {body}");
    }

    /// Asserts an error's status and code, and returns its message for further checks.
    #[track_caller]
    pub fn assert_code(&self, status: u16, code: &str) -> String {
        let body = self.text();
        let got = (self.status, self.code());
        assert_eq!(got, (status, code.to_string()), "{body}");
        self.message()
    }
}

/// The library's builder with seed 42, which every socket test starts from.
pub fn mock() -> MockServerBuilder {
    MockServer::builder().seed(Some(42))
}

/// A running server; dropping it shuts the server down. It calls itself through its
/// `Client` (it derefs to one), so `server.call(…)` reads as what it does. It is the library's
/// own `MockServer`, the one a Rust user embeds.
pub struct TestServer {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    client: Client,
    _mock: MockServer,
}

impl TestServer {
    /// The default fixtures with seed 42.
    pub async fn start() -> TestServer {
        TestServer::from(mock()).await
    }

    /// A mock from the library's builder, which `mock()` starts.
    pub async fn from(builder: MockServerBuilder) -> TestServer {
        TestServer::around(builder.start().await.unwrap())
    }

    /// Serves an app a test assembled with settings the builder does not offer.
    pub async fn with(app: App) -> TestServer {
        TestServer::around(MockServer::serve(app, "127.0.0.1", 0, None).await.unwrap())
    }

    fn around(mock: MockServer) -> TestServer {
        let addr = mock.address();
        TestServer {
            addr,
            app: mock.app().clone(),
            client: Client { addr },
            _mock: mock,
        }
    }

    /// A client of this server that can move into a task.
    pub fn client(&self) -> Client {
        self.client
    }
}

impl std::ops::Deref for TestServer {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

/// Calls a server at an address: the one client every socket test uses. Each call goes on a
/// fresh connection, so no call depends on what an earlier one left behind (a scenario may
/// reset or close its connection).
#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub addr: SocketAddr,
}

impl Client {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends a request; the response's head, or Err when none comes. A request built with a
    /// bare path goes to this client's server.
    async fn dispatch(&self, request: Request<Full<Bytes>>) -> Result<Response<Incoming>, String> {
        let (mut parts, body) = request.into_parts();
        if parts.uri.authority().is_none() {
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            parts.uri = self.url(path).parse::<Uri>().unwrap();
        }
        let client = Hyper::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        let response = client.request(Request::from_parts(parts, body)).await;
        response.map_err(|e| format!("{e:?}"))
    }

    /// Sends a request; Err when no whole answer comes.
    pub async fn try_send(&self, request: Request<Full<Bytes>>) -> Result<Reply, String> {
        Reply::read(self.dispatch(request).await?, |e| Err(e.to_string())).await
    }

    /// Sends a request and reads the body frame by frame, as it arrives: the reply, and how
    /// many frames its body came in.
    pub async fn send_in_frames(&self, request: Request<Full<Bytes>>) -> (Reply, usize) {
        let response = self.dispatch(request).await.expect("the server answers");
        let (parts, mut body) = response.into_parts();
        let (mut bytes, mut frames) = (Vec::new(), 0);
        while let Some(frame) = body.frame().await {
            bytes.extend_from_slice(&frame.unwrap().into_data().unwrap());
            frames += 1;
        }
        let reply = Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: bytes.into(),
        };
        (reply, frames)
    }

    pub async fn send(&self, request: Request<Full<Bytes>>) -> Reply {
        self.try_send(request).await.expect("the server answers")
    }

    /// `"VERB /path"` with exactly these headers, e.g. `request("POST /__mock/reset", &[], "")`.
    pub async fn request(
        &self,
        line: &str,
        headers: &[(&str, &str)],
        body: impl AsRef<[u8]>,
    ) -> Reply {
        self.send(request(line, headers, body)).await
    }

    /// As `request`, but Err when no answer comes (a dropped connection).
    pub async fn try_request(
        &self,
        line: &str,
        headers: &[(&str, &str)],
        body: impl AsRef<[u8]>,
    ) -> Result<Reply, String> {
        self.try_send(request(line, headers, body)).await
    }

    /// POSTs raw bytes to `path` with exactly the given headers.
    pub async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: impl AsRef<[u8]>,
    ) -> Reply {
        self.request(&format!("POST {path}"), headers, body).await
    }

    /// POSTs `body` in `content_type` to a method of the service, with more headers.
    pub async fn rpc_as(
        &self,
        method: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: impl AsRef<[u8]>,
    ) -> Reply {
        self.send(rpc_request(method, content_type, headers, body))
            .await
    }

    /// POSTs a JSON body to a method of the service, with more headers.
    pub async fn rpc(&self, method: &str, headers: &[(&str, &str)], body: Value) -> Reply {
        self.rpc_as(method, "application/json", headers, body.to_string())
            .await
    }

    /// POSTs a JSON body to a method of the service.
    pub async fn call(&self, method: &str, body: Value) -> Reply {
        self.rpc(method, &[], body).await
    }

    /// Calls a method and returns the JSON body, failing the test unless the answer is 200.
    pub async fn ok(&self, method: &str, body: Value) -> Value {
        let reply = self.call(method, body).await;
        assert_eq!(reply.status, 200, "{method}: {}", reply.text());
        reply.json()
    }

    /// The default session's data, as `GET /__mock/state` exports it.
    pub async fn state(&self) -> Value {
        self.request("GET /__mock/state", &[], "").await.json()
    }

    /// Sends raw bytes over a fresh TCP connection and returns whatever comes back before the
    /// server closes it or `wait` passes.
    pub async fn raw(&self, bytes: &[u8], wait: Duration) -> Vec<u8> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
        out
    }
}

/// The status code as a `StatusCode`, for readable assertions.
pub fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap()
}

/// A file of the default fixtures, parsed.
pub fn fixture(rel: &str) -> Value {
    let path = format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Fails unless the snapshots whose file names start with `prefix` are exactly
/// `PREFIX<name>.snap` for these names: a snapshot no test writes any more would never fail.
pub fn assert_only_these_snapshots<'a>(prefix: &str, names: impl Iterator<Item = &'a str>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with(prefix) && f.ends_with(".snap"))
        .collect();
    let expected: BTreeSet<String> = names.map(|n| format!("{prefix}{n}.snap")).collect();
    let orphans: Vec<&String> = on_disk.difference(&expected).collect();
    assert!(orphans.is_empty(), "snapshots no test writes: {orphans:?}");
}
