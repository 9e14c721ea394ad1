//! gitpod-mock: a mock and contract-testing server for `gitpod.v1.RunnerConfigurationService`.
//!
//! It speaks the Connect unary protocol the way a connect-go server does, serves every
//! documented method from seeded in-memory state, and validates each request against JSON
//! Schemas derived from the API contract, with the service's own validation rules.
//!
//! # Layout
//! From the bottom up; each module uses only those above it in this list.
//! - [`error`]: Connect codes, their HTTP statuses and the error body; beside it two leaves,
//!   JSON string escaping and the list of secret fields.
//! - [`contract`]: the API description compiled from `contract/*.proto`: procedures,
//!   messages, validation rules, derived JSON Schemas, compiled validators and encoding plans.
//! - [`codec`]: Connect wire formats, JSON and binary protobuf, into and out of canonical JSON,
//!   and [`codec::answer`], what a call answers before it is encoded.
//! - [`store`]: in-memory state, fixtures (embedded default or a directory) and fake data;
//!   [`scenario`]: scripted failures, deciding per call which rule fires.
//! - [`service`]: one handler per method, domain logic only, and the procedure table
//!   ([`service::METHODS`]) that routes calls to them and documents them.
//! - [`session`]: isolated worlds; [`journal`]: what each call asked and got, per session;
//!   [`log`]: one line per call.
//! - [`app`]: the shared application: contract, procedure table, sessions, scenarios, auth.
//! - [`rpc`]: the RPC path, from request to response; [`admin`]: the control plane;
//!   [`openapi`]: the contract as OpenAPI 3.1; [`http`]: the hyper glue routing to them.
//! - [`server`]: the accept loop with graceful shutdown.
//!
//! Embedding it in a test: bind `127.0.0.1:0`, build an [`app::App`], and spawn
//! [`server::run`] with the listener and a shutdown future.

pub mod admin;
pub mod app;
pub mod auth;
pub mod body;
pub mod codec;
pub mod contract;
pub mod cors;
pub mod error;
mod hash;
pub mod http;
pub mod journal;
mod json_text;
pub mod log;
pub mod openapi;
pub mod rpc;
pub mod scenario;
mod secrets;
pub mod server;
pub mod service;
pub mod session;
pub mod store;
