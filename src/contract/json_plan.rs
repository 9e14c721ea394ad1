//! Encoding plans: what the codec's fast JSON and binary encoders need to know about each message type,
//! read from the descriptors when the contract loads, so that writing a response asks the
//! descriptor pool nothing. They are to encoding what the compiled validators are to requests.

use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MessageDescriptor};
use rustc_hash::FxHashMap as HashMap;

/// The plans of every message in a descriptor pool.
pub(crate) struct Plans {
    by_name: HashMap<String, usize>,
    pub messages: Vec<MessagePlan>,
}

pub(crate) struct MessagePlan {
    /// Sorted by JSON name, for binary search.
    pub fields: Vec<FieldPlan>,
    /// Places in `fields` in declaration order, the order serializers usually write fields
    /// in, so `next_field` finds most fields with one comparison.
    declared: Vec<usize>,
    /// Field numbers with their place in `fields`, sorted by number, for the binary decoder.
    numbers: Vec<(u32, usize)>,
    /// Well-known types other than Timestamp, which the fast encoder leaves to the reference path.
    pub opaque: bool,
    pub timestamp: bool,
}

pub(crate) struct FieldPlan {
    pub json_name: String,
    /// The field's place in declaration order (`MessagePlan::declared`).
    pub order: usize,
    /// `"jsonName":`, escaped once.
    pub key: Vec<u8>,
    pub number: u32,
    pub shape: Shape,
    pub kind: KindPlan,
    /// Explicit presence: a default value is still written.
    pub presence: bool,
    /// The real (non-synthetic) oneof the field belongs to.
    pub oneof: Option<usize>,
    /// The binary fast path writes the field's kind: varints, strings, bytes and messages, not
    /// zigzag (`sint`), fixed-width or floating-point fields.
    pub binary: bool,
    /// A `bytes` field (its kind plan is `Other`): base64 in JSON.
    pub bytes: bool,
}

#[derive(PartialEq)]
pub(crate) enum Shape {
    Single,
    List,
    /// A map; `kind` is the value's kind.
    Map,
}

pub(crate) enum KindPlan {
    Message(usize),
    String,
    Bool,
    /// Value names by number.
    Enum(Vec<(i32, String)>),
    I64,
    U64,
    I32,
    U32,
    /// Floats and bytes: left to the reference path.
    Other,
}

impl Plans {
    /// The plan index of `desc`; None for a message from another pool.
    pub(crate) fn index(&self, desc: &MessageDescriptor) -> Option<usize> {
        self.by_name.get(desc.full_name()).copied()
    }

    /// The plans of every message in `pool`.
    pub(crate) fn build(pool: &DescriptorPool) -> Plans {
        let by_name: HashMap<String, usize> = pool
            .all_messages()
            .enumerate()
            .map(|(i, m)| (m.full_name().to_string(), i))
            .collect();
        let messages = pool
            .all_messages()
            .map(|m| message_plan(&m, &by_name))
            .collect();
        Plans { by_name, messages }
    }
}

fn message_plan(desc: &MessageDescriptor, by_name: &HashMap<String, usize>) -> MessagePlan {
    let well_known = desc.full_name().starts_with("google.protobuf.");
    let timestamp = desc.full_name() == "google.protobuf.Timestamp";
    let oneofs: Vec<String> = desc
        .oneofs()
        .filter(|o| !o.is_synthetic())
        .map(|o| o.name().to_string())
        .collect();
    let mut fields: Vec<FieldPlan> = desc
        .fields()
        .enumerate()
        .map(|(order, f)| FieldPlan {
            order,
            ..field_plan(&f, by_name, &oneofs)
        })
        .collect();
    fields.sort_by(|a, b| a.json_name.cmp(&b.json_name));
    let mut declared = vec![0; fields.len()];
    for (i, field) in fields.iter().enumerate() {
        declared[field.order] = i;
    }
    let mut numbers: Vec<(u32, usize)> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.number, i))
        .collect();
    numbers.sort_unstable();
    MessagePlan {
        fields,
        declared,
        numbers,
        opaque: well_known && !timestamp,
        timestamp,
    }
}

fn field_plan(
    field: &FieldDescriptor,
    by_name: &HashMap<String, usize>,
    oneofs: &[String],
) -> FieldPlan {
    let (shape, kind) = if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            unreachable!("map fields are entry messages")
        };
        (Shape::Map, entry.map_entry_value_field().kind())
    } else if field.is_list() {
        (Shape::List, field.kind())
    } else {
        (Shape::Single, field.kind())
    };
    let mut key = serde_json::to_vec(field.json_name()).expect("a string serializes");
    key.push(b':');
    FieldPlan {
        json_name: field.json_name().to_string(),
        order: 0,
        key,
        number: field.number(),
        shape,
        kind: kind_plan(&kind, by_name),
        presence: field.supports_presence(),
        oneof: field
            .containing_oneof()
            .filter(|o| !o.is_synthetic())
            .and_then(|o| oneofs.iter().position(|n| n == o.name())),
        binary: matches!(
            kind,
            Kind::Message(_)
                | Kind::String
                | Kind::Bool
                | Kind::Enum(_)
                | Kind::Int64
                | Kind::Uint64
                | Kind::Int32
                | Kind::Uint32
                | Kind::Bytes
        ),
        bytes: kind == Kind::Bytes,
    }
}

fn kind_plan(kind: &Kind, by_name: &HashMap<String, usize>) -> KindPlan {
    match kind {
        Kind::Message(m) => by_name
            .get(m.full_name())
            .map_or(KindPlan::Other, |i| KindPlan::Message(*i)),
        Kind::String => KindPlan::String,
        Kind::Bool => KindPlan::Bool,
        Kind::Enum(e) => KindPlan::Enum(
            e.values()
                .map(|v| (v.number(), v.name().to_string()))
                .collect(),
        ),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => KindPlan::I64,
        Kind::Uint64 | Kind::Fixed64 => KindPlan::U64,
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => KindPlan::I32,
        Kind::Uint32 | Kind::Fixed32 => KindPlan::U32,
        Kind::Float | Kind::Double | Kind::Bytes => KindPlan::Other,
    }
}

impl MessagePlan {
    /// The field with this number.
    pub(crate) fn by_number(&self, number: u32) -> Option<&FieldPlan> {
        self.numbers
            .binary_search_by_key(&number, |(n, _)| *n)
            .ok()
            .map(|i| &self.fields[self.numbers[i].1])
    }

    /// The field named `json_name`, looked for first at `cursor`, the declaration place after
    /// the field written last; `cursor` moves past the field found.
    pub(crate) fn next_field(&self, json_name: &str, cursor: &mut usize) -> Option<&FieldPlan> {
        let guess = self.declared.get(*cursor).map(|&i| &self.fields[i]);
        let field = match guess {
            Some(field) if field.json_name == json_name => field,
            _ => self.field(json_name)?,
        };
        *cursor = field.order + 1;
        Some(field)
    }

    pub(crate) fn field(&self, json_name: &str) -> Option<&FieldPlan> {
        self.fields
            .binary_search_by(|f| f.json_name.as_str().cmp(json_name))
            .ok()
            .map(|i| &self.fields[i])
    }
}
