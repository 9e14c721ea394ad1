//! gitpod-mock: a mock and contract-testing server for `gitpod.v1.RunnerConfigurationService`.
//!
//! It speaks Connect, gRPC and gRPC-Web, over HTTP/1.1 and HTTP/2, the way a connect-go server
//! does, serves every documented method from seeded in-memory state, and validates each request
//! against JSON Schemas derived from the API contract, with the service's own validation rules. The
//! `gitpod-mock` command runs it; this library runs the same server inside a Rust test.
//!
//! # Embedding it in a test
//! [`MockServer::start`] serves the embedded default fixtures on a free loopback port, with
//! seed 0, so ids and fake data repeat from run to run. Point a client at [`MockServer::uri`];
//! dropping the server stops it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let mock = gitpod_mock::MockServer::start().await;
//! let body = r#"{"pagination":{"pageSize":1}}"#;
//! let request = format!(
//!     "POST /gitpod.v1.RunnerConfigurationService/ListEnvironmentClasses HTTP/1.1\r\n\
//!      Host: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
//!      Connection: close\r\n\r\n{body}",
//!     mock.address(),
//!     body.len(),
//! );
//! let mut stream = tokio::net::TcpStream::connect(mock.address()).await.unwrap();
//! stream.write_all(request.as_bytes()).await.unwrap();
//! let mut answer = String::new();
//! stream.read_to_string(&mut answer).await.unwrap();
//! assert!(answer.starts_with("HTTP/1.1 200 OK"));
//! assert!(answer.contains(r#""environmentClasses":[{"#));
//!
//! // Every call is in the journal, which a test can read instead of scraping logs.
//! let journal = mock.journal("default");
//! assert_eq!(journal["entries"][0]["method"], "ListEnvironmentClasses");
//! # }
//! ```
//!
//! [`MockServer::builder`] takes what `gitpod-mock serve` takes as flags: other fixtures,
//! scenarios switched on, strict JSON, auth, session limits, a starting state.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), gitpod_mock::Error> {
//! use gitpod_mock::{GenerateCounts, MockServer};
//!
//! let mock = MockServer::builder()
//!     .seed(Some(7))
//!     .generate(GenerateCounts::all(50))
//!     .scenario("flaky")
//!     .strict(true)
//!     .start()
//!     .await?;
//! let classes = mock.state()["environmentClasses"].as_array().map_or(0, Vec::len);
//! assert!(classes >= 50);
//! mock.stop().await;
//!
//! // A problem is an error naming it, not a panic.
//! let unknown = MockServer::builder().scenario("no-such-scenario").start().await;
//! assert!(unknown.unwrap_err().to_string().contains("no-such-scenario"));
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//! The documented API is the items re-exported here. The modules below are public only so
//! the crate's own integration tests and benchmarks can reach into them; they are hidden from
//! the documentation and may change at any time. From the bottom up, each uses only those above
//! it in this list:
//! - `error`: Connect codes, their HTTP statuses and the error body; beside it the leaves
//!   `json_text` (JSON string escaping), `secrets` (the fields never shown) and `hash`.
//! - `contract`: the API description compiled from `contract/*.proto`: procedures, messages,
//!   validation rules, derived JSON Schemas, compiled validators and encoding plans;
//!   `contract::source` compiles a user's contract from `.proto` files or a descriptor set,
//!   `contract::conventions` finds its resource methods and `contract::sample` makes answers
//!   for the rest.
//! - `codec`: Connect wire formats, JSON and binary protobuf, into and out of canonical JSON,
//!   and `codec::answer`, what a call answers before it is encoded; `body`: reading a
//!   request body within its limits.
//! - `store`: in-memory state, the resources declared once (`store::records`), fixtures
//!   (embedded default or a directory) and fake data; `scenario`: scripted failures, deciding
//!   per call which rule fires.
//! - `profile`: a service served by the resource engine plus one small module of its domain
//!   rules (the built-in runner-configuration service's in `profile::runner_configurations`).
//! - `service`: the procedure table joining every method with how it is answered (a profile,
//!   the generic store or generated data), and the documented methods (`service::METHODS`).
//! - `session`: isolated worlds; `journal`: what each call asked and got, per session; `log`:
//!   one line per call; `auth` and `cors`: who may call.
//! - `app`: the shared application: contract, procedure table, sessions, scenarios, auth.
//! - `rpc`: the RPC path, from request to response, for all three protocols; `grpc_services`:
//!   gRPC server reflection and health checking beside it; `admin`: the control plane;
//!   `openapi`: the contract as OpenAPI 3.1; `http`: the hyper glue routing to them.
//! - `tls`: certificates for the listener; `server`: the accept loop, HTTP/1.1 and HTTP/2,
//!   with graceful shutdown.
//! - `commands`: `schemas`, `openapi` and `check`; `mock`: [`MockServer`] and its builder,
//!   with `mock::watch` reloading fixtures and scenarios as their files change (`reload`:
//!   what it reports); `run`: `gitpod-mock serve` from start to exit.
//! - `upstream`: the real API `serve --upstream` forwards calls to, in shadow or proxy mode;
//!   `drift`: how its answers differ from the contract and the mock's.

#[doc(hidden)]
pub mod admin;
#[doc(hidden)]
pub mod app;
#[doc(hidden)]
pub mod auth;
#[doc(hidden)]
pub mod body;
#[doc(hidden)]
pub mod codec;
#[doc(hidden)]
pub mod commands;
#[doc(hidden)]
pub mod contract;
#[doc(hidden)]
pub mod cors;
#[doc(hidden)]
pub mod drift;
#[doc(hidden)]
pub mod error;
mod grpc_services;
mod hash;
#[doc(hidden)]
pub mod http;
#[doc(hidden)]
pub mod journal;
mod json_text;
#[doc(hidden)]
pub mod log;
mod mock;
#[doc(hidden)]
pub mod openapi;
#[doc(hidden)]
pub mod profile;
#[doc(hidden)]
pub mod reload;
#[doc(hidden)]
pub mod rpc;
mod run;
#[doc(hidden)]
pub mod scenario;
mod secrets;
#[doc(hidden)]
pub mod server;
#[doc(hidden)]
pub mod service;
#[doc(hidden)]
pub mod session;
#[doc(hidden)]
pub mod store;
#[doc(hidden)]
pub mod tls;
#[doc(hidden)]
pub mod upstream;

/// The README's Rust blocks, run as doc tests so the README cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use log::Format as LogFormat;
pub use mock::{Error, MockServer, MockServerBuilder};
pub use run::{run, RunOptions};
pub use session::Limits as SessionLimits;
pub use store::generate::Counts as GenerateCounts;
pub use tls::TlsSource;
pub use upstream::Mode as UpstreamMode;
