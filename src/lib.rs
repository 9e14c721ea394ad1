//! gitpod-mock: a mock and contract-testing server for `gitpod.v1.RunnerConfigurationService`.
//!
//! It speaks the Connect unary protocol the way a connect-go server does, serves every
//! documented method from seeded in-memory state, and validates each request against JSON
//! Schemas derived from the API contract, with the service's own validation rules.
//!
//! # Layout
//! - [`contract`]: the API description compiled from `contract/*.proto`: procedures,
//!   messages, validation rules, derived JSON Schemas and compiled validators.
//! - [`codec`]: Connect wire formats, JSON and binary protobuf, into and out of canonical JSON.
//! - [`error`]: Connect codes, their HTTP statuses and the error body.
//! - [`store`]: in-memory state, fixtures (embedded default or a directory) and fake data.
//! - [`service`]: one handler per method, domain logic only, routed by the `HANDLERS` table.
//! - [`pipeline`]: the steps every call runs through; [`http`] the hyper glue around them.
//! - [`app`]: the shared application; [`server`]: the accept loop with graceful shutdown.
//! - [`cors`]: allowed origins and preflights; [`openapi`]: the contract as OpenAPI 3.1.
//! - [`journal`]: what each call asked and got, per session; [`log`]: one line per call.
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
pub mod log;
pub mod openapi;
pub mod pipeline;
pub mod scenario;
pub mod server;
pub mod service;
pub mod session;
pub mod store;
