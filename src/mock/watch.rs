//! Hot reload (`serve --watch`): watches the fixtures and scenario directories and, when their
//! files change, reads them again and swaps the new data in off the request path. Sessions that
//! never wrote follow the new fixtures; a broken file keeps the last good version serving, and
//! the problem goes to stderr and to `GET /__mock/health` (see `crate::reload`).
//!
//! notify reports the events; reads (opening a file, closing one that was only read) are
//! dropped, since the reload's own reads would otherwise report themselves and wake it every
//! [`QUIET`] period for ever. A batch is every change until the directories have been quiet for
//! [`QUIET`], so an editor's temporary file and its rename over the original are one batch.
//! Each batch then compares a fingerprint of the files with the one last read, so a batch that
//! brings no new content (an editor's swap file, a `touch`) reloads nothing.

use super::{Error, MockServerBuilder};
use crate::app::App;
use crate::reload::Outcome;
use crate::scenario::Library;
use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use parking_lot::Mutex;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How long a directory must be quiet before its changes are read: long enough for an editor's
/// write-then-rename to land as one batch, short enough that an edit shows within a second.
const QUIET: Duration = Duration::from_millis(200);

/// The longest a batch waits for its directory to go quiet.
const LONGEST_BATCH: Duration = Duration::from_secs(2);

/// How deep under a watched directory files are fingerprinted (fixtures keep runner schemas in
/// `schemas/`).
const DEPTH: usize = 4;

impl MockServerBuilder {
    /// Reloads the fixtures directory ([`MockServerBuilder::fixtures`]) and the scenario
    /// directory ([`MockServerBuilder::scenario_dir`]) whenever their files change
    /// (`--watch`, on by default in `serve` when either is given). Sessions that have not
    /// changed their data follow the new fixtures; a broken file keeps the last good version.
    pub fn watch(mut self, watch: bool) -> Self {
        self.watch = watch;
        self
    }
}

/// A running watcher; dropping it stops watching, and its batching thread with it.
pub(super) struct Watching {
    _watcher: RecommendedWatcher,
}

/// What a reload needs: how the mock was built (to build the fixtures state again) and the
/// fingerprints of the files it last read.
pub(super) struct Reloader {
    plan: MockServerBuilder,
    fixtures: Option<Fingerprinted>,
    scenarios: Option<Fingerprinted>,
}

/// A watched directory and the fingerprint of its files when they were last read.
struct Fingerprinted {
    dir: PathBuf,
    print: u64,
}

impl Fingerprinted {
    fn new(dir: &Path) -> Fingerprinted {
        Fingerprinted {
            dir: dir.to_path_buf(),
            print: fingerprint(dir),
        }
    }

    /// Whether the files differ from those last read; if so, the new ones count as read.
    fn changed(&mut self) -> bool {
        let print = fingerprint(&self.dir);
        std::mem::replace(&mut self.print, print) != print
    }
}

impl Reloader {
    /// Fingerprints the files `plan` reads, before the app is built from them.
    pub(super) fn new(plan: MockServerBuilder) -> Reloader {
        Reloader {
            fixtures: plan.fixtures.as_deref().map(Fingerprinted::new),
            scenarios: plan.scenario_dir.as_deref().map(Fingerprinted::new),
            plan,
        }
    }

    /// Starts watching for `app`, then checks once for a change made while it started.
    pub(super) fn start(self, app: &Arc<App>) -> Result<Watching, Error> {
        let dirs: Vec<PathBuf> = [&self.fixtures, &self.scenarios]
            .into_iter()
            .flatten()
            .map(|f| f.dir.clone())
            .collect();
        if dirs.is_empty() {
            return Err(Error(
                "--watch watches the --fixtures and --scenario-dir directories; give one of them"
                    .into(),
            ));
        }
        let reloader = Arc::new(Mutex::new(self));
        let (changes, batches) = std::sync::mpsc::channel::<()>();
        let mut watcher = reporting(changes).map_err(|e| {
            Error(format!(
                "--watch: cannot watch the files: {e}; serve with --no-watch"
            ))
        })?;
        let batcher = {
            let (reloader, weak) = (reloader.clone(), Arc::downgrade(app));
            move || batch(&batches, &reloader, &weak)
        };
        std::thread::Builder::new()
            .name("gitpod-mock-watch".into())
            .spawn(batcher)
            .map_err(|e| Error(format!("--watch: cannot start its thread: {e}")))?;
        for dir in &dirs {
            watcher.watch(dir, RecursiveMode::Recursive).map_err(|e| {
                Error(format!(
                    "--watch: cannot watch {}: {e}; serve with --no-watch",
                    dir.display()
                ))
            })?;
        }
        let names = dirs.iter().map(|d| d.display().to_string()).collect();
        app.reload.watching(names);
        reloader.lock().check(app);
        Ok(Watching { _watcher: watcher })
    }

