//! Schema-valid random messages, built as proptest strategies from the contract's message
//! descriptors alone: every field of every kind, unnamed enum numbers, extreme integers,
//! empty, long and maximal strings and lists, every oneof case, nested messages and maps.
//! Strings are drawn partly from the fixtures' own values (ids, hosts, SCM ids, keys), so
//! generated calls reach handlers' success paths as well as their not-found ones.

use gitpod_mock::contract::Procedure;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Just, Union};
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, ReflectMessage, Value,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

/// Nested messages deeper than this are left unset, so every strategy is finite.
const MAX_DEPTH: u32 = 5;

/// A strategy for messages of type `desc`.
pub fn message(desc: &MessageDescriptor) -> BoxedStrategy<DynamicMessage> {
    message_at(desc, 0, false)
}

/// Requests for `procedure`: generated ones, and the API reference's examples for it with
/// some fields taken from a generated message. The examples name fixture records and pass
/// validation, so these reach the handlers' success paths and the edges just past them.
pub fn request(procedure: &Procedure) -> BoxedStrategy<DynamicMessage> {
    let desc = procedure.input.clone();
    let examples: Vec<DynamicMessage> = gitpod_mock::service::METHODS
        .iter()
        .filter(|m| m.name == procedure.name && procedure.service == gitpod_mock::contract::SERVICE)
        .flat_map(|m| m.example.requests.iter())
        .map(|(_, _, json)| {
            let value: serde_json::Value = serde_json::from_str(json).unwrap();
            DynamicMessage::deserialize(desc.clone(), value).unwrap()
        })
        .collect();
    if examples.is_empty() {
        return message(&desc);
    }
    let fields = desc.fields().len();
    let overlaid = (
        proptest::sample::select(examples),
        message(&desc),
        proptest::collection::vec(prop::bool::weighted(0.2), fields),
    )
        .prop_map(|(mut example, generated, take)| {
            for (field, take) in generated.descriptor().fields().zip(take) {
                if take && generated.has_field(&field) {
                    example.set_field(&field, generated.get_field(&field).into_owned());
                }
            }
            example
        });
    prop_oneof![1 => message(&desc), 1 => overlaid].boxed()
}

/// `small` keeps strings, bytes and lists short: the elements of long lists are small, so a
/// message stays within a few megabytes however the choices fall.
fn message_at(desc: &MessageDescriptor, depth: u32, small: bool) -> BoxedStrategy<DynamicMessage> {
    match desc.full_name() {
        "google.protobuf.Timestamp" => return timestamp(desc),
        "google.protobuf.Duration" => return duration(desc),
        // Any's proto3 JSON needs its type in the pool; an empty one always encodes.
        "google.protobuf.Any" => return Just(DynamicMessage::new(desc.clone())).boxed(),
        _ => {}
    }
    let mut groups: Vec<BoxedStrategy<Vec<(FieldDescriptor, Value)>>> = Vec::new();
    for field in desc.fields().filter(|f| real_oneof(f).is_none()) {
        groups.push(field_entry(&field, depth, small));
    }
    for oneof in desc.oneofs().filter(|o| !o.is_synthetic()) {
        // No member, or exactly one of them: every case of the oneof.
        let mut cases = vec![Just(Vec::new()).boxed()];
        for field in oneof.fields() {
            let member = field.clone();
            cases.push(
                value(&field, depth, small)
                    .prop_map(move |v| vec![(member.clone(), v)])
                    .boxed(),
            );
        }
        groups.push(Union::new(cases).boxed());
    }
    let desc = desc.clone();
    groups
        .prop_map(move |groups| {
            let mut message = DynamicMessage::new(desc.clone());
            for (field, value) in groups.into_iter().flatten() {
                message.set_field(&field, value);
            }
            message
        })
        .boxed()
}

fn real_oneof(field: &FieldDescriptor) -> Option<prost_reflect::OneofDescriptor> {
    field.containing_oneof().filter(|o| !o.is_synthetic())
}

