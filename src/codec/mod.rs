//! Connect unary wire formats: decoding request bodies (JSON or binary protobuf) into the
//! canonical proto3 JSON the rest of the pipeline reads, and encoding answers back (`encode`,
//! the one door to the fast JSON encoder).

pub mod answer;
pub mod compression;
mod defaults;
pub mod get;
pub mod grpc;
pub mod headers;
mod json;
mod json_check;
mod proto;
mod ranges;
mod serializer;

pub(crate) use proto::rfc3339;

use crate::contract::Contract;
use crate::error::RpcError;
use prost::Message;
use prost_reflect::{DeserializeOptions, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde_json::Value;

/// A Connect codec, picked by the request's content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Proto,
}

impl Encoding {
    /// The codec for a `Content-Type` header value, ignoring parameters such as `charset=utf-8`.
    pub fn from_content_type(value: &str) -> Option<Encoding> {
        let essence = value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Encoding::Json),
            "application/proto" => Some(Encoding::Proto),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/json",
            Encoding::Proto => "application/proto",
        }
    }
}

/// Decodes a request body into a message of type `desc`. Unknown JSON fields are ignored unless
/// `strict` is set, as in connect-go.
pub fn decode(
    desc: &MessageDescriptor,
    encoding: Encoding,
    body: &[u8],
    strict: bool,
) -> Result<DynamicMessage, RpcError> {
    let fail = |reason: String| {
        RpcError::invalid_argument(format!("unmarshal into {}: {reason}", desc.full_name()))
    };
    match encoding {
        Encoding::Proto => {
            let message =
                DynamicMessage::decode(desc.clone(), body).map_err(|e| fail(e.to_string()))?;
            ranges::check(&message).map_err(fail)?;
            Ok(message)
        }
        Encoding::Json => {
            if body.is_empty() {
                return Err(fail(
                    "zero-length payload is not a valid JSON object".into(),
                ));
            }
            json_check::check(desc, body, strict).map_err(fail)?;
            let options = DeserializeOptions::new().deny_unknown_fields(strict);
            let mut deserializer = serde_json::Deserializer::from_slice(body);
            let message =
                DynamicMessage::deserialize_with_options(desc.clone(), &mut deserializer, &options)
                    .and_then(|m| deserializer.end().map(|()| m))
                    .map_err(|e| fail(describe_json_error(&e)))?;
            Ok(message)
        }
    }
}

fn describe_json_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Eof => format!("truncated JSON: {e}"),
        _ => e.to_string(),
    }
}

/// A request body as its canonical JSON value (see [`canonical`]). Both codecs take a fast
/// path when they can, which debug builds check against the reference decoder; a JSON body is
/// checked first (`json_check`), so its errors name the field whichever path reads it.
pub fn decode_canonical(
    contract: &Contract,
    desc: &MessageDescriptor,
    encoding: Encoding,
    body: &[u8],
    strict: bool,
) -> Result<Value, RpcError> {
    let plans = contract.plans();
    let index = plans.index(desc);
    let fast = match encoding {
        Encoding::Proto => index.and_then(|i| proto::read(plans, i, body)),
        Encoding::Json if body.is_empty() => None,
        Encoding::Json => {
            json_check::check(desc, body, strict).map_err(|reason| {
                RpcError::invalid_argument(format!("unmarshal into {}: {reason}", desc.full_name()))
            })?;
            index.and_then(|i| json::read(plans, i, body))
        }
    };
    let Some(fast) = fast else {
        return Ok(canonical(&decode(desc, encoding, body, strict)?));
    };
    #[cfg(debug_assertions)]
    {
        let reference = canonical(&decode(desc, encoding, body, strict)?);
        if fast != reference {
            return Err(RpcError::internal(format!(
                "gitpod-mock bug: the fast decoder read {fast} where the reference read {reference}"
            )));
        }
    }
    Ok(fast)
}

/// The canonical JSON form of a request: camelCase names, enums by name, and every field
/// without presence written out, so handlers and schemas see one shape whatever the client sent.
pub fn canonical(message: &DynamicMessage) -> Value {
    let options = SerializeOptions::new().skip_default_fields(false);
    message
        .serialize_with_options(serde_json::value::Serializer, &options)
        .expect("a decoded message always serializes")
}

/// Encodes a handler's answer as a `desc` message of `contract`. The value goes through the
/// message type, so the output follows proto3 JSON whatever the handler wrote: defaults
/// omitted, int64 as strings, timestamps in UTC. Top-level lists are always written, even when
/// empty, because the official SDKs' list pages require them. Both codecs take a fast path
/// when they can, following the contract's encoding plans.
pub fn encode<T: serde::Serialize + ?Sized>(
    contract: &Contract,
    desc: &MessageDescriptor,
    encoding: Encoding,
    value: &T,
) -> Result<Vec<u8>, RpcError> {
    let fast = match encoding {
        Encoding::Json => json::write(contract.plans(), desc, value),
        Encoding::Proto => proto::write(contract.plans(), desc, value),
    };
    if let Some(bytes) = fast {
        #[cfg(debug_assertions)]
        match encoding {
            Encoding::Json => same_as_reference(desc, &as_value(desc, value)?, &bytes)?,
            Encoding::Proto => same_message_as_reference(desc, &as_value(desc, value)?, &bytes)?,
        }
        return Ok(bytes);
    }
    reference_encode(desc, encoding, as_value(desc, value)?)
}