    /// Reloads whichever directory's files changed since they were last read, and reports
    /// what happened. It runs on the watcher's thread: calls go on meanwhile, on the old data
    /// until the swap, which takes each lock only as long as a call would.
    fn check(&mut self, app: &App) {
        let mut outcome = Outcome::default();
        if let Some(dir) = changed(&mut self.fixtures) {
            outcome.fixtures = Some(match reload_fixtures(&self.plan, app) {
                Ok(followed) => {
                    say(&format!(
                        "reloaded the fixtures in {} ({followed} existing session(s) follow them)",
                        dir.display()
                    ));
                    Ok(())
                }
                Err(e) => Err(broken(&dir, e)),
            });
        }
        if let Some(dir) = changed(&mut self.scenarios) {
            outcome.scenarios = Some(match reload_scenarios(&dir, app) {
                Ok(()) => {
                    say(&format!("reloaded the scenarios in {}", dir.display()));
                    Ok(())
                }
                Err(e) => Err(broken(&dir, e)),
            });
        }
        if outcome.fixtures.is_some() || outcome.scenarios.is_some() {
            app.reload.record(&outcome);
            if let Some(status) = app.reload.to_json() {
                app.live.reload(&status);
            }
        }
    }
}

/// A watcher that sends `()` to `changes` for each event that may have changed a file.
fn reporting(changes: Sender<()>) -> notify::Result<RecommendedWatcher> {
    notify::recommended_watcher(move |event: notify::Result<Event>| match event {
        Ok(event) if is_read(&event.kind) => {}
        Ok(_) => {
            let _ = changes.send(());
        }
        Err(e) => say(&format!("watching the files failed: {e}")),
    })
}

/// Whether an event only read a file: an open, or a close after reading. Closing a file that
/// was written still counts, as its last write may be what the event brings.
fn is_read(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => false,
        EventKind::Access(_) => true,
        _ => false,
    }
}

