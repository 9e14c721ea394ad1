//! Reflection and health over Connect's protocols, as `buf curl --protocol connect` calls them:
//! the streaming protocol (envelopes, then an end-of-stream frame under HTTP 200) and, for the
//! unary Check, unary Connect; and the plain HTTP errors for a request in none of a method's
//! protocols.

use super::*;

#[tokio::test]
async fn requests_in_none_of_a_methods_protocols_get_plain_http_errors() {
    let server = TestServer::start().await;
    let reply = server
        .request(
            &format!("POST {WATCH}"),
            &[("content-type", "application/json")],
            "{}",
        )
        .await;
    assert_eq!(
        reply.status, 415,
        "Watch streams, so unary Connect cannot call it"
    );
    let accepted = reply.header("accept-post").unwrap();
    assert!(accepted.contains("application/connect+proto"), "{accepted}");
    assert!(!accepted.contains("application/json"), "{accepted}");
    let reply = server
        .request(
            &format!("POST {CHECK}"),
            &[("content-type", "text/plain")],
            "{}",
        )
        .await;
    assert_eq!(reply.status, 415);
    assert!(reply
        .header("accept-post")
        .unwrap()
        .contains("application/json"));
    let reply = server.request(&format!("GET {CHECK}"), &[], "").await;
    assert_eq!((reply.status, reply.header("allow")), (405, Some("POST")));
}

/// The frames of a Connect streaming body: (flags, payload) each.
fn connect_frames(mut body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while !body.is_empty() {
        let size = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
        frames.push((body[0], body[5..5 + size].to_vec()));
        body = &body[5 + size..];
    }
    frames
}

#[tokio::test]
async fn reflection_speaks_connects_streaming_protocol_as_buf_curl_uses_it() {
    let server = TestServer::start().await;
    let headers = [("content-type", "application/connect+proto")];
    let asked = [
        reflection_request("list_services", ""),
        reflection_request("file_containing_symbol", "no.such.Symbol"),
    ]
    .concat();
    let reply = server
        .send(request(&format!("POST {REFLECTION}"), &headers, asked))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/connect+proto")
    );
    assert_eq!(reply.header("connect-accept-encoding"), Some("gzip"));
    let frames = connect_frames(&reply.body);
    assert_eq!(frames.len(), 3, "two answers, then the end of the stream");
    let desc = descriptors().get_message_by_name(RESPONSE).unwrap();
    let listed = DynamicMessage::decode(desc.clone(), &frames[0].1[..]).unwrap();
    let names = listed_services(&listed);
    assert!(names.contains(&"gitpod.v1.RunnerConfigurationService".to_string()));
    let missing = DynamicMessage::decode(desc, &frames[1].1[..]).unwrap();
    let error = part(&missing, "error_response");
    assert_eq!(
        error.get_field_by_name("error_code").unwrap().as_i32(),
        Some(5)
    );
    assert_eq!(
        frames[2],
        (2, b"{}".to_vec()),
        "an end of stream without error"
    );
}

#[tokio::test]
async fn a_connect_stream_refused_by_its_headers_ends_with_the_error_under_200() {
    let server = TestServer::start().await;
    let cases = [
        ("connect-content-encoding", "br", "unimplemented", "br"),
        (
            "connect-timeout-ms",
            "soon",
            "invalid_argument",
            "connect-timeout-ms",
        ),
        (
            "connect-protocol-version",
            "2",
            "invalid_argument",
            "connect-protocol-version",
        ),
    ];
    for (header, value, code, named) in cases {
        let headers = [
            ("content-type", "application/connect+json"),
            (header, value),
        ];
        let reply = server
            .send(request(&format!("POST {WATCH}"), &headers, envelope(b"{}")))
            .await;
        assert_eq!(reply.status, 200, "{header}");
        let frames = connect_frames(&reply.body);
        assert_eq!(frames.len(), 1, "{header}: only the end of the stream");
        assert_eq!(frames[0].0, 2, "{header}");
        let end: serde_json::Value = serde_json::from_slice(&frames[0].1).unwrap();
        assert_eq!(end["error"]["code"], code, "{header}: {end}");
        let message = end["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{header}: {message}");
    }
}

#[tokio::test]
async fn check_speaks_unary_connect_with_connect_errors() {
    let server = TestServer::start().await;
    let json = [("content-type", "application/json")];
    let reply = server.request(&format!("POST {CHECK}"), &json, "{}").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(&reply.body[..], br#"{"status":"SERVING"}"#);

    let reply = server
        .request(&format!("POST {CHECK}"), &json, r#"{"service":"nope"}"#)
        .await;
    assert_eq!(reply.status, 404);
    let error: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(error["code"], "not_found");
    assert!(
        error["message"].as_str().unwrap().contains("\"nope\""),
        "{error}"
    );

    // Binary, gzipped: the bare message, no envelope, either way.
    let bare = health_request("grpc.health.v1.Health").slice(5..);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gzip, &bare).unwrap();
    let headers = [
        ("content-type", "application/proto"),
        ("content-encoding", "gzip"),
    ];
    let reply = server
        .send(request(
            &format!("POST {CHECK}"),
            &headers,
            gzip.finish().unwrap(),
        ))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(&reply.body[..], [0x08, 1], "SERVING");
}
