//! Structure-aware pieces of a request: the headers a Connect client sends (each valid,
//! invalid or missing), Connect GET query strings, and gzip frames (valid, truncated,
//! corrupt, concatenated, and bombs just within and beyond the body limit).

use crate::protocol::{base64url, urlencode};
use proptest::prelude::*;
use std::io::Write;
use std::sync::OnceLock;

/// Scenario names a call may ask for: every shipped one, lists, and unknown names.
const SCENARIOS: &[&str] = &[
    "auth-expired",
    "chaos",
    "flaky",
    "not-found-everything",
    "permission-denied-writes",
    "rate-limited",
    "runner-offline",
    "slow",
    "flaky, slow",
    "chaos,rate-limited",
    "nope",
    "",
    " , ",
    "fuzz",
];

/// One header's value: usually `usual` (None to leave it out), else a pick from values that
/// matter, or arbitrary printable text. `wild` makes the odd values as likely as the usual.
fn one_of(
    usual: Option<&'static str>,
    values: &'static [&'static str],
    wild: bool,
) -> BoxedStrategy<Option<String>> {
    let usual_weight = if wild { 2 } else { 20 };
    prop_oneof![
        usual_weight => Just(usual.map(str::to_string)),
        1 => Just(None),
        2 => proptest::sample::select(values).prop_map(|v| Some(v.to_string())),
        1 => "[ -~]{0,24}".prop_map(Some),
    ]
    .boxed()
}

/// Request headers beyond the content type: each usually what a client sends, and any of
/// them invalid or missing now and then (often, when `wild`).
pub fn headers(wild: bool) -> impl Strategy<Value = Vec<(&'static str, String)>> {
    let session = prop_oneof![
        12 => (0..40u32).prop_map(|n| Some(format!("fuzz-{n}"))),
        2 => Just(None),
        1 => "[a-zA-Z0-9._-]{1,64}".prop_map(Some),
        1 => "[ -~]{0,300}".prop_map(Some),
    ];
    let scenario = prop_oneof![
        8 => Just(None),
        1 => proptest::sample::select(SCENARIOS).prop_map(|s| Some(s.to_string())),
    ];
    let timeouts = &[
        "0",
        "1",
        "50",
        "5000",
        "9999999999",
        "99999999999",
        "-1",
        "abc",
        "",
    ][..];
    let origins = &["https://app.gitpod.io", "null", "http://localhost:3000"][..];
    (
        one_of(Some("1"), &["1", "2", "", "v1"], wild),
        one_of(None, timeouts, wild),
        one_of(
            None,
            &["identity", "gzip", "br", "GZIP", "gzip, gzip", ""],
            wild,
        ),
        one_of(
            None,
            &["gzip", "identity", "br, gzip;q=0.5", "*", "gzip;q=0", ""],
            wild,
        ),
        session,
        scenario,
        one_of(None, origins, wild),
    )
        .prop_map(
            |(version, timeout, encoding, accept, session, scenario, origin)| {
                let pairs = [
                    ("connect-protocol-version", version),
                    ("connect-timeout-ms", timeout),
                    ("content-encoding", encoding),
                    ("accept-encoding", accept),
                    ("x-mock-session", session),
                    ("x-mock-scenario", scenario),
                    ("origin", origin),
                ];
                pairs
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k, v)))
                    .collect()
            },
        )
}

/// Content types: mostly the one the body is in, sometimes another or none.
pub fn content_type(body_is_json: bool) -> impl Strategy<Value = Option<String>> {
    let matching = if body_is_json {
        "application/json"
    } else {
        "application/proto"
    };
    prop_oneof![
        12 => Just(Some(matching.to_string())),
        1 => proptest::sample::select(&[
            "application/json; charset=utf-8", "Application/Proto", "application/json", "application/proto",
            "text/plain", "application/connect+json", "application/grpc", "", "application/json;",
        ][..])
        .prop_map(|v| Some(v.to_string())),
        1 => Just(None),
    ]
}

/// How a message is packed into a gzip frame.
#[derive(Debug, Clone)]
pub enum Frame {
    Whole,
    Truncated(usize),
    Corrupt(usize, u8),
    Twice,
    TrailingGarbage,
    /// A bomb: this many zero bytes, compressed.
    Zeros(usize),
    Empty,
}

