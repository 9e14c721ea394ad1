//! Sample data for any message of a contract, in proto3 JSON: values that fit each field's
//! type and its `buf.validate` rules, read as realistic by a person (a field named `email`
//! holds an address, `url` a link, `display_name` two words), and the same for the same seed.
//! It answers the methods that are not resource methods, and fills what a resource's Create
//! leaves to the server.

use super::rules::{FieldRules, Rule};
use super::Contract;
use crate::hash::{fnv1a64, splitmix64};
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{json, Map, Value};

/// How deep nested messages are filled; below it only the ones a rule requires are, so a
/// recursive message ends.
const MAX_DEPTH: usize = 4;

/// Words the sample strings are made of.
const WORDS: [&str; 16] = [
    "amber", "birch", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper",
    "kestrel", "lumen", "meadow", "nimbus", "orchid", "pebble",
];

/// A sample of `message`, the same for the same `seed`.
pub fn message(contract: &Contract, message: &MessageDescriptor, seed: u64) -> Value {
    Sampler { contract }.message(message, seed, 0)
}

struct Sampler<'a> {
    contract: &'a Contract,
}

impl Sampler<'_> {
    fn message(&self, desc: &MessageDescriptor, seed: u64, depth: usize) -> Value {
        if let Some(value) = well_known(desc.full_name(), seed) {
            return value;
        }
        let mut out = Map::new();
        let mut oneofs_done: Vec<String> = Vec::new();
        for field in desc.fields() {
            let rules = self.contract.rules_of(&field);
            // Deep down, messages are left unset unless a rule needs them; scalars are cheap
            // and may have rules of their own, so they are always filled.
            let needed = rules
                .rules
                .iter()
                .any(|r| matches!(r, Rule::Required | Rule::MinItems(_)));
            if depth >= MAX_DEPTH && matches!(field.kind(), Kind::Message(_)) && !needed {
                continue;
            }
            // One member of each oneof: the first, so the choice is stable.
            if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
                if oneofs_done.iter().any(|o| o == oneof.name()) {
                    continue;
                }
                oneofs_done.push(oneof.name().to_string());
            }
            let seed = splitmix64(seed ^ fnv1a64(field.full_name().as_bytes()));
            let value = if field.is_map() {
                self.map(&field, seed, depth)
            } else if field.is_list() {
                self.list(&field, rules, seed, depth)
            } else {
                self.single(&field, rules, seed, depth)
            };
            out.insert(field.json_name().to_string(), value);
        }
        Value::Object(out)
    }

    fn list(&self, field: &FieldDescriptor, rules: &FieldRules, seed: u64, depth: usize) -> Value {
        let min = rules.rules.iter().find_map(|r| match r {
            Rule::MinItems(n) => Some(*n),
            _ => None,
        });
        let max = rules.rules.iter().find_map(|r| match r {
            Rule::MaxItems(n) => Some(*n),
            _ => None,
        });
        let count = min.unwrap_or(1).max(1).min(max.unwrap_or(u64::MAX)).min(3);
        let items = rules.items.as_deref().cloned().unwrap_or_default();
        let values = (0..count)
            .map(|i| self.single(field, &items, splitmix64(seed ^ i), depth))
            .collect();
        Value::Array(values)
    }

    fn map(&self, field: &FieldDescriptor, seed: u64, depth: usize) -> Value {
        let Kind::Message(entry) = field.kind() else {
            return json!({});
        };
        let key_field = entry.map_entry_key_field();
        let value_field = entry.map_entry_value_field();
        let key = match key_field.kind() {
            Kind::String => word(seed).to_string(),
            Kind::Bool => "true".to_string(),
            _ => "1".to_string(),
        };
        let none = FieldRules::default();
        let value = self.single(&value_field, &none, seed, depth);
        json!({ key: value })
    }

    fn single(
        &self,
        field: &FieldDescriptor,
        rules: &FieldRules,
        seed: u64,
        depth: usize,
    ) -> Value {
        match field.kind() {
            Kind::Message(m) => self.message(&m, seed, depth + 1),
            Kind::Enum(e) => {
                let value = e
                    .values()
                    .find(|v| v.number() != 0)
                    .or_else(|| e.values().next());
                value.map_or(json!(0), |v| json!(v.name()))
            }
            Kind::String => json!(string(field.name(), rules, seed)),
            Kind::Bool => json!(field.name() == "enabled" || seed.is_multiple_of(2)),
            Kind::Bytes => json!("c2FtcGxl"), // "sample"
            Kind::Float | Kind::Double => json!(1.5),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => json!(integer(rules, seed).to_string()),
            Kind::Uint64 | Kind::Fixed64 => json!(integer(rules, seed).max(0).to_string()),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => json!(integer(rules, seed)),
            Kind::Uint32 | Kind::Fixed32 => json!(integer(rules, seed).max(0)),
        }
    }
}

