//! The canonical form's defaults: what a fast decoder writes for each field a message left out.

use crate::contract::json_plan::{FieldPlan, KindPlan, MessagePlan, Shape};
use serde_json::{Map, Value};

/// Writes out, in canonical form, the fields a decoded message left out: each one's default,
/// unless it has presence (both fast decoders end with this).
pub(super) fn fill_defaults(plan: &MessagePlan, fields: &mut Map<String, Value>) {
    for field in &plan.fields {
        if !fields.contains_key(&field.json_name) {
            if let Some(default) = default_of(field) {
                fields.insert(field.json_name.clone(), default);
            }
        }
    }
}

/// The canonical form of a field left out: its default, unless it has presence.
fn default_of(field: &FieldPlan) -> Option<Value> {
    match field.shape {
        Shape::List => return Some(Value::Array(Vec::new())),
        Shape::Map => return Some(Value::Object(Map::new())),
        Shape::Single => {}
    }
    if field.presence {
        return None;
    }
    Some(match &field.kind {
        KindPlan::String => Value::String(String::new()),
        KindPlan::Other if field.bytes => Value::String(String::new()),
        KindPlan::Bool => Value::Bool(false),
        KindPlan::Enum(values) => values
            .iter()
            .find(|(n, _)| *n == 0)
            .map_or(Value::from(0), |(_, name)| Value::String(name.clone())),
        KindPlan::I64 | KindPlan::U64 => Value::String("0".into()),
        KindPlan::I32 | KindPlan::U32 => Value::from(0),
        KindPlan::Message(_) | KindPlan::Other => return None,
    })
}
