//! The floor binary starts on a free port, says where, and answers any request with its body.
//! Besides checking the floor, this test makes `cargo test --workspace` build the floor binary
//! with the features the mock's tests use, so `bench/run --smoke` finds both binaries built.
//! Standard library only: a dev-dependency would change those features.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

#[test]
fn the_floor_answers_with_its_fixed_body() {
    let mut floor = Command::new(env!("CARGO_BIN_EXE_gitpod-mock-floor"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("the floor starts");
    let mut ready = String::new();
    BufReader::new(floor.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    let addr = ready
        .trim()
        .strip_prefix("gitpod-mock-floor listening on http://")
        .unwrap_or_else(|| panic!("ready line: {ready:?}"))
        .to_string();
    let mut stream = TcpStream::connect(&addr).unwrap();
    let body = r#"{"environmentClassId":"x"}"#;
    write!(
        stream,
        "POST /any HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    floor.kill().unwrap();
    floor.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#"{"environmentClass":{"#), "{answer}");
}
