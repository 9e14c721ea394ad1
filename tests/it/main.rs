//! Integration tests: the real server on an ephemeral port, driven over HTTP.

mod examples;
mod malformed;
mod protocol;
mod support;
mod validation;
