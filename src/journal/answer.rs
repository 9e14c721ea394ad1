//! What the journal keeps of a call's answer: the encoded message as the client got it, copied
//! once and decoded to proto3 JSON (secrets redacted) only when someone reads the journal, or
//! the error the call ended with.

use super::BODY_CAP;
use crate::codec::answer::{Answer, Reply};
use prost_reflect::{DynamicMessage, MessageDescriptor};
use serde_json::{json, Value};

/// A call's answer as an entry keeps it.
#[derive(Debug, Clone, Default)]
pub enum Answered {
    /// The call ended before it had an answer (the client hung up).
    #[default]
    Nothing,
    /// A response message, in the codec the client asked for.
    Message { binary: bool, bytes: Box<[u8]> },
    /// A response message over [`BODY_CAP`] bytes, not kept.
    TooLarge,
    /// The error, as Connect's JSON error body.
    Error(Box<[u8]>),
    /// A scripted non-Connect answer: its body, trimmed to [`BODY_CAP`] bytes.
    Raw(String),
}

impl Answered {
    pub fn of(answer: &Answer<Reply>) -> Answered {
        match answer {
            Answer::Message(reply) if reply.body.len() > BODY_CAP => Answered::TooLarge,
            Answer::Message(reply) => Answered::Message {
                binary: !reply.content_type.contains("json"),
                bytes: reply.body.as_slice().into(),
            },
            Answer::Error(e) => Answered::Error(e.to_json_bytes().into()),
            Answer::Raw { body, .. } => {
                let mut cut = body.len().min(BODY_CAP);
                while !body.is_char_boundary(cut) {
                    cut -= 1;
                }
                Answered::Raw(body[..cut].to_string())
            }
            Answer::Connection(_) => Answered::Nothing,
        }
    }

    /// About how many bytes it holds, for the journal's budget.
    pub fn bytes(&self) -> usize {
        match self {
            Answered::Message { bytes, .. } => bytes.len(),
            Answered::Error(e) => e.len(),
            Answered::Raw(body) => body.len(),
            Answered::Nothing | Answered::TooLarge => 0,
        }
    }

    /// The answer as proto3 JSON, the way a JSON client would have read it, with the secrets
    /// of `output` (the method's response message, when the call was routed) redacted; and
    /// whether it was too large to keep.
    pub fn to_json(
        &self,
        output: Option<&MessageDescriptor>,
        secrets: &crate::secrets::Secrets,
    ) -> (Value, bool) {
        let mut message = match self {
            Answered::Nothing => return (Value::Null, false),
            Answered::TooLarge => return (Value::Null, true),
            Answered::Error(e) => {
                let error =
                    serde_json::from_slice(e).unwrap_or_else(|e| unreadable(&e.to_string()));
                return (error, false);
            }
            Answered::Raw(body) => return (Value::String(body.clone()), false),
            Answered::Message {
                binary: false,
                bytes,
            } => serde_json::from_slice(bytes).unwrap_or_else(|e| unreadable(&e.to_string())),
            Answered::Message {
                binary: true,
                bytes,
            } => match output {
                Some(desc) => match DynamicMessage::decode(desc.clone(), &bytes[..]) {
                    Ok(decoded) => serde_json::to_value(&decoded)
                        .unwrap_or_else(|e| unreadable(&e.to_string())),
                    Err(e) => unreadable(&e.to_string()),
                },
                None => unreadable("the call named no method of the contract"),
            },
        };
        if let Some(desc) = output {
            secrets.redact(desc.full_name(), &mut message);
        }
        (message, false)
    }
}

/// What the journal shows for an answer it cannot decode: never expected of the mock's own
/// answers, but said plainly rather than hidden.
fn unreadable(why: &str) -> Value {
    json!({ "@unreadable": why })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;
    use prost::Message as _;

    #[test]
    fn a_binary_answer_reads_back_as_proto3_json() {
        let contract = Contract::load();
        let output = contract
            .pool()
            .get_message_by_name("gitpod.v1.GetEnvironmentClassResponse")
            .unwrap();
        let message = crate::codec::to_message(
            &output,
            json!({ "environmentClass": { "id": "c1", "displayName": "Small" } }),
        )
        .unwrap();
        let answered = Answered::Message {
            binary: true,
            bytes: message.encode_to_vec().into(),
        };
        let secrets = crate::secrets::Secrets::of(contract.pool());
        let (json, truncated) = answered.to_json(Some(&output), &secrets);
        assert_eq!(
            json,
            json!({ "environmentClass": { "id": "c1", "displayName": "Small" } })
        );
        assert!(!truncated);
        let (broken, _) = Answered::Message {
            binary: true,
            bytes: vec![0x0a, 0x05, 0x01].into(),
        }
        .to_json(Some(&output), &secrets);
        assert!(broken["@unreadable"].is_string(), "{broken}");
    }
}
