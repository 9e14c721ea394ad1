//! Fixtures and `--generate` for any contract's resources. A fixtures directory holds one JSON
//! file per resource, named by its message (`Shelf.json`, or `library.v1.Shelf.json` where two
//! packages share the short name), each a list of records in proto3 JSON; and, for a method
//! answered with generated data, a file named by the method (`LendBook.json`, or
//! `library.v1.LibraryService.LendBook.json`) holding the one answer it gives instead. Every
//! record is read as its message and checked against the contract's rules at start, and every
//! problem in every file is reported in one run.

use super::{collection_of, Resources};
use crate::contract::conventions::Style;
use crate::contract::{Contract, MessageChecker, Procedure};
use prost_reflect::{DeserializeOptions, DynamicMessage, FieldDescriptor, MessageDescriptor};
use serde_json::{Map, Value};
use std::path::Path;

/// A resource of the contract: its message, its id field and the convention it follows.
#[derive(Debug, Clone)]
pub struct Declared {
    pub message: MessageDescriptor,
    pub id: FieldDescriptor,
    pub style: Style,
}

/// Declares `resources` in `into`, then adds the records of every fixture file in `dir`.
/// The error lists every problem, one per line, each naming the file and the record.
pub fn load(
    contract: &Contract,
    resources: &[Declared],
    generated: &[&Procedure],
    dir: &Path,
    into: &mut Resources,
) -> Result<(), String> {
    if !dir.is_dir() {
        let reason = match dir.exists() {
            true => "not a directory",
            false => "directory not found",
        };
        return Err(format!("{}: {reason}", dir.display()));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut problems = Vec::new();
    for path in paths {
        let file = path.display().to_string();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let rows = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|text| {
                serde_json::from_str::<Value>(&text).map_err(|e| format!("not JSON: {e}"))
            });
        if let Some(method) = method_named(generated, stem) {
            let answer = rows.and_then(|row| answer(contract, method, row));
            match answer {
                Ok(answer) => into.set_answer(&method.path, answer),
                Err(e) => problems.push(format!("{file}: {e}")),
            }
            continue;
        }
        let resource = match resource_named(resources, stem) {
            Ok(resource) => resource,
            Err(e) => {
                problems.push(format!("{file}: {e}"));
                continue;
            }
        };
        let rows = match rows {
            Ok(Value::Array(rows)) => rows,
            Ok(_) => {
                problems.push(format!(
                    "{file}: expected a list of {} records",
                    resource.message.name()
                ));
                continue;
            }
            Err(e) => {
                problems.push(format!("{file}: {e}"));
                continue;
            }
        };
        let checker = contract.message_checker(&resource.message);
        for (i, row) in rows.into_iter().enumerate() {
            let at = format!("{file}: [{i}]");
            match record(&checker, resource, row) {
                Ok(record) => {
                    let name = resource.message.full_name();
                    let id = record.get(resource.id.json_name()).and_then(Value::as_str);
                    if into.contains(name, id.unwrap_or_default()) {
                        problems.push(format!(
                            "{at}: {} {:?} is defined twice",
                            resource.id.name(),
                            id.unwrap_or_default()
                        ));
                    } else if let Err(e) = into.insert(name, record) {
                        problems.push(format!("{at}: {e}"));
                    }
                }
                Err(e) => problems.extend(e.into_iter().map(|e| format!("{at}{e}"))),
            }
        }
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(problems.join("\n")),
    }
}

/// The generated method a fixture file's name names: `Method` or `package.Service.Method`.
fn method_named<'a>(generated: &[&'a Procedure], stem: &str) -> Option<&'a Procedure> {
    let full = |p: &Procedure| format!("{}.{}", p.service, p.name);
    let found: Vec<&Procedure> = generated
        .iter()
        .copied()
        .filter(|p| p.name == stem || full(p) == stem)
        .collect();
    match found.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// A generated method's fixed answer: one response message, its rules checked.