/// Reloads once per batch of changes, until the watcher (the sender) or the app is gone: a
/// batch is the first change and every one that follows until [`QUIET`] passes without one,
/// or [`LONGEST_BATCH`] has passed, so a file written without pause still reloads.
fn batch(changes: &Receiver<()>, reloader: &Mutex<Reloader>, app: &Weak<App>) {
    while changes.recv().is_ok() {
        let began = std::time::Instant::now();
        while began.elapsed() < LONGEST_BATCH {
            match changes.recv_timeout(QUIET) {
                Ok(()) => continue,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let Some(app) = app.upgrade() else {
            return;
        };
        reloader.lock().check(&app);
    }
}

/// The directory of `watched` if its files changed since they were last read.
fn changed(watched: &mut Option<Fingerprinted>) -> Option<PathBuf> {
    let watched = watched.as_mut()?;
    watched.changed().then(|| watched.dir.clone())
}

/// Builds the starting state from the fixture files again, as at start (with `--generate`
/// and a `--state` snapshot), and makes the sessions that never wrote follow it.
fn reload_fixtures(plan: &MockServerBuilder, app: &App) -> Result<usize, String> {
    let mut state = plan.state_of(&app.contract, &app.table).map_err(|e| e.0)?;
    if let Some((name, snapshot)) = &plan.state {
        state.import(snapshot).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(app.sessions.follow(state))
}

/// Loads the scenario files again and swaps the library in, keeping the scenarios loaded
/// through the control plane. A scenario still switched on must still be defined; a changed
/// scenario starts counting afresh in every session, as one loaded through the control plane
/// does.
fn reload_scenarios(dir: &Path, app: &App) -> Result<(), String> {
    let mut library =
        Library::load(&app.contract, Some(dir)).map_err(|e| format!("invalid scenarios:\n{e}"))?;
    // Each session is read before the library is locked: a call holds its session while it
    // reads the library, so the other order could deadlock.
    let mut switched_on: Vec<String> = Vec::new();
    for session in app.sessions.existing() {
        switched_on.extend(session.lock().active.iter().cloned());
    }
    let mut current = app.scenarios.write();
    library.keep_posted(&current);
    switched_on.extend(app.active.read().iter().cloned());
    if let Some(missing) = switched_on.iter().find(|name| !library.has(name)) {
        return Err(format!(
            "scenario {missing:?} is switched on but no longer defined; restore its file or switch it off"
        ));
    }
    let changed = library.changed_from(&current);
    *current = library;
    drop(current);
    for session in app.sessions.existing() {
        let mut session = session.lock();
        for name in &changed {
            session.scenarios.forget(name);
        }
    }
    Ok(())
}

/// The problem of a reload, said on stderr one line at a time, and returned for the report.
fn broken(dir: &Path, problem: String) -> String {
    for line in problem.lines() {
        say(&format!("reload: {line}"));
    }
    say(&format!(
        "reload failed: still serving the last good version of {}",
        dir.display()
    ));
    problem
}

/// One line on stderr; a closed stderr loses it, which must not stop the watcher.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "gitpod-mock: {line}");
}

/// A fingerprint of the files the loaders read under `dir` (JSON and YAML, by path and
/// contents), so a change elsewhere (an editor's swap file) or none at all reloads nothing.
fn fingerprint(dir: &Path) -> u64 {
    let mut files = Vec::new();
    collect(dir, DEPTH, &mut files);
    files.sort();
    let mut text = Vec::new();
    for path in files {
        text.extend_from_slice(path.to_string_lossy().as_bytes());
        text.push(0);
        match std::fs::read(&path) {
            Ok(bytes) => text.extend_from_slice(&bytes),
            // Unreadable now (mid-rename): the loader's own error will say so.
            Err(e) => text.extend_from_slice(e.to_string().as_bytes()),
        }
        text.push(0);
    }
    crate::hash::fnv1a64(&text)
}

fn collect(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() && depth > 0 {
            collect(&path, depth - 1, files);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "json" | "yaml" | "yml"))
        {
            files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("gitpod-mock-fp-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("schemas")).unwrap();
        dir
    }

    #[test]
    fn the_fingerprint_follows_the_loaded_files_and_nothing_else() {
        let dir = temp_dir("print");
        std::fs::write(dir.join("runners.json"), "[]").unwrap();
        let mut files = Fingerprinted::new(&dir);
        assert!(!files.changed(), "nothing changed");
        std::fs::write(dir.join(".runners.json.swp"), "swap").unwrap();
        std::fs::write(dir.join("notes.txt"), "notes").unwrap();
        assert!(!files.changed(), "files no loader reads");
        std::fs::write(dir.join("schemas/gcp.json"), "{}").unwrap();
        assert!(files.changed(), "a schema added");
        std::fs::write(dir.join("runners.json"), "[ ]").unwrap();
        assert!(files.changed(), "a file edited");
        assert!(!files.changed(), "and counted as read");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reading_the_files_reports_no_change_and_writing_one_does() {
        let dir = temp_dir("reads");
        std::fs::write(dir.join("runners.json"), "[]").unwrap();
        let (changes, reported) = std::sync::mpsc::channel();
        let mut watcher = reporting(changes).unwrap();
        watcher.watch(&dir, RecursiveMode::Recursive).unwrap();
        // What a reload does: list the directories and read every file.
        fingerprint(&dir);
        let quiet = reported.recv_timeout(Duration::from_millis(300));
        assert_eq!(
            quiet,
            Err(RecvTimeoutError::Timeout),
            "reads are not changes"
        );
        std::fs::write(dir.join("runners.json"), "[ ]").unwrap();
        assert_eq!(reported.recv_timeout(Duration::from_secs(2)), Ok(()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
