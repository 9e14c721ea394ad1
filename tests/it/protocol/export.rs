//! The exported contract under the control prefix: the OpenAPI document and every JSON Schema,
//! and checks that what they say is what the server does.

use super::*;
use gitpod_mock::contract::handler_rules::HANDLER_RULES;
use serde_json::json;

fn compile(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap()
}

#[tokio::test]
async fn the_root_lists_every_procedure_by_name_saying_which_the_mock_serves() {
    let server = TestServer::start().await;
    for path in ["/", "/api/"] {
        let reply = server.request(&format!("GET {path}"), &[], "").await;
        assert_eq!(reply.status, 200, "{path}");
        let body = reply.json();
        let listed: Vec<(String, bool, bool)> = body["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let name = m["name"].as_str().unwrap().to_string();
                let path = format!("{SERVICE}/{name}");
                assert_eq!(m["path"], path.as_str(), "{path}");
                let side_effects = m["sideEffects"].as_bool().unwrap();
                (name, side_effects, m["implemented"].as_bool().unwrap())
            })
            .collect();
        let mut expected: Vec<(String, bool, bool)> = contract()
            .procedures()
            .iter()
            .map(|p| {
                let served = gitpod_mock::service::METHODS
                    .iter()
                    .any(|m| m.name == p.name);
                (p.name.clone(), p.side_effects, served)
            })
            .collect();
        expected.sort();
        assert_eq!(listed, expected, "{path}");
        assert_eq!(body["service"], "gitpod.v1.RunnerConfigurationService");
    }
}

#[tokio::test]
async fn the_openapi_document_and_the_schemas_are_served() {
    let server = TestServer::start().await;
    let reply = server.request("GET /__mock/openapi.json", &[], "").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], format!("http://{}", server.addr));
    let documented = gitpod_mock::service::METHODS.len();
    assert_eq!(doc["paths"].as_object().unwrap().len(), documented);
    let cli = gitpod_mock::openapi::document(contract(), "x", false);
    assert_eq!(
        doc["paths"], cli["paths"],
        "the served document is the exported one"
    );

    let reply = server
        .request("GET /__mock/schemas/CreateSCMIntegration", &[], "")
        .await;
    assert_eq!(reply.status, 200);
    let input = &contract().procedure("CreateSCMIntegration").unwrap().input;
    assert_eq!(
        reply.json(),
        contract().published_request_schema(input, false)
    );
    let reply = server
        .request("GET /__mock/schemas/GetEnvironmentClass/response", &[], "")
        .await;
    let output = &contract().procedure("GetEnvironmentClass").unwrap().output;
    assert_eq!(reply.json(), contract().response_schema(output));
    let reply = server.request("GET /__mock/schemas", &[], "").await;
    let every = documented + gitpod_mock::service::UNCOVERED.len();
    assert_eq!(reply.json()["schemas"].as_array().unwrap().len(), every);
}

#[tokio::test]
async fn unknown_control_paths_and_wrong_methods_are_connect_errors() {
    let server = TestServer::start().await;
    let reply = server
        .request("GET /__mock/schemas/NoSuchMethod", &[], "")
        .await;
    assert_connect_error(&reply, 404, "not_found", "no schema for \"NoSuchMethod\"");
    let reply = server.request("GET /__mock/nothing-here", &[], "").await;
    assert_connect_error(&reply, 404, "not_found", "/__mock/nothing-here");
    let reply = server.request("POST /__mock/openapi.json", &[], "").await;
    assert_connect_error(&reply, 405, "unknown", "use GET");
}

