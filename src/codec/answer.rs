//! What a call answers, whoever decided it: a response message (a handler's typed answer or a
//! scenario's scripted body), a Connect error, a scripted non-Connect body, or a dropped
//! connection. A message is built under the session's lock and encoded after it is released,
//! so a handler hands over the store's shared records (`Arc`) without copying them.

use super::Encoding;
use crate::contract::Contract;
use crate::error::RpcError;
use prost_reflect::MessageDescriptor;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// What a call answers. `M` is the message: a [`Response`] until it is encoded, then a
/// [`Reply`].
#[derive(Debug)]
pub enum Answer<M = Response> {
    Message(M),
    Error(RpcError),
    /// A scripted answer that is not Connect, such as a proxy's HTML error page.
    Raw {
        status: u16,
        content_type: Option<String>,
        body: String,
    },
    /// No answer at all: the connection is dropped.
    Connection(ConnectionFault),
}

/// An encoded message and its content type.
#[derive(Debug)]
pub struct Reply {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// How a scripted fault ends the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionFault {
    /// Closed with a TCP reset.
    Reset,
    /// Closed without an answer.
    Close,
}

impl From<Result<Response, RpcError>> for Answer {
    fn from(result: Result<Response, RpcError>) -> Answer {
        result.map_or_else(Answer::Error, Answer::Message)
    }
}

impl Answer {
    /// The answer with its message encoded as a `desc` message in `encoding`; a message that
    /// does not encode becomes the error saying why.
    pub fn encode(
        self,
        contract: &Contract,
        desc: &MessageDescriptor,
        encoding: Encoding,
    ) -> Answer<Reply> {
        match self {
            Answer::Message(message) => match message.encode(contract, desc, encoding) {
                Ok(body) => Answer::Message(Reply {
                    content_type: encoding.content_type(),
                    body,
                }),
                Err(e) => Answer::Error(e),
            },
            Answer::Error(e) => Answer::Error(e),
            Answer::Raw {
                status,
                content_type,
                body,
            } => Answer::Raw {
                status,
                content_type,
                body,
            },
            Answer::Connection(fault) => Answer::Connection(fault),
        }
    }
}

/// A response message still to be encoded: anything that serializes in the response
/// message's proto3 JSON shape, either a `json!` value or typed records shared with the store
/// (`Arc`), encoded without being copied into a `Value` first. The one dynamic call is
/// `encode`; inside it the serializer is monomorphic for the answer's type.
pub struct Response(Box<dyn Encode>);

/// A message that encodes itself (see [`super::encode`]). Every `Serialize` value is one; a
/// type that words its own encoding errors implements it directly.
pub trait Encode {
    fn encode(
        &self,
        contract: &Contract,
        desc: &MessageDescriptor,
        encoding: Encoding,
    ) -> Result<Vec<u8>, RpcError>;
}

impl<T: Serialize> Encode for T {
    fn encode(
        &self,
        contract: &Contract,
        desc: &MessageDescriptor,
        encoding: Encoding,
    ) -> Result<Vec<u8>, RpcError> {
        super::encode(contract, desc, encoding, self)
    }
}

impl Response {
    /// A message that encodes itself its own way.
    pub fn new(message: impl Encode + 'static) -> Response {
        Response(Box::new(message))
    }

    /// `{"<field>": value}`: the answer of a Get.
    pub fn field<T: Serialize + 'static>(field: &'static str, value: Arc<T>) -> Response {
        Response::new(OneField { field, value })
    }

    /// `{"<field>": rows, "pagination": {"nextToken": …}}`: one page of a List.
    pub fn list<T: Serialize + 'static>(
        field: &'static str,
        rows: Vec<Arc<T>>,
        next_token: String,
    ) -> Response {
        Response::new(Listed {
            field,
            rows,
            next_token,
        })
    }

    /// The message as a `desc` message in `encoding`.
    pub fn encode(
        &self,
        contract: &Contract,
        desc: &MessageDescriptor,
        encoding: Encoding,
    ) -> Result<Vec<u8>, RpcError> {
        self.0.encode(contract, desc, encoding)
    }
}

impl From<Value> for Response {
    fn from(value: Value) -> Response {
        Response::new(value)
    }
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Response(..)")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::State;

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
        let tokens = state.table::<crate::store::records::HostToken>();
        for token in tokens.iter() {
            let value = tokens.shared(&token.id).unwrap();
            let answer = OneField {
                field: "token",
                value,
            };
            let fast = super::super::json::write(contract.plans(), desc, &answer);
            let reference = super::super::encode(&contract, desc, Encoding::Proto, &answer);
            let decoded = prost_reflect::DynamicMessage::decode(desc.clone(), &*reference.unwrap());
            let expected = serde_json::to_value(decoded.unwrap()).unwrap();
            let fast = fast.expect("not declined");
            assert_eq!(serde_json::from_slice::<Value>(&fast).unwrap(), expected);
            checked += 1;
        }
        assert!(checked > 0, "the fixtures hold host tokens to check");
    }
}
