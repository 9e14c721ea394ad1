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
mod protocol;
pub(crate) mod schemas;

use crate::admin::PREFIX;
use crate::contract::{Contract, Procedure, SERVICE};
use crate::error::RpcError;
use crate::service::{Method, METHODS};
use components::Components;
use protocol::ERROR_RESPONSES;
use serde_json::{json, Map, Value};

/// The document's description; `{service}` stands for the service's name.
const DESCRIPTION: &str = "Every method is a Connect unary call: POST /{service}/<Method> with a JSON (application/json) or binary protobuf (application/proto) body. Methods without side effects may also be called with Connect GET, the request message in the message query parameter. Errors are Connect JSON errors whatever the request's encoding. Schemas describe the proto3 JSON form (camelCase names, enums by name, int64 as strings, RFC 3339 timestamps); the server also accepts snake_case names, enum numbers and int64 numbers. Request schemas carry the buf.validate rules and the rules the service checks itself; what depends on stored data (an unknown id, an scm_id the runner does not support, a duplicate host) is answered by the error statuses.";

/// The OpenAPI 3.1 document of the documented methods, naming `server` as the base URL, for a
/// server that is `strict` about unknown JSON fields or not.
pub fn document(contract: &Contract, server: &str, strict: bool) -> Value {
    let procedures: Vec<(Documented, &Procedure)> = METHODS
        .iter()
        .map(|m| {
            let p = contract
                .procedure(m.name)
                .unwrap_or_else(|| panic!("documented method {} is in the contract", m.name));
            (Documented::of(m), p)
        })
        .collect();
    let about = About {
        title: SERVICE.to_string(),
        summary:
            "Gitpod's runner configuration API over the Connect protocol, as served by gitpod-mock.",
        service: SERVICE.to_string(),
    };
    build(contract, procedures, about, server, strict)
}

/// The OpenAPI 3.1 document of every method of another contract (`openapi --contract`): the
/// same paths, schemas and errors, each operation tagged by its service and without the
/// examples only the built-in service's reference has.
pub fn document_of(contract: &Contract, server: &str, strict: bool) -> Value {
    let procedures: Vec<(Documented, &Procedure)> = contract
        .procedures()
        .iter()
        .map(|p| (Documented::plain(p), p))
        .collect();
    let mut services: Vec<&str> = procedures.iter().map(|(d, _)| d.service.as_str()).collect();
    services.dedup();
    let about = About {
        title: services.join(", "),
        summary: "A Connect API, as served by gitpod-mock.",
        service: "<package.Service>".to_string(),
    };
    build(contract, procedures, about, server, strict)
}

/// What a document says about its API as a whole.
struct About {
    title: String,
    summary: &'static str,
    /// How the description names the service in a path.
    service: String,
}

/// What an operation says about its method: the API reference's words for a documented
/// method, the method's own names otherwise.
struct Documented {
    operation_id: String,
    tag: String,
    service: String,
    summary: String,
    description: String,
    /// (name, summary, request JSON)
    requests: Vec<(String, String, Value)>,
    response: Option<Value>,
}

impl Documented {
    fn of(method: &Method) -> Documented {
        let example = &method.example;
        let json = |text: &str| serde_json::from_str::<Value>(text).expect("examples are JSON");
        Documented {
            operation_id: method.name.to_string(),
            tag: example.tag.to_string(),
            service: SERVICE.to_string(),
            summary: example.summary.to_string(),
            description: example.description.to_string(),
            requests: example
                .requests
                .iter()
                .map(|(name, summary, body)| (name.to_string(), summary.to_string(), json(body)))
                .collect(),
            response: Some(json(example.response)),
        }
    }

    fn plain(procedure: &Procedure) -> Documented {
        let path = procedure.path.trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or(("", path));
        let short = service.rsplit('.').next().unwrap_or(service);
        Documented {
            operation_id: format!("{short}_{method}"),
            tag: short.to_string(),
            service: service.to_string(),
            summary: method.to_string(),
            description: format!(
                "{path}: takes a {} and answers a {}.",
                procedure.input.full_name(),
                procedure.output.full_name()
            ),
            requests: Vec::new(),
            response: None,
        }
    }
}

