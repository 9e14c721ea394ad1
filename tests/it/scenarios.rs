//! Every scenario action over real HTTP: errors with details and retry headers, delays,
//! deadlines, rate limits, raw and truncated answers, dropped connections, dribbled bodies,
//! custom bodies and pass.

use crate::calls::{entries, get_says, get_scm, load, said, T};
use crate::support::{rpc_request, Reply, TestServer, EXAMPLE_ID, SERVICE};
use gitpod_mock::error::Code;
use serde_json::{json, Value};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

async fn with_scenario(yaml: &str) -> TestServer {
    let server = TestServer::start().await;
    load(&server, "t", yaml).await;
    server
}

#[tokio::test]
async fn errors_carry_any_code_message_details_and_retry_headers() {
    // One rule per code, picked by a request header: each code answers with its own status.
    let rule = |c: &str| {
        format!(
            "  - match: {{headers: {{x-want: {0}}}}}\n    error: {0}\n",
            c
        )
    };
    let rules: String = Code::all().map(|c| rule(c.as_str())).collect();
    let server = with_scenario(&format!("rules:\n{rules}")).await;
    for code in Code::all() {
        let (name, status) = (code.as_str(), code.http_status());
        let got = said(&get_scm(&server, &[T, ("x-want", name)]).await);
        assert_eq!(
            got,
            format!("{status} {name}: scripted {name} from gitpod-mock scenario")
        );
    }
    let yaml = r#"rules:
  - match: {method: GetSCMIntegration}
    error:
      code: aborted
      message: "conflict, try later"
      details: [{type: google.rpc.RetryInfo, value: "CgIIAQ==", debug: {retryDelay: 1s}}]
    headers: {retry-after: "3", x-should-retry: "true"}
  - error: {code: unavailable, message: "back soon"}
    headers: {Retry-After-Ms: "25", x-should-retry: "false"}
"#;
    load(&server, "t", yaml).await;
    let reply = get_scm(&server, &[T]).await;
    assert_eq!(said(&reply), "409 aborted: conflict, try later");
    let detail =
        json!({"type": "google.rpc.RetryInfo", "value": "CgIIAQ", "debug": {"retryDelay": "1s"}});
    assert_eq!(reply.json()["details"], json!([detail]));
    let names = ["retry-after", "retry-after-ms", "x-should-retry"];
    let retry = |r: &Reply| names.map(|n| r.header(n).unwrap_or("-").to_string());
    assert_eq!(retry(&reply), ["3", "-", "true"]);
    let reply = server.rpc("ListSCMIntegrations", &[T], json!({})).await;
    assert_eq!(said(&reply), "503 unavailable: back soon");
    assert_eq!(retry(&reply), ["-", "25", "false"]);
}

#[tokio::test]
async fn delays_hold_back_the_normal_answer() {
    let server = TestServer::start().await;
    let normal = get_scm(&server, &[]).await.body;
    // (delay, at least, below): lower bounds are loose; the one upper bound, far from tight,
    // shows that max_ms caps a lognormal whose median is ten seconds.
    #[rustfmt::skip]
    let cases = [
        ("{ms: 150}", 150, 60_000),
        ("{min_ms: 100, max_ms: 160}", 100, 60_000),
        ("{median_ms: 120, sigma: 0}", 120, 60_000),
        ("{median_ms: 10000, sigma: 0.5, max_ms: 100}", 100, 5_000),
    ];
    for (delay, at_least, below) in cases {
        load(&server, "t", &format!("rules:\n  - delay: {delay}\n")).await;
        let started = Instant::now();
        let reply = get_scm(&server, &[T]).await;
        let took = started.elapsed().as_millis();
        assert_eq!((reply.status, &reply.body), (200, &normal), "{delay}");
        assert!(took >= at_least && took < below, "{delay}: {took} ms");
    }
}

