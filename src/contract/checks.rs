//! The second validation pass: what JSON Schema cannot state. It runs after the schema pass on
//! the same canonical request and checks custom `cel` rules of fields and messages, the
//! standard rules validate.proto defines in CEL (`string.email`, `int64.gt`, `repeated.unique`,
//! `timestamp.lt_now` …), `required` on any field, `ignore`, and the oneof rules. Every rule
//! is compiled once, per message type, when the contract loads.
//!
//! `compile` reads the options into checks, `run` walks a request, `to_cel` turns its JSON
//! into CEL values and `functions` adds protovalidate's CEL functions.

mod compile;
mod functions;
mod run;
mod to_cel;

use cel::{Env, Program};
use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, OneofDescriptor};
use rustc_hash::{FxHashMap as HashMap, FxHashSet};
use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

pub(crate) use run::Outcome;

/// One step of a rule's path inside its rules message: a field name, and the index in it for
/// a repeated one (`cel[0]`).
pub(crate) type RuleStep = (Cow<'static, str>, Option<usize>);

/// Which rules message a violation's rule path starts in.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) enum RuleRoot {
    #[default]
    Field,
    Message,
    Oneof,
}

/// `buf.validate.Ignore`, as far as the checks tell its values apart.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ignore {
    Unspecified,
    IfZeroValue,
    Always,
}

/// A CEL rule compiled: a custom one, or one of validate.proto's predefined standard rules
/// with the `rules` and `rule` values it reads.
struct Compiled {
    program: Program,
    id: String,
    message: String,
    expression: String,
    root: RuleRoot,
    path: Vec<RuleStep>,
    rules: Option<cel::Value>,
    rule: Option<cel::Value>,
}

/// The checks of one message type.
#[derive(Default)]
struct MessageChecks {
    cel: Vec<Compiled>,
    message_oneofs: Vec<MessageOneof>,
    required_oneofs: Vec<OneofDescriptor>,
    fields: Vec<FieldCheck>,
}

/// `(buf.validate.message).oneof`: at most one of `fields` set, exactly one if `required`.
struct MessageOneof {
    fields: Vec<FieldDescriptor>,
    required: bool,
    index: usize,
}

struct FieldCheck {
    field: FieldDescriptor,
    ignore: Ignore,
    required: bool,
    /// Rules on the field's value as a whole (a list's or a map's, for those).
    own: ValueChecks,
    /// Rules on each element of a repeated field, with their own `ignore`.
    items: Option<(Ignore, ValueChecks)>,
}

#[derive(Default)]
struct ValueChecks {
    rules: Vec<Compiled>,
}

/// The compiled checks of every message of a contract that has any.
#[derive(Default)]
pub(crate) struct Checks {
    messages: HashMap<String, MessageChecks>,
}

impl Checks {
    /// Compiles the rules of every message in `pool`; an error names the first rule whose
    /// CEL does not compile.
    pub(crate) fn build(pool: &DescriptorPool) -> Result<Checks, String> {
        let Some(ext) = compile::Extensions::of(pool) else {
            return Ok(Checks::default());
        };
        let mut messages = HashMap::default();
        for desc in pool.all_messages() {
            if desc.full_name().starts_with("buf.validate.") || desc.is_map_entry() {
                continue;
            }
            let checks = compile::message(&ext, &desc)?;
            messages.insert(desc.full_name().to_string(), checks);
        }
        prune(&mut messages);
        Ok(Checks { messages })
    }
}

/// Leaves only what can find something: fields with rules or holding a message that has
/// checks, and messages with any of those, so a request without rules is not walked.
fn prune(messages: &mut HashMap<String, MessageChecks>) {
    let held = |field: &FieldDescriptor| match field.kind() {
        Kind::Message(m) if m.is_map_entry() => match m.map_entry_value_field().kind() {
            Kind::Message(value) => Some(value.full_name().to_string()),
            _ => None,
        },
        Kind::Message(m) => Some(m.full_name().to_string()),
        _ => None,
    };
    let ruled = |f: &FieldCheck| {
        f.required
            || !f.own.rules.is_empty()
            || f.items
                .as_ref()
                .is_some_and(|(_, items)| !items.rules.is_empty())
    };
    // Live from the ground up, so a message that only holds itself (DescriptorProto) is not.
    let mut live: FxHashSet<String> = messages
        .iter()
        .filter(|(_, m)| {
            !m.cel.is_empty()
                || !m.message_oneofs.is_empty()
                || !m.required_oneofs.is_empty()
                || m.fields.iter().any(ruled)
        })
        .map(|(name, _)| name.clone())
        .collect();
    loop {
        let more: Vec<String> = messages
            .iter()
            .filter(|(name, m)| {
                !live.contains(*name)
                    && m.fields
                        .iter()
                        .any(|f| held(&f.field).is_some_and(|h| live.contains(&h)))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        live.extend(more);
    }
    messages.retain(|name, _| live.contains(name));
    for checks in messages.values_mut() {
        checks
            .fields
            .retain(|f| ruled(f) || held(&f.field).is_some_and(|h| live.contains(&h)));
    }
}

/// The CEL environment every rule is compiled for: the standard library and the strings
/// extension (`format`), which validate.proto's messages use.
fn environment() -> &'static Arc<Env> {
    static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| {
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings)
            .expect("the strings extension declares nothing the standard library does");
        Arc::new(env)
    });
    &ENV
}

#[cfg(test)]
mod tests;
