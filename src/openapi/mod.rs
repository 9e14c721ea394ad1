//! The contract exported for other tools: an OpenAPI 3.1 document built from the derived JSON
//! Schemas (`gitpod-mock openapi`, `GET /__mock/openapi.json`) and every JSON Schema on its own
//! (`GET /__mock/schemas/{Method}[/response]`).
//!
//! The JSON Schemas each carry their messages under `$defs`; the document gathers them into
//! `components.schemas` and rewrites every `$ref`. Request and response schemas of one message
//! can differ (requests carry the validation rules, responses the required ids), so a message
//! whose schema differs between uses gets one component per variant: the response variant keeps
//! the message name, request variants are suffixed `-input`.

mod components;
mod examples;

use crate::contract::{Contract, Procedure};
use crate::error::{Code, RpcError};
use components::Components;
pub use examples::Example;
use examples::EXAMPLES;
use serde_json::{json, Map, Value};

/// The documented methods, with the API reference's examples.
pub fn examples() -> &'static [Example] {
    EXAMPLES
}

/// Error responses every operation may give: (HTTP status, component name, what it means).
const ERROR_RESPONSES: &[(u16, &str, &str)] = &[
    (400, "InvalidArgument", "invalid_argument (the request breaks the contract's rules; details carry buf.validate.Violations), failed_precondition or out_of_range"),
    (401, "Unauthenticated", "unauthenticated: no valid bearer token"),
    (403, "PermissionDenied", "permission_denied: the token may not do this"),
    (404, "NotFound", "not_found: no record has this id"),
    (409, "Conflict", "already_exists or aborted"),
    (429, "ResourceExhausted", "resource_exhausted: rate limited or a limit reached"),
    (500, "Internal", "internal, unknown or data_loss"),
    (501, "Unimplemented", "unimplemented: the method or an encoding is not supported"),
    (503, "Unavailable", "unavailable: try again later"),
    (504, "DeadlineExceeded", "deadline_exceeded: the call ran past its Connect-Timeout-Ms"),
];

/// The OpenAPI 3.1 document of the documented methods, naming `server` as the base URL.
pub fn document(contract: &Contract, server: &str) -> Value {
    let procedures: Vec<(&Example, &Procedure)> = EXAMPLES
        .iter()
        .map(|e| {
            let p = contract
                .procedure(e.method)
                .unwrap_or_else(|| panic!("documented method {} is in the contract", e.method));
            (e, p)
        })
        .collect();
    let mut components = Components::default();
    // Responses first, so the domain types (EnvironmentClass, …) keep their plain names.
    let outputs: Vec<String> = procedures
        .iter()
        .map(|(_, p)| components.add(&contract.response_schema(&p.output), ""))
        .collect();
    let inputs: Vec<String> = procedures
        .iter()
        .map(|(_, p)| components.add(&contract.request_schema(&p.input), "-input"))
        .collect();
    let mut paths = Map::new();
    for (((example, procedure), input), output) in procedures.iter().zip(&inputs).zip(&outputs) {
        let mut item = Map::new();
        item.insert(
            "post".into(),
            operation(example, procedure, input, output, false),
        );
        if !procedure.side_effects {
            item.insert(
                "get".into(),
                operation(example, procedure, input, output, true),
            );
        }
        paths.insert(procedure.path.clone(), Value::Object(item));
    }
    let mut tags: Vec<&str> = EXAMPLES.iter().map(|e| e.tag).collect();
    tags.dedup();
    let mut schemas = components.into_schemas();
    schemas.insert("ConnectError".into(), connect_error_schema());
    schemas.insert("ConnectErrorDetail".into(), connect_error_detail_schema());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": crate::contract::SERVICE,
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "Gitpod's runner configuration API over the Connect protocol, as served by gitpod-mock.",
            "description": "Every method is a Connect unary call: POST /gitpod.v1.RunnerConfigurationService/<Method> with a JSON (application/json) or binary protobuf (application/proto) body. Methods without side effects may also be called with Connect GET. Errors are Connect JSON errors whatever the request's encoding. Schemas describe the proto3 JSON form (camelCase names, enums by name, int64 as strings, RFC 3339 timestamps); the server also accepts snake_case names, enum numbers and int64 numbers.",
        },
        "servers": [{ "url": server }],
        "tags": tags.iter().map(|t| json!({ "name": t })).collect::<Vec<_>>(),
        "security": [{ "bearerAuth": [] }, {}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": ERROR_RESPONSES.iter().map(|(_, name, description)| {
                (name.to_string(), json!({
                    "description": description,
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ConnectError" } } },
                }))
            }).collect::<Map<String, Value>>(),
            "parameters": parameters(),
            "securitySchemes": { "bearerAuth": { "type": "http", "scheme": "bearer" } },
        },
    })
}