/// A field outside any oneof: fields with presence (messages, `optional`) are sometimes
/// unset; the others always have a value, often their default.
fn field_entry(
    field: &FieldDescriptor,
    depth: u32,
    small: bool,
) -> BoxedStrategy<Vec<(FieldDescriptor, Value)>> {
    let nested = matches!(field.kind(), Kind::Message(_)) && !field.is_list() && !field.is_map();
    if nested && depth >= MAX_DEPTH {
        return Just(Vec::new()).boxed();
    }
    let field = field.clone();
    let entry = value(&field, depth, small).prop_map(move |v| vec![(field.clone(), v)]);
    prop_oneof![1 => Just(Vec::new()), 3 => entry].boxed()
}

/// A value for `field`: a list, a map, or one value of its kind.
fn value(field: &FieldDescriptor, depth: u32, small: bool) -> BoxedStrategy<Value> {
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            unreachable!("map fields are entry messages")
        };
        let key = map_key(&entry.map_entry_key_field().kind());
        let value_kind = entry.map_entry_value_field().kind();
        let pairs = move |small| (key.clone(), single(&value_kind, depth + 1, small)).boxed();
        return many(pairs, small)
            .prop_map(|pairs| Value::Map(pairs.into_iter().collect::<HashMap<_, _>>()))
            .boxed();
    }
    if field.is_list() {
        let kind = field.kind();
        return many(move |small| single(&kind, depth + 1, small), small)
            .prop_map(Value::List)
            .boxed();
    }
    single(&field.kind(), depth + 1, small)
}

/// Lists and maps: mostly short, sometimes just past the contract's usual limits (25, 100,
/// 101 items), rarely far beyond them, with small elements when long.
fn many<T: std::fmt::Debug + 'static>(
    element: impl Fn(bool) -> BoxedStrategy<T>,
    small: bool,
) -> BoxedStrategy<Vec<T>> {
    use proptest::collection::vec;
    if small {
        return vec(element(true), 0..4).boxed();
    }
    prop_oneof![
        8 => vec(element(false), 0..4),
        2 => vec(element(true), 24..27),
        1 => vec(element(true), 99..103),
        1 => vec(element(true), 1000..1001),
    ]
    .boxed()
}

/// One value of a kind.
fn single(kind: &Kind, depth: u32, small: bool) -> BoxedStrategy<Value> {
    match kind {
        Kind::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Kind::String => string(small).prop_map(Value::String).boxed(),
        Kind::Bytes => bytes(small).prop_map(|b| Value::Bytes(b.into())).boxed(),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => i32s().prop_map(Value::I32).boxed(),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(0i64),
            Just(-1i64),
            any::<i64>(),
            0..1000i64
        ]
        .prop_map(Value::I64)
        .boxed(),
        Kind::Uint32 | Kind::Fixed32 => {
            prop_oneof![Just(u32::MAX), Just(0u32), any::<u32>(), 0..1000u32]
                .prop_map(Value::U32)
                .boxed()
        }
        Kind::Uint64 | Kind::Fixed64 => {
            prop_oneof![Just(u64::MAX), Just(0u64), any::<u64>(), 0..1000u64]
                .prop_map(Value::U64)
                .boxed()
        }
        Kind::Float => any::<f32>().prop_map(Value::F32).boxed(),
        Kind::Double => any::<f64>().prop_map(Value::F64).boxed(),
        Kind::Enum(e) => {
            let named: Vec<i32> = e.values().map(|v| v.number()).collect();
            prop_oneof![
                4 => proptest::sample::select(named),
                // Proto3 enums are open: numbers no value is named for are valid too.
                1 => prop_oneof![Just(99), Just(-1), Just(i32::MAX), Just(i32::MIN), any::<i32>()],
            ]
            .prop_map(Value::EnumNumber)
            .boxed()
        }
        Kind::Message(m) => message_at(m, depth, small).prop_map(Value::Message).boxed(),
    }
}

fn i32s() -> impl Strategy<Value = i32> {
    prop_oneof![
        Just(0),
        Just(-1),
        Just(i32::MIN),
        Just(i32::MAX),
        0..120,
        any::<i32>()
    ]
}

