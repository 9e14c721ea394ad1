//! Finds every field of a fixture file that does not decode as its message, not only the
//! first: the decoder stops at one error and names no field, so each failing field is located,
//! reported, set aside, and the rest decoded again.

use prost_reflect::{DynamicMessage, Kind, MessageDescriptor};
use serde_json::Value;

/// A file with more broken fields than this is reported up to here; the rest waits for the
/// next run.
const MOST_PROBLEMS: usize = 100;

/// One step of a field path: an object key or a list index.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Step {
    Key(String),
    Index(usize),
}

/// A field path such as `environmentClasses[2].enabled`.
pub(super) fn shown(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) if out.is_empty() => out.push_str(key),
            Step::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// What decoding a whole file found: the message made of every field that decodes, and each
/// field that did not, with the decoder's reason.
pub(super) struct Decoded {
    pub message: Option<DynamicMessage>,
    pub problems: Vec<(Vec<Step>, String)>,
}

/// Decodes `raw` as a `desc` message, reporting every field that fails. A failing field is
/// removed (a failing list element becomes `{}` first, so later indices keep their numbers).
pub(super) fn decode_all(desc: &MessageDescriptor, raw: &Value) -> Decoded {
    let mut raw = raw.clone();
    let mut problems: Vec<(Vec<Step>, String)> = Vec::new();
    loop {
        let error = match DynamicMessage::deserialize(desc.clone(), &raw) {
            Ok(message) => {
                return Decoded {
                    message: Some(message),
                    problems,
                }
            }
            Err(e) => e.to_string(),
        };
        let path = locate(desc, &raw).unwrap_or_default();
        let again = problems.last().is_some_and(|(last, _)| *last == path);
        if !again {
            problems.push((path.clone(), error));
        }
        if path.is_empty() || problems.len() >= MOST_PROBLEMS || !set_aside(&mut raw, &path, again)
        {
            return Decoded {
                message: None,
                problems,
            };
        }
    }
}

/// Removes the value at `path`; a list element is first replaced by `{}` (an empty message),
/// and removed only if that fails too (`again`).
fn set_aside(raw: &mut Value, path: &[Step], again: bool) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let mut node = raw;
    for step in parent {
        let next = match step {
            Step::Key(key) => node.get_mut(key.as_str()),
            Step::Index(i) => node.get_mut(*i),
        };
        let Some(next) = next else {
            return false;
        };
        node = next;
    }
    match (last, node) {
        (Step::Key(key), Value::Object(map)) => map.remove(key).is_some(),
        (Step::Index(i), Value::Array(items)) if *i < items.len() => {
            if again {
                items.remove(*i);
            } else {
                items[*i] = Value::Object(Default::default());
            }
            true
        }
        _ => false,
    }
}

/// The path of the field that keeps `value` from decoding as a `desc` message: each field is
/// tried alone, then the element or nested field inside it that fails.
pub(super) fn locate(desc: &MessageDescriptor, value: &Value) -> Option<Vec<Step>> {
    let decodes = |key: &str, item: Value| {
        let alone = Value::Object(std::iter::once((key.to_string(), item)).collect());
        DynamicMessage::deserialize(desc.clone(), alone).is_ok()
    };
    let (key, item) = value
        .as_object()?
        .iter()
        .find(|(key, item)| !decodes(key, (*item).clone()))?;
    let mut path = vec![Step::Key(key.clone())];
    let Some(field) = desc
        .get_field_by_json_name(key)
        .or_else(|| desc.get_field_by_name(key))
    else {
        return Some(path); // an unknown field
    };
    let inner = |item: &Value| match field.kind() {
        Kind::Message(m) if !field.is_map() => locate(&m, item),
        _ => None,
    };
    match item {
        Value::Array(items) if field.is_list() => {
            let failing = items
                .iter()
                .enumerate()
                .find(|(_, element)| !decodes(key, Value::Array(vec![(*element).clone()])));
            if let Some((i, element)) = failing {
                path.push(Step::Index(i));
                path.extend(inner(element).unwrap_or_default());
            }
        }
        item => path.extend(inner(item).unwrap_or_default()),
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;
    use serde_json::json;

    fn classes() -> MessageDescriptor {
        Contract::load()
            .message("gitpod.v1.ListEnvironmentClassesResponse")
            .unwrap()
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named_by_its_path() {
        let desc = classes();
        let class = json!({"id": "a", "enabled": true, "configuration": [{"key": "k"}]});
        let mut bad = class.clone();
        bad["configuration"] = json!([{"key": "k"}, {"key": "k", "value": 5}]);
        let cases = [
            (
                json!({"environmentClasses": [class.clone(), {"enabled": "no"}]}),
                "environmentClasses[1].enabled",
            ),
            (
                json!({"environmentClasses": [class.clone(), bad]}),
                "environmentClasses[1].configuration[1].value",
            ),
            (
                json!({"environmentClasses": [class.clone(), 7]}),
                "environmentClasses[1]",
            ),
            (json!({"environmentClasses": {}}), "environmentClasses"),
            (json!({"environmentClasses": [], "extra": 1}), "extra"),
        ];
        for (value, path) in cases {
            assert_eq!(
                locate(&desc, &value).map(|p| shown(&p)).as_deref(),
                Some(path),
                "{value}"
            );
        }
        assert_eq!(locate(&desc, &json!({"environmentClasses": [class]})), None);
    }

    #[test]
    fn every_failing_field_is_reported_and_the_rest_decodes() {
        let value = json!({
            "environmentClasses": [
                {"id": "a", "enabled": "no"},
                {"id": "b"},
                7,
                {"id": 5, "displayName": true, "configuration": [{"key": "k", "value": 1}]},
            ],
            "extra": 1,
        });
        let decoded = decode_all(&classes(), &value);
        let paths: Vec<String> = decoded.problems.iter().map(|(p, _)| shown(p)).collect();
        assert_eq!(
            paths,
            [
                "environmentClasses[0].enabled",
                "environmentClasses[2]",
                // Keys in the order serde_json keeps them: sorted.
                "environmentClasses[3].configuration[0].value",
                "environmentClasses[3].displayName",
                "environmentClasses[3].id",
                "extra",
            ]
        );
        let message = decoded.message.expect("what is left decodes");
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["environmentClasses"][1]["id"], "b");
        assert_eq!(json["environmentClasses"].as_array().unwrap().len(), 4);
    }
}
