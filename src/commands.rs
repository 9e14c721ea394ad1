//! The commands besides `serve`: `schemas`, `openapi` and `check` (of fixtures and scenarios,
//! or of a contract), each returning what it prints.

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

/// The JSON Schemas derived from the contract: one method's, or every method's by name. With
/// `contract_path`, of that contract, every method named `package.Service/Method`.
pub fn schemas(
    method: Option<&str>,
    response: bool,
    strict: bool,
    contract_path: Option<&Path>,
) -> Result<Value, String> {
    let contract = match contract_path {
        None => Contract::load(),
        Some(path) => {
            let pool = crate::contract::source::compile(path).map_err(|e| e.to_string())?;
            Contract::from_pool(pool, &[])?
        }
    };
    // The built-in service's methods go by their names; another contract's by their paths,
    // since two of its services may have methods of one name.
    let key = |p: &Procedure| match contract_path {
        None => p.name.clone(),
        Some(_) => p.path.trim_start_matches('/').to_string(),
    };
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
            .map(|p| (key(p), schema_of(p)))
            .collect();
        return Ok(json!(all));
    };
    let procedure = crate::openapi::schemas::find(&contract, name).map_err(|shared| {
        shared.unwrap_or_else(|| {
            let names: Vec<String> = contract.procedures().iter().map(key).collect();
            let hint = contract.method_hint(name);
            format!(
                "unknown method {name:?}{hint}; methods are: {}",
                names.join(", ")
            )
        })
    })?;
    Ok(schema_of(procedure))
}

/// The contract as an OpenAPI 3.1 document naming `server`; with `contract_path`, that
/// contract's.
pub fn openapi(server: &str, strict: bool, contract_path: Option<&Path>) -> Result<Value, String> {
    match contract_path {
        None => Ok(crate::openapi::document(&Contract::load(), server, strict)),
        Some(path) => {
            let pool = crate::contract::source::compile(path).map_err(|e| e.to_string())?;
            let contract = Contract::from_pool(pool, &[])?;
            Ok(crate::openapi::document_of(&contract, server, strict))
        }
    }
}

/// Compiles the contract at `path` and says how each method of each service would be served:
/// by the runner-configuration profile, as a resource method (which verb, of which message, in
/// which style), with generated data, or not yet (streaming), each with the reason when it is
/// not a resource method. With a fixtures directory and scenario files, checks those too, and
/// reports every problem of all three in one run.
pub fn check_contract(
    path: &Path,
    fixtures: Option<&Path>,
    scenario_dir: Option<&Path>,
) -> Result<Vec<String>, String> {
    use crate::service::{Handling, Table};
    let pool = crate::contract::source::compile(path).map_err(|e| e.to_string())?;
    let contract = Contract::from_pool(pool, &[])?;
    let table = Table::new(&contract);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut lines = Vec::new();
    for entry in table.entries() {
        let name = entry.procedure.path.trim_start_matches('/');
        let (kind, line) = match &entry.handling {
            Handling::Profile(_) => (
                "profile",
                format!("{name}: the runner-configuration profile"),
            ),
            Handling::Resource(r) => {
                let of = r.resource.full_name();
                (
                    "resource",
                    format!("{name}: {:?} of {of} ({})", r.verb, r.style.label()),
                )
            }
            Handling::Generated(why) => ("generated", format!("{name}: generated data ({why})")),
        };
        *counts.entry(kind).or_default() += 1;
        lines.push(line);
    }
    for (procedure, why) in table.uncovered() {
        *counts.entry("unimplemented").or_default() += 1;
        let name = procedure.path.trim_start_matches('/');
        lines.push(format!("{name}: unimplemented ({why})"));
    }
    let services = contract.services().len();
    let count = |kind| counts.get(kind).copied().unwrap_or(0);
    let profile = match count("profile") {
        0 => String::new(),
        n => format!("{n} profile, "),
    };
    let summary = format!(
        "{}: ok ({services} service{}, {} methods: {profile}{} resource, {} generated, {} unimplemented)",
        path.display(),
        if services == 1 { "" } else { "s" },
        lines.len(),
        count("resource"),
        count("generated"),
        count("unimplemented"),
    );
    lines.insert(0, summary);
    let mut problems = Vec::new();
    match Library::load(&contract, scenario_dir) {
        Ok(library) if scenario_dir.is_some() => {
            lines.push(format!("scenarios: ok ({} loaded)", library.all().count()));
        }
        Ok(_) => {}
        Err(e) => problems.push(format!("invalid scenarios:\n{e}")),
    }
    if let Some(dir) = fixtures {
        let declared = table.resources();
        let mut resources = crate::store::generic::Resources::default();
        for resource in &declared {
            resources.declare(resource.message.full_name(), resource.id.json_name());
        }
        let generated = table.generated();
        let loaded = crate::store::generic::fixtures::load(
            &contract,
            &declared,
            &generated,
            dir,
            &mut resources,
        );
        match loaded {
            Ok(()) => lines.push(format!(
                "{}: ok ({} records)",
                dir.display(),
                resources.records()
            )),
            Err(e) => problems.push(format!("invalid fixtures:\n{e}")),
        }
    }
    match problems.is_empty() {
        true => Ok(lines),
        false => Err(problems.join("\n")),
    }
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