/// Debug builds check each binary fast-path answer: it must decode to the message the reference
/// path builds, compared in canonical form (field order may differ, which decoders ignore, and
/// a default the reference holds explicitly is the same message as one left out).
#[cfg(debug_assertions)]
fn same_message_as_reference(
    desc: &MessageDescriptor,
    value: &Value,
    fast: &[u8],
) -> Result<(), RpcError> {
    let reference = canonical(&to_message(desc, value.clone())?);
    match DynamicMessage::decode(desc.clone(), fast) {
        Ok(decoded) if canonical(&decoded) == reference => Ok(()),
        _ => Err(RpcError::internal(format!(
            "gitpod-mock bug: the fast binary encoder wrote {fast:?} for {value}"
        ))),
    }
}

/// The answer as a JSON value, for the reference path.
fn as_value<T: serde::Serialize + ?Sized>(
    desc: &MessageDescriptor,
    value: &T,
) -> Result<Value, RpcError> {
    serde_json::to_value(value).map_err(|e| {
        RpcError::internal(format!(
            "the mock built an invalid {}: {e}",
            desc.full_name()
        ))
    })
}

/// Debug builds (every test run) check each fast-path answer against the reference path and
/// fail the call when they differ, so the test suites and SDK runs double as its oracle.
#[cfg(debug_assertions)]
fn same_as_reference(desc: &MessageDescriptor, value: &Value, fast: &[u8]) -> Result<(), RpcError> {
    let reference = reference_encode(desc, Encoding::Json, value.clone())?;
    let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).ok();
    if parse(fast) == parse(&reference) {
        return Ok(());
    }
    Err(RpcError::internal(format!(
        "gitpod-mock bug: the fast JSON encoder wrote {} where the reference wrote {}",
        String::from_utf8_lossy(fast),
        String::from_utf8_lossy(&reference)
    )))
}

/// `encode` through a `DynamicMessage`: the reference for the JSON fast path, and the binary
/// codec.
fn reference_encode(
    desc: &MessageDescriptor,
    encoding: Encoding,
    value: Value,
) -> Result<Vec<u8>, RpcError> {
    let message = to_message(desc, value)?;
    Ok(match encoding {
        Encoding::Proto => message.encode_to_vec(),
        Encoding::Json => {
            let mut json = message
                .serialize(serde_json::value::Serializer)
                .map_err(|e| RpcError::internal(format!("encode {}: {e}", desc.full_name())))?;
            if let Value::Object(map) = &mut json {
                for field in desc.fields().filter(|f| f.is_list()) {
                    map.entry(field.json_name())
                        .or_insert_with(|| Value::Array(Vec::new()));
                }
            }
            serde_json::to_vec(&json).expect("a JSON value always serializes")
        }
    })
}

/// Builds a message of type `desc` from proto3 JSON, as the handlers and fixtures write it.
pub fn to_message(desc: &MessageDescriptor, value: Value) -> Result<DynamicMessage, RpcError> {
    DynamicMessage::deserialize(desc.clone(), value).map_err(|e| {
        RpcError::internal(format!(
            "the mock built an invalid {}: {e}",
            desc.full_name()
        ))
    })
}

use serde::Serialize as _;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;
    use serde_json::json;

    fn input(name: &str) -> MessageDescriptor {
        Contract::load().procedure(name).unwrap().input.clone()
    }

    #[test]
    fn content_types_ignore_parameters_and_case() {
        assert_eq!(
            Encoding::from_content_type("application/json; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(
            Encoding::from_content_type("Application/Proto"),
            Some(Encoding::Proto)
        );
        assert_eq!(Encoding::from_content_type("text/plain"), None);
    }

    #[test]
    fn snake_case_enum_numbers_and_offsets_become_canonical() {
        let desc = input("CreateHostAuthenticationToken");
        let body = br#"{"runner_id":"r","source":1,"expires_at":"2024-12-31T23:59:59+01:00","subject":null}"#;
        let message = decode(&desc, Encoding::Json, body, false).unwrap();
        let value = canonical(&message);
        assert_eq!(value["runnerId"], "r");
        assert_eq!(value["source"], "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH");
        assert_eq!(value["expiresAt"], "2024-12-31T22:59:59Z");
        assert_eq!(value["host"], "", "fields without presence are written out");
        assert!(value.get("subject").is_none(), "null means unset");
    }

    #[test]
    fn unknown_fields_are_ignored_unless_strict() {
        let desc = input("GetSCMIntegration");
        assert!(decode(&desc, Encoding::Json, br#"{"id":"x","extra":1}"#, false).is_ok());
        let err = decode(&desc, Encoding::Json, br#"{"id":"x","extra":1}"#, true).unwrap_err();
        assert!(err.message.contains("extra"), "{}", err.message);
    }

    #[test]
    fn duplicates_empty_and_truncated_bodies_are_invalid_arguments() {
        let desc = input("GetSCMIntegration");
        for body in [&br#"{"id":"a","id":"b"}"#[..], b"", br#"{"id":"#] {
            let err = decode(&desc, Encoding::Json, body, false).unwrap_err();
            assert_eq!(err.code, crate::error::Code::InvalidArgument);
            assert!(
                err.message
                    .starts_with("unmarshal into gitpod.v1.GetSCMIntegrationRequest: "),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn list_responses_always_carry_their_arrays() {
        let contract = Contract::load();
        let desc = contract
            .procedure("ListSCMIntegrations")
            .unwrap()
            .output
            .clone();
        let body = json!({"pagination": {}});
        let fast = encode(&contract, &desc, Encoding::Json, &body).unwrap();
        let reference = reference_encode(&desc, Encoding::Json, body).unwrap();
        for bytes in [fast, reference] {
            let value: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(value, json!({"integrations": [], "pagination": {}}));
        }
    }
}
