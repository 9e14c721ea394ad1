//! Integration tests: the real server on an ephemeral port, driven over HTTP.

// A failed unwrap in a test helper is a failed test, with the line that failed.
#![allow(clippy::unwrap_used, reason = "test helpers fail the test they serve")]
// Helpers are `pub` across the test modules; nothing outside this test crate exists to reach.
#![allow(unreachable_pub, reason = "a test binary has no outside")]

mod abandoned;
mod any_contract;
mod calls;
mod cli;
mod closed_stdout;
mod control_plane;
mod crud;
mod dashboard;
mod drift;
mod duplicate_fields;
mod embedding;
mod examples;
mod expectations;
mod fuzz;
mod grpc;
mod grpc_services;
mod id_case;
mod journal;
mod lenient;
mod library;
mod malformed;
mod not_found_messages;
mod open_enums;
mod pagination;
mod protocol;
mod readme;
mod scenario_switching;
mod scenarios;
mod secrets;
mod serve_flags;
mod sessions;
mod side_effects;
mod support;
mod token_integration;
mod type_errors;
mod validate_method;
mod validation;
mod watch;
mod why;
