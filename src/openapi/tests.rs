use super::*;
use crate::error::Code;
use std::collections::BTreeSet;

fn refs(value: &Value, into: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => {
                        into.insert(r.to_string());
                    }
                    _ => refs(v, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, into)),
        _ => {}
    }
}

#[test]
fn one_post_path_per_documented_method_and_get_for_reads() {
    let contract = Contract::load();
    let doc = document(&contract, "http://127.0.0.1:4010", false);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<&str> = METHODS.iter().map(|m| m.name).collect();
    assert_eq!(paths.len(), documented.len());
    for name in &documented {
        let procedure = contract.procedure(name).unwrap();
        let item = &paths[&procedure.path];
        assert_eq!(item["post"]["operationId"], *name);
        assert_eq!(item.get("get").is_some(), !procedure.side_effects, "{name}");
        for status in [
            "200", "400", "401", "403", "404", "405", "409", "415", "429", "500", "501", "503",
            "504",
        ] {
            assert!(
                item["post"]["responses"].get(status).is_some(),
                "{name} {status}"
            );
        }
    }
    assert!(!paths.keys().any(|p| p.contains("LLMIntegration")));
}

#[test]
fn every_ref_points_at_a_component() {
    let doc = document(&Contract::load(), "http://x", false);
    let mut all = BTreeSet::new();
    refs(&doc, &mut all);
    assert!(!all.iter().any(|r| r.contains("$defs")), "{all:?}");
    for r in &all {
        let pointer = r.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "dangling {r}");
    }
}

#[test]
fn request_and_response_variants_of_one_message_stay_apart() {
    let doc = document(&Contract::load(), "http://x", false);
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["gitpod.v1.EnvironmentClass"]["required"],
        json!(["id", "runnerId"])
    );
    assert!(schemas["gitpod.v1.EnvironmentClass-input"]
        .get("required")
        .is_none());
}

#[test]
fn every_request_example_meets_its_request_schema() {
    let contract = Contract::load();
    for method in METHODS {
        let (example, procedure) = (&method.example, contract.procedure(method.name).unwrap());
        let schema = contract.published_request_schema(&procedure.input, true);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        for (name, _, body) in example.requests {
            // Validation runs on the canonical form, as the server does.
            let message = crate::codec::decode(
                &procedure.input,
                crate::codec::Encoding::Json,
                body.as_bytes(),
                true,
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            let canonical = crate::codec::canonical(&message);
            let problems: Vec<String> = validator
                .iter_errors(&canonical)
                .map(|e| e.to_string())
                .collect();
            assert!(
                problems.is_empty(),
                "{} / {name}: {problems:?}",
                method.name
            );
        }
        let _: Value = serde_json::from_str(example.response).unwrap();
    }
}

#[test]
fn schemas_are_served_by_method_and_unknown_methods_are_not_found() {
    let contract = Contract::load();
    let request = serve(&contract, "schemas/GetSCMIntegration", None, false)
        .unwrap()
        .unwrap();
    assert_eq!(request["title"], "gitpod.v1.GetSCMIntegrationRequest");
    let response = serve(&contract, "schemas/GetSCMIntegration/response", None, false)
        .unwrap()
        .unwrap();
    assert_eq!(response["title"], "gitpod.v1.GetSCMIntegrationResponse");
    let index = serve(&contract, "schemas", None, false).unwrap().unwrap();
    let schemas = index["schemas"].as_array().unwrap();
    let every = METHODS.len() + crate::service::UNCOVERED.len();
    assert_eq!(schemas.len(), every, "documented and uncovered methods");
    let err = serve(&contract, "schemas/Nope", None, false)
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code, Code::NotFound);
    assert!(err.message.contains("GetSCMIntegration"), "{}", err.message);
    assert!(serve(&contract, "journal", None, false).is_none());
    let doc = serve(&contract, "openapi.json", Some("localhost:9"), false)
        .unwrap()
        .unwrap();
    assert_eq!(doc["servers"][0]["url"], "http://localhost:9");
}

fn component<'a>(doc: &'a Value, reference: &Value) -> &'a Value {
    let name = reference["$ref"].as_str().unwrap();
    doc.pointer(name.strip_prefix('#').unwrap()).unwrap()
}

#[test]
fn wrong_methods_and_content_types_are_documented_with_their_headers() {
    let doc = document(&Contract::load(), "http://x", false);
    for (path, item) in doc["paths"].as_object().unwrap() {
        let post = &item["post"]["responses"];
        assert_eq!(
            post["405"]["$ref"], "#/components/responses/MethodNotAllowed",
            "{path}"
        );
        assert_eq!(
            post["415"]["$ref"], "#/components/responses/UnsupportedMediaType",
            "{path}"
        );
        if let Some(get) = item.get("get") {
            assert!(get["responses"].get("405").is_some(), "{path}");
            // A GET has no body, so its content type is never checked.
            assert!(get["responses"].get("415").is_none(), "{path}");
        }
    }
    let responses = &doc["components"]["responses"];
    assert!(responses["MethodNotAllowed"]["headers"]
        .get("Allow")
        .is_some());
    assert_eq!(
        responses["UnsupportedMediaType"]["headers"]["Accept-Post"]["schema"]["const"],
        crate::codec::headers::ACCEPTED_CONTENT_TYPES
    );
    assert_eq!(
        responses["Unimplemented"]["headers"]["Accept-Encoding"]["schema"]["const"],
        crate::codec::compression::ACCEPTED
    );
}

