//! Integration tests: the real server on an ephemeral port, driven over HTTP.

mod crud;
mod examples;
mod malformed;
mod pagination;
mod protocol;
mod support;
mod validation;
