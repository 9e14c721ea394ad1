//! What the fuzz harness found, each kept as a plain regression test.

use gitpod_mock::contract::Contract;
use gitpod_mock::scenario::Scenario;

/// A scripted `raw` answer with a 1xx status loaded, but hyper cannot send a 1xx as a final
/// response and answers 500 in its place; such a file is now refused at load.
#[test]
fn a_scripted_raw_answer_needs_a_final_status() {
    let contract = Contract::load();
    for status in [100, 101, 154, 199] {
        let text = format!("rules:\n  - raw: {{status: {status}}}\n");
        let err = Scenario::parse(&contract, "x.yaml", &text).unwrap_err();
        let expected = format!(
            "x.yaml: rule 1: raw.status: {status} is not a final HTTP status: use 200 to 599"
        );
        assert_eq!(err, expected);
    }
    assert!(Scenario::parse(&contract, "x.yaml", "rules:\n  - raw: {status: 200}\n").is_ok());
}

/// A binary UpdateHostAuthenticationToken whose `expiresAt` is past year 9999 decoded, then
/// panicked the call when it was turned into proto3 JSON (which has no such timestamp). The
/// fuzz harness's binary bodies found it after 750,004 cases; it is an invalid argument now.
#[test]
fn a_binary_timestamp_out_of_range_is_an_invalid_argument() {
    use crate::support::InProcess;
    let server = InProcess::new(gitpod_mock::app::App::with_defaults(Some(1)));
    // id "/tfs", expires_at {seconds: 2^62 - 1 (as the fuzzer wrote it)}: the shrunk input.
    let body = vec![
        42, 4, 47, 116, 102, 115, 50, 7, 8, 255, 130, 209, 255, 175, 71, 138, 58, 0,
    ];
    let request =
        http::Request::post("/gitpod.v1.RunnerConfigurationService/UpdateHostAuthenticationToken")
            .header("content-type", "application/proto")
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap();
    let reply = server.send(request).unwrap().reply.expect("a response");
    let (status, body) = (reply.status, reply.body);
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["code"], "invalid_argument");
    let message = error["message"].as_str().unwrap();
    let expected = "unmarshal into gitpod.v1.UpdateHostAuthenticationTokenRequest: invalid value for google.protobuf.Timestamp field expiresAt: seconds out of range";
    assert!(message.starts_with(expected), "{message}");
}