fn build(
    contract: &Contract,
    procedures: Vec<(Documented, &Procedure)>,
    about: About,
    server: &str,
    strict: bool,
) -> Value {
    let mut components = Components::default();
    // Responses first, so the domain types (EnvironmentClass, …) keep their plain names.
    let outputs: Vec<String> = procedures
        .iter()
        .map(|(_, p)| components.add(&contract.response_schema(&p.output), ""))
        .collect();
    let inputs: Vec<String> = procedures
        .iter()
        .map(|(_, p)| {
            let schema = contract.published_request_schema(&p.input, strict);
            components.add(&schema, "-input")
        })
        .collect();
    let mut paths = Map::new();
    for (((method, procedure), input), output) in procedures.iter().zip(&inputs).zip(&outputs) {
        let mut item = Map::new();
        item.insert(
            "post".into(),
            operation(method, procedure, input, output, false),
        );
        if !procedure.side_effects {
            item.insert(
                "get".into(),
                operation(method, procedure, input, output, true),
            );
        }
        paths.insert(procedure.path.clone(), Value::Object(item));
    }
    // In the API reference's order: alphabetical, whatever the case.
    let mut tags: Vec<&str> = procedures.iter().map(|(d, _)| d.tag.as_str()).collect();
    tags.sort_by_key(|tag| tag.to_lowercase());
    tags.dedup();
    let mut schemas = components.into_schemas();
    schemas.insert("ConnectError".into(), protocol::connect_error_schema());
    schemas.insert(
        "ConnectErrorDetail".into(),
        protocol::connect_error_detail_schema(),
    );
    let unknown_fields = if strict {
        "Unknown JSON fields are rejected with invalid_argument (the server runs with --strict), so request schemas forbid them."
    } else {
        "Unknown JSON fields are ignored, as connect-go does (a server run with --strict rejects them; its document says so)."
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": about.title,
            "version": env!("CARGO_PKG_VERSION"),
            "summary": about.summary,
            "description": format!("{} {unknown_fields}", DESCRIPTION.replace("{service}", &about.service)),
        },
        "servers": [{ "url": server }],
        "tags": tags.iter().map(|t| json!({ "name": t })).collect::<Vec<_>>(),
        "security": [{ "bearerAuth": [] }, {}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": protocol::responses(),
            "parameters": protocol::parameters(),
            "securitySchemes": { "bearerAuth": { "type": "http", "scheme": "bearer" } },
        },
    })
}

fn operation(
    method: &Documented,
    procedure: &Procedure,
    input: &str,
    output: &str,
    get: bool,
) -> Value {
    let schema_ref = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let param_ref = |name: &str| json!({ "$ref": format!("#/components/parameters/{name}") });
    let binary = |message: &str| json!({ "schema": { "type": "string", "format": "binary", "description": format!("{message} in the protobuf binary encoding") } });
    let request_examples: Map<String, Value> = method
        .requests
        .iter()
        .map(|(name, summary, value)| {
            (
                slug(name),
                json!({ "summary": name, "description": summary, "value": value }),
            )
        })
        .collect();
    let mut json_answer = json!({ "schema": schema_ref(output) });
    if let Some(example) = &method.response {
        json_answer["example"] = example.clone();
    }
    let mut success = Map::new();
    success.insert("application/json".into(), json_answer);
    if !get {
        // A GET described here is encoding=json, so only a POST can get a binary answer.
        success.insert(
            "application/proto".into(),
            binary(procedure.output.full_name()),
        );
    }
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": format!("{} in the request's encoding", procedure.output.full_name()),
            "content": success,
        }),
    );
    for e in ERROR_RESPONSES.iter().filter(|e| !(get && e.post_only)) {
        responses.insert(
            e.status.to_string(),
            json!({ "$ref": format!("#/components/responses/{}", e.name) }),
        );
    }
    let mut op = json!({
        "operationId": if get { format!("{}ViaGet", method.operation_id) } else { method.operation_id.clone() },
        "tags": [method.tag],
        "summary": if get { format!("{} (Connect GET)", method.summary) } else { method.summary.clone() },
        "description": method.description,
        "responses": responses,
    });
    let mut params = if get {
        vec![
            param_ref("ConnectQuery"),
            param_ref("EncodingQuery"),
            // The message is JSON text of the request, so generated calls reach the handler.
            json!({
                "name": "message",
                "in": "query",
                "required": true,
                "description": format!("The {} as JSON (URL-encoded in the query).", procedure.input.full_name()),
                "content": { "application/json": { "schema": schema_ref(input) } },
            }),
        ]
    } else {
        vec![
            param_ref("ConnectProtocolVersion"),
            param_ref("ContentEncoding"),
        ]
    };
    params.extend([param_ref("ConnectTimeoutMs"), param_ref("AcceptEncoding")]);
    op["parameters"] = json!(params);
    if !get {
        let mut json_body = json!({ "schema": schema_ref(input) });
        if !request_examples.is_empty() {
            json_body["examples"] = Value::Object(request_examples);
        }
        op["requestBody"] = json!({
            "required": true,
            "content": {
                "application/json": json_body,
                "application/proto": binary(procedure.input.full_name()),
            },
        });
    }
    op
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
/// The documents describe the server as configured: `strict` if it rejects unknown fields.
pub fn serve(
    contract: &Contract,
    rest: &str,
    host: Option<&str>,
    strict: bool,
) -> Option<Result<Value, RpcError>> {
    let rest = rest.trim_end_matches('/');
    if rest == "openapi.json" {
        let server = format!("http://{}", host.unwrap_or("127.0.0.1:4010"));
        return Some(Ok(match contract.is_builtin() {
            true => document(contract, &server, strict),
            false => document_of(contract, &server, strict),
        }));
    }
    if rest == "schemas" {
        return Some(Ok(schemas::index(contract)));
    }
    Some(schemas::one(
        contract,
        rest.strip_prefix("schemas/")?,
        strict,
    ))
}

#[cfg(test)]
mod tests;
