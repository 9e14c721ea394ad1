//! The floor binary starts on a free port, says where, and answers with the bytes it was given:
//! JSON or Connect's binary answer over HTTP/1.1, a gRPC call with its trailers over h2c.
//! Besides checking the floor, this test makes `cargo test --workspace` build the floor binary
//! with the features the mock's tests use, so `bench/run --smoke` finds both binaries built.
//! Standard library only: a dev-dependency would change those features. So the HTTP/2 test
//! writes its frames by hand (RFC 9113), with HPACK's static table and plain literals.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const JSON: &[u8] = br#"{"environmentClass":{"id":"x"}}"#;
/// A message with a zero byte and a byte above 0x7f in it, so nothing may treat it as text.
const PROTO: &[u8] = b"\x0a\x03\x00\xffz";

/// The floor, started with the test's answers; killed when dropped.
struct Floor {
    child: Child,
    addr: String,
}

impl Floor {
    fn start(extra: &[&str]) -> Floor {
        // A folder per floor: the tests run in parallel, and one must not read a file another
        // is still writing.
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("floor-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, bytes: &[u8]| -> PathBuf {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let (json, proto) = (write("answer.json", JSON), write("answer.pb", PROTO));
        let mut child = Command::new(env!("CARGO_BIN_EXE_gitpod-mock-floor"))
            .args(extra)
            .arg("--json")
            .arg(json)
            .arg("--proto")
            .arg(proto)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the floor starts");
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        let addr = ready
            .trim()
            .strip_prefix("gitpod-mock-floor listening on http://")
            .unwrap_or_else(|| panic!("ready line: {ready:?}"))
            .to_string();
        Floor { child, addr }
    }

    fn http1(&self, content_type: &str) -> Vec<u8> {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        let body = br#"{"environmentClassId":"x"}"#;
        write!(
            stream,
            "POST /any HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        )
        .unwrap();
        stream.write_all(body).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        answer
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn split_head(answer: &[u8]) -> (String, &[u8]) {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    (
        String::from_utf8_lossy(&answer[..end]).to_lowercase(),
        &answer[end + 4..],
    )
}

#[test]
fn over_http1_it_answers_json_or_the_binary_message_by_content_type() {
    let floor = Floor::start(&[]);
    let answer = floor.http1("application/json");
    let (head, body) = split_head(&answer);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert_eq!(body, JSON);
    let answer = floor.http1("application/proto");
    let (head, body) = split_head(&answer);
    assert!(head.contains("content-type: application/proto"), "{head}");
    assert_eq!(body, PROTO);
}

const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const ACK: u8 = 0x1;
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const SETTINGS: u8 = 0x4;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    out.extend([kind, flags]);
    out.extend(stream.to_be_bytes());
    out.extend(payload);
    out
}

/// An HPACK string literal, without Huffman coding; every value here is under 127 bytes.
fn literal(text: &str) -> Vec<u8> {
    let mut out = vec![text.len() as u8];
    out.extend(text.as_bytes());
    out
}

#[test]
fn with_h2_it_answers_a_grpc_call_with_the_enveloped_message_then_trailers() {
    let floor = Floor::start(&["--h2"]);
    let mut stream = TcpStream::connect(&floor.addr).unwrap();
    // :method POST and :scheme http are static entries 3 and 6; :authority (1), :path (4) and
    // content-type (31, as 15 + 16) are literals with indexed names; te has a literal name.
    let mut block = vec![0x83, 0x86, 0x01];
    block.extend(literal(&floor.addr));
    block.push(0x04);
    block.extend(literal(
        "/gitpod.v1.RunnerConfigurationService/GetEnvironmentClass",
    ));
    block.extend([0x0f, 0x10]);
    block.extend(literal("application/grpc+proto"));
    block.push(0x00);
    block.extend(literal("te"));
    block.extend(literal("trailers"));
    let mut request = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    request.extend(frame(SETTINGS, 0, 0, &[]));
    request.extend(frame(HEADERS, END_HEADERS, 1, &block));
    request.extend(frame(DATA, END_STREAM, 1, b"\x00\x00\x00\x00\x02\x12\x00"));
    stream.write_all(&request).unwrap();

    let mut on_stream = Vec::new(); // (type, flags, payload) of stream 1's frames
    while on_stream
        .last()
        .is_none_or(|(_, flags, _): &(u8, u8, Vec<u8>)| flags & END_STREAM == 0)
    {
        let mut head = [0; 9];
        stream.read_exact(&mut head).unwrap();
        let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0; length];
        stream.read_exact(&mut payload).unwrap();
        let (kind, flags) = (head[3], head[4]);
        let id = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        if kind == SETTINGS && flags & ACK == 0 {
            stream.write_all(&frame(SETTINGS, ACK, 0, &[])).unwrap();
        } else if id == 1 {
            on_stream.push((kind, flags, payload));
        }
    }
    let kinds: Vec<u8> = on_stream.iter().map(|(kind, ..)| *kind).collect();
    assert_eq!(kinds.first(), Some(&HEADERS), "{on_stream:?}");
    assert_eq!(
        on_stream[0].2.first(),
        Some(&0x88),
        "`:status 200` is static entry 8"
    );
    let data: Vec<u8> = on_stream
        .iter()
        .filter(|(kind, ..)| *kind == DATA)
        .flat_map(|(.., payload)| payload.clone())
        .collect();
    let mut envelope = vec![0, 0, 0, 0, PROTO.len() as u8];
    envelope.extend(PROTO);
    assert_eq!(data, envelope);
    // The stream ends with a second HEADERS frame: the trailers, which carry grpc-status
    // (bench/run checks its value with nghttp against the floor and the mock alike).
    let (kind, flags, _) = on_stream.last().unwrap();
    assert_eq!(
        (*kind, flags & END_STREAM),
        (HEADERS, END_STREAM),
        "{on_stream:?}"
    );
    assert_eq!(kinds.iter().filter(|&&kind| kind == HEADERS).count(), 2);
}
