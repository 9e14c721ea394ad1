//! Every scenario action over real HTTP: errors with details and retry headers, delays, deadlines,
//! rate limits, raw and truncated answers, dropped connections, dribbled bodies, custom bodies
//! and pass; the sequencing forms and seeded probability; the `x-mock-scenario` header; and
//! loading and switching scenarios on the control plane. The helpers at the top are shared with
//! `library` and `sessions`.

use crate::support::{Reply, TestServer, EXAMPLE_ID, SERVICE};
use bytes::Bytes;
use gitpod_mock::app::App;
use gitpod_mock::error::Code;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use serde_json::{json, Value};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Sends `"VERB /path"` on a fresh connection; Err when no response comes (a dropped connection).
pub async fn try_send(
    addr: SocketAddr,
    line: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Result<Reply, String> {
    let (verb, path) = line.split_once(' ').unwrap();
    let mut request = Request::builder()
        .method(verb)
        .uri(format!("http://{addr}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(body.into())).unwrap();
    let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let response = client
        .request(request)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    let (status, headers) = (parts.status.as_u16(), parts.headers);
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// POSTs a JSON body to a method of the service with extra headers.
pub async fn rpc(addr: SocketAddr, method: &str, headers: &[(&str, &str)], body: Value) -> Reply {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let line = format!("POST {SERVICE}/{method}");
    let reply = try_send(addr, &line, &all, body.to_string()).await;
    reply.expect("the server answers")
}

/// A control-plane request, e.g. `admin(addr, "POST /__mock/reset", "")`.
pub async fn admin(addr: SocketAddr, line: &str, body: &str) -> Reply {
    let reply = try_send(addr, line, &[], body.to_string()).await;
    reply.expect("the server answers")
}

/// Loads a scenario over the control plane, failing the test if it is refused.
pub async fn load(addr: SocketAddr, name: &str, yaml: &str) {
    let reply = admin(addr, &format!("POST /__mock/scenarios?name={name}"), yaml).await;
    let loaded = (reply.status, reply.json());
    assert_eq!(loaded, (200, json!({ "loaded": name })), "{yaml}");
}

/// The example SCM integration, read with extra headers.
pub async fn get_scm(addr: SocketAddr, headers: &[(&str, &str)]) -> Reply {
    let body = json!({ "id": EXAMPLE_ID });
    rpc(addr, "GetSCMIntegration", headers, body).await
}

/// What the example SCM integration's read says, with extra headers.
pub async fn get_says(addr: SocketAddr, headers: &[(&str, &str)]) -> String {
    said(&get_scm(addr, headers).await)
}

/// What a reply says in one line: `200`, `503 unavailable: <message>` for a Connect error, or
/// the status and body text of anything else.
pub fn said(reply: &Reply) -> String {
    let status = reply.status;
    match serde_json::from_slice::<Value>(&reply.body) {
        _ if status == 200 => "200".into(),
        Ok(e) if e["code"].is_string() => {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            format!("{status} {}: {}", text("code"), text("message"))
        }
        _ => format!("{status} {}", String::from_utf8_lossy(&reply.body)),
    }
}

pub fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply.headers.get(name).map(|v| v.to_str().unwrap())
}

const T: (&str, &str) = ("x-mock-scenario", "t");

async fn with_scenario(yaml: &str) -> TestServer {
    let server = TestServer::start().await;
    load(server.addr, "t", yaml).await;
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
        let got = said(&get_scm(server.addr, &[T, ("x-want", name)]).await);
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
    load(server.addr, "t", yaml).await;
    let reply = get_scm(server.addr, &[T]).await;
    assert_eq!(said(&reply), "409 aborted: conflict, try later");
    let detail =
        json!({"type": "google.rpc.RetryInfo", "value": "CgIIAQ", "debug": {"retryDelay": "1s"}});
    assert_eq!(reply.json()["details"], json!([detail]));
    let names = ["retry-after", "retry-after-ms", "x-should-retry"];
    let retry = |r: &Reply| names.map(|n| header(r, n).unwrap_or("-").to_string());
    assert_eq!(retry(&reply), ["3", "-", "true"]);
    let reply = rpc(server.addr, "ListSCMIntegrations", &[T], json!({})).await;
    assert_eq!(said(&reply), "503 unavailable: back soon");
    assert_eq!(retry(&reply), ["-", "25", "false"]);
}

#[tokio::test]
async fn delays_hold_back_the_normal_answer() {
    let server = TestServer::start().await;
    let normal = get_scm(server.addr, &[]).await.body;
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
        load(server.addr, "t", &format!("rules:\n  - delay: {delay}\n")).await;
        let started = Instant::now();
        let reply = get_scm(server.addr, &[T]).await;
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
        let reply = rpc(server.addr, method, &headers, json!({ "id": EXAMPLE_ID })).await;
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
        assert_eq!(get_says(server.addr, &a).await, "200");
    }
    let limited = get_scm(server.addr, &a).await;
    let expected = "429 resource_exhausted: rate limit exceeded: retry in 2s";
    assert_eq!(said(&limited), expected);
    assert_eq!(header(&limited, "retry-after"), Some("2"));
    // Another session has its own bucket.
    assert_eq!(
        get_says(server.addr, &[T, ("x-mock-session", "b")]).await,
        "200"
    );
}

/// Status, content type and body text.
fn whole(reply: &Reply) -> (u16, Option<&str>, String) {
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    (reply.status, header(reply, "content-type"), text)
}

#[tokio::test]
async fn raw_answers_are_not_connect() {
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let cut = r#"{"integrations": [{"id""#;
    let yaml = format!(
        "rules:\n  - match: {{method: GetSCMIntegration}}\n    raw: {{status: 502, content_type: text/html, body: \"{page}\"}}\n  - raw: {{status: 200, content_type: application/json, body: '{cut}'}}\n"
    );
    let server = with_scenario(&yaml).await;
    let reply = get_scm(server.addr, &[T]).await;
    assert_eq!(whole(&reply), (502, Some("text/html"), page.into()));
    let reply = rpc(server.addr, "ListSCMIntegrations", &[T], json!({})).await;
    assert_eq!(whole(&reply), (200, Some("application/json"), cut.into()));
    let parsed = serde_json::from_slice::<Value>(&reply.body);
    assert!(parsed.is_err(), "the JSON is cut short");
}

/// One field of every journal entry in a `/__mock/journal` answer.
pub fn entries(journal: &Value, field: &str) -> Vec<Value> {
    let all = journal["entries"].as_array().expect("a journal");
    all.iter().map(|e| e[field].clone()).collect()
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
        let result = try_send(server.addr, &line, &headers, "{}").await;
        assert!(result.is_err(), "{method}: {result:?}");
    }
    assert_eq!(get_says(server.addr, &[]).await, "200");
    let journal = admin(server.addr, "GET /__mock/journal?scenario=t", "").await;
    let codes = entries(&journal.json(), "code");
    assert_eq!(codes, ["reset", "close", "reset", "close"]);
}

#[tokio::test]
async fn a_dribbled_body_arrives_whole_in_pieces_over_time() {
    let server = with_scenario("rules:\n  - dribble: {chunk_bytes: 64, interval_ms: 40}\n").await;
    let normal = get_scm(server.addr, &[]).await.body;
    let body = Bytes::from(json!({ "id": EXAMPLE_ID }).to_string());
    let request = Request::post(server.url(&format!("{SERVICE}/GetSCMIntegration")))
        .header("content-type", "application/json")
        .header(T.0, T.1);
    let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let started = Instant::now();
    let response = client.request(request.body(Full::new(body)).unwrap()).await;
    let response = response.unwrap();
    let (mut body, mut bytes, mut frames) = (response.into_body(), Vec::new(), 0);
    while let Some(frame) = body.frame().await {
        bytes.extend_from_slice(&frame.unwrap().into_data().unwrap());
        frames += 1;
    }
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
  - match: {method: GetEnvironmentClass}
    respond: {nonsense: 1}
"#;
    let server = with_scenario(yaml).await;
    let custom =
        json!({"integration": {"id": "custom", "host": "on", "scmId": "github", "pat": true}});
    assert_eq!(get_scm(server.addr, &[T]).await.json(), custom);
    // The same body through the binary codec.
    let procedure = server.app.contract.procedure("GetSCMIntegration").cloned();
    let procedure = procedure.unwrap();
    let request = DynamicMessage::deserialize(procedure.input, json!({ "id": EXAMPLE_ID }));
    let headers = [("content-type", "application/proto"), T];
    let line = format!("POST {SERVICE}/GetSCMIntegration");
    let reply = try_send(
        server.addr,
        &line,
        &headers,
        request.unwrap().encode_to_vec(),
    )
    .await;
    let reply = reply.unwrap();
    let content_type = header(&reply, "content-type");
    assert_eq!(
        (reply.status, content_type),
        (200, Some("application/proto"))
    );
    let message = DynamicMessage::decode(procedure.output, reply.body).unwrap();
    assert_eq!(serde_json::to_value(&message).unwrap(), custom);
    // pass stops later rules: the real answer comes back.
    let id = "00000000-0000-4000-8000-000000000000";
    let reply = rpc(server.addr, "GetSCMIntegration", &[T], json!({ "id": id })).await;
    let expected = format!("404 not_found: SCM integration {id} not found");
    assert_eq!(said(&reply), expected);
    let body = json!({ "environmentClassId": EXAMPLE_ID });
    let reply = rpc(server.addr, "GetEnvironmentClass", &[T], body).await;
    let invalid = "500 internal: the scenario's respond body is not a valid gitpod.v1.GetEnvironmentClassResponse: ";
    assert!(said(&reply).starts_with(invalid), "{}", said(&reply));
}

#[tokio::test]
async fn sequences_fire_on_the_calls_they_name() {
    let server = TestServer::start().await;
    #[rustfmt::skip]
    let cases = [
        ("{first: 2}", "EE____"),
        ("{nth: 3}", "__E___"),
        ("{every: 2}", "E_E_E_"),
        ("{after: 4}", "____EE"),
        ("{after: 1, first: 3}", "_EE___"),
    ];
    for (i, (when, expected)) in cases.into_iter().enumerate() {
        let yaml = format!("rules:\n  - when: {when}\n    error: unavailable\n");
        load(server.addr, "t", &yaml).await;
        // A fresh session per case: counters are per session.
        let session = format!("seq-{i}");
        let mut got = String::new();
        for _ in 0..expected.len() {
            let reply = get_scm(server.addr, &[T, ("x-mock-session", &session)]).await;
            got.push(if reply.status == 503 { 'E' } else { '_' });
        }
        assert_eq!(got, expected, "when {when}");
    }
}

#[tokio::test]
async fn probability_repeats_for_the_same_seed_and_session() {
    let yaml = "rules:\n  - when: {probability: 0.5}\n    error: unavailable\n";
    let run = |seed: u64, session: &'static str| async move {
        let server = TestServer::with(App::with_defaults(Some(seed))).await;
        load(server.addr, "t", yaml).await;
        let mut faults = String::new();
        for _ in 0..40 {
            let reply = get_scm(server.addr, &[T, ("x-mock-session", session)]).await;
            faults.push(if reply.status == 503 { 'E' } else { '_' });
        }
        faults
    };
    let first = run(7, "ci-1").await;
    let again = run(7, "ci-1").await;
    assert_eq!(again, first, "a second server, same seed and session");
    assert_ne!(run(7, "ci-2").await, first, "another session");
    assert_ne!(run(8, "ci-1").await, first, "another seed");
    let fired = first.matches('E').count();
    assert!(
        (8..=32).contains(&fired),
        "{fired} of 40 at p = 0.5: {first}"
    );
}

