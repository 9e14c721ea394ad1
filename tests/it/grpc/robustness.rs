//! HTTP/2 robustness: a client that opens a thousand streams and resets each at once leaves
//! the server serving, with no connection or call left behind and no session made, and a
//! graceful stop lets an in-flight call on an open HTTP/2 connection finish.

use super::*;
use crate::calls::{entries, journal, load};
use crate::support::{mock, Client, TestServer};
use gitpod_mock::session::Limits;
use serde_json::json;
use std::time::{Duration, Instant};

/// The head of a gRPC call to GetSCMIntegration that the `hold` scenario holds for ten
/// seconds, in session `session`.
fn held_call(session: &str) -> Request<()> {
    Request::post(format!(
        "http://mock{}/GetSCMIntegration",
        crate::support::SERVICE
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers")
    .header("x-mock-scenario", "hold")
    .header("x-mock-session", session)
    .body(())
    .unwrap()
}

fn example_message() -> Bytes {
    let read = json!({ "id": crate::support::EXAMPLE_ID });
    envelope(
        0,
        &crate::protocol::proto_request("GetSCMIntegration", read),
    )
    .into()
}

/// Opens a held call on `send`; the stream to reset it with.
fn open_held(
    send: &mut h2::client::SendRequest<Bytes>,
    session: &str,
) -> Result<h2::SendStream<Bytes>, h2::Error> {
    let (_response, mut stream) = send.send_request(held_call(session), false)?;
    stream.send_data(example_message(), true)?;
    Ok(stream)
}

/// Opens `n` held calls and resets each as soon as it is sent, on as many connections as the
/// server allows (it may end one with GOAWAY when resets come too fast). Returns how many
/// connections it took.
async fn open_and_reset(addr: SocketAddr, n: usize) -> usize {
    let (mut opened, mut connections) = (0, 0);
    while opened < n {
        let H2 { mut send, driver } = h2_open(addr).await;
        connections += 1;
        while opened < n {
            send = match send.clone().ready().await {
                Ok(send) => send,
                Err(_) => break,
            };
            match open_held(&mut send, "default") {
                Ok(mut stream) => stream.send_reset(h2::Reason::CANCEL),
                Err(_) => break,
            }
            opened += 1;
        }
        // With every handle gone, the client ends the connection itself once its frames are out.
        drop(send);
        let _ = tokio::time::timeout(Duration::from_secs(5), driver).await;
    }
    connections
}

/// The runtime's live tasks: the server's accept loop and one per open connection.
fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Waits, for at most five seconds, until the runtime has no more than `at_most` live tasks.
async fn settle_to(at_most: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive_tasks() > at_most && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    alive_tasks()
}

#[tokio::test]
async fn a_thousand_reset_streams_leave_the_server_healthy() {
    let limits = Limits {
        journal_size: 100,
        ..Limits::default()
    };
    let server = TestServer::from(mock().limits(limits)).await;
    load(&server, "hold", "rules:\n  - delay: {ms: 10000}\n").await;
    let idle = alive_tasks();
    let connections = open_and_reset(server.addr, 1000).await;
    assert!(connections >= 1);
    // A call reset while the server holds it is dropped, and journalled as canceled.
    let H2 { mut send, driver } = h2_open(server.addr).await;
    let mut stream = open_held(&mut send, "last").unwrap();
    until_session(&server, "last").await;
    stream.send_reset(h2::Reason::CANCEL);
    let deadline = Instant::now() + Duration::from_secs(5);
    let codes = loop {
        let codes = entries(&journal(&server, "?session=last").await, "code");
        if !codes.is_empty() || Instant::now() > deadline {
            break codes;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(codes, [json!("canceled")]);
    drop((send, stream));
    let _ = tokio::time::timeout(Duration::from_secs(5), driver).await;
    // Nothing is left running: every connection and held call of the flood has ended.
    let left = settle_to(idle).await;
    assert!(left <= idle, "{left} tasks alive, {idle} when idle");
    // A fresh connection is served at once.
    let read = json!({ "id": crate::support::EXAMPLE_ID });
    let fresh = call(server.addr, GRPC, "GetSCMIntegration", &[], read);
    let fresh = tokio::time::timeout(Duration::from_secs(5), fresh).await;
    assert_eq!(fresh.expect("answered within 5 s").said(), "ok: ");
    // The flood's calls are journalled, if at all, in their one session, within its bounds.
    let sessions = server.request("GET /__mock/sessions", &[], "").await.json();
    let sessions = sessions["sessions"].as_array().unwrap().clone();
    let ids: Vec<&Value> = sessions.iter().map(|s| &s["id"]).collect();
    assert_eq!(ids, ["default", "last"], "{sessions:?}");
    let entries = sessions[0]["journalEntries"].as_u64().unwrap();
    assert!((1..=100).contains(&entries), "{entries} journal entries");
}

/// Waits, for at most five seconds, until a call has opened session `id`: the call has then
/// reached the server.
async fn until_session(client: &Client, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let sessions = client.request("GET /__mock/sessions", &[], "").await.json();
        let ids = sessions["sessions"].as_array().unwrap().iter();
        if ids.map(|s| &s["id"]).any(|s| s == id) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no call opened session {id}");
}

#[tokio::test]
async fn stop_lets_an_in_flight_http2_call_finish() {
    let mock = mock().start().await.unwrap();
    let client = Client {
        addr: mock.address(),
    };
    load(&client, "hold", "rules:\n  - delay: {ms: 300}\n").await;
    // One connection with a call in flight, and one idle beside it.
    let busy = h2_open(client.addr).await;
    let idle = h2_open(client.addr).await;
    let message = crate::protocol::proto_request(
        "GetSCMIntegration",
        json!({ "id": crate::support::EXAMPLE_ID }),
    );
    let headers = [("x-mock-scenario", "hold"), ("x-mock-session", "held")];
    let request = grpc_request("GetSCMIntegration", "application/grpc", &headers, {
        envelope(0, &message)
    });
    let in_flight = tokio::spawn(async move { h2_call(&busy.send, request).await });
    until_session(&client, "held").await;
    let started = Instant::now();
    mock.stop().await;
    let stopped_after = started.elapsed();
    let answer = in_flight.await.unwrap().expect("the held call is answered");
    assert_eq!(answer.said(), "ok: ");
    // stop waited for the held call, and not for the idle connection (the drain time is 5 s).
    assert!(
        stopped_after >= Duration::from_millis(100),
        "{stopped_after:?}"
    );
    assert!(stopped_after < Duration::from_secs(3), "{stopped_after:?}");
    let idle_closed = tokio::time::timeout(Duration::from_secs(1), idle.driver).await;
    assert!(idle_closed.is_ok(), "the idle connection is closed");
    let refused = tokio::net::TcpStream::connect(client.addr).await;
    assert!(refused.is_err(), "no longer listening");
}
