//! What hot reload (`serve --watch`) reports: the directories watched, how many reloads were
//! tried and applied, and the problem of a broken file while the last good version serves.
//! `GET /__mock/health` shows it as its `reload` object.

use parking_lot::Mutex;
use serde_json::{json, Value};

/// What one reload did with each kind of file: `None` when that kind did not change, else
/// whether the new files were applied or why not.
#[derive(Debug, Default)]
pub struct Outcome {
    pub fixtures: Option<Result<(), String>>,
    pub scenarios: Option<Result<(), String>>,
}

/// The reload report, shared by the watcher (which writes it, off the request path) and the
/// control plane (which reads it). A std-style lock is fine: nothing awaits while holding it.
#[derive(Debug, Default)]
pub struct Status(Mutex<Report>);

#[derive(Debug, Default)]
struct Report {
    /// The directories watched; empty when the mock does not watch.
    watching: Vec<String>,
    /// Reloads tried: each batch of changes whose files differ from those last read.
    reloads: u64,
    /// Reloads applied: how many times the files served were replaced.
    generation: u64,
    /// When the files served were last replaced, and when a reload was last tried.
    reloaded_at: Option<String>,
    at: Option<String>,
    fixtures_error: Option<String>,
    scenarios_error: Option<String>,
}

impl Status {
    /// Notes the directories being watched; the report appears in health from now on.
    pub fn watching(&self, dirs: Vec<String>) {
        self.0.lock().watching = dirs;
    }

    /// Notes one reload's outcome. A kind of file that reloads cleanly clears its own error,
    /// and only its own: a good scenario edit leaves a broken fixture file reported.
    pub fn record(&self, outcome: &Outcome) {
        let mut guard = self.0.lock();
        let report = &mut *guard;
        let now = crate::store::rfc3339(unix_secs());
        report.reloads += 1;
        report.at = Some(now.clone());
        let mut applied = false;
        for (result, error) in [
            (&outcome.fixtures, &mut report.fixtures_error),
            (&outcome.scenarios, &mut report.scenarios_error),
        ] {
            match result {
                None => {}
                Some(Ok(())) => {
                    *error = None;
                    applied = true;
                }
                Some(Err(e)) => *error = Some(e.clone()),
            }
        }
        if applied {
            report.generation += 1;
            report.reloaded_at = Some(now);
        }
    }

    /// The `reload` object of `GET /__mock/health`, or `None` when nothing is watched.
    pub fn to_json(&self) -> Option<Value> {
        let report = self.0.lock();
        if report.watching.is_empty() {
            return None;
        }
        let errors: Vec<&str> = [&report.fixtures_error, &report.scenarios_error]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        Some(json!({
            "watching": report.watching,
            "ok": errors.is_empty(),
            "error": (!errors.is_empty()).then(|| errors.join("\n")),
            "at": report.at,
            "reloads": report.reloads,
            "generation": report.generation,
            "reloadedAt": report.reloaded_at,
        }))
    }
}

fn unix_secs() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_reported_when_nothing_is_watched() {
        assert_eq!(Status::default().to_json(), None);
    }

    #[test]
    fn an_error_stays_until_its_own_kind_of_file_reloads_cleanly() {
        let status = Status::default();
        status.watching(vec!["fixtures".into()]);
        let broken = Outcome {
            fixtures: Some(Err("fixtures/runners.json: runners[0].id: missing".into())),
            scenarios: None,
        };
        status.record(&broken);
        let report = status.to_json().unwrap();
        assert_eq!(report["ok"], false);
        assert_eq!(
            report["error"],
            "fixtures/runners.json: runners[0].id: missing"
        );
        assert_eq!(
            (report["reloads"].as_u64(), report["generation"].as_u64()),
            (Some(1), Some(0))
        );
        let scenarios_fixed = Outcome {
            fixtures: None,
            scenarios: Some(Ok(())),
        };
        status.record(&scenarios_fixed);
        let report = status.to_json().unwrap();
        assert_eq!(report["ok"], false, "the fixtures are still broken");
        assert_eq!(report["generation"], 1);
        let fixtures_fixed = Outcome {
            fixtures: Some(Ok(())),
            scenarios: None,
        };
        status.record(&fixtures_fixed);
        let report = status.to_json().unwrap();
        assert_eq!(
            (report["ok"].clone(), report["error"].clone()),
            (json!(true), Value::Null)
        );
        assert_eq!(
            (report["reloads"].as_u64(), report["generation"].as_u64()),
            (Some(3), Some(2))
        );
    }
}
