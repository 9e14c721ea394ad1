//! `GET /__mock/live`: each call as a server-sent event, kept to one session when asked, and
//! a bounded number of open feeds.

use crate::calls::session;
use crate::support::{Client, TestServer, EXAMPLE_ID};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Opens a feed over a raw connection, returning it once the head has arrived.
async fn open(client: &Client, query: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(client.addr).await.unwrap();
    let head = format!("GET /__mock/live{query} HTTP/1.1\r\nhost: x\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let text = read_until(&mut stream, String::new(), "\r\n\r\n").await;
    (stream, text)
}

/// Reads from `stream` onto `text` until it holds `wanted`, for at most two seconds.
async fn read_until(stream: &mut TcpStream, mut text: String, wanted: &str) -> String {
    let mut buf = [0u8; 4096];
    let reading = async {
        while !text.contains(wanted) {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "the feed ended: {text}");
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        text
    };
    tokio::time::timeout(Duration::from_secs(2), reading)
        .await
        .expect("the event within two seconds")
}

/// The `data:` of every `call` event in `text`.
fn calls(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|event| event.split_once("event: call\ndata: "))
        .map(|(_, data)| serde_json::from_str(data.lines().next().unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn calls_arrive_as_events_as_they_happen_and_a_feed_can_keep_to_one_session() {
    let server = TestServer::start().await;
    let client = server.client();
    let (mut all, head) = open(&client, "").await;
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    let (mut only_a, _) = open(&client, "?session=a").await;
    let body = json!({ "environmentClassId": EXAMPLE_ID });
    client
        .rpc("GetEnvironmentClass", &session("b"), body.clone())
        .await;
    client
        .rpc("GetEnvironmentClass", &session("a"), json!({}))
        .await;
    let seen = read_until(&mut all, String::new(), "\"session\":\"a\"").await;
    let seen: Vec<(Value, Value, Value)> = calls(&seen)
        .into_iter()
        .map(|c| (c["session"].clone(), c["code"].clone(), c["seq"].clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (json!("b"), json!("ok"), json!(1)),
            (json!("a"), json!("invalid_argument"), json!(1)),
        ]
    );
    let of_a = read_until(&mut only_a, String::new(), "\"session\":\"a\"").await;
    let sessions: Vec<Value> = calls(&of_a)
        .into_iter()
        .map(|c| c["session"].clone())
        .collect();
    assert_eq!(sessions, [json!("a")], "the feed of session a leaves b out");
}

#[tokio::test]
async fn open_feeds_are_bounded_and_a_closed_one_frees_its_place() {
    let server = TestServer::start().await;
    let client = server.client();
    let mut feeds = Vec::new();
    for _ in 0..gitpod_mock::admin::live::MAX_LISTENERS {
        let (stream, head) = open(&client, "").await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        feeds.push(stream);
    }
    let refused = client.request("GET /__mock/live", &[], "").await;
    assert_eq!(refused.status, 429);
    assert!(
        refused.text().contains("32 live feeds are open already"),
        "{}",
        refused.text()
    );
    drop(feeds.pop());
    // The feed's task sees the closed connection when it next writes or polls; a call wakes it.
    let reopened = async {
        loop {
            client.call("ListEnvironmentClasses", json!({})).await;
            let (_, head) = open(&client, "").await;
            if head.starts_with("HTTP/1.1 200") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(2), reopened)
        .await
        .expect("a place frees once a feed closes");
}
