//! The embeddable mock: [`MockServer`] serves the whole mock in process on a port of its own,
//! and [`MockServerBuilder`] chooses its fixtures, scenarios and settings.

use crate::app::{App, Settings};
use crate::auth::Auth;
use crate::log::Format;
use crate::session::Limits;
use crate::store::generate::Counts;
use crate::tls::{Tls, TlsSource};

mod error;
mod state;
mod upstream;
mod watch;
pub use error::Error;
use serde_json::Value;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running mock, serving on `127.0.0.1` at a free port unless told otherwise. Dropping it
/// stops it; [`MockServer::stop`] also waits for open calls to finish.
///
/// It needs a Tokio runtime with the time and I/O drivers (`#[tokio::test]` has them).
pub struct MockServer {
    address: SocketAddr,
    /// The certificate file clients should trust, when the mock made one.
    certificate: Option<PathBuf>,
    scheme: &'static str,
    app: Arc<App>,
    shutdown: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<()>>,
    /// The file watcher of [`MockServerBuilder::watch`]; dropping it stops watching.
    watching: Option<watch::Watching>,
}

impl MockServer {
    /// Starts a mock on the embedded default fixtures, with seed 0, on a free loopback port.
    ///
    /// # Panics
    /// When no loopback port can be bound, which leaves a test nothing to do.
    pub async fn start() -> MockServer {
        match MockServer::builder().start().await {
            Ok(server) => server,
            Err(e) => panic!("gitpod-mock: {e}"),
        }
    }

