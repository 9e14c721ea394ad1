//! `GET /__mock/schemas`: the index of every method's request and response schemas, and each
//! schema by its method's name. Where services share a method name (the whole Gitpod API has
//! two `ListEnvironmentClasses`), the name is qualified by the service, as `schemas --contract`
//! names methods: `gitpod.v1.EnvironmentService/ListEnvironmentClasses`; `EnvironmentService/…`
//! and `gitpod.v1.EnvironmentService.…` are taken too.

use super::PREFIX;
use crate::contract::{Contract, Procedure};
use crate::error::RpcError;
use serde_json::{json, Value};

/// The index: each method with the paths of its two schemas.
pub(super) fn index(contract: &Contract) -> Value {
    let methods: Vec<Value> = contract
        .procedures()
        .iter()
        .map(|p| {
            let key = key(contract, p);
            json!({
                "method": p.name,
                "service": p.service,
                "request": format!("{PREFIX}schemas/{key}"),
                "response": format!("{PREFIX}schemas/{key}/response"),
            })
        })
        .collect();
    json!({ "schemas": methods })
}

/// The schema at `schemas/<path>`: `METHOD`, `METHOD/request` or `METHOD/response`.
pub(super) fn one(contract: &Contract, path: &str, strict: bool) -> Result<Value, RpcError> {
    let (method, response) = match path.rsplit_once('/') {
        Some((method, "response")) => (method, true),
        Some((method, "request")) => (method, false),
        _ => (path, false),
    };
    let found = find(contract, method).map_err(|shared| {
        RpcError::not_found(shared.unwrap_or_else(|| unknown(contract, method)))
    })?;
    Ok(match response {
        true => contract.response_schema(&found.output),
        false => contract.published_request_schema(&found.input, strict),
    })
}

/// How the index names a method: by its name, or qualified where another service shares it.
fn key(contract: &Contract, procedure: &Procedure) -> String {
    let shared = contract
        .procedures()
        .iter()
        .filter(|p| p.name == procedure.name)
        .count()
        > 1;
    match shared {
        true => format!("{}/{}", procedure.service, procedure.name),
        false => procedure.name.clone(),
    }
}

/// The procedure `wanted` names: `Method` (where it is unique; case and `_` are forgiven), or
/// `[package.]Service/Method` or `[package.]Service.Method`. None when no method has the name;
/// where two services share it, the error names the choices.
pub(crate) fn find<'c>(
    contract: &'c Contract,
    wanted: &str,
) -> Result<&'c Procedure, Option<String>> {
    if let Some((service, method)) = wanted.rsplit_once(['/', '.']) {
        let named = |p: &&Procedure| {
            p.name == method
                && (p.service == service || p.service.rsplit('.').next() == Some(service))
        };
        if let Some(found) = contract.procedures().iter().find(named) {
            return Ok(found);
        }
    }
    if let Some(found) = contract.procedure_named(wanted) {
        return Ok(found);
    }
    let sharing: Vec<String> = contract
        .procedures()
        .iter()
        .filter(|p| p.name.eq_ignore_ascii_case(wanted))
        .map(|p| format!("{}/{}", p.service, p.name))
        .collect();
    if sharing.len() > 1 {
        return Err(Some(format!(
            "{wanted:?} is a method of more than one service: ask for one of {}",
            sharing.join(", ")
        )));
    }
    Err(None)
}

fn unknown(contract: &Contract, wanted: &str) -> String {
    let mut services: Vec<&str> = contract
        .procedures()
        .iter()
        .map(|p| p.service.as_str())
        .collect();
    services.sort_unstable();
    services.dedup();
    let names: Vec<String> = contract
        .procedures()
        .iter()
        .map(|p| key(contract, p))
        .collect();
    format!(
        "no schema for {wanted:?}: it is not a method of {}{}; methods are {}",
        services.join(", "),
        contract.method_hint(wanted),
        names.join(", ")
    )
}
