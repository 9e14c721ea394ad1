//! Gathers the `$defs` of many JSON Schema documents into one `components.schemas` map,
//! rewriting `#/$defs/X` references to `#/components/schemas/X`. Two documents may define the
//! same message differently (with or without validation rules); a definition is identified by
//! its whole closure (itself and everything it references), and each different closure of one
//! message gets its own component name.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

const DEFS: &str = "#/$defs/";
const COMPONENTS: &str = "#/components/schemas/";

#[derive(Default)]
pub(super) struct Components {
    schemas: Map<String, Value>,
    /// For each message name: every closure seen so far and the component it became.
    variants: HashMap<String, Vec<(Value, String)>>,
}

impl Components {
    /// Adds a document's definitions and returns the component name of its root. A definition
    /// that differs from what an earlier document defined under the same name gets the name
    /// with `suffix` (then `suffix2`, `suffix3`, …).
    pub(super) fn add(&mut self, document: &Value, suffix: &str) -> String {
        let empty = Map::new();
        let defs = document["$defs"].as_object().unwrap_or(&empty);
        let names: HashMap<&str, String> = defs
            .keys()
            .map(|name| {
                (
                    name.as_str(),
                    self.name_for(name, closure(name, defs), suffix),
                )
            })
            .collect();
        for (name, schema) in defs {
            let component = &names[name.as_str()];
            if !self.schemas.contains_key(component) {
                let mut schema = schema.clone();
                rewrite(&mut schema, &names);
                self.schemas.insert(component.clone(), schema);
            }
        }
        let root = document["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix(DEFS))
            .expect("contract schemas have a root $ref");
        names[root].clone()
    }

    pub(super) fn into_schemas(self) -> Map<String, Value> {
        self.schemas
    }

    fn name_for(&mut self, name: &str, closure: Value, suffix: &str) -> String {
        let variants = self.variants.entry(name.to_string()).or_default();
        if let Some((_, component)) = variants.iter().find(|(c, _)| *c == closure) {
            return component.clone();
        }
        let component = match variants.len() {
            0 => name.to_string(),
            _ => (1..)
                .map(|n| match n {
                    1 => format!("{name}{suffix}"),
                    n => format!("{name}{suffix}{n}"),
                })
                .find(|candidate| !variants.iter().any(|(_, c)| c == candidate))
                .expect("an unused name exists"),
        };
        variants.push((closure, component.clone()));
        component
    }
}

/// A definition and every definition it reaches, as one comparable value.
fn closure(name: &str, defs: &Map<String, Value>) -> Value {
    let mut seen = BTreeMap::new();
    let mut todo = vec![name.to_string()];
    while let Some(next) = todo.pop() {
        if seen.contains_key(&next) {
            continue;
        }
        let schema = defs.get(&next).cloned().unwrap_or(Value::Null);
        collect_refs(&schema, &mut todo);
        seen.insert(next, schema);
    }
    Value::Object(seen.into_iter().collect())
}

fn collect_refs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str().and_then(|r| r.strip_prefix(DEFS))) {
                    ("$ref", Some(target)) => into.push(target.to_string()),
                    _ => collect_refs(v, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, into)),
        _ => {}
    }
}

fn rewrite(value: &mut Value, names: &HashMap<&str, String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let target = v.as_str().and_then(|r| r.strip_prefix(DEFS));
                match (key.as_str(), target) {
                    ("$ref", Some(target)) => {
                        let component = names
                            .get(target)
                            .cloned()
                            .unwrap_or_else(|| target.to_string());
                        *v = Value::String(format!("{COMPONENTS}{component}"));
                    }
                    _ => rewrite(v, names),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, names)),
        _ => {}
    }
}
