//! Which fields hold secrets, in any contract: those a proto marks `debug_redact`, and those
//! named like one (`token`, `api_key`, `client_secret`, a Secret message's `value`, …). The
//! journal keeps requests with their values replaced by `[REDACTED]`, and the codec's type
//! errors leave them out.

use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage};
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;

/// What a secret's value is replaced with.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// Whether a field named `field` (snake_case) of the message called `message` (its short name)
/// holds a secret, by its name alone. Page tokens (`page_token`, a pagination message's
/// `token`) and ids or names of secrets (`secret_id`, `secret_name`) do not.
pub(crate) fn named_like_secret(message: &str, field: &str) -> bool {
    const WHOLE: &[&str] = &["token", "password", "secret", "api_key", "private_key"];
    const ENDINGS: &[&str] = &["_token", "_password", "_secret", "_api_key", "_private_key"];
    const PAGE_TOKENS: &[&str] = &["page_token", "next_page_token", "next_token"];
    if PAGE_TOKENS.contains(&field) || message.contains("Pagination") {
        return false;
    }
    WHOLE.contains(&field)
        || ENDINGS.iter().any(|end| field.ends_with(end))
        || (field == "value" && message.contains("Secret"))
}

/// Whether `field` holds a secret: marked `debug_redact`, or a string or bytes field named
/// like one. A bool or a number named `secret` is a flag or a count (a configuration schema
/// field's `secret: true` says the field is one), and is kept.
pub(crate) fn is_secret(field: &FieldDescriptor) -> bool {
    // prost-types' FieldOptions predates `debug_redact` (16), so it is read from the options
    // as the pool decoded them.
    let options = field.options();
    let marked = options
        .descriptor()
        .get_field_by_name("debug_redact")
        .is_some_and(|f| options.get_field(&f).as_bool() == Some(true));
    let text = matches!(field.kind(), Kind::String | Kind::Bytes);
    marked || (text && named_like_secret(field.parent_message().name(), field.name()))
}

/// The secret fields of a contract, found once at start: for each message that holds a secret
/// at any depth, its secret fields and the message fields that lead to more.
#[derive(Debug, Default)]
pub struct Secrets {
    messages: FxHashMap<String, Holder>,
}

#[derive(Debug, Default)]
struct Holder {
    /// JSON names of the fields whose values are secrets.
    secret: FxHashSet<String>,
    /// The message (or map of message) fields that hold secrets deeper down.
    deeper: Vec<Lead>,
}

#[derive(Debug)]
struct Lead {
    /// The field's JSON name.
    field: String,
    /// The full name of its message, or of its map's values.
    message: String,
    map: bool,
}

impl Secrets {
    pub fn of(pool: &DescriptorPool) -> Secrets {
        let messages: Vec<MessageDescriptor> = pool.all_messages().collect();
        let mut secrets = Secrets::default();
        for message in &messages {
            let secret: FxHashSet<String> = message
                .fields()
                .filter(|f| inner_message(f).is_none() && is_secret(f))
                .map(|f| f.json_name().to_string())
                .collect();
            if !secret.is_empty() {
                let holder = Holder {
                    secret,
                    deeper: Vec::new(),
                };
                secrets
                    .messages
                    .insert(message.full_name().to_string(), holder);
            }
        }
        // Until nothing changes, a message with a field leading to a holder holds secrets too,
        // so recursive messages are followed as deep as they go.
        loop {
            let mut changed = false;
            for message in &messages {
                for field in message.fields() {
                    let Some(inner) = inner_message(&field) else {
                        continue;
                    };
                    if !secrets.messages.contains_key(inner.full_name()) {
                        continue;
                    }
                    let holder = secrets
                        .messages
                        .entry(message.full_name().to_string())
                        .or_default();
                    if holder.deeper.iter().all(|l| l.field != field.json_name()) {
                        holder.deeper.push(Lead {
                            field: field.json_name().to_string(),
                            message: inner.full_name().to_string(),
                            map: field.is_map(),
                        });
                        changed = true;
                    }
                }
            }
            if !changed {
                return secrets;
            }
        }
    }

    /// Whether `message` holds a secret at any depth.
    pub fn holds(&self, message: &str) -> bool {
        self.messages.contains_key(message)
    }

    /// Replaces every secret in `value`, a message of type `message` in canonical JSON. A
    /// message with no secrets anywhere costs one lookup.
    pub fn redact(&self, message: &str, value: &mut Value) {
        self.walk(message, value, &mut |map, secret| {
            for (field, v) in map.iter_mut() {
                if secret.contains(field.as_str()) {
                    redact_value(v);
                }
            }
        });
    }

    /// Removes every secret from `value`, so that what a client sends as a secret is not kept
    /// in a record and answered back.
    pub fn strip(&self, message: &str, value: &mut Value) {
        self.walk(message, value, &mut |map, secret| {
            map.retain(|field, _| !secret.contains(field.as_str()))
        });
    }

    /// Calls `act` on each object of `value` that has secret fields, with their JSON names.
    fn walk(&self, message: &str, value: &mut Value, act: &mut Act<'_>) {
        let (Some(holder), Value::Object(map)) = (self.messages.get(message), value) else {
            return;
        };
        if !holder.secret.is_empty() {
            act(map, &holder.secret);
        }
        for lead in &holder.deeper {
            let (Some(v), inner) = (map.get_mut(&lead.field), lead.message.as_str()) else {
                continue;
            };
            match v {
                Value::Array(items) => items.iter_mut().for_each(|i| self.walk(inner, i, act)),
                Value::Object(entries) if lead.map => {
                    entries.values_mut().for_each(|i| self.walk(inner, i, act))
                }
                v => self.walk(inner, v, act),
            }
        }
    }
}

/// What a walk does to an object with secret fields, given their JSON names.
type Act<'a> = dyn FnMut(&mut serde_json::Map<String, Value>, &FxHashSet<String>) + 'a;

/// The message a field holds: its own, or its map's values'; none for scalars.
fn inner_message(field: &FieldDescriptor) -> Option<MessageDescriptor> {
    match field.kind() {
        Kind::Message(m) if field.is_map() => match m.map_entry_value_field().kind() {
            Kind::Message(value) => Some(value),
            _ => None,
        },
        Kind::Message(m) => Some(m),
        _ => None,
    }
}

/// A secret string (or each of a list of them) becomes [`REDACTED`]; null stays null.
fn redact_value(v: &mut Value) {
    match v {
        Value::Null => {}
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        Value::Object(entries) => entries.values_mut().for_each(redact_value),
        v => *v = Value::String(REDACTED.into()),
    }
}

#[cfg(test)]
mod tests;