fn operation(
    example: &Example,
    procedure: &Procedure,
    input: &str,
    output: &str,
    get: bool,
) -> Value {
    let schema_ref = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let binary = |message: &str| json!({ "schema": { "type": "string", "format": "binary", "description": format!("{message} in the protobuf binary encoding") } });
    let request_examples: Map<String, Value> = example
        .requests
        .iter()
        .map(|(name, summary, body)| {
            let value: Value = serde_json::from_str(body).expect("examples are JSON");
            (
                slug(name),
                json!({ "summary": name, "description": summary, "value": value }),
            )
        })
        .collect();
    let response_example: Value =
        serde_json::from_str(example.response).expect("examples are JSON");
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": format!("{} in the request's encoding", procedure.output.full_name()),
            "content": {
                "application/json": { "schema": schema_ref(output), "example": response_example },
                "application/proto": binary(procedure.output.full_name()),
            },
        }),
    );
    for (status, name, _) in ERROR_RESPONSES {
        responses.insert(
            status.to_string(),
            json!({ "$ref": format!("#/components/responses/{name}") }),
        );
    }
    let header_params = [
        json!({ "$ref": "#/components/parameters/ConnectTimeoutMs" }),
        json!({ "$ref": "#/components/parameters/AcceptEncoding" }),
    ];
    let mut op = json!({
        "operationId": if get { format!("{}ViaGet", example.method) } else { example.method.to_string() },
        "tags": [example.tag],
        "summary": if get { format!("{} (Connect GET)", example.summary) } else { example.summary.to_string() },
        "description": example.description,
        "responses": responses,
    });
    if get {
        let mut params: Vec<Value> = [
            "ConnectQuery",
            "EncodingQuery",
            "MessageQuery",
            "Base64Query",
            "CompressionQuery",
        ]
        .iter()
        .map(|p| json!({ "$ref": format!("#/components/parameters/{p}") }))
        .collect();
        params.extend(header_params);
        op["parameters"] = json!(params);
    } else {
        let mut params = vec![
            json!({ "$ref": "#/components/parameters/ConnectProtocolVersion" }),
            json!({ "$ref": "#/components/parameters/ContentEncoding" }),
        ];
        params.extend(header_params);
        op["parameters"] = json!(params);
        op["requestBody"] = json!({
            "required": true,
            "content": {
                "application/json": { "schema": schema_ref(input), "examples": request_examples },
                "application/proto": binary(procedure.input.full_name()),
            },
        });
    }
    op
}

