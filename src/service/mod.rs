//! Domain logic: one handler per method, each a plain synchronous function over `&mut State`,
//! so no lock is ever held across an `.await`, and the procedure table (`methods`) that routes
//! calls to them, joined with the contract at startup (`table`). Handlers only build answers;
//! the codec encodes them.

mod environment_classes;
pub mod generic;
mod host_tokens;
mod methods;
mod runner_configuration;
mod scm_integrations;
mod table;

pub use methods::{Example, Method, METHODS, UNCOVERED};
pub use table::{Entry, Handling, Route, Table};

use crate::codec::answer::Response;
use crate::error::RpcError;
use crate::store::State;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A method's domain logic: the canonical JSON request in, the response message out (encoded
/// after the session lock is released).
pub type Handler = fn(&mut State, &Value) -> Result<Response, RpcError>;

/// Reads a canonical request (or part of one) into a typed struct. Canonical requests always
/// fit, so a failure here is the mock's own bug.
fn parse<T: DeserializeOwned>(value: &Value) -> Result<T, RpcError> {
    T::deserialize(value)
        .map_err(|e| RpcError::internal(format!("request does not fit the handler: {e}")))
}

/// The pagination a List request asks for (query-string overrides are already merged in).
struct Page {
    token: String,
    size: usize,
}

impl Page {
    fn of(body: &Value) -> Page {
        let pagination = &body["pagination"];
        Page {
            token: pagination["token"].as_str().unwrap_or_default().to_string(),
            size: pagination["pageSize"].as_u64().unwrap_or(0) as usize,
        }
    }
}