    /// A builder for a mock with other fixtures, scenarios or settings.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// Serves an application assembled by hand, on `host:port`. The builder is the way to
    /// make one; this is the door it and the crate's own tests go through.
    #[doc(hidden)]
    pub async fn serve(
        app: App,
        host: &str,
        port: u16,
        tls: Option<Tls>,
    ) -> Result<MockServer, Error> {
        let listener = tokio::net::TcpListener::bind((host, port))
            .await
            .map_err(|e| Error(format!("cannot listen on {host}:{port}: {e}")))?;
        let address = listener.local_addr().map_err(|e| Error(e.to_string()))?;
        let app = Arc::new(app);
        let (shutdown, stop) = oneshot::channel::<()>();
        let (acceptor, certificate) = tls.map_or((None, None), |t| (Some(t.acceptor), t.written));
        let scheme = if acceptor.is_some() { "https" } else { "http" };
        let stopping = app.clone();
        let serving = tokio::spawn(crate::server::run(
            listener,
            app.clone(),
            acceptor,
            async move {
                let _ = stop.await;
                // Before the drain: open health Watches end now rather than at its timeout.
                stopping.stopping.send_replace(true);
            },
        ));
        Ok(MockServer {
            address,
            certificate,
            scheme,
            app,
            shutdown: Some(shutdown),
            serving: Some(serving),
            watching: None,
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Its base URL, such as `http://127.0.0.1:40123` (`https://` with TLS), to give a client.
    pub fn uri(&self) -> String {
        format!("{}://{}", self.scheme, self.address)
    }

    /// The certificate file clients should trust, when the mock made it
    /// ([`TlsSource::SelfSigned`]).
    pub fn certificate(&self) -> Option<&std::path::Path> {
        self.certificate.as_deref()
    }

    /// The journal of a session (`"default"` unless calls sent `x-mock-session`), newest last:
    /// the JSON that `GET /__mock/journal` answers.
    pub fn journal(&self, session: &str) -> Value {
        // With no filters the query cannot be refused.
        crate::admin::inspect::journal(&self.app, session, &[])
            .map_or(Value::Null, |(_, body)| body)
    }

    /// The state of the default session, as `GET /__mock/state` exports it.
    pub fn state(&self) -> Value {
        self.app.with_state(|state| state.export())
    }

    /// The application it serves, for the crate's own tests.
    #[doc(hidden)]
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Stops accepting calls and waits, for at most five seconds, for open ones to finish.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(serving) = self.serving.take() {
            let _ = serving.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// What a mock starts with, and the settings that shape every call; what `gitpod-mock serve`
/// takes as flags. Each method is named after its flag.
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    host: String,
    port: u16,
    fixtures: Option<PathBuf>,
    contract: Option<PathBuf>,
    seed: Option<u64>,
    generate: Counts,
    scenarios: Vec<String>,
    scenario_dir: Option<PathBuf>,
    /// A state export to start from, and what to call it in an error.
    state: Option<(String, Value)>,
    strict: bool,
    lenient: bool,
    max_body_bytes: usize,
    cors_origins: Vec<String>,
    auth: Option<Auth>,
    control_token: Option<String>,
    control_open: bool,
    limits: Limits,
    log: Option<Format>,
    tls: Option<TlsSource>,
    upstream: Option<crate::upstream::Config>,
    /// Reload the fixtures and scenario directories when their files change (`--watch`).
    watch: bool,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        MockServerBuilder {
            host: "127.0.0.1".into(),
            port: 0,
            fixtures: None,
            contract: None,
            seed: Some(0),
            generate: Counts::default(),
            scenarios: Vec::new(),
            scenario_dir: None,
            state: None,
            strict: false,
            lenient: false,
            max_body_bytes: Settings::default().max_body_bytes,
            cors_origins: Vec::new(),
            auth: None,
            control_token: None,
            control_open: false,
            limits: Limits::default(),
            log: None,
            tls: None,
            upstream: None,
            watch: false,
        }
    }
}

impl MockServerBuilder {
    /// Listens on `host:port` instead of `127.0.0.1` and a free port (`--host`, `--port`).
    pub fn bind(mut self, host: impl Into<String>, port: u16) -> Self {
        self.host = host.into();
        self.port = port;
        self
    }

    /// Serves another contract instead of the embedded Gitpod one (`--contract`): a directory
    /// of `.proto` files (compiled at start) or a compiled descriptor set (`.binpb`, `.pb`,
    /// `.desc`). Its fixtures directory then holds one JSON file per resource, named by its
    /// message.
    pub fn contract(mut self, path: impl Into<PathBuf>) -> Self {
        self.contract = Some(path.into());
        self
    }

    /// Loads fixtures from this directory instead of the embedded defaults (`--fixtures`).
    pub fn fixtures(mut self, dir: impl Into<PathBuf>) -> Self {
        self.fixtures = Some(dir.into());
        self
    }

    /// Seeds generated ids and fake data (`--seed`); `None` draws a different seed each run.
    /// The builder starts at `Some(0)`, so runs repeat exactly.
    pub fn seed(mut self, seed: Option<u64>) -> Self {
        self.seed = seed;
        self
    }

    /// Adds generated fake records to the fixtures (`--generate`): `GenerateCounts::all(n)`,
    /// or per resource, parsed from `"environment-classes=100000,host-tokens=10"`.
    pub fn generate(mut self, counts: Counts) -> Self {
        self.generate = counts;
        self
    }

    /// Switches a scenario on for every session (`--scenario`).
    pub fn scenario(mut self, name: impl Into<String>) -> Self {
        self.scenarios.push(name.into());
        self
    }

    /// Loads scenario files from this directory besides the shipped ones (`--scenario-dir`).
    pub fn scenario_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.scenario_dir = Some(dir.into());
        self
    }

    /// Starts the default session from a state export (`GET /__mock/state`, `--state`).
    pub fn state(self, snapshot: Value) -> Self {
        self.state_named("state", snapshot)
    }

    /// Like [`MockServerBuilder::state`], naming the snapshot (say its file) in errors.
    #[doc(hidden)]
    pub fn state_named(mut self, name: impl Into<String>, snapshot: Value) -> Self {
        self.state = Some((name.into(), snapshot));
        self
    }

    /// Rejects unknown JSON fields instead of ignoring them (`--strict`).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Reports rule violations in `x-mock-violations` instead of refusing the call
    /// (`--lenient`): see the `rpc::lenient` module.
    pub fn lenient(mut self, lenient: bool) -> Self {
        self.lenient = lenient;
        self
    }

    /// The largest request body accepted, in bytes (`--max-body-bytes`).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Allows browsers on this origin, or `*` for any (`--cors-origin`, repeatable).
    pub fn cors_origin(mut self, origin: impl Into<String>) -> Self {
        self.cors_origins.push(origin.into());
        self
    }

    /// Requires `Authorization: Bearer <token>` on every call, any token (`--require-auth`).
    pub fn require_auth(mut self) -> Self {
        self.auth = Some(Auth::any_token());
        self
    }

    /// Requires one of the tokens in this file (`--require-auth --auth-file`).
    pub fn auth_file(mut self, path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        self.auth = Some(Auth::load(path.as_ref()).map_err(Error)?);
        Ok(self)
    }

    /// The token the control plane requires (`--control-token`).
    pub fn control_token(mut self, token: impl Into<String>) -> Self {
        self.control_token = Some(token.into());
        self
    }

    /// Leaves the control plane open even beyond loopback (`--control-open`).
    pub fn control_open(mut self, open: bool) -> Self {
        self.control_open = open;
        self
    }

    /// Session limits: how many, how long idle, records and journal size (`--max-sessions`,
    /// `--session-ttl-secs`, `--session-max-records`, `--journal-size`, `--journal-max-bytes`).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Writes one line per call on stderr, in this format (on unless `--quiet`).
    pub fn log(mut self, format: Format) -> Self {
        self.log = Some(format);
        self
    }

    /// Serves over TLS, HTTP/2 and HTTP/1.1 by ALPN (`--tls-cert` and `--tls-key`, or
    /// `--tls-self-signed`).
    pub fn tls(mut self, source: TlsSource) -> Self {
        self.tls = Some(source);
        self
    }

    /// Starts the mock, and with [`MockServerBuilder::watch`] its watcher.
    pub async fn start(self) -> Result<MockServer, Error> {
        let (host, port) = (self.host.clone(), self.port);
        let tls = self.tls.as_ref().map(Tls::load).transpose()?;
        // The files are read for the watcher before the app is built from them, so a change
        // made while it starts is seen by its first check rather than missed.
        let reloader = self.watch.then(|| watch::Reloader::new(self.clone()));
        let mut server = MockServer::serve(self.build()?, &host, port, tls).await?;
        if let Some(reloader) = reloader {
            server.watching = Some(reloader.start(&server.app)?);
        }
        Ok(server)
    }
}