#[test]
fn the_get_message_is_json_content_of_the_request_schema() {
    let doc = document(&Contract::load(), "http://x", false);
    let mut gets = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        gets += 1;
        let params = get["parameters"].as_array().unwrap();
        let message = params.iter().find(|p| p["name"] == "message").unwrap();
        assert!(message.get("schema").is_none(), "{path}: a free string");
        let body = &item["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(
            message["content"]["application/json"]["schema"], *body,
            "{path}"
        );
        let encoding = component(
            &doc,
            params
                .iter()
                .find(|p| p["$ref"] == "#/components/parameters/EncodingQuery")
                .unwrap(),
        );
        assert_eq!(encoding["schema"]["enum"], json!(["json"]), "{path}");
        let content = get["responses"]["200"]["content"].as_object().unwrap();
        assert_eq!(
            content.keys().collect::<Vec<_>>(),
            ["application/json"],
            "{path}"
        );
    }
    assert_eq!(gets, 7);
}

/// Every component a request body reaches, by name.
fn input_components(doc: &Value) -> BTreeSet<String> {
    let mut todo: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(reference) = todo.pop() {
        let name = reference
            .trim_start_matches("#/components/schemas/")
            .to_string();
        if seen.insert(name.clone()) {
            let mut next = BTreeSet::new();
            refs(&doc["components"]["schemas"][&name], &mut next);
            todo.extend(next);
        }
    }
    seen
}

#[test]
fn request_schemas_forbid_unknown_fields_only_for_a_strict_server() {
    let contract = Contract::load();
    let open = document(&contract, "http://x", false);
    let strict = document(&contract, "http://x", true);
    let inputs = input_components(&open);
    assert!(inputs.len() > METHODS.len(), "{inputs:?}");
    for name in inputs {
        let schema = &open["components"]["schemas"][&name];
        assert!(schema.get("additionalProperties").is_none(), "{name}");
    }
    for name in input_components(&strict) {
        let schema = &strict["components"]["schemas"][&name];
        assert_eq!(schema["additionalProperties"], false, "{name}");
    }
    // Responses are closed either way: the server writes only declared fields.
    for doc in [&open, &strict] {
        assert_eq!(
            doc["components"]["schemas"]["gitpod.v1.EnvironmentClass"]["additionalProperties"],
            false
        );
    }
    assert!(open["info"]["description"]
        .as_str()
        .unwrap()
        .contains("ignored"));
    assert!(strict["info"]["description"]
        .as_str()
        .unwrap()
        .contains("rejected"));
}

#[test]
fn handler_only_rules_are_in_the_published_schemas() {
    let contract = Contract::load();
    for rule in crate::contract::handler_rules::HANDLER_RULES {
        let procedure = contract.procedure(rule.method).unwrap();
        assert_eq!(procedure.input.full_name(), rule.message);
        let request: Value = serde_json::from_str(rule.breaking).unwrap();
        let valid = |schema: &Value| {
            jsonschema::options()
                .should_validate_formats(true)
                .build(schema)
                .unwrap()
                .is_valid(&request)
        };
        assert!(
            valid(&contract.request_schema(&procedure.input)),
            "{}: only a handler rejects it",
            rule.answer
        );
        for strict in [false, true] {
            let published = contract.published_request_schema(&procedure.input, strict);
            assert!(
                !valid(&published),
                "{}: the published schema lets it through",
                rule.answer
            );
        }
    }
}

#[test]
fn content_encoding_offers_only_what_a_generated_body_can_be() {
    // A tool generating a body never gzips it, so gzip is described in words only.
    let doc = document(&Contract::load(), "http://x", false);
    let header = &doc["components"]["parameters"]["ContentEncoding"];
    assert_eq!(header["schema"]["enum"], json!(["identity", ""]));
    assert!(header["description"].as_str().unwrap().contains("gzip"));
}

#[test]
fn a_method_name_two_services_share_is_asked_for_by_its_service() {
    let proto = r#"syntax = "proto3";
package zoo.v1;
message ListRequest { string filter = 1; }
message ListAnimalsResponse { repeated string animals = 1; }
message ListKeepersResponse { repeated string keepers = 1; }
service AnimalService { rpc List(ListRequest) returns (ListAnimalsResponse); }
service KeeperService {
  rpc List(ListRequest) returns (ListKeepersResponse);
  rpc Hire(ListRequest) returns (ListKeepersResponse);
}
"#;
    let pool = crate::contract::source::compile_text("openapi-shared", proto);
    let contract = Contract::from_pool(pool, &[]).unwrap();
    let index = serve(&contract, "schemas", None, false).unwrap().unwrap();
    let paths: Vec<&str> = index["schemas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["response"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"/__mock/schemas/zoo.v1.AnimalService/List/response"));
    assert!(
        paths.contains(&"/__mock/schemas/Hire/response"),
        "{paths:?}"
    );
    for (path, title) in [
        (
            "schemas/zoo.v1.KeeperService.List/response",
            "zoo.v1.ListKeepersResponse",
        ),
        (
            "schemas/AnimalService.List/response",
            "zoo.v1.ListAnimalsResponse",
        ),
        ("schemas/Hire/response", "zoo.v1.ListKeepersResponse"),
    ] {
        let schema = serve(&contract, path, None, false).unwrap().unwrap();
        assert_eq!(schema["title"], title, "{path}");
    }
    let err = serve(&contract, "schemas/List", None, false)
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code, Code::NotFound);
    assert!(
        err.message
            .contains("zoo.v1.AnimalService/List, zoo.v1.KeeperService/List"),
        "{}",
        err.message
    );
}
