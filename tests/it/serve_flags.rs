//! Auth and the state file, as `serve --require-auth [--auth-file FILE]` and
//! `serve --state FILE` set them up: in process, and through the built binary across a restart.

use crate::calls::{get_says, said, GCP};
use crate::library::run_binary;
use crate::support::{Client, TestServer};
use gitpod_mock::app::App;
use gitpod_mock::auth::Auth;
use serde_json::json;

/// A file in the temporary directory, named for this test process.
fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("gitpod-mock-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn auth_wants_a_bearer_token_and_read_only_tokens_cannot_write() {
    let path = temp_file(
        "auth.yaml",
        "tokens:\n  - token: rw\n  - token: ro\n    read_only: true\n",
    );
    let listed = Auth::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let any = TestServer::with(App::with_defaults(Some(42)).with_auth(Auth::any_token())).await;
    let file = TestServer::with(App::with_defaults(Some(42)).with_auth(listed)).await;
    let missing = "401 unauthenticated: missing credentials: send Authorization: Bearer <token>";
    let denied = "403 permission_denied: the bearer token is read-only and CreateSCMIntegration changes state";
    #[rustfmt::skip]
    let cases = [
        (&any, None, missing, missing),
        (&any, Some("Bearer anything"), "200", "200"),
        (&file, None, missing, missing),
        (&file, Some("Bearer nope"), "401 unauthenticated: the bearer token is not valid", "401 unauthenticated: the bearer token is not valid"),
        (&file, Some("Bearer ro"), "200", denied),
        (&file, Some("Bearer rw"), "200", "200"),
    ];
    for (i, (server, token, read, write)) in cases.into_iter().enumerate() {
        let headers: Vec<_> = token.map(|t| ("authorization", t)).into_iter().collect();
        let got = get_says(server, &headers).await;
        assert_eq!(got, read, "read with {token:?}");
        let body = json!({"runnerId": GCP, "scmId": "github", "host": format!("h{i}.example.com")});
        let reply = server.rpc("CreateSCMIntegration", &headers, body).await;
        assert_eq!(said(&reply), write, "write with {token:?}");
    }
}

/// `gitpod-mock serve --port 0 ARGS`, killed when dropped: `.1` calls it, `.2` is the rest of
/// its ready line after the address.
pub struct Serving(pub std::process::Child, pub Client, pub String);

impl Serving {
    pub fn start(args: &[&str]) -> Serving {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_gitpod-mock"))
            .args(["serve", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let rest = line.trim().strip_prefix("gitpod-mock listening on http://");
        let rest = rest.unwrap_or_else(|| panic!("not a ready line: {line:?}"));
        let (addr, more) = rest.split_once(' ').unwrap_or((rest, ""));
        let client = Client {
            addr: addr.parse().unwrap(),
        };
        Serving(child, client, more.to_string())
    }

    /// SIGTERM, then the exit status and stderr.
    pub fn stop(mut self) -> (bool, String) {
        use std::io::Read;
        let pid = self.0.id().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(killed.unwrap().success());
        let status = self.0.wait().unwrap();
        let mut stderr = String::new();
        let pipe = self.0.stderr.take();
        pipe.unwrap().read_to_string(&mut stderr).unwrap();
        (status.success(), stderr)
    }
}

/// `gitpod-mock serve --port 0 ARGS`, which must fail at start: its stderr.
pub fn refused_at_start(args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gitpod-mock"))
        .args(["serve", "--port", "0"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{args:?} started: {stderr}");
    stderr
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_state_file_is_saved_at_shutdown_and_loaded_at_start() {
    let file = temp_file("state.json", "");
    std::fs::remove_file(&file).unwrap();
    let args = ["--state", file.to_str().unwrap()];
    let first = Serving::start(&args);
    let body = json!({"runnerId": GCP, "scmId": "github", "host": "saved.example.com"});
    let created = first.1.rpc("CreateSCMIntegration", &[], body).await.json();
    let (ok, stderr) = first.stop();
    let saved = "gitpod-mock: saved the default session's state to";
    let saved = format!("{saved} {}", file.display());
    assert!(ok && stderr.contains(&saved), "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("saved.example.com"), "{text}");
    let second = Serving::start(&args);
    let body = json!({ "id": created["id"] });
    let got = second.1.rpc("GetSCMIntegration", &[], body).await;
    assert_eq!(got.json()["integration"]["host"], "saved.example.com");
    drop(second);
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test]
async fn require_auth_on_the_binary_with_and_without_an_auth_file() {
    let path = temp_file(
        "auth-bin.yaml",
        "tokens:\n  - token: ro\n    read_only: true\n",
    );
    let any = Serving::start(&["--require-auth"]);
    let listed = Serving::start(&["--require-auth", "--auth-file", path.to_str().unwrap()]);
    let missing = "401 unauthenticated: missing credentials: send Authorization: Bearer <token>";
    let write = json!({"runnerId": GCP, "scmId": "github", "host": "bin.example.com"});
    let ro = [("authorization", "Bearer ro")];
    assert_eq!(get_says(&any.1, &[]).await, missing);
    assert_eq!(
        get_says(&any.1, &[("authorization", "Bearer x")]).await,
        "200"
    );
    assert_eq!(get_says(&listed.1, &ro).await, "200");
    let reply = listed.1.rpc("CreateSCMIntegration", &ro, write).await;
    let denied = "403 permission_denied: the bearer token is read-only and CreateSCMIntegration changes state";
    assert_eq!(said(&reply), denied);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_state_file_that_could_not_be_saved_fails_at_start() {
    let missing = std::env::temp_dir().join(format!("gitpod-mock-{}-no-dir", std::process::id()));
    let file = missing.join("state.json");
    let dir = std::env::temp_dir();
    let cases = [
        (
            file.clone(),
            format!(
                "--state {}: directory {} not found",
                file.display(),
                missing.display()
            ),
        ),
        (
            dir.clone(),
            format!("--state {}: is a directory, not a file", dir.display()),
        ),
    ];
    for (path, message) in cases {
        // run_binary gives up (and fails) on a server that starts instead of refusing.
        let state = path.to_str().unwrap();
        let (ok, stdout, stderr) = run_binary(&["serve", "--port", "0", "--state", state]);
        assert!(!ok && stdout.is_empty(), "{path:?} served: {stdout}");
        assert_eq!(stderr, format!("gitpod-mock: {message}\n"));
    }
    assert!(!missing.exists(), "nothing was created");
}