pub fn frame(limit: usize) -> impl Strategy<Value = Frame> {
    prop_oneof![
        6 => Just(Frame::Whole),
        2 => any::<usize>().prop_map(Frame::Truncated),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Frame::Corrupt(p, b)),
        1 => Just(Frame::Twice),
        1 => Just(Frame::TrailingGarbage),
        1 => proptest::sample::select(vec![limit / 2, limit, limit + 1, 16 * limit]).prop_map(Frame::Zeros),
        1 => Just(Frame::Empty),
    ]
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// `message` packed the `frame` way.
pub fn pack(message: &[u8], frame: &Frame) -> Vec<u8> {
    let whole = gzip(message);
    match frame {
        Frame::Whole => whole,
        Frame::Truncated(p) => whole[..p % whole.len()].to_vec(),
        Frame::Corrupt(p, b) => {
            let mut bytes = whole;
            let at = p % bytes.len();
            bytes[at] ^= b | 1;
            bytes
        }
        Frame::Twice => [whole.clone(), whole].concat(),
        Frame::TrailingGarbage => [whole, b"garbage".to_vec()].concat(),
        Frame::Zeros(n) => zeros(*n).to_vec(),
        Frame::Empty => Vec::new(),
    }
}

/// Gzipped runs of zeros, compressed once per size for the whole run.
fn zeros(n: usize) -> &'static [u8] {
    type Bombs = parking_lot::Mutex<Vec<(usize, &'static [u8])>>;
    static BOMBS: OnceLock<Bombs> = OnceLock::new();
    let mut bombs = BOMBS.get_or_init(Default::default).lock();
    if let Some((_, bytes)) = bombs.iter().find(|(size, _)| *size == n) {
        return bytes;
    }
    let bytes: &'static [u8] = Vec::leak(gzip(&vec![0; n]));
    bombs.push((n, bytes));
    bytes
}

/// A Connect GET query: each parameter valid, invalid or missing, in any order, with
/// unknown parameters mixed in. `json` and `proto` are the message in each codec.
#[derive(Debug, Clone)]
pub struct Query {
    connect: Option<&'static str>,
    encoding: Option<&'static str>,
    base64: Option<&'static str>,
    compression: Option<&'static str>,
    message: MessageParam,
    extra: Vec<String>,
    order: Vec<usize>,
}

#[derive(Debug, Clone)]
enum MessageParam {
    Missing,
    /// The message as the other parameters say it is encoded.
    Fitting,
    /// The message in the other codec than `encoding` names.
    Other,
    Raw(String),
}

pub fn query() -> impl Strategy<Value = Query> {
    let pick = |values: &'static [&'static str]| prop_oneof![1 => Just(None), 5 => proptest::sample::select(values).prop_map(Some)];
    (
        pick(&["v1", "v1", "v2", ""]),
        pick(&["json", "proto", "json", "proto", "JSON", "xml", ""]),
        prop_oneof![3 => Just(None), 1 => proptest::sample::select(&["1", "0", "true", ""][..]).prop_map(Some)],
        prop_oneof![3 => Just(None), 1 => proptest::sample::select(&["gzip", "identity", "br", ""][..]).prop_map(Some)],
        prop_oneof![
            1 => Just(MessageParam::Missing),
            8 => Just(MessageParam::Fitting),
            1 => Just(MessageParam::Other),
            1 => "[ -~]{0,40}".prop_map(MessageParam::Raw),
            1 => Just(MessageParam::Raw("%zz%4".into())),
        ],
        proptest::collection::vec("[a-z_]{1,8}=[ -~]{0,8}|_=1700000000|flag", 0..3),
        Just((0..6).collect::<Vec<usize>>()).prop_shuffle(),
    )
        .prop_map(|(connect, encoding, base64, compression, message, extra, order)| Query {
            connect, encoding, base64, compression, message, extra, order,
        })
}

impl Query {
    /// The query string, with the message in the form the other parameters call for.
    pub fn render(&self, json: &[u8], proto: &[u8]) -> String {
        let proto_codec = self.encoding == Some("proto");
        let raw = match (&self.message, proto_codec) {
            (MessageParam::Fitting, false) | (MessageParam::Other, true) => json,
            (MessageParam::Fitting, true) | (MessageParam::Other, false) => proto,
            _ => &[][..],
        };
        let packed = match self.compression {
            Some("gzip") => gzip(raw),
            _ => raw.to_vec(),
        };
        let message = match &self.message {
            MessageParam::Missing => None,
            MessageParam::Raw(text) => Some(urlencode(text.as_bytes())),
            _ if self.base64.is_some() || proto_codec || self.compression.is_some() => {
                Some(base64url(&packed))
            }
            _ => Some(urlencode(&packed)),
        };
        let params = [
            self.connect.map(|v| format!("connect={v}")),
            self.encoding.map(|v| format!("encoding={v}")),
            self.base64.map(|v| format!("base64={v}")),
            self.compression.map(|v| format!("compression={v}")),
            message.map(|m| format!("message={m}")),
            (!self.extra.is_empty()).then(|| self.extra.join("&")),
        ];
        let mut parts: Vec<String> = self
            .order
            .iter()
            .filter_map(|i| params[*i].clone())
            .collect();
        parts.retain(|p| !p.is_empty());
        parts.join("&")
    }
}
