//! The built binary, run the way a user runs it: `serve` announces its address and answers
//! there, stops cleanly on SIGTERM, `schemas` prints JSON Schemas, and `check` (and `serve`)
//! name the file, the field and the reason of every problem in a fixtures directory (`check`).

mod check;
mod log;
#[cfg(target_os = "linux")]
mod memory;
#[cfg(unix)]
mod signals;
mod wire;

use gitpod_mock::store::records::{EnvironmentClass, HostToken};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const READY: &str = "gitpod-mock listening on http://127.0.0.1:";

/// The binary, run from the crate root with none of its settings taken from this environment.
fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gitpod-mock"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("GITPOD_MOCK_")) {
        command.env_remove(name);
    }
    command
}

fn run(args: &[&str]) -> (Output, String, String) {
    let output = bin().args(args).output().expect("the binary runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    (output, stdout, stderr)
}

/// A running `serve`; killed when dropped if a test did not stop it.
struct Served {
    child: Child,
    port: u16,
}

impl Served {
    /// Starts the server and waits for its ready line, which must be exactly the documented one.
    fn start(command: &mut Command) -> Served {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("no ready line within 30 s");
            });
        let port = line.strip_suffix('\n').and_then(|l| l.strip_prefix(READY));
        let port = port.and_then(|p| p.parse::<u16>().ok()).filter(|p| *p != 0);
        let Some(port) = port else {
            let _ = child.kill();
            panic!("not the ready line: {line:?}");
        };
        Served { child, port }
    }

    /// A request over a fresh connection; the status line and body of the answer.
    fn request(&self, head: &str, body: &str) -> (String, Value) {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let length = body.len();
        write!(
            stream,
            "{head}\r\nhost: x\r\nconnection: close\r\ncontent-length: {length}\r\n\r\n{body}"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
        (
            head.lines().next().unwrap().to_string(),
            serde_json::from_str(body).unwrap(),
        )
    }

    /// Checks the server answers the readiness probe and a real call.
    fn assert_answers(&self) {
        let (status, body) = self.request("GET / HTTP/1.1", "");
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(
            (body["name"].as_str(), body["service"].as_str()),
            (
                Some("gitpod-mock"),
                Some("gitpod.v1.RunnerConfigurationService")
            )
        );
        let call = "POST /gitpod.v1.RunnerConfigurationService/GetSCMIntegration HTTP/1.1\r\ncontent-type: application/json";
        let (status, body) = self.request(call, r#"{"id":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}"#);
        assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
        assert_eq!(body["integration"]["host"], "gitlab.com");
    }

    /// Sends SIGTERM and expects a prompt, successful exit.
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit after SIGTERM: {status}");
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "took {:?}",
                    started.elapsed()
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("still running 10 s after SIGTERM");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn serve_on_port_0_announces_its_address_and_stops_on_sigterm() {
    let served = Served::start(bin().args(["serve", "--port", "0"]));
    served.assert_answers();
    served.terminate();
}

#[test]
fn the_port_can_come_from_the_environment() {
    let served = Served::start(bin().arg("serve").env("GITPOD_MOCK_PORT", "0"));
    served.assert_answers();
    served.terminate();
}

#[test]
fn lenient_comes_from_the_flag_or_the_environment_and_strict_is_the_default() {
    let unknown = r#"{"id":"00000000-0000-4000-8000-000000000000"}"#;
    let call = "POST /gitpod.v1.RunnerConfigurationService/GetSCMIntegration HTTP/1.1\r\ncontent-type: application/json";
    let flag = Served::start(bin().args(["serve", "--port", "0", "--lenient"]));
    let env = Served::start(
        bin()
            .args(["serve", "--port", "0"])
            .env("GITPOD_MOCK_LENIENT", "true"),
    );
    let default = Served::start(bin().args(["serve", "--port", "0"]));
    for (served, expected) in [
        (&flag, "200 OK"),
        (&env, "200 OK"),
        (&default, "404 Not Found"),
    ] {
        let (status, body) = served.request(call, unknown);
        assert_eq!(status, format!("HTTP/1.1 {expected}"), "{body}");
    }
    for served in [flag, env, default] {
        served.terminate();
    }
}

#[test]
fn more_workers_and_per_resource_generation_serve_the_same_way() {
    let served = Served::start(bin().args([
        "serve",
        "--port",
        "0",
        "--workers",
        "3",
        "--generate",
        "environment-classes=30",
    ]));
    served.assert_answers();
    let list = |method: &str, key: &str| {
        let head = format!("POST /gitpod.v1.RunnerConfigurationService/{method} HTTP/1.1\r\ncontent-type: application/json");
        let (status, body) = served.request(&head, r#"{"pagination":{"pageSize":100}}"#);
        assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
        body[key].as_array().map_or(0, Vec::len)
    };
    let contract = gitpod_mock::contract::Contract::load();
    let source = gitpod_mock::store::fixtures::Source::Embedded;
    let fixtures = gitpod_mock::store::fixtures::load(&contract, source).unwrap();
    let classes = list("ListEnvironmentClasses", "environmentClasses");
    assert_eq!(classes, fixtures.rows::<EnvironmentClass>().len() + 30);
    let tokens = list("ListHostAuthenticationTokens", "tokens");
    assert_eq!(
        tokens,
        fixtures.rows::<HostToken>().len(),
        "no tokens generated"
    );
    served.terminate();
}

#[test]
fn schemas_prints_the_request_schema_of_a_method() {
    let (output, stdout, stderr) = run(&["schemas", "CreateSCMIntegration"]);
    assert!(output.status.success(), "{stderr}");
    let schema: Value = serde_json::from_str(&stdout).expect("a JSON document");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        schema["$ref"],
        "#/$defs/gitpod.v1.CreateSCMIntegrationRequest"
    );
    let request = &schema["$defs"]["gitpod.v1.CreateSCMIntegrationRequest"];
    // The published schema: a pattern too, since OpenAPI 3.1 tools may not assert formats.
    let uuid = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
    assert_eq!(
        request["properties"]["runnerId"],
        json!({"type": "string", "format": "uuid", "pattern": uuid})
    );
    assert!(request.get("additionalProperties").is_none(), "{request}");
    let (_, strict, _) = run(&["schemas", "CreateSCMIntegration", "--strict"]);
    let strict: Value = serde_json::from_str(&strict).expect("a JSON document");
    let request = &strict["$defs"]["gitpod.v1.CreateSCMIntegrationRequest"];
    assert_eq!(request["additionalProperties"], false);
    assert_eq!(request["required"], json!(["runnerId"]));
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let example = json!({"runnerId": "d2c94c27-3b76-4a42-b88c-95a85e392c68", "scmId": "github", "host": "github.com", "oauthClientId": "client_id", "oauthPlaintextClientSecret": "client_secret"});
    assert!(validator.is_valid(&example));
    for bad in [
        json!({"runnerId": "nope"}),
        json!({"scmId": "github"}),
        json!({"runnerId": "d2c94c27-3b76-4a42-b88c-95a85e392c68", "extra": 1}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
    let (output, stdout, _) = run(&["schemas", "CreateSCMIntegration", "--response"]);
    assert!(output.status.success());
    let schema: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        schema["$ref"],
        "#/$defs/gitpod.v1.CreateSCMIntegrationResponse"
    );
}

#[test]
fn schemas_of_an_unknown_method_names_the_valid_ones() {
    let (output, stdout, stderr) = run(&["schemas", "NoSuchMethod"]);
    assert!(!output.status.success());
    assert_eq!(stdout, "");
    let contract = gitpod_mock::contract::Contract::load();
    let names: Vec<&str> = contract
        .procedures()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let (documented, uncovered) = (
        gitpod_mock::service::METHODS,
        gitpod_mock::service::UNCOVERED,
    );
    assert_eq!(names.len(), documented.len() + uncovered.len());
    let expected = format!(
        "gitpod-mock: unknown method \"NoSuchMethod\"; methods are: {}\n",
        names.join(", ")
    );
    assert_eq!(stderr, expected);
}

#[test]
fn schemas_takes_any_case_and_suggests_the_nearest_method() {
    let (_, exact, _) = run(&["schemas", "GetSCMIntegration"]);
    for any_case in ["getscmintegration", "get_scm_integration"] {
        let (output, schema, stderr) = run(&["schemas", any_case]);
        assert!(output.status.success(), "{stderr}");
        assert_eq!(schema, exact, "{any_case}");
    }
    for (typo, nearest) in [
        ("GetScmIntegratoin", "GetSCMIntegration"),
        ("ListEnvironmentClass", "ListEnvironmentClasses"),
        (
            "create_host_authentication_tokn",
            "CreateHostAuthenticationToken",
        ),
    ] {
        let (output, _, stderr) = run(&["schemas", typo]);
        assert!(!output.status.success());
        let start = format!(
            "gitpod-mock: unknown method {typo:?} (did you mean {nearest:?}?); methods are: "
        );
        assert!(stderr.starts_with(&start), "{stderr}");
    }
}

#[test]
fn help_and_version_texts_exist() {
    #[rustfmt::skip]
    let cases: [(&[&str], &[&str]); 4] = [
        (&["--help"], &["Usage: gitpod-mock <COMMAND>", "serve", "schemas", "check"]),
        (&["serve", "--help"], &["Usage: gitpod-mock serve", "--port", "--fixtures", "--seed", "--generate", "--strict", "--max-body-bytes", "GITPOD_MOCK_PORT"]),
        (&["schemas", "--help"], &["Usage: gitpod-mock schemas", "--response", "[METHOD]"]),
        (&["check", "--help"], &["Usage: gitpod-mock check", "[DIR]"]),
    ];
    for (args, needles) in cases {
        let (output, stdout, stderr) = run(args);
        assert!(output.status.success(), "{args:?}: {stderr}");
        for needle in needles {
            assert!(
                stdout.contains(needle),
                "{args:?} lacks {needle:?}: {stdout}"
            );
        }
    }
    let (output, stdout, _) = run(&["--version"]);
    assert!(output.status.success());
    assert_eq!(
        stdout,
        format!("gitpod-mock {}\n", env!("CARGO_PKG_VERSION"))
    );
    let (output, _, stderr) = run(&["frobnicate"]);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unrecognized subcommand 'frobnicate'"),
        "{stderr}"
    );
}
