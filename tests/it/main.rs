//! Integration tests: the real server on an ephemeral port, driven over HTTP.

mod calls;
mod cli;
mod closed_stdout;
mod crud;
mod duplicate_fields;
mod examples;
mod id_case;
mod journal;
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
