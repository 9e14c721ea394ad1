//! `TestServer`: the real server on an ephemeral port, and a small client for it.

use bytes::Bytes;
use gitpod_mock::app::App;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

pub const SERVICE: &str = "/gitpod.v1.RunnerConfigurationService";
/// The id the API reference uses in its examples for a runner, a class, an integration and a token.
pub const EXAMPLE_ID: &str = "d2c94c27-3b76-4a42-b88c-95a85e392c68";
pub const EXAMPLE_USER: &str = "f53d2330-3795-4c5d-a1f3-453121af9c60";

/// A running server; dropping it shuts the server down.
pub struct TestServer {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    client: Client<HttpConnector, Full<Bytes>>,
    shutdown: Option<oneshot::Sender<()>>,
}

/// A decoded answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// The Connect error code of an error reply.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }

    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

impl TestServer {
    /// The default fixtures with seed 42.
    pub async fn start() -> TestServer {
        TestServer::with(App::with_defaults(Some(42))).await
    }

    pub async fn with(app: App) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Arc::new(app);
        let (tx, rx) = oneshot::channel();
        tokio::spawn(gitpod_mock::server::run(listener, app.clone(), async {
            let _ = rx.await;
        }));
        let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        TestServer {
            addr,
            app,
            client,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a JSON body to a method of the service.
    pub async fn call(&self, method: &str, body: Value) -> Reply {
        let request = Request::post(self.url(&format!("{SERVICE}/{method}")))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        self.send(request).await
    }

    /// The default session's data, as `GET /__mock/state` exports it.
    pub async fn state(&self) -> Value {
        let request = Request::get(self.url("/__mock/state"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        self.send(request).await.json()
    }

    /// Calls a method and returns the JSON body, failing the test unless the answer is 200.
    pub async fn ok(&self, method: &str, body: Value) -> Value {
        let reply = self.call(method, body).await;
        assert_eq!(
            reply.status,
            200,
            "{method}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()
    }

    pub async fn send(&self, request: Request<Full<Bytes>>) -> Reply {
        let response = self
            .client
            .request(request)
            .await
            .expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status: status.as_u16(),
            headers,
            body,
        }
    }

    /// Sends raw bytes over a fresh TCP connection and returns whatever comes back before the
    /// server closes it or `wait` passes.
    pub async fn raw(&self, bytes: &[u8], wait: std::time::Duration) -> Vec<u8> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
        out
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The status code as a `StatusCode`, for readable assertions.
pub fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap()
}

impl Reply {
    /// Asserts a Connect error reply: its HTTP status, its code and its whole message, and that it
    /// says so with the Connect JSON content type.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, message: &str) {
        let body = String::from_utf8_lossy(&self.body);
        assert_eq!(self.status, status, "status of {body}");
        assert_eq!(
            self.headers
                .get("content-type")
                .map(|v| v.to_str().unwrap()),
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
        assert_eq!(
            (self.status, self.code()),
            (status, code.to_string()),
            "{body}"
        );
        self.message()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl TestServer {
    /// POSTs raw bytes to `path` with exactly the given headers.
    pub async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        let mut request = Request::post(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Full::new(body.into())).unwrap())
            .await
    }
}

/// A file of the default fixtures, parsed.
pub fn fixture(rel: &str) -> Value {
    let path = format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}
