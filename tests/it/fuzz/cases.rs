//! The harness's inputs: every kind of case, each drawn as a whole request (or a file and a
//! call to make once it is loaded) from the structure-aware pieces in `inputs`, `mutate`,
//! `files` and `messages`.

use super::files::{fixture_edit, scenario_text, FixtureEdit};
use super::inputs::{content_type, frame, headers, pack, query, Frame, Query};
use super::messages;
use super::mutate::{apply_bytes, byte_edits, tree_edits, write_edited, ByteEdit, TreeEdit};
use super::requests::{json_style, wire, JsonStyle, Wire};
use bytes::Bytes;
use gitpod_mock::contract::Procedure;
use http::Request;
use http_body_util::Full;
use proptest::prelude::*;
use prost::Message;
use prost_reflect::DynamicMessage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    JsonBody,
    BinaryBody,
    GetQuery,
    Headers,
    Gzip,
    ScenarioFile,
    FixtureFiles,
}

#[derive(Debug, Clone)]
pub enum Case {
    Rpc(Kind, Rpc),
    Scenario(String, Call),
    Fixtures(FixtureEdit, Call),
}

/// A well-formed call, for after a scenario or fixture set is loaded.
#[derive(Debug, Clone)]
pub struct Call {
    pub procedure: usize,
    pub message: DynamicMessage,
    pub wire: Wire,
}

