//! Hot reload, as `serve --fixtures DIR --scenario-dir DIR` runs it (watching is on by default
//! then): an edited fixture or scenario is served within two seconds, a broken file keeps the
//! last good version and is reported in `/__mock/health`, an editor's rename-save is one
//! reload, and a session that wrote keeps its data while untouched ones follow the files.

use crate::calls::GCP;
use crate::serve_flags::Serving;
use crate::support::Client;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How soon an edit must be served.
const WITHIN: Duration = Duration::from_secs(2);

/// How often the tests look again while they wait.
const POLL: Duration = Duration::from_millis(50);

/// The first environment class of the shipped fixtures.
const STANDARD: &str = "d2c94c27-3b76-4a42-b88c-95a85e392c68";

/// A copy of the shipped fixtures and an empty scenario directory, in a temporary directory of
/// this test's own; removed when dropped.
struct Files(PathBuf);

impl Files {
    fn new(test: &str) -> Files {
        let root =
            std::env::temp_dir().join(format!("gitpod-mock-watch-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        copy_dir(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .as_path(),
            &root.join("fixtures"),
        );
        std::fs::create_dir_all(root.join("scenarios")).unwrap();
        Files(root)
    }

    fn fixtures(&self) -> PathBuf {
        self.0.join("fixtures")
    }

    fn scenarios(&self) -> PathBuf {
        self.0.join("scenarios")
    }

    /// `serve` on these files, quiet so its stderr carries only the reload lines.
    fn serve(&self) -> Serving {
        let (fixtures, scenarios) = (self.fixtures(), self.scenarios());
        Serving::start(&[
            "--quiet",
            "--fixtures",
            fixtures.to_str().unwrap(),
            "--scenario-dir",
            scenarios.to_str().unwrap(),
        ])
    }

    /// The environment classes file with the first class's display name replaced, as text.
    fn classes_renaming_standard(&self, to: &str) -> String {
        let text =
            std::fs::read_to_string(self.fixtures().join("environment_classes.json")).unwrap();
        let renamed = text.replacen(
            r#""displayName": "Standard""#,
            &format!(r#""displayName": "{to}""#),
            1,
        );
        assert_ne!(renamed, text, "the fixture names the Standard class");
        renamed
    }

    /// Renames the first environment class in place, as an editor that writes the file does.
    fn rename_standard(&self, to: &str) {
        let text = self.classes_renaming_standard(to);
        std::fs::write(self.fixtures().join("environment_classes.json"), text).unwrap();
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        match path.is_dir() {
            true => copy_dir(&path, &to.join(entry.file_name())),
            false => {
                std::fs::copy(&path, to.join(entry.file_name())).unwrap();
            }
        }
    }
}

/// Asks `probe` every [`POLL`] until it gives `Some`, for at most `limit`; `what` says what
/// was awaited when it never comes.
async fn until<T, F, Fut>(limit: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// The display name of the Standard class, as a session sees it.
async fn standard_name(client: &Client, session: &str) -> String {
    let body = json!({"environmentClassId": STANDARD});
    let reply = client
        .rpc("GetEnvironmentClass", &[("x-mock-session", session)], body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["environmentClass"]["displayName"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn reload_report(client: &Client) -> Value {
    let health = client.request("GET /__mock/health", &[], "").await.json();
    health["reload"].clone()
}

#[tokio::test]
async fn an_edited_fixture_is_served_within_two_seconds() {
    let files = Files::new("edit");
    let server = files.serve();
    let client = server.1;
    assert_eq!(standard_name(&client, "default").await, "Standard");
    let report = reload_report(&client).await;
    assert_eq!(
        (report["ok"].clone(), report["reloads"].clone()),
        (json!(true), json!(0))
    );
    files.rename_standard("Standard (edited)");
    let edited = Instant::now();
    until(WITHIN, "the edited display name", || async {
        (standard_name(&client, "default").await == "Standard (edited)").then_some(())
    })
    .await;
    let report = reload_report(&client).await;
    assert_eq!(report["generation"], 1, "{report}");
    assert!(report["reloadedAt"].is_string(), "{report}");
    eprintln!("an edited fixture was served after {:?}", edited.elapsed());
}

#[tokio::test]
async fn an_edited_scenario_takes_effect_for_the_next_call() {
    let files = Files::new("scenario");
    let file = files.scenarios().join("outage.yaml");
    let scenario = |code: &str| {
        format!("name: outage\nrules:\n  - match: {{method: ListEnvironmentClasses}}\n    error: {{code: {code}, message: scripted}}\n")
    };
    std::fs::write(&file, scenario("unavailable")).unwrap();
    let server = files.serve();
    let client = server.1;
    let code = || async {
        let reply = client
            .rpc(
                "ListEnvironmentClasses",
                &[("x-mock-scenario", "outage")],
                json!({}),
            )
            .await;
        reply.code()
    };
    assert_eq!(code().await, "unavailable");
    std::fs::write(&file, scenario("permission_denied")).unwrap();
    until(WITHIN, "the edited scenario's code", || async {
        (code().await == "permission_denied").then_some(())
    })
    .await;
    // A broken scenario file keeps the last good one answering, and says which file it is.
    std::fs::write(
        &file,
        "name: outage\nrules:\n  - match: {method: NoSuchMethod}\n",
    )
    .unwrap();
    let report = until(WITHIN, "the broken scenario reported", || async {
        let report = reload_report(&client).await;
        (report["ok"] == false).then_some(report)
    })
    .await;
    let error = report["error"].as_str().unwrap();
    assert!(error.contains("outage.yaml"), "{error}");
    assert_eq!(code().await, "permission_denied");
}

#[tokio::test]
async fn a_broken_fixture_keeps_the_last_good_data_until_it_is_fixed() {
    let files = Files::new("broken");
    let server = files.serve();
    let client = server.1;
    let path = files.fixtures().join("environment_classes.json");
    let good = std::fs::read_to_string(&path).unwrap();
    let unknown_runner = "0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a";
    let broken = files.classes_renaming_standard("Broken").replacen(
        &format!(r#""runnerId": "{STANDARD}""#),
        &format!(r#""runnerId": "{unknown_runner}""#),
        1,
    );
    std::fs::write(&path, broken).unwrap();
    let report = until(WITHIN, "the broken fixture reported", || async {
        let report = reload_report(&client).await;
        (report["ok"] == false).then_some(report)
    })
    .await;
    let error = report["error"].as_str().unwrap();
    assert!(
        error.contains("environment_classes.json"),
        "names the file: {error}"
    );
    assert!(error.contains("runnerId"), "names the field: {error}");
    assert!(error.contains(unknown_runner), "says why: {error}");
    assert_eq!(report["generation"], 0, "nothing was applied: {report}");
    assert!(report["at"].is_string(), "{report}");
    assert_eq!(
        standard_name(&client, "default").await,
        "Standard",
        "the last good data"
    );
    std::fs::write(
        &path,
        good.replacen("\"Standard\"", "\"Standard (fixed)\"", 1),
    )
    .unwrap();
    let report = until(WITHIN, "the error cleared", || async {
        let report = reload_report(&client).await;
        (report["ok"] == true).then_some(report)
    })
    .await;
    assert_eq!(report["error"], Value::Null);
    assert_eq!(report["generation"], 1, "{report}");
    assert_eq!(standard_name(&client, "default").await, "Standard (fixed)");
    let (_, stderr) = server.stop();
    assert!(
        stderr.contains("environment_classes.json"),
        "the console names the file:\n{stderr}"
    );
    assert!(
        stderr.contains("still serving the last good version"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_rename_save_is_one_reload() {
    let files = Files::new("rename");
    let server = files.serve();
    let client = server.1;
    // What editors do to save safely: write a temporary file beside the original, then
    // rename it over the original.
    let temporary = files.fixtures().join("environment_classes.json.tmp");
    std::fs::write(&temporary, files.classes_renaming_standard("Renamed")).unwrap();
    std::fs::rename(
        &temporary,
        files.fixtures().join("environment_classes.json"),
    )
    .unwrap();
    until(WITHIN, "the renamed file served", || async {
        (standard_name(&client, "default").await == "Renamed").then_some(())
    })
    .await;
    // No second reload follows: watch for three debounce windows and more.
    let quiet_until = Instant::now() + Duration::from_millis(800);
    while Instant::now() < quiet_until {
        let report = reload_report(&client).await;
        assert_eq!(
            (report["reloads"].clone(), report["generation"].clone()),
            (json!(1), json!(1)),
            "{report}"
        );
        tokio::time::sleep(POLL).await;
    }
}

#[tokio::test]
async fn a_session_that_wrote_keeps_its_data_while_untouched_ones_follow_the_files() {
    let files = Files::new("sessions");
    let server = files.serve();
    let client = server.1;
    let wrote = [("x-mock-session", "wrote")];
    let body = json!({"runnerId": GCP, "scmId": "github", "host": "kept.example.com", "pat": true});
    let created = client.rpc("CreateSCMIntegration", &wrote, body).await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(standard_name(&client, "untouched").await, "Standard");
    let follows = || async {
        let listing = client.request("GET /__mock/sessions", &[], "").await.json();
        let sessions = listing["sessions"].as_array().unwrap().clone();
        let of = |id: &str| {
            sessions
                .iter()
                .find(|s| s["id"] == id)
                .map(|s| s["followsFiles"].clone())
        };
        (of("wrote"), of("untouched"))
    };
    assert_eq!(follows().await, (Some(json!(false)), Some(json!(true))));
    files.rename_standard("Followed");
    until(
        WITHIN,
        "the untouched session following the file",
        || async { (standard_name(&client, "untouched").await == "Followed").then_some(()) },
    )
    .await;
    assert_eq!(
        standard_name(&client, "wrote").await,
        "Standard",
        "kept its own data"
    );
    let listed = client
        .rpc(
            "ListSCMIntegrations",
            &wrote,
            json!({"filter": {"runnerIds": [GCP]}}),
        )
        .await
        .json();
    let hosts: Vec<&Value> = listed["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["host"])
        .collect();
    assert!(hosts.contains(&&json!("kept.example.com")), "{listed}");
    assert_eq!(
        standard_name(&client, "new-after-the-edit").await,
        "Followed"
    );
    assert_eq!(follows().await, (Some(json!(false)), Some(json!(true))));
}

#[tokio::test]
async fn no_watch_reads_the_files_once_and_watch_needs_a_directory() {
    let files = Files::new("no-watch");
    let fixtures = files.fixtures();
    let server = Serving::start(&[
        "--quiet",
        "--no-watch",
        "--fixtures",
        fixtures.to_str().unwrap(),
    ]);
    let health = server.1.request("GET /__mock/health", &[], "").await.json();
    assert_eq!(
        health,
        json!({"status": "ok"}),
        "nothing watched, nothing reported"
    );
    let (ok, _, stderr) = crate::library::run_binary(&["serve", "--port", "0", "--watch"]);
    assert!(!ok);
    assert!(
        stderr.contains("--watch watches the --fixtures and --scenario-dir directories"),
        "{stderr}"
    );
}
