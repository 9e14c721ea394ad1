//! Calls whose client hung up before the answer, as connect-es and the Connect Python client do
//! at their deadline: the journal still records each one, `canceled` when the client simply
//! went away and `deadline_exceeded` when its `Connect-Timeout-Ms` had passed, and coverage
//! counts them.

use crate::calls::{journal, load};
use crate::support::{Client, TestServer, EXAMPLE_ID, SERVICE};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Sends a GetSCMIntegration in session `id` that the scenario `hold` delays by 10 s, waits
/// `hang_up_after`, and closes the connection without reading the answer.
async fn abandon(client: Client, id: &str, deadline: Option<u64>, hang_up_after: Duration) {
    let body = json!({ "id": EXAMPLE_ID }).to_string();
    let deadline = deadline.map_or(String::new(), |ms| format!("connect-timeout-ms: {ms}\r\n"));
    let request = format!(
        "POST {SERVICE}/GetSCMIntegration HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-mock-session: {id}\r\nx-mock-scenario: hold\r\n{deadline}content-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(client.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(hang_up_after).await;
    drop(stream);
}

/// The session's journal once it has an entry; the entry is written when the server notices
/// the closed connection, so this waits for it (for at most 10 s).
async fn journal_once_recorded(client: &Client, id: &str) -> Value {
    for _ in 0..1000 {
        let journal = journal(client, &format!("?session={id}")).await;
        if !journal["entries"].as_array().unwrap().is_empty() {
            return journal;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("session {id}: the abandoned call never reached the journal");
}

#[tokio::test]
async fn calls_abandoned_by_their_client_are_journalled_and_covered() {
    let server = TestServer::start().await;
    let client = server.client();
    load(&client, "hold", "rules:\n  - delay: {ms: 10000}\n").await;
    let ms = Duration::from_millis;
    // (session, Connect-Timeout-Ms, hang up after, code the journal shows). A client at its
    // deadline hangs up a little before the server's clock gets there: 1.9 s of 2 s counts.
    let cases = [
        ("gone", None, ms(200), "canceled", 499),
        ("early", Some(60_000), ms(200), "canceled", 499),
        ("deadline", Some(2000), ms(1900), "deadline_exceeded", 504),
    ];
    let hang_ups = cases.map(|(id, deadline, after, ..)| abandon(client, id, deadline, after));
    side_by_side(hang_ups).await;
    for (id, deadline, _, code, status) in cases {
        let journal = journal_once_recorded(&client, id).await;
        let entry = &journal["entries"][0];
        let seen =
            ["method", "code", "status", "scenario", "rule", "request"].map(|k| entry[k].clone());
        let expected = [
            json!("GetSCMIntegration"),
            json!(code),
            json!(status),
            json!("hold"),
            json!(1),
            json!({ "id": EXAMPLE_ID }),
        ];
        assert_eq!(seen, expected, "{id}: {entry}");
        assert_eq!(
            entry["headers"]["connect-timeout-ms"],
            json!(deadline.map(|d| d.to_string())),
            "{id}"
        );
        let coverage = client
            .request(&format!("GET /__mock/coverage?session={id}"), &[], "")
            .await
            .json();
        assert_eq!(coverage["codes"], json!({ code: 1 }), "{id}");
        assert_eq!(coverage["methods"], json!({"GetSCMIntegration": 1}), "{id}");
    }
}

/// Runs the hang-ups side by side, so the test waits for the longest one only.
async fn side_by_side<F: std::future::Future<Output = ()> + Send + 'static>(all: [F; 3]) {
    let tasks = all.map(tokio::spawn);
    for task in tasks {
        task.await.unwrap();
    }
}