#[tokio::test]
async fn the_scenario_header_takes_a_list_and_refuses_unknown_names() {
    let server = TestServer::start().await;
    let one = "rules:\n  - match: {method: GetSCMIntegration}\n    error: {code: internal, message: one}\n";
    load(server.addr, "one", one).await;
    let two = "rules:\n  - error: {code: unavailable, message: two}\n";
    load(server.addr, "two", two).await;
    let loaded = "auth-expired, chaos, flaky, not-found-everything, one, permission-denied-writes, rate-limited, runner-offline, slow, two";
    let unknown = format!("400 invalid_argument: x-mock-scenario: unknown scenario \"nope\"; loaded scenarios are: {loaded}");
    // Listed scenarios run in order; the first rule that fires decides.
    #[rustfmt::skip]
    let cases = [
        ("GetSCMIntegration", "one, two", "500 internal: one".to_string()),
        ("GetSCMIntegration", "two,one", "503 unavailable: two".into()),
        ("ListSCMIntegrations", "one , two", "503 unavailable: two".into()),
        ("GetSCMIntegration", "one, nope", unknown),
    ];
    for (method, names, expected) in cases {
        let reply = rpc(
            server.addr,
            method,
            &[("x-mock-scenario", names)],
            json!({}),
        )
        .await;
        assert_eq!(said(&reply), expected, "{method} with {names}");
    }
    let plain = said(&get_scm(server.addr, &[]).await);
    assert_eq!(plain, "200", "without the header nothing fires");
}

