//! The fast path of JSON request decoding: a body that `json_check` has passed, parsed once
//! and brought into canonical form (every field without presence written out, enums by name,
//! 64-bit integers as strings) from the encoding plans, without a `DynamicMessage`. It takes
//! the forms clients send: camelCase names, enums by name or number, integers as numbers or
//! (64-bit) canonical strings, canonical UTC timestamps, nulls as unset. Anything else
//! (snake_case names, unknown fields or enum names, other timestamp forms, floats, bytes) is
//! declined with `None`, and the reference decoder decides.

use super::canonical_timestamp;
use crate::contract::json_plan::{FieldPlan, KindPlan, Plans, Shape};
use serde_json::{Map, Value};

/// The canonical value of a `index` message written as `body`, or None.
pub(in crate::codec) fn read(plans: &Plans, index: usize, body: &[u8]) -> Option<Value> {
    let value: Value = serde_json::from_slice(body).ok()?;
    message(plans, index, value, 0)
}

/// Nesting deeper than this is left to the reference decoder.
const MAX_DEPTH: usize = 64;

fn message(plans: &Plans, index: usize, value: Value, depth: usize) -> Option<Value> {
    let plan = &plans.messages[index];
    let Value::Object(given) = value else {
        return None;
    };
    if plan.opaque || plan.timestamp || depth > MAX_DEPTH {
        return None;
    }
    let mut fields = Map::new();
    for (name, value) in given {
        let field = plan.field(&name)?;
        let value = match (&field.shape, value) {
            (_, Value::Null) => continue,
            (Shape::Single, value) => single(plans, field, value, depth)?,
            (Shape::List, Value::Array(items)) => Value::Array(
                items
                    .into_iter()
                    .map(|item| single(plans, field, item, depth))
                    .collect::<Option<_>>()?,
            ),
            _ => return None,
        };
        fields.insert(name, value);
    }
    crate::codec::defaults::fill_defaults(plan, &mut fields);
    Some(Value::Object(fields))
}

/// One value of `field`, in canonical form.
fn single(plans: &Plans, field: &FieldPlan, value: Value, depth: usize) -> Option<Value> {
    match (&field.kind, value) {
        (KindPlan::String, value @ Value::String(_)) => Some(value),
        (KindPlan::Bool, value @ Value::Bool(_)) => Some(value),
        (KindPlan::Enum(values), Value::String(name)) => values
            .iter()
            .any(|(_, v)| *v == name)
            .then_some(Value::String(name)),
        (KindPlan::Enum(values), Value::Number(n)) => {
            let number = i32::try_from(n.as_i64()?).ok()?;
            Some(
                values
                    .iter()
                    .find(|(v, _)| *v == number)
                    .map_or(Value::from(number), |(_, name)| Value::String(name.clone())),
            )
        }
        (KindPlan::I64, value) => Some(Value::String(integer::<i64>(&value)?.to_string())),
        (KindPlan::U64, value) => Some(Value::String(integer::<u64>(&value)?.to_string())),
        (KindPlan::I32, Value::Number(n)) => Some(Value::from(i32::try_from(n.as_i64()?).ok()?)),
        (KindPlan::U32, Value::Number(n)) => Some(Value::from(u32::try_from(n.as_u64()?).ok()?)),
        (KindPlan::Message(index), Value::String(text)) if plans.messages[*index].timestamp => {
            canonical_timestamp(&text).then_some(Value::String(text))
        }
        (KindPlan::Message(index), value) => message(plans, *index, value, depth + 1),
        _ => None,
    }
}

/// A 64-bit integer as a JSON integer or as the canonical text of one.
fn integer<T: std::str::FromStr + ToString + TryFrom<i64> + TryFrom<u64>>(
    value: &Value,
) -> Option<T> {
    match value {
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => T::try_from(i).ok(),
            (None, Some(u)) => T::try_from(u).ok(),
            _ => None,
        },
        Value::String(text) => text.parse::<T>().ok().filter(|n| n.to_string() == *text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::codec::{canonical, decode, Encoding};
    use crate::contract::Contract;
    use serde_json::{json, Value};
    use std::sync::LazyLock;

    static CONTRACT: LazyLock<Contract> = LazyLock::new(Contract::load);

    fn fast(method: &str, body: &Value) -> Option<Value> {
        let desc = CONTRACT.procedure(method).unwrap().input.clone();
        let index = CONTRACT.plans().index(&desc).unwrap();
        super::read(CONTRACT.plans(), index, body.to_string().as_bytes())
    }

    /// The fast path takes `body` and reads it as the reference decoder does.
    fn agrees(method: &str, body: Value) {
        let desc = CONTRACT.procedure(method).unwrap().input.clone();
        let reference =
            canonical(&decode(&desc, Encoding::Json, body.to_string().as_bytes(), false).unwrap());
        assert_eq!(fast(method, &body).expect("fast path declined"), reference);
    }

    #[test]
    fn requests_read_as_the_reference_reads_them() {
        agrees(
            "GetSCMIntegration",
            json!({"id": "d2c94c27-3b76-4a42-b88c-95a85e392c68"}),
        );
        agrees("GetSCMIntegration", json!({}));
        agrees(
            "ListEnvironmentClasses",
            json!({
                "filter": {"runnerIds": ["a"], "runnerKinds": ["RUNNER_KIND_REMOTE", 99, 1], "enabled": null},
                "pagination": {"pageSize": 5},
            }),
        );
        agrees(
            "CreateHostAuthenticationToken",
            json!({
                "runnerId": "r", "expiresAt": "2024-02-29T23:59:59.500Z",
                "source": "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT",
            }),
        );
    }

    #[test]
    fn other_forms_are_left_to_the_reference() {
        let get = |body: Value| fast("GetSCMIntegration", &body);
        assert!(get(json!({"id": "x", "unknown": 1})).is_none());
        assert!(get(json!([1])).is_none());
        let list = |body: Value| fast("ListEnvironmentClasses", &body);
        assert!(
            list(json!({"filter": {"runner_ids": ["a"]}})).is_none(),
            "snake_case"
        );
        assert!(list(json!({"filter": {"runnerKinds": ["RUNNER_KIND_MOON"]}})).is_none());
        let token = |body: Value| fast("CreateHostAuthenticationToken", &body);
        assert!(token(json!({"expiresAt": "2024-02-29T23:59:59+01:00"})).is_none());
    }
}
