//! SIGTERM the moment the ready line appears: the handlers are installed before the line is
//! printed, so the server always shuts down gracefully, exits 0 and saves `--state`.

use super::{bin, READY};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::Stdio;

/// Signals sent, each to a fresh server.
const TRIES: usize = 50;

/// A fresh temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("gitpod-mock-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn sigterm_right_after_the_ready_line_still_shuts_down_and_saves_the_state() {
    let dir = TempDir::new("signals");
    for attempt in 0..TRIES {
        let state = dir.0.join(format!("state-{attempt}.json"));
        let mut child = bin()
            .args(["serve", "--port", "0", "--quiet", "--state"])
            .arg(&state)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert!(
            line.starts_with(READY),
            "attempt {attempt}: {line:?} {stderr}"
        );
        assert!(status.success(), "attempt {attempt}: {status}; {stderr}");
        let saved = std::fs::read_to_string(&state).unwrap_or_default();
        let saved: serde_json::Value = serde_json::from_str(&saved)
            .unwrap_or_else(|e| panic!("attempt {attempt}: no saved state ({e}); {stderr}"));
        assert!(
            saved["scmIntegrations"].is_array(),
            "attempt {attempt}: {saved}"
        );
    }
}
