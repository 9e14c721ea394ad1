//! Request rules that only the handlers enforce: no `buf.validate` option states them, so the
//! derived validator never checks them, yet a request that breaks one is answered
//! `invalid_argument`. The published schemas (the OpenAPI export, `GET /__mock/schemas/…`) carry
//! them as JSON Schema, so that a request valid by its schema is one the handlers accept.
//!
//! Each states its field's type too: a published schema lets any unset field be `null`, and a
//! `null` does not meet a handler's rule.
//!
//! Handler checks that depend on stored data (an unknown runner, an `scm_id` the runner's schema
//! lacks, an integration without OAuth) are not rules of the request alone and stay out.

use super::schema::is_set;
use serde_json::{json, Value};

/// One rule a handler enforces on a request message.
pub struct HandlerRule {
    /// The request message's full name.
    pub message: &'static str,
    /// The rule as a JSON Schema the message's definition must also meet.
    pub schema: fn() -> Value,
    /// A request to the method that breaks only this rule (against the default fixtures)…
    pub method: &'static str,
    pub breaking: &'static str,
    /// …and the message of the `invalid_argument` the handler answers it with.
    pub answer: &'static str,
}

/// Every handler-only rule (see `src/service/`).
pub const HANDLER_RULES: &[HandlerRule] = &[
    HandlerRule {
        message: "gitpod.v1.CreateSCMIntegrationRequest",
        schema: || {
            json!({
                "$comment": "host is required (enforced by the handler)",
                "required": ["host"],
                "properties": { "host": { "type": "string", "minLength": 1 } },
            })
        },
        method: "CreateSCMIntegration",
        breaking: r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","scmId":"github","host":""}"#,
        answer: "host is required",
    },
    HandlerRule {
        message: "gitpod.v1.CreateSCMIntegrationRequest",
        schema: || {
            json!({
                "$comment": "an OAuth client id needs its secret (enforced by the handler)",
                "if": {
                    "required": ["oauthClientId"],
                    "properties": { "oauthClientId": { "type": "string", "minLength": 1 } },
                },
                "then": {
                    "required": ["oauthPlaintextClientSecret"],
                    "properties": { "oauthPlaintextClientSecret": { "type": "string", "minLength": 1 } },
                },
            })
        },
        method: "CreateSCMIntegration",
        breaking: r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","scmId":"github","host":"github.example.com","oauthClientId":"client"}"#,
        answer: "oauth_plaintext_client_secret is required when oauth_client_id is set",
    },
    HandlerRule {
        message: "gitpod.v1.ValidateRunnerConfigurationRequest",
        schema: || {
            json!({
                "$comment": "oneof config is required: exactly one member is set (enforced by the handler)",
                "anyOf": [is_set("environmentClass"), is_set("scmIntegration")],
            })
        },
        method: "ValidateRunnerConfiguration",
        breaking: r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}"#,
        answer: "config is required: set environment_class or scm_integration",
    },
];

/// The handler-only rules of one message, as JSON Schemas.
pub fn of(message: &str) -> impl Iterator<Item = Value> + '_ {
    HANDLER_RULES
        .iter()
        .filter(move |r| r.message == message)
        .map(|r| (r.schema)())
}
