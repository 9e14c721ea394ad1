//! Domain logic: one handler per method, each a plain synchronous function over `&mut State`,
//! so no lock is ever held across an `.await`. `HANDLERS` is the table routing reads.

mod environment_classes;
mod host_tokens;
mod runner_configuration;
mod scm_integrations;

pub(crate) use runner_configuration::environment_class_problems;

use crate::codec::Encoding;
use crate::error::RpcError;
use crate::store::State;
use prost_reflect::MessageDescriptor;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// A method's domain logic: the canonical JSON request in, the response out.
pub type Handler = fn(&mut State, &Value) -> Result<Response, RpcError>;

/// A handler's answer: anything that serializes in the response message's proto3 JSON shape,
/// either a `json!` value or typed records shared with the store (`Arc`), which are encoded
/// after the session lock is released without being copied into a `Value` first. The one
/// dynamic call is `encode`; inside it the serializer is monomorphic for the answer's type.
pub struct Response(Box<dyn Encode>);

/// An answer that encodes itself as a message (see `codec::encode`).
trait Encode {
    fn encode(&self, desc: &MessageDescriptor, encoding: Encoding) -> Result<Vec<u8>, RpcError>;
}

impl<T: Serialize> Encode for T {
    fn encode(&self, desc: &MessageDescriptor, encoding: Encoding) -> Result<Vec<u8>, RpcError> {
        crate::codec::encode(desc, encoding, self)
    }
}

impl Response {
    /// `{"<field>": value}`: the answer of a Get.
    pub fn field<T: Serialize + 'static>(field: &'static str, value: Arc<T>) -> Response {
        Response(Box::new(OneField { field, value }))
    }

    /// The answer as a `desc` message in `encoding`.
    pub fn encode(
        &self,
        desc: &MessageDescriptor,
        encoding: Encoding,
    ) -> Result<Vec<u8>, RpcError> {
        self.0.encode(desc, encoding)
    }
}

impl From<Value> for Response {
    fn from(value: Value) -> Response {
        Response(Box::new(value))
    }
}

struct OneField<T> {
    field: &'static str,
    value: Arc<T>,
}

impl<T: Serialize> Serialize for OneField<T> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut message = out.serialize_struct("Response", 1)?;
        message.serialize_field(self.field, self.value.as_ref())?;
        message.end()
    }
}

/// A List answer: one page of rows and the next page's token.
struct Listed<T> {
    field: &'static str,
    rows: Vec<Arc<T>>,
    next_token: String,
}

impl<T: Serialize> Serialize for Listed<T> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Pagination<'a> {
            next_token: &'a str,
        }
        let mut message = out.serialize_struct("Response", 2)?;
        message.serialize_field(self.field, &self.rows)?;
        let next_token = &self.next_token;
        message.serialize_field("pagination", &Pagination { next_token })?;
        message.end()
    }
}

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

fn list_response<T: Serialize + 'static>(
    field: &'static str,
    rows: Vec<Arc<T>>,
    next_token: String,
) -> Response {
    Response(Box::new(Listed {
        field,
        rows,
        next_token,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;

    #[test]
    fn typed_answers_take_the_fast_json_path() {
        let contract = Contract::load();
        let source = crate::store::fixtures::Source::Embedded;
        let fixtures = crate::store::fixtures::load(&contract, source).unwrap();
        let state = State::new(&fixtures, Some(1));
        let desc = &contract
            .procedure("GetHostAuthenticationToken")
            .unwrap()
            .output;
        let mut checked = 0;
        for token in state.host_tokens.iter() {
            checked += 1;
            let value = state.host_tokens.shared(&token.id).unwrap();
            let answer = OneField {
                field: "token",
                value,
            };
            let fast = crate::codec::fast_json(desc, &answer).expect("not declined");
            let reference = crate::codec::encode(desc, Encoding::Proto, &answer).unwrap();
            let decoded = prost_reflect::DynamicMessage::decode(desc.clone(), reference.as_slice());
            let expected = serde_json::to_value(decoded.unwrap()).unwrap();
            assert_eq!(serde_json::from_slice::<Value>(&fast).unwrap(), expected);
        }
        // Without tokens in the fixtures the loop above would check nothing and pass.
        assert!(checked > 0, "the embedded fixtures hold host tokens");
    }
}
