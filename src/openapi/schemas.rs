//! `GET /__mock/schemas`: the index of every method's request and response schemas, and each
//! schema by its method's name. Where services share a method name (the whole Gitpod API has
//! two `ListEnvironmentClasses`), the name is qualified by the service: `EnvironmentService.
//! ListEnvironmentClasses` or `gitpod.v1.EnvironmentService.ListEnvironmentClasses`.

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

/// The schema at `schemas/<path>`: `Method`, `Method/request` or `Method/response`; none for
/// other paths.
pub(super) fn one(
    contract: &Contract,
    path: &str,
    strict: bool,
) -> Option<Result<Value, RpcError>> {
    let (method, response) = match path.split_once('/') {
        Some((method, "response")) => (method, true),
        Some((method, "request")) => (method, false),
        Some(_) => return None,
        None => (path, false),
    };
    Some(find(contract, method).map(|p| match response {
        true => contract.response_schema(&p.output),
        false => contract.published_request_schema(&p.input, strict),
    }))
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
        true => format!("{}.{}", procedure.service, procedure.name),
        false => procedure.name.clone(),
    }
}

fn find<'c>(contract: &'c Contract, wanted: &str) -> Result<&'c Procedure, RpcError> {
    if let Some((service, method)) = wanted.rsplit_once('.') {
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
        .map(|p| format!("{}.{}", p.service, p.name))
        .collect();
    if sharing.len() > 1 {
        return Err(RpcError::not_found(format!(
            "{wanted:?} is a method of more than one service: ask for one of {}",
            sharing.join(", ")
        )));
    }
    let mut services: Vec<&str> = contract
        .procedures()
        .iter()
        .map(|p| p.service.as_str())
        .collect();
    services.sort_unstable();
    services.dedup();
    let names: Vec<&str> = contract
        .procedures()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    Err(RpcError::not_found(format!(
        "no schema for {wanted:?}: it is not a method of {}{}; methods are {}",
        services.join(", "),
        contract.method_hint(wanted),
        names.join(", ")
    )))
}
