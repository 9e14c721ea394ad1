//! gRPC health checking: Check for the server and each service, an unknown service, Watch and
//! its end at shutdown, and gRPC-Web's status in the body.

use super::*;

fn serving_status(response: &DynamicMessage) -> i32 {
    response
        .get_field_by_name("status")
        .unwrap()
        .as_enum_number()
        .unwrap()
}

#[tokio::test]
async fn check_is_serving_for_the_server_and_its_services() {
    let server = TestServer::start().await;
    for service in [
        "",
        "gitpod.v1.RunnerConfigurationService",
        "grpc.health.v1.Health",
    ] {
        let body = Full::new(health_request(service));
        let (_, mut answers) = Answers::of(grpc(&server, CHECK, body).await);
        let response = answers.next(HEALTH).await.unwrap();
        assert_eq!(serving_status(&response), 1, "SERVING for {service:?}");
        assert_eq!(answers.end().await["grpc-status"], "0");
    }
}

#[tokio::test]
async fn check_of_an_unknown_service_is_not_found_trailers_only() {
    let server = TestServer::start().await;
    let body = Full::new(health_request("gitpod.v1.NoSuchService"));
    let (parts, body) = grpc(&server, CHECK, body).await.into_parts();
    assert_eq!(parts.headers["grpc-status"], "5");
    let message = parts.headers["grpc-message"].to_str().unwrap();
    assert!(
        message.starts_with("unknown service \"gitpod.v1.NoSuchService\""),
        "{message}"
    );
    assert!(body.collect().await.unwrap().to_bytes().is_empty());
}

#[tokio::test]
async fn watch_sends_serving_then_stays_open() {
    let server = TestServer::start().await;
    let body = Full::new(health_request(""));
    let (_, mut answers) = Answers::of(grpc(&server, WATCH, body).await);
    assert_eq!(serving_status(&answers.next(HEALTH).await.unwrap()), 1);
    let more = tokio::time::timeout(Duration::from_millis(300), answers.next(HEALTH)).await;
    assert!(
        more.is_err(),
        "the stream stays open with nothing more to say"
    );

    let body = Full::new(health_request("gitpod.v1.NoSuchService"));
    let (_, mut answers) = Answers::of(grpc(&server, WATCH, body).await);
    assert_eq!(
        serving_status(&answers.next(HEALTH).await.unwrap()),
        3,
        "SERVICE_UNKNOWN"
    );
}

#[tokio::test]
async fn shutting_down_ends_a_watch_with_not_serving_at_once() {
    // A mock of its own, since the test stops it.
    let mock = gitpod_mock::MockServer::start().await;
    let client = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let watch = Request::post(format!("{}{WATCH}", mock.uri()))
        .header("content-type", "application/grpc")
        .body(Full::new(health_request("")))
        .unwrap();
    let (_, mut answers) = Answers::of(client.request(watch).await.unwrap());
    assert_eq!(serving_status(&answers.next(HEALTH).await.unwrap()), 1);
    let started = std::time::Instant::now();
    let stopping = tokio::spawn(mock.stop());
    assert_eq!(
        serving_status(&answers.next(HEALTH).await.unwrap()),
        2,
        "NOT_SERVING"
    );
    assert_eq!(answers.end().await["grpc-status"], "14");
    stopping.await.unwrap();
    // Far less than the five seconds the drain would otherwise wait for the stream.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn grpc_web_check_over_http_1_carries_its_status_in_the_body() {
    let server = TestServer::start().await;
    let headers = [
        ("content-type", "application/grpc-web+proto"),
        ("x-grpc-web", "1"),
    ];
    let reply = server
        .send(request(
            &format!("POST {CHECK}"),
            &headers,
            health_request(""),
        ))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/grpc-web+proto")
    );
    let body = &reply.body[..];
    assert_eq!(&body[..7], [0, 0, 0, 0, 2, 0x08, 1], "one SERVING message");
    assert_eq!(body[7], 0x80, "then the trailer frame");
    assert_eq!(&body[12..], b"grpc-status: 0\r\n");

    let headers = [("content-type", "application/grpc-web+json")];
    let json = envelope(br#"{"service":"gitpod.v1.RunnerConfigurationService"}"#);
    let reply = server
        .send(request(&format!("POST {CHECK}"), &headers, json))
        .await;
    let size = u32::from_be_bytes(reply.body[1..5].try_into().unwrap()) as usize;
    assert_eq!(&reply.body[5..5 + size], br#"{"status":"SERVING"}"#);
}
