//! gzip both ways: compressed request bodies in either codec, compressed responses when
//! `Accept-Encoding` asks, unsupported encodings, corrupt bodies and gzip bombs.

use super::*;
use crate::support::EXAMPLE_ID;
use gitpod_mock::app::App;
use serde_json::json;

#[tokio::test]
async fn gzip_request_bodies_are_read_in_both_codecs() {
    let server = TestServer::start().await;
    let body = json!({ "id": EXAMPLE_ID });
    let expected = server.ok("GetSCMIntegration", body.clone()).await;
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/json",
            &[("content-encoding", "gzip")],
            gzip(body.to_string().as_bytes()),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), expected);
    let binary = proto_request("GetSCMIntegration", body);
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/proto",
            &[("content-encoding", "GZIP")],
            gzip(&binary),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        proto_response("GetSCMIntegration", &reply.body)["integration"]["id"],
        EXAMPLE_ID
    );
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/proto",
            &[("content-encoding", "identity")],
            binary,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[tokio::test]
async fn responses_are_gzipped_only_when_accept_encoding_asks() {
    let server = TestServer::start().await;
    let body = br#"{"pagination":{"pageSize":5}}"#.to_vec();
    let plain = server
        .rpc_as("ListSCMIntegrations", "application/json", &[], body.clone())
        .await;
    assert_eq!(plain.header("content-encoding"), None);
    for accept in ["gzip", "br, gzip;q=0.8, deflate", "*"] {
        let reply = server
            .rpc_as(
                "ListSCMIntegrations",
                "application/json",
                &[("accept-encoding", accept)],
                body.clone(),
            )
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-encoding"), Some("gzip"), "{accept}");
        assert_eq!(gunzip(&reply.body), plain.body.to_vec(), "{accept}");
    }
    for accept in ["br", "gzip;q=0", "identity"] {
        let reply = server
            .rpc_as(
                "ListSCMIntegrations",
                "application/json",
                &[("accept-encoding", accept)],
                body.clone(),
            )
            .await;
        assert_eq!(reply.header("content-encoding"), None, "{accept}");
        assert_eq!(reply.body, plain.body, "{accept}");
    }
    // Binary responses too, and GET responses.
    let binary = proto_request("ListSCMIntegrations", json!({}));
    let reply = server
        .rpc_as(
            "ListSCMIntegrations",
            "application/proto",
            &[("accept-encoding", "gzip")],
            binary.clone(),
        )
        .await;
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    let integrations = &proto_response("ListSCMIntegrations", &gunzip(&reply.body))["integrations"];
    assert!(!integrations.as_array().unwrap().is_empty());
    let query = format!(
        "connect=v1&encoding=proto&base64=1&message={}",
        base64url(&binary)
    );
    let path = format!("{SERVICE}/ListSCMIntegrations?{query}");
    let reply = server
        .request(
            &format!("GET {path}"),
            &[("accept-encoding", "gzip, deflate")],
            "",
        )
        .await;
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
}

#[tokio::test]
async fn errors_are_never_compressed() {
    let server = TestServer::start().await;
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/json",
            &[("accept-encoding", "gzip")],
            br#"{"id":"bad"}"#.to_vec(),
        )
        .await;
    assert_eq!(reply.header("content-encoding"), None);
    assert_connect_error(&reply, 400, "invalid_argument", "valid UUID");
}

#[tokio::test]
async fn unsupported_encodings_are_unimplemented_and_list_the_supported_ones() {
    let server = TestServer::start().await;
    for encoding in ["br", "zstd", "deflate", "gzip, br"] {
        let reply = server
            .rpc_as(
                "GetSCMIntegration",
                "application/json",
                &[("content-encoding", encoding)],
                b"{}".to_vec(),
            )
            .await;
        assert_connect_error(
            &reply,
            501,
            "unimplemented",
            "supported encodings are gzip, identity",
        );
        assert!(reply.message().contains(encoding), "{}", reply.message());
        // As connect-go answers it: the compressions it has, in Accept-Encoding.
        assert_eq!(reply.header("accept-encoding"), Some("gzip"));
    }
}

#[tokio::test]
async fn a_corrupt_gzip_body_is_an_invalid_argument() {
    let server = TestServer::start().await;
    let mut truncated = gzip(br#"{"id":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}"#);
    truncated.truncate(truncated.len() / 2);
    for body in [b"{\"id\":\"x\"}".to_vec(), truncated] {
        let reply = server
            .rpc_as(
                "GetSCMIntegration",
                "application/json",
                &[("content-encoding", "gzip")],
                body,
            )
            .await;
        assert_connect_error(
            &reply,
            400,
            "invalid_argument",
            "gzip-compressed request message is corrupt",
        );
    }
}

#[tokio::test]
async fn a_gzip_bomb_gets_resource_exhausted_not_memory() {
    let mut app = App::with_defaults(Some(42));
    app.settings.max_body_bytes = 64 * 1024;
    let server = TestServer::with(app).await;
    // 64 MiB of spaces after a valid JSON start squeeze into about 64 KiB… so use 16 MiB: ~16 KiB.
    let mut json = b"{\"id\":\"".to_vec();
    json.extend(std::iter::repeat_n(b'a', 16 * 1024 * 1024));
    let bomb = gzip(&json);
    assert!(
        bomb.len() < 64 * 1024,
        "the compressed body fits the limit: {}",
        bomb.len()
    );
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/json",
            &[("content-encoding", "gzip")],
            bomb.clone(),
        )
        .await;
    assert_connect_error(
        &reply,
        429,
        "resource_exhausted",
        "decompresses to more than the limit of 65536 bytes",
    );
    let query = format!(
        "connect=v1&encoding=json&compression=gzip&base64=1&message={}",
        base64url(&bomb)
    );
    let reply = get(&server, "GetSCMIntegration", &query).await;
    assert_connect_error(
        &reply,
        429,
        "resource_exhausted",
        "decompresses to more than the limit",
    );
    // Just under the limit still works.
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/json",
            &[("content-encoding", "gzip")],
            gzip(br#"{"id":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}"#),
        )
        .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn an_empty_body_stays_empty_whatever_its_encoding() {
    let server = TestServer::start().await;
    let headers = [("content-encoding", "gzip")];
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/proto",
            &headers,
            Vec::new(),
        )
        .await;
    assert_connect_error(&reply, 400, "invalid_argument", "validation error: id");
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/json",
            &headers,
            Vec::new(),
        )
        .await;
    assert_connect_error(&reply, 400, "invalid_argument", "zero-length payload");
}