fn map_key(kind: &Kind) -> BoxedStrategy<MapKey> {
    match kind {
        Kind::Bool => any::<bool>().prop_map(MapKey::Bool).boxed(),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => i32s().prop_map(MapKey::I32).boxed(),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => any::<i64>().prop_map(MapKey::I64).boxed(),
        Kind::Uint32 | Kind::Fixed32 => any::<u32>().prop_map(MapKey::U32).boxed(),
        Kind::Uint64 | Kind::Fixed64 => any::<u64>().prop_map(MapKey::U64).boxed(),
        _ => string(true).prop_map(MapKey::String).boxed(),
    }
}

/// A valid `Timestamp`: anywhere from year 1 to year 9999, nanoseconds included.
fn timestamp(desc: &MessageDescriptor) -> BoxedStrategy<DynamicMessage> {
    const MIN: i64 = -62_135_596_800;
    const MAX: i64 = 253_402_300_799;
    let seconds = prop_oneof![
        Just(MIN),
        Just(MAX),
        Just(0),
        1_600_000_000..1_900_000_000i64,
        MIN..=MAX
    ];
    let desc = desc.clone();
    (seconds, prop_oneof![Just(0), 0..1_000_000_000i32])
        .prop_map(move |(seconds, nanos)| {
            let mut m = DynamicMessage::new(desc.clone());
            m.set_field_by_name("seconds", Value::I64(seconds));
            m.set_field_by_name("nanos", Value::I32(nanos));
            m
        })
        .boxed()
}

/// A Duration proto3 JSON can write: within ±315,576,000,000 s, nanos of the seconds' sign.
fn duration(desc: &MessageDescriptor) -> BoxedStrategy<DynamicMessage> {
    const MAX: i64 = 315_576_000_000;
    let seconds = prop_oneof![Just(0), Just(MAX), Just(-MAX), 0..100_000i64, -MAX..=MAX];
    let desc = desc.clone();
    (seconds, 0..1_000_000_000i32)
        .prop_map(move |(seconds, nanos)| {
            let mut m = DynamicMessage::new(desc.clone());
            m.set_field_by_name("seconds", Value::I64(seconds));
            let nanos = if seconds < 0 { -nanos } else { nanos };
            m.set_field_by_name("nanos", Value::I32(nanos));
            m
        })
        .boxed()
}

/// Strings: empty, a value the fixtures hold (also upper-cased, as ids may be), arbitrary
/// Unicode, just over the contract's length limits, and (unless `small`) long ones past the
/// journal's cap.
pub fn string(small: bool) -> BoxedStrategy<String> {
    let known = proptest::sample::select(fixture_strings().to_vec());
    let usual = prop_oneof![
        2 => Just(String::new()),
        6 => known.clone(),
        1 => known.prop_map(|s| s.to_uppercase()),
        3 => any::<String>(),
        1 => "[a-z]{1,3}\\.[a-z]{2,3}",
        1 => (120..260usize).prop_map(|n| "n".repeat(n)),
    ];
    if small {
        return usual.boxed();
    }
    let long = prop_oneof![Just(64 * 1024 + 1), Just(300_000usize)].prop_map(|n| "L".repeat(n));
    prop_oneof![30 => usual, 1 => long].boxed()
}

fn bytes(small: bool) -> BoxedStrategy<Vec<u8>> {
    let short = proptest::collection::vec(any::<u8>(), 0..48);
    if small {
        return short.boxed();
    }
    prop_oneof![30 => short, 1 => Just(vec![0xAB; 70_000])].boxed()
}

/// Every string value in the embedded fixture files.
pub fn fixture_strings() -> &'static [String] {
    static STRINGS: OnceLock<Vec<String>> = OnceLock::new();
    STRINGS.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut found = BTreeSet::new();
        let mut files = vec![dir.join("runners.json")];
        for name in [
            "environment_classes",
            "scm_integrations",
            "host_authentication_tokens",
        ] {
            files.push(dir.join(format!("{name}.json")));
        }
        for entry in std::fs::read_dir(dir.join("schemas")).unwrap() {
            files.push(entry.unwrap().path());
        }
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            collect_strings(&serde_json::from_str(&text).unwrap(), &mut found);
        }
        found.into_iter().collect()
    })
}

fn collect_strings(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::String(s) if s.len() <= 200 => {
            out.insert(s.clone());
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}
