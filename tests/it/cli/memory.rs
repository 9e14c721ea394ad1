//! The built binary's memory after the journal has seen big bodies: a rejected 3.5 MB body
//! keeps at most 64 KiB in its entry, and once small calls have pushed those entries out, the
//! memory has come back (RSS from /proc, so Linux only).

use super::wire::Wire;
use super::{bin, Served};

/// RSS limit after the big bodies and the small calls; a debug build starts at about 27 MB.
const RSS_LIMIT_KB: u64 = 96 * 1024;

/// The server's resident set size, from /proc/PID/status.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn big_rejected_bodies_leave_no_lasting_memory() {
    let mut served = Served::start(bin().args(["serve", "--port", "0", "--seed", "1"]));
    let pid = served.child.id();
    let mut wire = Wire::connect(served.port);
    let start = rss_kb(pid);
    // A display name far over its 127-character limit: decoded, then refused by validation.
    let name = "n".repeat(3_500_000);
    let big = format!(
        r#"{{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","displayName":"{name}","description":"a big one"}}"#
    );
    for _ in 0..100 {
        let status = wire.post_json("CreateEnvironmentClass", big.as_bytes());
        assert_eq!(status, "HTTP/1.1 400 Bad Request");
    }
    let after_big = rss_kb(pid);
    let small = br#"{"id":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}"#;
    for _ in 0..1000 {
        assert_eq!(
            wire.post_json("GetSCMIntegration", small),
            "HTTP/1.1 200 OK"
        );
    }
    let end = rss_kb(pid);
    eprintln!("RSS: {start} kB at start, {after_big} kB after 100 big bodies, {end} kB after 1000 small calls");
    assert!(end < RSS_LIMIT_KB, "RSS {end} kB after the small calls (start {start} kB, after the big bodies {after_big} kB)");
    served.child.kill().unwrap();
}
