//! The request log of the built binary: one line per call on stderr by default (text, or JSON
//! with `--log-format json`), none with `--quiet`, never a secret, and a stderr nobody reads
//! drops lines instead of stalling calls.

use super::wire::Wire;
use super::{bin, Served};
use serde_json::Value;
use std::io::Read;

const ID: &str = "d2c94c27-3b76-4a42-b88c-95a85e392c68";
const SERVICE: &str = "/gitpod.v1.RunnerConfigurationService";

/// Starts `serve` with `flags`, lets `calls` talk to it, stops it and returns its stderr,
/// which nobody reads until the calls are done.
fn stderr_of(flags: &[&str], calls: impl FnOnce(&mut Wire)) -> String {
    let mut served = Served::start(bin().args(["serve", "--port", "0"]).args(flags));
    let mut stderr = served.child.stderr.take().unwrap();
    calls(&mut Wire::connect(served.port));
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    served.terminate();
    reader.join().unwrap()
}

/// A JSON POST, a binary POST, a Connect GET and a call a scenario answers, each carrying a
/// bearer token, and one carrying a secret in its body.
fn four_kinds_of_call(wire: &mut Wire) {
    let auth = "authorization: Bearer secret-bearer";
    let json = format!(
        "POST {SERVICE}/GetSCMIntegration HTTP/1.1\r\n{auth}\r\ncontent-type: application/json"
    );
    let body = format!(r#"{{"id":"{ID}"}}"#);
    assert_eq!(wire.send(&json, body.as_bytes()).0, "HTTP/1.1 200 OK");
    let proto = format!(
        "POST {SERVICE}/GetSCMIntegration HTTP/1.1\r\n{auth}\r\ncontent-type: application/proto"
    );
    let message = [&[0x0a, ID.len() as u8], ID.as_bytes()].concat();
    assert_eq!(wire.send(&proto, &message).0, "HTTP/1.1 200 OK");
    let query = format!("connect=v1&encoding=json&message=%7B%22id%22%3A%22{ID}%22%7D");
    let get = format!("GET {SERVICE}/GetSCMIntegration?{query} HTTP/1.1\r\n{auth}");
    assert_eq!(wire.send(&get, b"").0, "HTTP/1.1 200 OK");
    let scripted = format!("POST {SERVICE}/UpdateSCMIntegration HTTP/1.1\r\n{auth}\r\nx-mock-scenario: auth-expired\r\nx-mock-session: ci-7\r\ncontent-type: application/json");
    let secret = format!(r#"{{"id":"{ID}","oauthPlaintextClientSecret":"secret-oauth"}}"#);
    assert_eq!(
        wire.send(&scripted, secret.as_bytes()).0,
        "HTTP/1.1 401 Unauthorized"
    );
}

#[test]
fn every_call_prints_one_line_without_secrets() {
    let stderr = stderr_of(&[], four_kinds_of_call);
    assert!(!stderr.contains("secret"), "{stderr}");
    let lines: Vec<Vec<&str>> = stderr.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines.len(), 4, "{stderr}");
    for words in &lines {
        assert!(
            words[0].ends_with('Z') && words[0].contains('T'),
            "a time: {words:?}"
        );
        assert!(words[6].ends_with("ms"), "a latency: {words:?}");
    }
    // Everything but the time and the latency.
    let said: Vec<String> = lines
        .iter()
        .map(|w| [&w[1..6], &w[7..]].concat().join(" "))
        .collect();
    assert_eq!(
        said,
        [
            "default GetSCMIntegration connect+json 200 ok",
            "default GetSCMIntegration connect+proto 200 ok",
            "default GetSCMIntegration connect-get+json 200 ok",
            "ci-7 UpdateSCMIntegration connect+json 401 unauthenticated rule=auth-expired#1",
        ]
    );
}

#[test]
fn json_lines_for_machines_and_none_when_quiet() {
    let stderr = stderr_of(&["--log-format", "json"], four_kinds_of_call);
    assert!(!stderr.contains("secret"), "{stderr}");
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{stderr}");
    let last = &lines[3];
    let fields = [
        "session", "method", "protocol", "status", "code", "scenario", "rule",
    ];
    assert_eq!(
        fields.map(|f| last[f].to_string()).join(" "),
        r#""ci-7" "UpdateSCMIntegration" "connect+json" 401 "unauthenticated" "auth-expired" 1"#
    );
    assert!(
        last["latencyMs"].is_f64() && last["at"].is_string(),
        "{last}"
    );
    assert_eq!(stderr_of(&["--quiet"], four_kinds_of_call), "");
}

#[test]
fn a_stderr_nobody_reads_drops_lines_but_never_stalls_calls() {
    // Far more lines than the pipe (64 KiB) and the log's queue (4096 lines) hold.
    const CALLS: usize = 6000;
    let stderr = stderr_of(&[], |wire| {
        let body = format!(r#"{{"id":"{ID}"}}"#);
        for _ in 0..CALLS {
            assert_eq!(
                wire.post_json("GetSCMIntegration", body.as_bytes()),
                "HTTP/1.1 200 OK"
            );
        }
    });
    let dropped: usize = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("gitpod-mock: "))
        .filter_map(|l| l.split_once(" log lines dropped")?.0.parse::<usize>().ok())
        .sum();
    let logged = stderr
        .lines()
        .filter(|l| l.contains(" GetSCMIntegration "))
        .count();
    assert!(dropped > 0, "{logged} lines logged, none dropped");
    assert_eq!(
        logged + dropped,
        CALLS,
        "every call is logged or counted as dropped"
    );
}
