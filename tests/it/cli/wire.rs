//! Requests to a served binary over one kept-alive connection, written by hand so a test
//! controls every header and can send any number of calls quickly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A kept-alive connection to a served binary.
pub struct Wire(TcpStream);

impl Wire {
    pub fn connect(port: u16) -> Wire {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Wire(stream)
    }

    /// Sends `head` (request line and headers, without the blank line) and `body`; returns the
    /// status line and the body of the answer.
    pub fn send(&mut self, head: &str, body: &[u8]) -> (String, Vec<u8>) {
        let mut request = format!(
            "{head}\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        // One write: a head and body written apart wait out Nagle and a delayed ACK (40 ms).
        request.extend_from_slice(body);
        self.0.write_all(&request).unwrap();
        self.read_response()
    }

    /// POSTs a JSON body to a method of the service; returns the status line.
    pub fn post_json(&mut self, method: &str, body: &[u8]) -> String {
        let head = format!("POST /gitpod.v1.RunnerConfigurationService/{method} HTTP/1.1\r\ncontent-type: application/json");
        self.send(&head, body).0
    }

    /// Reads one response with a content-length body.
    fn read_response(&mut self) -> (String, Vec<u8>) {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            self.0.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        let length = head.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().unwrap())
        });
        let mut body = vec![0u8; length.unwrap_or(0)];
        self.0.read_exact(&mut body).unwrap();
        (head.lines().next().unwrap().to_string(), body)
    }
}