#[tokio::test]
async fn exceeding_the_deadline_answers_deadline_exceeded_after_the_timeout() {
    let yaml = "rules:\n  - match: {method: GetSCMIntegration}\n    exceed_deadline: {fallback_ms: 150}\n  - delay: {ms: 5000}\n";
    let server = with_scenario(yaml).await;
    let past = |ms| {
        format!("504 deadline_exceeded: the call did not finish within its connect-timeout-ms of {ms} ms")
    };
    #[rustfmt::skip]
    let cases = [
        ("GetSCMIntegration", Some("250"), 250, past(250)),
        ("GetSCMIntegration", None, 150, "504 deadline_exceeded: the request's deadline passed".into()),
        // A plain delay longer than the client's timeout ends the same way, at the timeout.
        ("ListSCMIntegrations", Some("200"), 200, past(200)),
    ];
    for (method, timeout, at_least, expected) in cases {
        let mut headers = vec![T];
        headers.extend(timeout.map(|t| ("connect-timeout-ms", t)));
        let started = Instant::now();
        let reply = server
            .rpc(method, &headers, json!({ "id": EXAMPLE_ID }))
            .await;
        let took = started.elapsed().as_millis();
        assert_eq!(said(&reply), expected);
        let in_time = took >= at_least && took < 4000;
        assert!(in_time, "{method} {timeout:?}: {took} ms");
    }
}

#[tokio::test]
async fn a_rate_limit_answers_resource_exhausted_with_retry_after_per_session() {
    let server = with_scenario("rules:\n  - rate_limit: {capacity: 2, per_second: 0.5}\n").await;
    let a = [T, ("x-mock-session", "a")];
    for _ in 0..2 {
        assert_eq!(get_says(&server, &a).await, "200");
    }
    let limited = get_scm(&server, &a).await;
    let expected = "429 resource_exhausted: rate limit exceeded: retry in 2s";
    assert_eq!(said(&limited), expected);
    assert_eq!(limited.header("retry-after"), Some("2"));
    // Another session has its own bucket.
    assert_eq!(
        get_says(&server, &[T, ("x-mock-session", "b")]).await,
        "200"
    );
}

#[tokio::test]
async fn an_errors_own_headers_win_over_the_rules_and_the_rest_go_on() {
    let yaml = "rules:\n  - rate_limit: {capacity: 1, per_second: 0.5}\n    headers: {Retry-After: \"99\", x-should-retry: \"true\"}\n";
    let server = with_scenario(yaml).await;
    assert_eq!(get_says(&server, &[T]).await, "200");
    let limited = get_scm(&server, &[T]).await;
    assert_eq!(
        said(&limited),
        "429 resource_exhausted: rate limit exceeded: retry in 2s"
    );
    assert_eq!(limited.header("retry-after"), Some("2"), "the error's own");
    assert_eq!(limited.header("x-should-retry"), Some("true"));
}

/// Status, content type and body text.
fn whole(reply: &Reply) -> (u16, Option<&str>, String) {
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    (reply.status, reply.header("content-type"), text)
}

#[tokio::test]
async fn raw_answers_are_not_connect() {
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let cut = r#"{"integrations": [{"id""#;
    let yaml = format!(
        "rules:\n  - match: {{method: GetSCMIntegration}}\n    raw: {{status: 502, content_type: text/html, body: \"{page}\"}}\n  - raw: {{status: 200, content_type: application/json, body: '{cut}'}}\n"
    );
    let server = with_scenario(&yaml).await;
    let reply = get_scm(&server, &[T]).await;
    assert_eq!(whole(&reply), (502, Some("text/html"), page.into()));
    let reply = server.rpc("ListSCMIntegrations", &[T], json!({})).await;
    assert_eq!(whole(&reply), (200, Some("application/json"), cut.into()));
    let parsed = serde_json::from_slice::<Value>(&reply.body);
    assert!(parsed.is_err(), "the JSON is cut short");
}

/// Writes one request on a raw connection and reads until the server ends it.
async fn raw_exchange(addr: SocketAddr, method: &str) -> std::io::Result<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = json!({ "id": EXAMPLE_ID }).to_string();
    let head = format!("POST {SERVICE}/{method} HTTP/1.1\r\nhost: mock\r\ncontent-type: application/json\r\nx-mock-scenario: t\r\ncontent-length: {}\r\n\r\n", body.len());
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(format!("{head}{body}").as_bytes()).await?;
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    read.expect("the server ends the connection")?;
    Ok(out)
}

