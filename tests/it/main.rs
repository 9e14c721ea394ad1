//! Integration tests: the real server on an ephemeral port, driven over HTTP.

mod cli;
mod crud;
mod examples;
mod library;
mod malformed;
mod pagination;
mod protocol;
mod readme;
mod scenarios;
mod secrets;
mod sessions;
mod side_effects;
mod support;
mod validate_method;
mod validation;
