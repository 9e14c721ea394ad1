use super::*;
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
    let doc = document(&contract, "http://127.0.0.1:4010");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<&str> = crate::service::HANDLERS.iter().map(|(n, _)| *n).collect();
    assert_eq!(paths.len(), documented.len());
    for name in &documented {
        let procedure = contract.procedure(name).unwrap();
        let item = &paths[&procedure.path];
        assert_eq!(item["post"]["operationId"], *name);
        assert_eq!(item.get("get").is_some(), !procedure.side_effects, "{name}");
        for status in [
            "200", "400", "401", "403", "404", "409", "429", "500", "501", "503",
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
    let doc = document(&Contract::load(), "http://x");
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
    let doc = document(&Contract::load(), "http://x");
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
    for example in EXAMPLES {
        let procedure = contract.procedure(example.method).unwrap();
        let schema = contract.request_schema(&procedure.input);
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
                example.method
            );
        }
        let _: Value = serde_json::from_str(example.response).unwrap();
    }
}

#[test]
fn schemas_are_served_by_method_and_unknown_methods_are_not_found() {
    let contract = Contract::load();
    let request = serve(&contract, "schemas/GetSCMIntegration", None)
        .unwrap()
        .unwrap();
    assert_eq!(request["title"], "gitpod.v1.GetSCMIntegrationRequest");
    let response = serve(&contract, "schemas/GetSCMIntegration/response", None)
        .unwrap()
        .unwrap();
    assert_eq!(response["title"], "gitpod.v1.GetSCMIntegrationResponse");
    let index = serve(&contract, "schemas", None).unwrap().unwrap();
    assert_eq!(index["schemas"].as_array().unwrap().len(), 21);
    let err = serve(&contract, "schemas/Nope", None).unwrap().unwrap_err();
    assert_eq!(err.code, Code::NotFound);
    assert!(err.message.contains("GetSCMIntegration"), "{}", err.message);
    assert!(serve(&contract, "journal", None).is_none());
    let doc = serve(&contract, "openapi.json", Some("localhost:9"))
        .unwrap()
        .unwrap();
    assert_eq!(doc["servers"][0]["url"], "http://localhost:9");
}
