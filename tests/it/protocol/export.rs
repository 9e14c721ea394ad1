//! The exported contract under the control prefix: the OpenAPI document and every JSON Schema.

use super::*;

#[tokio::test]
async fn the_openapi_document_and_the_schemas_are_served() {
    let server = TestServer::start().await;
    let reply = bare(&server, "GET", "/__mock/openapi.json", &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(header(&reply, "content-type"), Some("application/json"));
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], format!("http://{}", server.addr));
    assert_eq!(doc["paths"].as_object().unwrap().len(), 16);
    let cli = gitpod_mock::openapi::document(contract(), "x");
    assert_eq!(
        doc["paths"], cli["paths"],
        "the served document is the exported one"
    );

    let reply = bare(&server, "GET", "/__mock/schemas/CreateSCMIntegration", &[]).await;
    assert_eq!(reply.status, 200);
    let input = &contract().procedure("CreateSCMIntegration").unwrap().input;
    assert_eq!(reply.json(), contract().request_schema(input));
    let reply = bare(
        &server,
        "GET",
        "/__mock/schemas/GetEnvironmentClass/response",
        &[],
    )
    .await;
    let output = &contract().procedure("GetEnvironmentClass").unwrap().output;
    assert_eq!(reply.json(), contract().response_schema(output));
    let reply = bare(&server, "GET", "/__mock/schemas", &[]).await;
    assert_eq!(reply.json()["schemas"].as_array().unwrap().len(), 21);
}

#[tokio::test]
async fn unknown_control_paths_and_wrong_methods_are_connect_errors() {
    let server = TestServer::start().await;
    let reply = bare(&server, "GET", "/__mock/schemas/NoSuchMethod", &[]).await;
    assert_connect_error(&reply, 404, "not_found", "no schema for \"NoSuchMethod\"");
    let reply = bare(&server, "GET", "/__mock/nothing-here", &[]).await;
    assert_connect_error(&reply, 404, "not_found", "/__mock/nothing-here");
    let reply = bare(&server, "POST", "/__mock/openapi.json", &[]).await;
    assert_connect_error(&reply, 405, "unknown", "use GET");
}