#[tokio::test]
async fn the_served_documents_say_unknown_fields_are_what_the_server_makes_of_them() {
    let unknown = format!(
        r#"{{"id":"{}","noSuchField":1}}"#,
        crate::support::EXAMPLE_ID
    );
    for strict in [false, true] {
        let server = TestServer::from(crate::support::mock().strict(strict)).await;
        let doc = server
            .request("GET /__mock/openapi.json", &[], "")
            .await
            .json();
        let closed = &doc["components"]["schemas"]["gitpod.v1.GetSCMIntegrationRequest"]
            ["additionalProperties"];
        assert_eq!(*closed == false, strict, "{closed}");
        let schema = server
            .request("GET /__mock/schemas/GetSCMIntegration", &[], "")
            .await;
        let request: Value = serde_json::from_str(&unknown).unwrap();
        assert_eq!(compile(&schema.json()).is_valid(&request), !strict);
        let reply = server
            .rpc_as(
                "GetSCMIntegration",
                "application/json",
                &[],
                unknown.clone().into_bytes(),
            )
            .await;
        assert_eq!(reply.status == 400, strict, "{}", reply.text());
    }
}

#[tokio::test]
async fn requests_only_handlers_reject_break_the_published_schema() {
    let server = TestServer::start().await;
    for rule in HANDLER_RULES {
        let input = &contract().procedure(rule.method).unwrap().input;
        let request: Value = serde_json::from_str(rule.breaking).unwrap();
        let published = server
            .request(&format!("GET /__mock/schemas/{}", rule.method), &[], "")
            .await;
        assert!(
            !compile(&published.json()).is_valid(&request),
            "{}",
            rule.answer
        );
        assert!(
            compile(&contract().request_schema(input)).is_valid(&request),
            "{}",
            rule.answer
        );
        let reply = server
            .rpc_as(rule.method, "application/json", &[], rule.breaking)
            .await;
        assert_connect_error(&reply, 400, "invalid_argument", rule.answer);
    }
}

#[tokio::test]
async fn other_methods_and_content_types_get_the_documented_answers() {
    let server = TestServer::start().await;
    let doc = server
        .request("GET /__mock/openapi.json", &[], "")
        .await
        .json();
    let responses = &doc["components"]["responses"];
    let accept_post =
        &responses["UnsupportedMediaType"]["headers"]["Accept-Post"]["schema"]["const"];
    let error = compile(
        &json!({ "$ref": "#/components/schemas/ConnectError", "components": doc["components"] }),
    );
    for (path, item) in doc["paths"].as_object().unwrap() {
        let mut methods: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        methods.sort();
        for other in ["PUT", "DELETE", "PATCH"] {
            let reply = server.request(&format!("{other} {path}"), &[], "").await;
            assert_eq!(reply.status, 405, "{other} {path}");
            assert_eq!(
                reply.header("allow"),
                Some(methods.join(", ").as_str()),
                "{path}"
            );
            assert!(error.is_valid(&reply.json()), "{}", reply.text());
        }
        let reply = server
            .request(
                &format!("POST {path}"),
                &[("content-type", "text/plain")],
                "",
            )
            .await;
        assert_eq!(reply.status, 415, "{path}");
        assert_eq!(reply.header("accept-post"), accept_post.as_str(), "{path}");
        assert!(error.is_valid(&reply.json()), "{}", reply.text());
    }
}

#[tokio::test]
async fn a_get_built_from_the_document_reaches_the_handler() {
    let server = TestServer::start().await;
    let doc = server
        .request("GET /__mock/openapi.json", &[], "")
        .await
        .json();
    let get = &doc["paths"][format!("{SERVICE}/GetSCMIntegration")]["get"];
    let mut query = Vec::new();
    for param in get["parameters"].as_array().unwrap() {
        let param = match param["$ref"].as_str() {
            Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
            None => param,
        };
        if param["in"] != "query" {
            continue;
        }
        let value = match param["schema"]["enum"].as_array() {
            Some(values) => values[0].as_str().unwrap().to_string(),
            None => {
                assert!(
                    param["content"].get("application/json").is_some(),
                    "{param}"
                );
                json!({ "id": crate::support::EXAMPLE_ID }).to_string()
            }
        };
        query.push(format!(
            "{}={}",
            param["name"].as_str().unwrap(),
            urlencode(value.as_bytes())
        ));
    }
    let reply = server
        .request(
            &format!("GET {SERVICE}/GetSCMIntegration?{}", query.join("&")),
            &[],
            "",
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json()["integration"]["id"],
        crate::support::EXAMPLE_ID
    );
}

