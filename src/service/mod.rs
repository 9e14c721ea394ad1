//! Domain logic: one handler per method, each a plain synchronous function over `&mut State`,
//! so no lock is ever held across an `.await`. `HANDLERS` is the table routing reads. Handlers
//! only build answers (`codec::answer::Response`); the codec encodes them.

mod environment_classes;
mod host_tokens;
mod runner_configuration;
mod scm_integrations;

pub(crate) use runner_configuration::environment_class_problems;

use crate::codec::answer::Response;
use crate::error::RpcError;
use crate::store::State;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A method's domain logic: the canonical JSON request in, the response message out (encoded
/// after the session lock is released).
pub type Handler = fn(&mut State, &Value) -> Result<Response, RpcError>;

/// Every documented method and its handler. Methods the contract has and this table lacks
/// (the LLM integrations) answer `unimplemented`.
pub const HANDLERS: &[(&str, Handler)] = &[
    ("CreateEnvironmentClass", environment_classes::create),
    ("GetEnvironmentClass", environment_classes::get),
    ("ListEnvironmentClasses", environment_classes::list),
    ("UpdateEnvironmentClass", environment_classes::update),
    ("CreateHostAuthenticationToken", host_tokens::create),
    ("GetHostAuthenticationToken", host_tokens::get),
    ("ListHostAuthenticationTokens", host_tokens::list),
    ("UpdateHostAuthenticationToken", host_tokens::update),
    ("DeleteHostAuthenticationToken", host_tokens::delete),
    ("CreateSCMIntegration", scm_integrations::create),
    ("GetSCMIntegration", scm_integrations::get),
    ("ListSCMIntegrations", scm_integrations::list),
    ("UpdateSCMIntegration", scm_integrations::update),
    ("DeleteSCMIntegration", scm_integrations::delete),
    (
        "GetRunnerConfigurationSchema",
        runner_configuration::get_schema,
    ),
    (
        "ValidateRunnerConfiguration",
        runner_configuration::validate,
    ),
];

/// The handler for a method name, if the mock covers it.
pub fn handler(method: &str) -> Option<Handler> {
    HANDLERS
        .iter()
        .find(|(name, _)| *name == method)
        .map(|(_, h)| *h)
}

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
