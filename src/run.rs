//! `gitpod-mock serve` from start to exit: load `--state`, start the mock, print the ready
//! line, serve until SIGINT or SIGTERM, then save `--state` and flush the log.

use crate::commands::say;
use crate::mock::{Error, MockServerBuilder};
use crate::session::DEFAULT_SESSION;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What `serve` needs beyond the mock itself.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Runtime worker threads (`--workers`); at least one.
    pub workers: usize,
    /// Loads the default session's state from this file at start, if it exists, and saves it
    /// there at shutdown (`--state`).
    pub state_file: Option<PathBuf>,
    /// Whether the control-plane token was chosen by the user: only a generated one is shown.
    pub control_token_given: bool,
    /// With an upstream: writes the drift report into this directory at shutdown, as
    /// Markdown and JUnit XML (`--drift-report`).
    pub drift_report: Option<PathBuf>,
    /// With an upstream: exit with a failure at shutdown when the drift report has findings
    /// (`--fail-on-drift`), so a CI job fails on drift.
    pub fail_on_drift: bool,
}

/// Serves the mock `builder` describes until SIGINT or SIGTERM, printing the ready line
/// (`gitpod-mock listening on http://…`) on stdout once calls can be made.
pub fn run(mut builder: MockServerBuilder, options: RunOptions) -> Result<(), Error> {
    if let Some(path) = &options.state_file {
        check_state_file(path)?;
    }
    if let Some(dir) = &options.drift_report {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("--drift-report {}: {e}", dir.display()))?;
    }
    if let Some(path) = options.state_file.as_ref().filter(|p| p.exists()) {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
        builder = builder.state_named(path.display().to_string(), value);
    }
    // One worker is a current-thread runtime: it has no LIFO slot, so the tasks of all the
    // streams an HTTP/2 connection has ready run before the connection task writes, and their
    // answers leave in one write instead of one each.
    let mut runtime = match options.workers {
        0 | 1 => tokio::runtime::Builder::new_current_thread(),
        workers => {
            let mut runtime = tokio::runtime::Builder::new_multi_thread();
            runtime.worker_threads(workers);
            runtime
        }
    };
    let runtime = runtime
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let server = runtime.block_on(async {
        let server = builder.start().await?;
        // Before the ready line: a signal sent the moment it appears must find its handler.
        let shutdown = shutdown_signal().map_err(|e| format!("cannot watch for signals: {e}"))?;
        // A token the user chose is theirs to know; only a generated one is shown, once.
        let shown_token = match server.app().settings.control.token() {
            Some(token) if !options.control_token_given => {
                format!(" (control-plane token: {token})")
            }
            _ => String::new(),
        };
        let certificate = server
            .certificate()
            .map(|path| format!(" (certificate: {})", path.display()))
            .unwrap_or_default();
        say(format_args!(
            "gitpod-mock listening on {}{shown_token}{certificate}",
            server.uri()
        ))?;
        shutdown.await;
        let app = server.app().clone();
        server.stop().await;
        let recording = app.upstream.as_ref().is_some_and(|u| u.recorder.is_some());
        if options.drift_report.is_some() || options.fail_on_drift || recording {
            settle_comparisons(&app).await;
        }
        Ok::<_, Error>(app)
    })?;
    if let Some(path) = &options.state_file {
        let state = server.sessions.get(DEFAULT_SESSION).lock().state.export();
        let text = serde_json::to_string_pretty(&state).map_err(|e| e.to_string())?;
        std::fs::write(path, text)
            .map_err(|e| format!("saving state to {}: {e}", path.display()))?;
        let _ = writeln!(
            std::io::stderr(),
            "gitpod-mock: saved the default session's state to {}",
            path.display()
        );
    }
    if let Some(dir) = &options.drift_report {
        crate::drift::files::write(dir, &server.drift_report())?;
        let _ = writeln!(
            std::io::stderr(),
            "gitpod-mock: wrote the drift report to {}",
            dir.display()
        );
    }
    let recorder = server.upstream.as_ref().and_then(|u| u.recorder.as_ref());
    if let Some(recorder) = recorder {
        for line in recorder.write()? {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
    // Lines still queued get a moment to reach stderr, but a stuck stderr cannot hold up exit.
    server.log.flush(Duration::from_secs(1));
    let findings = server.drift_report()["findings"]
        .as_array()
        .map_or(0, Vec::len);
    if options.fail_on_drift && findings > 0 {
        let plural = if findings == 1 { "" } else { "s" };
        return Err(
            format!("--fail-on-drift: the upstream drifted ({findings} finding{plural})").into(),
        );
    }
    Ok(())
}

/// Waits, at most the upstream's timeout, for shadow calls still being compared, so the
/// report written at shutdown has them.
async fn settle_comparisons(app: &crate::app::App) {
    let Some(upstream) = &app.upstream else {
        return;
    };
    let deadline = tokio::time::Instant::now() + upstream.timeout;
    while app.drift.pending() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Fails at start, naming the path, when `--state FILE` could not be saved at shutdown: a
/// missing directory, a directory in its place, or a file or directory that cannot be written.
fn check_state_file(path: &Path) -> Result<(), Error> {
    let shown = path.display();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!("--state {shown}: directory {} not found", dir.display()).into());
    }
    if path.is_dir() {
        return Err(format!("--state {shown}: is a directory, not a file").into());
    }
    let cannot = |e: std::io::Error| Error::from(format!("--state {shown}: cannot write: {e}"));
    if path.exists() {
        // Opening to append changes nothing in the file.
        return std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
            .map_err(cannot);
    }
    // The file itself is not created here: an empty one would not load at the next start.
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let probe = dir.join(format!(".{name}.{}.probe", std::process::id()));
    std::fs::File::create_new(&probe).map_err(cannot)?;
    std::fs::remove_file(&probe).map_err(cannot)
}

/// Installs the SIGINT and SIGTERM handlers, and returns a future that resolves on the first
/// of them. Installing happens here, not on first poll, so the caller can do it before it
/// announces the server.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Ctrl-C elsewhere; its handler is installed on first poll.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