#[tokio::test]
async fn connection_faults_end_the_connection_without_an_answer() {
    let yaml = "rules:\n  - match: {method: GetSCMIntegration}\n    connection: reset\n  - connection: close\n";
    let server = with_scenario(yaml).await;
    let reset = raw_exchange(server.addr, "GetSCMIntegration").await;
    assert_eq!(reset.map_err(|e| e.kind()), Err(ErrorKind::ConnectionReset));
    let closed = raw_exchange(server.addr, "ListSCMIntegrations").await;
    assert_eq!(
        closed.map_err(|e| e.kind()),
        Ok(vec![]),
        "closed with no response"
    );
    // An HTTP client gets an error instead of a response, and the server keeps serving.
    for method in ["GetSCMIntegration", "ListSCMIntegrations"] {
        let headers = [("content-type", "application/json"), T];
        let line = format!("POST {SERVICE}/{method}");
        let result = server.try_request(&line, &headers, "{}").await;
        assert!(result.is_err(), "{method}: {result:?}");
    }
    assert_eq!(get_says(&server, &[]).await, "200");
    let journal = server
        .request("GET /__mock/journal?scenario=t", &[], "")
        .await;
    let codes = entries(&journal.json(), "code");
    assert_eq!(codes, ["reset", "close", "reset", "close"]);
}

#[tokio::test]
async fn a_dribbled_body_arrives_whole_in_pieces_over_time() {
    let server = with_scenario("rules:\n  - dribble: {chunk_bytes: 64, interval_ms: 40}\n").await;
    let normal = get_scm(&server, &[]).await.body;
    let body = json!({ "id": EXAMPLE_ID }).to_string();
    let request = rpc_request("GetSCMIntegration", "application/json", &[T], body);
    let started = Instant::now();
    let (reply, frames) = server.send_in_frames(request).await;
    let bytes = reply.body;
    let (took, chunks) = (started.elapsed(), normal.len().div_ceil(64) as u32);
    assert!(chunks >= 3, "the answer is long enough to dribble");
    assert_eq!(bytes, normal, "the body arrives intact");
    assert!(frames >= 2, "in {frames} pieces");
    let at_least = Duration::from_millis(40) * (chunks - 1);
    assert!(took >= at_least, "{took:?} for {chunks} chunks");
}

#[tokio::test]
async fn respond_answers_a_custom_body_in_both_codecs_and_pass_goes_on() {
    use prost::Message;
    use prost_reflect::DynamicMessage;
    let yaml = r#"rules:
  - match: {method: GetSCMIntegration, fields: {id: {matches: "^0000"}}}
    pass: true
  - match: {method: GetSCMIntegration}
    respond: {integration: {id: custom, host: on, scmId: github, pat: true}}
"#;
    let server = with_scenario(yaml).await;
    let custom =
        json!({"integration": {"id": "custom", "host": "on", "scmId": "github", "pat": true}});
    assert_eq!(get_scm(&server, &[T]).await.json(), custom);
    // The same body through the binary codec.
    let procedure = server.app.contract.procedure("GetSCMIntegration").cloned();
    let procedure = procedure.unwrap();
    let request = DynamicMessage::deserialize(procedure.input, json!({ "id": EXAMPLE_ID }));
    let headers = [("content-type", "application/proto"), T];
    let line = format!("POST {SERVICE}/GetSCMIntegration");
    let reply = server
        .try_request(&line, &headers, request.unwrap().encode_to_vec())
        .await;
    let reply = reply.unwrap();
    let content_type = reply.header("content-type");
    assert_eq!(
        (reply.status, content_type),
        (200, Some("application/proto"))
    );
    let message = DynamicMessage::decode(procedure.output, reply.body).unwrap();
    assert_eq!(serde_json::to_value(&message).unwrap(), custom);
    // pass stops later rules: the real answer comes back.
    let id = "00000000-0000-4000-8000-000000000000";
    let reply = server
        .rpc("GetSCMIntegration", &[T], json!({ "id": id }))
        .await;
    let expected = format!("404 not_found: SCM integration {id} not found");
    assert_eq!(said(&reply), expected);
}
