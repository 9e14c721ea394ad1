//! Commands that print stop quietly when their reader has gone, as in
//! `gitpod-mock schemas | head -1`: exit status 0, nothing on stderr, no panic.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};

/// Runs the binary with a stdout whose reading end is already closed, so its first write fails
/// with a broken pipe every time (a real `| head` only sometimes closes before the write).
fn run_with_closed_stdout(args: &[&str]) -> (std::process::ExitStatus, String) {
    let (writer, reader) = UnixStream::pair().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_gitpod-mock"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .stdout(Stdio::from(OwnedFd::from(writer)))
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status, stderr)
}

#[test]
fn printing_commands_end_quietly_on_a_closed_stdout() {
    for args in [
        &["schemas"][..],
        &["schemas", "GetSCMIntegration", "--response"],
        &["openapi"],
        &["check"],
    ] {
        let (status, stderr) = run_with_closed_stdout(args);
        assert!(status.success(), "{args:?}: {status}, stderr: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

/// The OpenAPI document is larger than a pipe's buffer, so `head` is gone before it is all
/// written, every time.
#[test]
fn a_real_pipe_closed_after_one_line_is_no_error() {
    let bin = env!("CARGO_BIN_EXE_gitpod-mock");
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("'{bin}' openapi | head -1"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "{\n");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}