#[tokio::test]
async fn the_control_plane_loads_activates_deactivates_and_counts() {
    let server = TestServer::start().await;
    let addr = server.addr;
    let yaml = "rules:\n  - match: {method: GetSCMIntegration}\n    when: {first: 1}\n    error: {code: unavailable, message: blink}\n";
    load(addr, "blink", yaml).await;
    let switch = |verb: &'static str| async move {
        let reply = admin(addr, &format!("POST /__mock/scenarios/blink/{verb}"), "").await;
        reply.json()
    };
    let get =
        |id: &'static str| async move { said(&get_scm(addr, &[("x-mock-session", id)]).await) };
    // Where blink is on, and its hit counts, as one session sees it.
    let blink = |id: &'static str| async move {
        let list = admin(addr, &format!("GET /__mock/scenarios?session={id}"), "").await;
        let list = list.json();
        let all = list["scenarios"].as_array().unwrap().clone();
        let s = all.into_iter().find(|s| s["name"] == "blink").unwrap();
        json!([s["activeServerWide"], s["activeInSession"], s["rules"][0]])
    };
    // Server-wide: every session fails its own first call.
    let on = json!({"scope": "server", "active": ["blink"]});
    assert_eq!(switch("activate").await, on);
    for id in ["default", "s1"] {
        let got = [get(id).await, get(id).await];
        assert_eq!(got, ["503 unavailable: blink", "200"]);
    }
    let counts = json!({"rule": 1, "matched": 2, "fired": 1});
    assert_eq!(blink("s1").await, json!([true, false, counts]));
    let off = json!({"scope": "server", "active": []});
    assert_eq!(switch("deactivate").await, off);
    assert_eq!(get("s2").await, "200");
    // Per session: only that session.
    let on = json!({"scope": "p", "active": ["blink"]});
    assert_eq!(switch("activate?session=p").await, on);
    assert_eq!(
        [get("q").await, get("p").await],
        ["200", "503 unavailable: blink"]
    );
    let counts = json!({"rule": 1, "matched": 1, "fired": 1});
    assert_eq!(blink("p").await, json!([false, true, counts]));
    // Loading it again (here with another message) starts its counts afresh.
    load(
        addr,
        "blink",
        &yaml.replace("message: blink", "message: again"),
    )
    .await;
    assert_eq!(
        [get("p").await, get("p").await],
        ["503 unavailable: again", "200"]
    );
    let reply = admin(addr, "POST /__mock/scenarios/nope/activate", "").await;
    let expected = "404 not_found: unknown scenario \"nope\"; loaded scenarios are: auth-expired, blink, chaos,";
    assert!(said(&reply).starts_with(expected), "{}", said(&reply));
}