fn answer(contract: &Contract, method: &Procedure, row: Value) -> Result<Value, String> {
    let output = &method.output;
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    let decoded =
        DynamicMessage::deserialize_with_options(output.clone(), row, &options).map_err(|e| {
            format!(
                "not a valid {} (the answer of {}): {e}",
                output.full_name(),
                method.name
            )
        })?;
    let canonical = crate::codec::canonical(&decoded);
    match contract.message_checker(output).check(&canonical) {
        Ok(()) => Ok(canonical),
        Err(violations) => Err(violations
            .iter()
            .map(|v| format!("{}: {} [{}]", v.field_path, v.message, v.rule_id))
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

/// The resource a fixture file's name names: by full or short message name.
fn resource_named<'a>(resources: &'a [Declared], stem: &str) -> Result<&'a Declared, String> {
    let found: Vec<&Declared> = resources
        .iter()
        .filter(|r| r.message.full_name() == stem || r.message.name() == stem)
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => {
            let names: Vec<&str> = resources.iter().map(|r| r.message.name()).collect();
            Err(format!(
                "{stem} is neither a resource of the contract nor a method answered with generated data; fixture files are named by a resource message: {}",
                if names.is_empty() { "the contract has none".to_string() } else { names.join(", ") }
            ))
        }
        _ => Err(format!(
            "{stem} names several resources; use the message's full name, e.g. {}.json",
            found[0].message.full_name()
        )),
    }
}

/// A fixture record read as its message, in canonical JSON, with its rules checked. Errors
/// start with the field they are about (`.field: ...`) or a colon.
fn record(
    checker: &MessageChecker<'_>,
    resource: &Declared,
    row: Value,
) -> Result<Map<String, Value>, Vec<String>> {
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    let message = &resource.message;
    let decoded = DynamicMessage::deserialize_with_options(message.clone(), row, &options)
        .map_err(|e| vec![format!(": not a valid {}: {e}", message.full_name())])?;
    let canonical = crate::codec::canonical(&decoded);
    if let Err(violations) = checker.check(&canonical) {
        return Err(violations
            .iter()
            .map(|v| format!(".{}: {} [{}]", v.field_path, v.message, v.rule_id))
            .collect());
    }
    let Value::Object(record) = canonical else {
        return Err(vec![": not an object".into()]);
    };
    match record.get(resource.id.json_name()) {
        Some(Value::String(id)) if !id.is_empty() => Ok(record),
        _ => Err(vec![format!(": the record has no {}", resource.id.name())]),
    }
}

/// Adds `count` sample records of every resource, the same for the same seed: each a sample
/// of its message (`contract::sample`) with a fresh id, an AIP name under the resource's
/// collection (and, for a child resource, under a parent record where one exists).
pub fn generate(
    contract: &Contract,
    resources: &[Declared],
    count: usize,
    seed: u64,
    into: &mut Resources,
) {
    use crate::hash::{fnv1a64, splitmix64};
    for resource in resources {
        let message = &resource.message;
        let salt = fnv1a64(message.full_name().as_bytes());
        let (parent_pattern, collection) = collection_of(message);
        let parents = parent_pattern.map_or_else(Vec::new, |p| into.names_matching(&p));
        for i in 0..count {
            let seed = splitmix64(seed ^ salt ^ splitmix64(i as u64));
            let Value::Object(mut record) =
                crate::contract::sample::message(contract, message, seed)
            else {
                continue;
            };
            let leaf = format!("{:016x}", splitmix64(seed));
            let id = match resource.style {
                Style::Ids => crate::store::uuid_of(seed),
                Style::Aip => {
                    let parent = (!parents.is_empty()).then(|| &parents[i % parents.len()]);
                    match parent {
                        Some(parent) => format!("{parent}/{collection}/{leaf}"),
                        None => format!("{collection}/{leaf}"),
                    }
                }
            };
            record.insert(resource.id.json_name().to_string(), Value::String(id));
            let _ = into.insert(message.full_name(), record);
        }
    }
}