fn parameters() -> Value {
    let header = |name: &str, description: &str, schema: Value| json!({ "name": name, "in": "header", "required": false, "description": description, "schema": schema });
    let query = |name: &str, required: bool, description: &str, schema: Value| json!({ "name": name, "in": "query", "required": required, "description": description, "schema": schema });
    let encodings = json!({ "type": "string", "enum": ["gzip", "identity"] });
    json!({
        "ConnectProtocolVersion": header("Connect-Protocol-Version", "The Connect protocol version; optional for unary calls, and 1 when sent.", json!({ "type": "string", "enum": ["1"] })),
        "ConnectTimeoutMs": header("Connect-Timeout-Ms", "The call's deadline in milliseconds; past it the answer is deadline_exceeded.", json!({ "type": "string", "pattern": "^[0-9]{1,10}$" })),
        "ContentEncoding": header("Content-Encoding", "How the request body is compressed.", encodings.clone()),
        "AcceptEncoding": header("Accept-Encoding", "Compressions the client accepts for the response (gzip is used when listed).", json!({ "type": "string" })),
        "ConnectQuery": query("connect", true, "The Connect protocol version of a GET call.", json!({ "type": "string", "enum": ["v1"] })),
        "EncodingQuery": query("encoding", true, "The codec of the message parameter.", json!({ "type": "string", "enum": ["json", "proto"] })),
        "MessageQuery": query("message", true, "The request message: URL-encoded JSON, or with base64=1 its (URL-safe) base64 encoding.", json!({ "type": "string" })),
        "Base64Query": query("base64", false, "1 when message is base64-encoded (always for proto).", json!({ "type": "string", "enum": ["1"] })),
        "CompressionQuery": query("compression", false, "How message is compressed before base64.", encodings),
    })
}

fn connect_error_schema() -> Value {
    let codes: Vec<&str> = Code::all().map(Code::as_str).collect();
    json!({
        "type": "object",
        "title": "Connect error",
        "description": "The Connect protocol's unary error body.",
        "required": ["code"],
        "properties": {
            "code": { "type": "string", "enum": codes },
            "message": { "type": "string" },
            "details": { "type": "array", "items": { "$ref": "#/components/schemas/ConnectErrorDetail" } },
        },
        "example": { "code": "not_found", "message": "SCM integration d2c94c27-3b76-4a42-b88c-95a85e392c68 not found" },
    })
}

fn connect_error_detail_schema() -> Value {
    json!({
        "type": "object",
        "required": ["type", "value"],
        "properties": {
            "type": { "type": "string", "description": "The detail's protobuf message name, e.g. buf.validate.Violations." },
            "value": { "type": "string", "contentEncoding": "base64", "description": "The detail message, protobuf-encoded, in unpadded base64." },
            "debug": { "description": "The detail in proto3 JSON, for humans." },
        },
    })
}

fn slug(name: &str) -> String {
    name.split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// Whether `/__mock/<rest>` is one of the exported-contract paths `serve` answers.
pub fn is_export_path(rest: &str) -> bool {
    let rest = rest.trim_end_matches('/');
    rest == "openapi.json" || rest == "schemas" || rest.starts_with("schemas/")
}

/// Answers `GET /__mock/<rest>` for the exported contract: `openapi.json`, `schemas` (an
/// index), `schemas/{Method}` and `schemas/{Method}/response`. None for other paths.
pub fn serve(
    contract: &Contract,
    rest: &str,
    host: Option<&str>,
) -> Option<Result<Value, RpcError>> {
    let rest = rest.trim_end_matches('/');
    if rest == "openapi.json" {
        let server = format!("http://{}", host.unwrap_or("127.0.0.1:4010"));
        return Some(Ok(document(contract, &server)));
    }
    if rest == "schemas" {
        let methods: Vec<Value> = contract
            .procedures()
            .iter()
            .map(|p| {
                json!({
                    "method": p.name,
                    "request": format!("/__mock/schemas/{}", p.name),
                    "response": format!("/__mock/schemas/{}/response", p.name),
                })
            })
            .collect();
        return Some(Ok(json!({ "schemas": methods })));
    }
    let path = rest.strip_prefix("schemas/")?;
    let (method, response) = match path.split_once('/') {
        Some((method, "response")) => (method, true),
        Some((method, "request")) => (method, false),
        Some(_) => return None,
        None => (path, false),
    };
    Some(match contract.procedure_named(method) {
        Some(p) if response => Ok(contract.response_schema(&p.output)),
        Some(p) => Ok(contract.request_schema(&p.input)),
        None => {
            let names: Vec<&str> = contract
                .procedures()
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            Err(RpcError::not_found(format!(
                "no schema for {method:?}: it is not a method of {}{}; methods are {}",
                crate::contract::SERVICE,
                contract.method_hint(method),
                names.join(", ")
            )))
        }
    })
}

#[cfg(test)]
mod tests;
