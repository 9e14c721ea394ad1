//! `respond` bodies: the message a firing rule answers, and its load-time check. A rule's
//! custom success body must be a valid response message of every method the rule can match,
//! in both codecs, encoded exactly as the call path encodes it when the rule fires. A bad body
//! fails when the scenario loads instead of answering `internal` on the call that hits it.

use super::compile::glob;
use crate::codec::{self, answer::Encode, Encoding};
use crate::contract::Contract;
use crate::error::RpcError;
use prost_reflect::{DynamicMessage, MessageDescriptor};
use serde_json::Value;

/// A rule's `respond` body as the message a call answers; its errors blame the scenario, not
/// the mock.
pub(super) struct Scripted(pub(super) Value);

impl Encode for Scripted {
    fn encode(
        &self,
        contract: &Contract,
        desc: &MessageDescriptor,
        encoding: Encoding,
    ) -> Result<Vec<u8>, RpcError> {
        codec::encode(contract, desc, encoding, &self.0).map_err(|e| {
            RpcError::internal(format!(
                "the scenario's respond body is not a valid {}: {}",
                desc.full_name(),
                e.message
            ))
        })
    }
}

/// Checks `body` against the response type of each method `methods` (globs; every method when
/// empty) matches. The error names the method, its response type and the problem.
pub(super) fn check(contract: &Contract, methods: &[String], body: &Value) -> Result<(), String> {
    let matched = contract
        .procedures()
        .iter()
        .filter(|p| methods.is_empty() || methods.iter().any(|m| glob(m, &p.name)));
    for procedure in matched {
        encodes(contract, &procedure.output, body).map_err(|problem| {
            let every = if methods.is_empty() {
                " (the rule matches every method; name one in match.method)"
            } else {
                ""
            };
            format!(
                "respond is not a valid {} for {}{every}: {problem}",
                procedure.output.full_name(),
                procedure.name
            )
        })?;
    }
    Ok(())
}

/// Whether `body` reads as a `desc` message and encodes in both codecs.
fn encodes(contract: &Contract, desc: &MessageDescriptor, body: &Value) -> Result<(), String> {
    // Reading it first gives the plain reason (`unknown field …`, a wrong type) without the
    // encoder's wording, which speaks of handler output.
    DynamicMessage::deserialize(desc.clone(), body).map_err(|e| e.to_string())?;
    for encoding in [Encoding::Json, Encoding::Proto] {
        codec::encode(contract, desc, encoding, body).map_err(|e| e.message)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::contract::Contract;
    use crate::scenario::Scenario;

    fn parse(text: &str) -> Result<Scenario, String> {
        Scenario::parse(&Contract::load(), "r.yaml", text)
    }

    #[test]
    fn valid_bodies_load() {
        let cases = [
            "rules:\n  - match: {method: GetSCMIntegration}\n    respond: {integration: {id: x, host: on, pat: true}}\n",
            "rules:\n  - match: {method: \"List*\"}\n    respond: {}\n",
            "rules:\n  - respond: {}\n",
            "rules:\n  - match: {method: ListEnvironmentClasses}\n    respond: {environmentClasses: [{id: a}], pagination: {nextToken: t}}\n",
        ];
        for text in cases {
            assert!(parse(text).is_ok(), "{text}: {:?}", parse(text).err());
        }
    }

    #[test]
    fn a_bad_body_names_the_file_the_rule_the_method_and_the_problem() {
        let response = "gitpod.v1.GetEnvironmentClassResponse for GetEnvironmentClass";
        #[rustfmt::skip]
        let cases = [
            ("rules:\n  - pass: true\n  - match: {method: GetEnvironmentClass}\n    respond: {nonsense: 1}\n",
                format!("r.yaml: rule 2: respond is not a valid {response}: "), "unrecognized field name 'nonsense'"),
            ("rules:\n  - match: {method: GetSCMIntegration}\n    respond: {integration: {pat: \"yes\"}}\n",
                "r.yaml: rule 1: respond is not a valid gitpod.v1.GetSCMIntegrationResponse for GetSCMIntegration: ".into(), "invalid type: string \"yes\", expected a boolean"),
            // Valid for GetSCMIntegration, not for the other method the rule matches.
            ("rules:\n  - match: {method: [GetSCMIntegration, GetEnvironmentClass]}\n    respond: {integration: {id: x}}\n",
                format!("r.yaml: rule 1: respond is not a valid {response}: "), "unrecognized field name 'integration'"),
            ("rules:\n  - respond: {integration: {id: x}}\n",
                "r.yaml: rule 1: respond is not a valid ".into(), "(the rule matches every method; name one in match.method): "),
        ];
        for (text, prefix, problem) in cases {
            let err = parse(text).unwrap_err();
            assert!(
                err.starts_with(&prefix) && err[prefix.len()..].contains(problem),
                "{text}: {err}"
            );
        }
    }
}
