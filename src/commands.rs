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
    let by_path = contract
        .procedures()
        .iter()
        .find(|p| p.path.trim_start_matches('/') == name);
    let procedure = by_path
        .or_else(|| contract.procedure_named(name))
        .ok_or_else(|| {
            let names: Vec<String> = contract.procedures().iter().map(key).collect();
            let hint = contract.method_hint(name);
            format!(
                "unknown method {name:?}{hint}; methods are: {}",
                names.join(", ")
            )
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
/// a resource method (which verb, of which message, in which style), generated data, or not
/// yet (streaming), each with the reason when it is not a resource method.
pub fn check_contract(path: &Path) -> Result<Vec<String>, String> {
    use crate::contract::conventions::{classify, Behaviour};
    let pool = crate::contract::source::compile(path).map_err(|e| e.to_string())?;
    let contract = Contract::from_pool(pool, &[])?;
    let served = |service: &str| {
        let prefix = format!("/{service}/");
        contract
            .procedures()
            .iter()
            .any(|p| p.path.starts_with(&prefix))
    };
    let (mut services, mut counts) = (0, [0; 3]);
    let mut lines = Vec::new();
    for service in contract.pool().services().filter(|s| served(s.full_name())) {
        services += 1;
        for method in service.methods() {
            let name = format!("{}/{}", service.full_name(), method.name());
            let (kind, line) = match classify(&method) {
                Behaviour::Resource(r) => {
                    let of = r.resource.full_name();
                    (
                        0,
                        format!("{name}: {:?} of {of} ({})", r.verb, r.style.label()),
                    )
                }
                Behaviour::Generated(why) => (1, format!("{name}: generated data ({why})")),
                Behaviour::Unimplemented(why) => (2, format!("{name}: unimplemented ({why})")),
            };
            counts[kind] += 1;
            lines.push(line);
        }
    }
    let [resource, generated, unimplemented] = counts;
    let summary = format!(
        "{}: ok ({services} service{}, {} methods: {resource} resource, {generated} generated, {unimplemented} unimplemented)",
        path.display(),
        if services == 1 { "" } else { "s" },
        lines.len(),
    );
    lines.insert(0, summary);
    Ok(lines)
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
