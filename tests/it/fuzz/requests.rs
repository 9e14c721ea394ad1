//! A message as a Connect request in each of the ways a client may send it: a JSON or binary
//! POST, or (for methods without side effects) a Connect GET with the message in the query.

use crate::protocol::{base64url, urlencode};
use bytes::Bytes;
use gitpod_mock::contract::Procedure;
use http::Request;
use http_body_util::Full;
use proptest::prelude::*;
use prost::Message;
use prost_reflect::{DynamicMessage, SerializeOptions};

/// How a message goes on the wire.
#[derive(Debug, Clone, Copy)]
pub enum Wire {
    /// A JSON POST in one of the spellings proto3 JSON allows.
    Json(JsonStyle),
    Proto,
    GetJson(JsonStyle),
    GetProto,
}

/// The proto3 JSON spellings a client may use: field names as in the .proto file, enums by
/// number, default values written out, 64-bit integers as numbers.
#[derive(Debug, Clone, Copy)]
pub struct JsonStyle {
    pub proto_names: bool,
    pub enum_numbers: bool,
    pub defaults: bool,
    pub bare_64_bit: bool,
}

impl JsonStyle {
    pub fn write(&self, message: &DynamicMessage) -> Vec<u8> {
        let options = SerializeOptions::new()
            .use_proto_field_name(self.proto_names)
            .use_enum_numbers(self.enum_numbers)
            .skip_default_fields(!self.defaults)
            .stringify_64_bit_integers(!self.bare_64_bit);
        let mut out = Vec::new();
        let mut serializer = serde_json::Serializer::new(&mut out);
        message
            .serialize_with_options(&mut serializer, &options)
            .expect("a message serializes");
        out
    }
}

pub fn json_style() -> impl Strategy<Value = JsonStyle> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(proto_names, enum_numbers, defaults, bare_64_bit)| JsonStyle {
            proto_names,
            enum_numbers,
            defaults,
            bare_64_bit,
        },
    )
}

/// Every way `procedure` can be called: GET only for methods without side effects.
pub fn wire(procedure: &Procedure) -> BoxedStrategy<Wire> {
    let post = prop_oneof![json_style().prop_map(Wire::Json), Just(Wire::Proto)];
    if procedure.side_effects {
        return post.boxed();
    }
    prop_oneof![
        post,
        json_style().prop_map(Wire::GetJson),
        Just(Wire::GetProto)
    ]
    .boxed()
}

/// The request for `message` sent to `procedure` the `wire` way.
pub fn request(
    procedure: &Procedure,
    message: &DynamicMessage,
    wire: Wire,
) -> Request<Full<Bytes>> {
    let (content_type, body, query) = match wire {
        Wire::Json(style) => ("application/json", style.write(message), None),
        Wire::Proto => ("application/proto", message.encode_to_vec(), None),
        Wire::GetJson(style) => {
            let body = style.write(message);
            let query = format!("connect=v1&encoding=json&message={}", urlencode(&body));
            ("application/json", body, Some(query))
        }
        Wire::GetProto => {
            let body = message.encode_to_vec();
            let query = format!(
                "connect=v1&encoding=proto&base64=1&message={}",
                base64url(&body)
            );
            ("application/proto", body, Some(query))
        }
    };
    if let Some(query) = query {
        let get = Request::get(format!("{}?{query}", procedure.path));
        if let Ok(request) = get.body(Full::new(Bytes::new())) {
            return request;
        }
        // Too long for a URL: connect-go's client sends such a message as a POST.
    }
    Request::post(&procedure.path)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}
