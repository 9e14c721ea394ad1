//! The commands besides `serve`: `schemas`, `openapi` and `check`, each returning what it
//! prints.

use crate::contract::{Contract, Procedure};
use crate::scenario::Library;
use crate::store::fixtures::{self, Source};
use serde_json::{json, Value};
use std::io::{ErrorKind, Write};
use std::path::Path;

/// Writes one line to stdout. A reader that closed the pipe early (`gitpod-mock schemas | head
/// -1`) has everything it wanted, so a broken pipe ends the output quietly instead of panicking
/// as `println!` does; every later line is dropped the same way.
pub fn say(line: impl std::fmt::Display) -> Result<(), crate::Error> {
    match writeln!(std::io::stdout().lock(), "{line}") {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {e}").into())
        }
        _ => Ok(()),
    }
}

/// The JSON Schemas derived from the contract: one method's, or every method's by name.
pub fn schemas(method: Option<&str>, response: bool, strict: bool) -> Result<Value, String> {
    let contract = Contract::load();
    let schema_of = |p: &Procedure| {
        if response {
            contract.response_schema(&p.output)
        } else {
            contract.published_request_schema(&p.input, strict)
        }
    };
    let Some(name) = method else {
        let all: serde_json::Map<String, Value> = contract
            .procedures()
            .iter()
            .map(|p| (p.name.clone(), schema_of(p)))
            .collect();
        return Ok(json!(all));
    };
    let procedure = contract.procedure_named(name).ok_or_else(|| {
        let names: Vec<&str> = contract
            .procedures()
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let hint = contract.method_hint(name);
        format!(
            "unknown method {name:?}{hint}; methods are: {}",
            names.join(", ")
        )
    })?;
    Ok(schema_of(procedure))
}

/// The contract as an OpenAPI 3.1 document naming `server`.
pub fn openapi(server: &str, strict: bool) -> Value {
    crate::openapi::document(&Contract::load(), server, strict)
}

/// Checks a fixtures directory and, if given, a directory of scenario files: the lines to
/// print when both are valid, or every problem in both.
pub fn check(dir: &Path, scenario_dir: Option<&Path>) -> Result<Vec<String>, String> {
    let contract = Contract::load();
    let fixtures =
        fixtures::load(&contract, Source::Dir(dir)).map_err(|e| format!("invalid fixtures:\n{e}"));
    let scenarios =
        Library::load(&contract, scenario_dir).map_err(|e| format!("invalid scenarios:\n{e}"));
    match (fixtures, scenarios) {
        (Ok(fixtures), Ok(scenarios)) => Ok(vec![
            format!("scenarios: ok ({} loaded)", scenarios.all().count()),
            format!("{}: ok ({})", dir.display(), fixtures.summary()),
        ]),
        (f, s) => Err([f.err(), s.err()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n")),
    }
}