/// The well-known types, in their JSON forms.
fn well_known(name: &str, seed: u64) -> Option<Value> {
    Some(match name {
        "google.protobuf.Timestamp" => {
            // A second in 2025, the same for the same seed.
            let seconds = 1_735_689_600 + (seed % 31_536_000) as i64;
            json!(crate::codec::rfc3339(seconds, 0))
        }
        "google.protobuf.Duration" => json!(format!("{}s", 60 + seed % 3600)),
        "google.protobuf.FieldMask" => json!(""),
        "google.protobuf.Struct" => json!({}),
        "google.protobuf.Value" => json!(word(seed)),
        "google.protobuf.ListValue" => json!([]),
        "google.protobuf.Empty" => json!({}),
        "google.protobuf.Any" => json!({}),
        "google.protobuf.StringValue" => json!(word(seed)),
        "google.protobuf.BoolValue" => json!(true),
        "google.protobuf.BytesValue" => json!("c2FtcGxl"),
        "google.protobuf.DoubleValue" | "google.protobuf.FloatValue" => json!(1.5),
        "google.protobuf.Int64Value" | "google.protobuf.UInt64Value" => json!("42"),
        "google.protobuf.Int32Value" | "google.protobuf.UInt32Value" => json!(42),
        _ => return None,
    })
}

/// An integer within the field's range rule, small and positive when it has none.
fn integer(rules: &FieldRules, seed: u64) -> i64 {
    let (gte, lte) = rules
        .rules
        .iter()
        .find_map(|r| match r {
            Rule::Range { gte, lte } => Some((*gte, *lte)),
            _ => None,
        })
        .unwrap_or((None, None));
    let low = gte.unwrap_or(1);
    let high = lte.unwrap_or(low.saturating_add(99)).max(low);
    let span = (high - low) as u64 + 1;
    low + (seed % span) as i64
}

/// A string for a field named `name`, within its length and format rules.
fn string(name: &str, rules: &FieldRules, seed: u64) -> String {
    if rules.rules.contains(&Rule::Uuid) {
        return uuid(seed);
    }
    let (a, b) = (word(seed), word(seed >> 8));
    let number = seed % 1000;
    let text = match name {
        "id" | "uid" => uuid(seed),
        n if n.ends_with("_id") => uuid(seed),
        n if n.ends_with("email") => format!("{a}.{b}@example.com"),
        n if ["url", "uri", "link", "endpoint", "homepage"]
            .iter()
            .any(|k| n.contains(k)) =>
        {
            format!("https://{a}.example.com/{b}")
        }
        n if n.ends_with("host") || n.ends_with("hostname") || n.ends_with("domain") => {
            format!("{a}.example.com")
        }
        "name" | "display_name" | "title" | "full_name" => format!("{} {}", title(a), title(b)),
        n if n.ends_with("description") || n == "summary" || n == "message" || n == "comment" => {
            format!("The {a} {b} sample.")
        }
        n if n.contains("phone") => format!("+1-555-01{:02}", n.len() % 100),
        n if n.ends_with("ip") || n.contains("ip_address") => format!("192.0.2.{}", 1 + seed % 254),
        "region" => "eu-central-1".to_string(),
        n if n.ends_with("version") => format!("1.{}.{}", seed % 10, (seed >> 4) % 10),
        n if n.contains("branch") => "main".to_string(),
        n if n.contains("repository") || n.contains("repo_") => {
            format!("https://github.com/example/{a}-{b}")
        }
        n if n.contains("path") => format!("/workspace/{a}/{b}"),
        n if n.contains("color") || n.contains("colour") => "#3b82f6".to_string(),
        n if n.contains("token") || n.contains("secret") || n.ends_with("key") => {
            format!("{:016x}", splitmix64(seed))
        }
        _ => format!("{a}-{b}-{number}"),
    };
    fit_length(text, rules)
}

/// `text` padded or cut to the field's `min_len` and `max_len`, counted in characters.
fn fit_length(mut text: String, rules: &FieldRules) -> String {
    for rule in &rules.rules {
        match *rule {
            Rule::MinLen(min) => {
                while (text.chars().count() as u64) < min {
                    text.push('x');
                }
            }
            Rule::MaxLen(max) => {
                text = text.chars().take(max as usize).collect();
            }
            _ => {}
        }
    }
    text
}

fn word(seed: u64) -> &'static str {
    WORDS[(splitmix64(seed) % WORDS.len() as u64) as usize]
}

fn title(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// A version-4 UUID made from the seed.
fn uuid(seed: u64) -> String {
    let (hi, lo) = (splitmix64(seed), splitmix64(seed ^ 0x5bd1_e995));
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x4000; // version 4
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000; // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests;