/// One RPC request: which procedure (or an unknown path), how, and what it carries.
#[derive(Debug, Clone)]
pub struct Rpc {
    procedure: usize,
    verb: &'static str,
    api_prefix: bool,
    content_type: Option<String>,
    headers: Vec<(&'static str, String)>,
    query: Option<String>,
    body: Vec<u8>,
}

/// How a valid JSON body is spoiled, if it is.
#[derive(Debug, Clone)]
enum Spoil {
    None,
    Tree(Vec<TreeEdit>),
    Bytes(Vec<ByteEdit>),
}

fn json_of(message: &DynamicMessage, style: JsonStyle) -> Vec<u8> {
    style.write(message)
}

/// Every kind of case, with a message for a random procedure (or an unknown path).
pub fn cases(procedures: &[Procedure]) -> impl Strategy<Value = Case> {
    let strategies: Vec<BoxedStrategy<DynamicMessage>> =
        procedures.iter().map(messages::request).collect();
    let wires: Vec<BoxedStrategy<Wire>> = procedures.iter().map(wire).collect();
    let n = strategies.len();
    let pick = move || {
        let (strategies, wires) = (strategies.clone(), wires.clone());
        (0..n).prop_flat_map(move |i| (Just(i), strategies[i].clone(), wires[i].clone()))
    };
    let call = pick().prop_map(|(procedure, message, wire)| Call {
        procedure,
        message,
        wire,
    });
    let spoil = prop_oneof![
        2 => Just(Spoil::None),
        2 => tree_edits().prop_map(Spoil::Tree),
        1 => byte_edits().prop_map(Spoil::Bytes),
    ];
    let json = (
        pick(),
        json_style(),
        spoil,
        content_type(true),
        headers(false),
    )
        .prop_map(|((p, message, _), style, spoil, content_type, headers)| {
            let body = match spoil {
                Spoil::None => json_of(&message, style),
                Spoil::Tree(edits) => write_edited(
                    &serde_json::from_slice(&json_of(&message, style)).unwrap(),
                    &edits,
                ),
                Spoil::Bytes(edits) => apply_bytes(json_of(&message, style), &edits),
            };
            Case::Rpc(Kind::JsonBody, Rpc::post(p, content_type, headers, body))
        });
    let binary = (
        pick(),
        prop_oneof![1 => Just(None), 1 => byte_edits().prop_map(Some)],
        content_type(false),
        headers(false),
    )
        .prop_map(|((p, message, _), edits, content_type, headers)| {
            let body = message.encode_to_vec();
            let body = match edits {
                Some(edits) => apply_bytes(body, &edits),
                None => body,
            };
            Case::Rpc(Kind::BinaryBody, Rpc::post(p, content_type, headers, body))
        });
    let get = (pick(), query(), json_style(), headers(false)).prop_map(
        |((p, message, _), query, style, headers)| {
            let query: Query = query;
            let text = query.render(&json_of(&message, style), &message.encode_to_vec());
            let mut rpc = Rpc::post(p, None, headers, Vec::new());
            (rpc.verb, rpc.query) = ("GET", Some(text));
            Case::Rpc(Kind::GetQuery, rpc)
        },
    );
    let verbs = proptest::sample::select(
        &[
            "POST", "POST", "GET", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH",
        ][..],
    );
    let odd = (
        pick(),
        0..=n,
        verbs,
        any::<bool>(),
        prop_oneof![Just(None), "[ -~]{0,30}".prop_map(Some)],
        content_type(true),
        headers(true),
    )
        .prop_map(
            move |((p, message, _), path, verb, api_prefix, query, content_type, headers)| {
                let body = json_of(
                    &message,
                    JsonStyle {
                        proto_names: false,
                        enum_numbers: false,
                        defaults: false,
                        bare_64_bit: false,
                    },
                );
                let mut rpc = Rpc::post(if path == n { n } else { p }, content_type, headers, body);
                (rpc.verb, rpc.api_prefix, rpc.query) = (verb, api_prefix, query);
                Case::Rpc(Kind::Headers, rpc)
            },
        );
    let limit = gitpod_mock::app::Settings::default().max_body_bytes;
    let gzipped = (
        pick(),
        any::<bool>(),
        frame(limit),
        any::<bool>(),
        headers(false),
    )
        .prop_map(
            |((p, message, _), as_json, frame, accept, mut headers): (_, bool, Frame, bool, _)| {
                let plain = if as_json {
                    json_of(
                        &message,
                        JsonStyle {
                            proto_names: true,
                            enum_numbers: true,
                            defaults: true,
                            bare_64_bit: true,
                        },
                    )
                } else {
                    message.encode_to_vec()
                };
                headers.retain(|(k, _)| *k != "content-encoding");
                headers.push(("content-encoding", "gzip".into()));
                if accept {
                    headers.push(("accept-encoding", "gzip".into()));
                }
                let content_type = Some(
                    if as_json {
                        "application/json"
                    } else {
                        "application/proto"
                    }
                    .to_string(),
                );
                Case::Rpc(
                    Kind::Gzip,
                    Rpc::post(p, content_type, headers, pack(&plain, &frame)),
                )
            },
        );
    prop_oneof![
        30 => json,
        20 => binary,
        15 => get,
        15 => odd,
        10 => gzipped,
        6 => (scenario_text(), call.clone()).prop_map(|(text, call)| Case::Scenario(text, call)),
        1 => (fixture_edit(), call).prop_map(|(edit, call)| Case::Fixtures(edit, call)),
    ]
}

impl Rpc {
    pub fn post(
        procedure: usize,
        content_type: Option<String>,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Rpc {
        Rpc {
            procedure,
            verb: "POST",
            api_prefix: false,
            content_type,
            headers,
            query: None,
            body,
        }
    }

    pub fn request(&self, procedures: &[Procedure]) -> Request<Full<Bytes>> {
        let path = procedures
            .get(self.procedure)
            .map_or("/gitpod.v1.RunnerConfigurationService/NoSuchMethod", |p| {
                &p.path
            });
        let prefix = if self.api_prefix { "/api" } else { "" };
        let query = self
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let mut builder = Request::builder()
            .method(self.verb)
            .uri(format!("{prefix}{path}{query}"));
        if let Some(content_type) = &self.content_type {
            builder = builder.header("content-type", content_type);
        }
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        let body = Full::new(Bytes::from(self.body.clone()));
        // A query that is not a valid URI is no request at all: send the path alone.
        builder
            .body(body.clone())
            .unwrap_or_else(|_| Request::post(path).body(body).unwrap())
    }
}