/// Requests Schemathesis sent whose verdict the published schema and the server once disagreed
/// on: (method, body, whether a `--strict` server, whether both must accept it).
const VERDICTS: &[(&str, &str, bool, bool)] = &[
    // proto3 JSON null is "unset"; unset is valid here…
    (
        "CreateEnvironmentClass",
        r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","displayName":"Large","description":"8 CPU","configuration":null}"#,
        false,
        true,
    ),
    (
        "UpdateEnvironmentClass",
        r#"{"environmentClassId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","enabled":null}"#,
        false,
        true,
    ),
    (
        "CreateHostAuthenticationToken",
        r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","host":"github.com","token":"t","userId":null}"#,
        false,
        true,
    ),
    (
        "ValidateRunnerConfiguration",
        r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","environmentClass":null,"scmIntegration":{"scmId":"github","host":"github.com","virtualDirectory":null}}"#,
        false,
        true,
    ),
    // …but not where a rule needs a value.
    (
        "CreateEnvironmentClass",
        r#"{"runnerId":null,"displayName":"Large","description":"8 CPU"}"#,
        false,
        false,
    ),
    // An empty uuid: format is only an annotation to some tools, so a pattern says it too.
    (
        "ListHostAuthenticationTokens",
        r#"{"filter":{"runnerId":""}}"#,
        false,
        false,
    ),
    // Integers are bounded by their field's type.
    (
        "ListEnvironmentClasses",
        r#"{"pagination":{"pageSize":1892962085690500200000000}}"#,
        false,
        false,
    ),
    // Bytes are base64 (protojson's alphabets), whatever a tool makes of contentEncoding.
    (
        "ValidateRunnerConfiguration",
        r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","scmIntegration":{"scmId":"github","host":"github.com","oauthEncryptedClientSecret":"*ó"}}"#,
        false,
        false,
    ),
    // Enum values by number, named or not (proto3 enums are open); unknown names are dropped,
    // unless --strict refuses them.
    (
        "ListEnvironmentClasses",
        r#"{"filter":{"runnerKinds":[2147483646],"runnerProviders":[-1]}}"#,
        false,
        true,
    ),
    (
        "CreateHostAuthenticationToken",
        r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","host":"github.com","token":"t","source":1}"#,
        false,
        true,
    ),
    (
        "CreateHostAuthenticationToken",
        r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","host":"github.com","token":"t","source":"NO_SUCH_SOURCE"}"#,
        false,
        true,
    ),
    (
        "CreateHostAuthenticationToken",
        r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","host":"github.com","token":"t","source":"NO_SUCH_SOURCE"}"#,
        true,
        false,
    ),
];

#[tokio::test]
async fn the_published_schemas_and_the_server_give_one_verdict() {
    let servers = [
        TestServer::from(crate::support::mock()).await,
        TestServer::from(crate::support::mock().strict(true)).await,
    ];
    for (method, body, strict, accepted) in VERDICTS {
        let server = &servers[usize::from(*strict)];
        let schema = server
            .request(&format!("GET /__mock/schemas/{method}"), &[], "")
            .await
            .json();
        let request: Value = serde_json::from_str(body).unwrap();
        // OpenAPI 3.1 leaves format assertion to the tool: the verdict must not depend on it.
        for formats in [true, false] {
            let validator = jsonschema::options()
                .should_validate_formats(formats)
                .build(&schema)
                .unwrap();
            assert_eq!(
                validator.is_valid(&request),
                *accepted,
                "schema, formats {formats}: {method} {body}"
            );
        }
        let reply = server
            .rpc_as(method, "application/json", &[], body.as_bytes().to_vec())
            .await;
        let verdict = match reply.status {
            400 => false,
            status if status < 500 => true,
            _ => panic!("server: {method} {body}: {}", reply.text()),
        };
        assert_eq!(
            verdict,
            *accepted,
            "server: {method} {body}: {}",
            reply.text()
        );
    }
}
