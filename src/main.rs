//! The `gitpod-mock` command line: parse arguments, then serve, print schemas or check fixtures.

use clap::{Parser, Subcommand};
use gitpod_mock::app::{self, App, Settings};
use gitpod_mock::auth::{Auth, ControlAccess};
use gitpod_mock::contract::Contract;
use gitpod_mock::log::Log;
use gitpod_mock::scenario::Library;
use gitpod_mock::session::{Limits, DEFAULT_SESSION};
use gitpod_mock::store::fixtures::{self, Fixtures, Source};
use serde_json::{json, Value};
use std::fmt::Display;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc: the pipeline allocates many small, short-lived JSON values per call, and glibc's
/// malloc spent about a sixth of the server's CPU on them under load (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::sync::Arc;
use std::time::Duration;

/// A mock of Gitpod's RunnerConfigurationService for client tests, CI contract checks and
/// frontend development. It answers every documented method over Connect from in-memory
/// state seeded with fixtures, and rejects invalid requests exactly as the real service does.
#[derive(Parser)]
#[command(name = "gitpod-mock", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the mock server (on the embedded default fixtures unless --fixtures is given).
    Serve(Box<ServeArgs>),
    /// Print the JSON Schemas derived from the contract: for one method, or for all.
    Schemas {
        /// A method name such as CreateSCMIntegration; all methods when left out.
        method: Option<String>,
        /// Print the response schema instead of the request schema.
        #[arg(long)]
        response: bool,
        /// Describe a server run with --strict: request schemas forbid unknown fields.
        #[arg(long)]
        strict: bool,
    },
    /// Print the contract as an OpenAPI 3.1 document (JSON): paths, schemas, errors, examples.
    Openapi {
        /// The server URL the document names.
        #[arg(long, default_value = "http://127.0.0.1:4010")]
        server: String,
        /// Describe a server run with --strict: request schemas forbid unknown fields.
        #[arg(long)]
        strict: bool,
    },
    /// Check a fixtures directory (and scenario files) and list every problem; exits non-zero if there are any.
    Check {
        /// The fixtures directory to check.
        #[arg(default_value = "fixtures")]
        dir: PathBuf,
        /// Also check the scenario files in this directory.
        #[arg(long)]
        scenario_dir: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GITPOD_MOCK_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free one (the ready line shows which).
    #[arg(long, env = "GITPOD_MOCK_PORT", default_value_t = 4010)]
    port: u16,
    /// Load fixtures from this directory instead of the embedded defaults.
    #[arg(long, env = "GITPOD_MOCK_FIXTURES")]
    fixtures: Option<PathBuf>,
    /// Seed for generated ids and fake data, so runs repeat exactly.
    #[arg(long, env = "GITPOD_MOCK_SEED")]
    seed: Option<u64>,
    /// Add generated records: N per resource (environment classes, SCM integrations, host
    /// tokens), or per resource, e.g. `environment-classes=100000,host-tokens=10`.
    #[arg(long, env = "GITPOD_MOCK_GENERATE", default_value = "0")]
    generate: gitpod_mock::store::generate::Counts,
    /// Runtime worker threads. Calls on one session take turns on its lock, and the clients
    /// under test usually share the machine, so one worker gives the steadiest latency (the
    /// benchmark's p99 at 64 connections: about 1 ms with one, 7 ms with two on two cores).
    /// Raise it for heavy loads spread over many sessions.
    #[arg(long, env = "GITPOD_MOCK_WORKERS", default_value_t = 1)]
    workers: usize,
    /// Reject unknown JSON fields with invalid_argument instead of ignoring them.
    #[arg(long, env = "GITPOD_MOCK_STRICT")]
    strict: bool,
    /// Largest request body accepted; larger ones get resource_exhausted.
    #[arg(long, env = "GITPOD_MOCK_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    max_body_bytes: usize,
    /// A browser origin allowed to call the mock (CORS), e.g. http://localhost:5173; repeatable,
    /// `*` for any. Default: any origin when listening on loopback, none otherwise.
    #[arg(
        long = "cors-origin",
        env = "GITPOD_MOCK_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origin: Vec<String>,
    /// Switch a scenario on for every session (repeatable), e.g. --scenario flaky.
    #[arg(
        long = "scenario",
        env = "GITPOD_MOCK_SCENARIOS",
        value_delimiter = ','
    )]
    scenarios: Vec<String>,
    /// Load scenario files (*.yaml, *.json) from this directory besides the shipped ones.
    #[arg(long, env = "GITPOD_MOCK_SCENARIO_DIR")]
    scenario_dir: Option<PathBuf>,
    /// Require `Authorization: Bearer <token>` on every call (unauthenticated otherwise).
    #[arg(long, env = "GITPOD_MOCK_REQUIRE_AUTH")]
    require_auth: bool,
    /// The token the control plane (`/__mock/`) requires as `Authorization: Bearer <token>`.
    /// Without it, listening beyond loopback generates one and prints it on the ready line.
    #[arg(long, env = "GITPOD_MOCK_CONTROL_TOKEN", hide_env_values = true)]
    control_token: Option<String>,
    /// Leave the control plane open to anyone who can reach the port, even beyond loopback.
    #[arg(
        long,
        env = "GITPOD_MOCK_CONTROL_OPEN",
        conflicts_with = "control_token"
    )]
    control_open: bool,
    /// With --require-auth: the accepted tokens, some read-only (YAML or JSON, see README).
    #[arg(long, env = "GITPOD_MOCK_AUTH_FILE", requires = "require_auth")]
    auth_file: Option<PathBuf>,
    /// Load the default session's state from FILE at start (if it exists) and save it there at shutdown.
    #[arg(long, env = "GITPOD_MOCK_STATE")]
    state: Option<PathBuf>,
    /// Journal entries kept per session (a ring buffer; the oldest go first).
    #[arg(long, env = "GITPOD_MOCK_JOURNAL_SIZE", default_value_t = 1000)]
    journal_size: usize,
    /// About how many bytes each session's journal may hold; the oldest entries go first. An
    /// entry keeps at most 64 KiB of its request body, marked `truncated`.
    #[arg(long, env = "GITPOD_MOCK_JOURNAL_MAX_BYTES", default_value_t = 4 * 1024 * 1024)]
    journal_max_bytes: usize,
    /// Print nothing per call (by default each call prints one line on stderr).
    #[arg(long, short, env = "GITPOD_MOCK_QUIET")]
    quiet: bool,
    /// How each call's line is written on stderr.
    #[arg(long, env = "GITPOD_MOCK_LOG_FORMAT", value_enum, default_value_t)]
    log_format: gitpod_mock::log::Format,
    /// Sessions kept at once; beyond it the least recently used one is dropped.
    #[arg(long, env = "GITPOD_MOCK_MAX_SESSIONS", default_value_t = 256)]
    max_sessions: usize,
    /// Seconds after which an idle session is dropped.
    #[arg(long, env = "GITPOD_MOCK_SESSION_TTL_SECS", default_value_t = 900)]
    session_ttl_secs: u64,
    /// Records a session may create beyond its starting data (resource_exhausted after).
    #[arg(
        long,
        env = "GITPOD_MOCK_SESSION_MAX_RECORDS",
        default_value_t = 10_000
    )]
    session_max_records: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Schemas {
            method,
            response,
            strict,
        } => schemas(method.as_deref(), response, strict),
        Command::Openapi { server, strict } => {
            let document = gitpod_mock::openapi::document(&Contract::load(), &server, strict);
            say(serde_json::to_string_pretty(&document).expect("serializable"))
        }
        Command::Check { dir, scenario_dir } => check(&dir, scenario_dir.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "gitpod-mock: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes one line to stdout. A reader that closed the pipe early (`gitpod-mock schemas | head
/// -1`) has everything it wanted, so a broken pipe ends the output quietly instead of panicking
/// as `println!` does; every later line is dropped the same way.
fn say(line: impl Display) -> Result<(), String> {
    match writeln!(std::io::stdout().lock(), "{line}") {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(format!("cannot write to stdout: {e}")),
        _ => Ok(()),
    }
}

fn load_fixtures(contract: &Contract, dir: Option<&PathBuf>) -> Result<Fixtures, String> {
    let source = dir.map_or(Source::Embedded, |d| Source::Dir(d));
    fixtures::load(contract, source).map_err(|e| format!("invalid fixtures:\n{e}"))
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let contract = Contract::load();
    let fixtures = load_fixtures(&contract, args.fixtures.as_ref())?;
    let library = Library::load(&contract, args.scenario_dir.as_deref())
        .map_err(|e| format!("invalid scenarios:\n{e}"))?;
    let mut state = app::state_from(&fixtures, args.seed, args.generate);
    if let Some(path) = &args.state {
        check_state_file(path)?;
    }
    if let Some(path) = args.state.as_ref().filter(|p| p.exists()) {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
        state
            .import(&value)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let settings = Settings {
        strict: args.strict,
        max_body_bytes: args.max_body_bytes,
        cors: gitpod_mock::cors::AllowedOrigins::for_host(&args.cors_origin, &args.host),
        control: ControlAccess::for_host(
            &args.host,
            args.control_token.clone(),
            args.control_open,
        )?,
    };
    // A token the user chose is theirs to know; only a generated one is shown, once.
    let shown_token = match (&args.control_token, settings.control.token()) {
        (None, Some(token)) => format!(" (control-plane token: {token})"),
        _ => String::new(),
    };
    let limits = Limits {
        max_sessions: args.max_sessions.max(1),
        idle_ttl: Duration::from_secs(args.session_ttl_secs),
        max_new_records: args.session_max_records,
        journal_size: args.journal_size,
        journal_max_bytes: args.journal_max_bytes,
    };
    // Without --seed, sessions still draw different ids (and faults), just not the same
    // ones on every run.
    let session_seed = args.seed.unwrap_or_else(rand::random);
    let mut app = App::new(contract, state, settings)
        .with_sessions(session_seed, limits)
        .with_scenarios(library, args.scenarios.clone())?;
    if args.require_auth {
        app = app.with_auth(match &args.auth_file {
            Some(path) => Auth::load(path)?,
            None => Auth::any_token(),
        });
    }
    // The log goes to stderr: stdout carries the ready line that scripts wait for, and stays
    // free of anything else.
    if !args.quiet {
        app = app.with_log(Log::to(std::io::stderr(), args.log_format));
    }
    let app = Arc::new(app);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(args.workers.max(1))
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        // Before the ready line: a signal sent the moment it appears must find its handler.
        let shutdown = shutdown_signal().map_err(|e| format!("cannot watch for signals: {e}"))?;
        say(format_args!(
            "gitpod-mock listening on http://{addr}{shown_token}"
        ))?;
        gitpod_mock::server::run(listener, app.clone(), shutdown).await;
        Ok::<(), String>(())
    })?;
    if let Some(path) = &args.state {
        let state = app.sessions.get(DEFAULT_SESSION).lock().state.export();
        let text = serde_json::to_string_pretty(&state).expect("serializable");
        std::fs::write(path, text)
            .map_err(|e| format!("saving state to {}: {e}", path.display()))?;
        let _ = writeln!(
            std::io::stderr(),
            "gitpod-mock: saved the default session's state to {}",
            path.display()
        );
    }
    // Lines still queued get a moment to reach stderr, but a stuck stderr cannot hold up exit.
    app.log.flush(Duration::from_secs(1));
    Ok(())
}

/// Fails at start, naming the path, when `--state FILE` could not be saved at shutdown: a
/// missing directory, a directory in its place, or a file or directory that cannot be written.
fn check_state_file(path: &Path) -> Result<(), String> {
    let shown = path.display();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!(
            "--state {shown}: directory {} not found",
            dir.display()
        ));
    }
    if path.is_dir() {
        return Err(format!("--state {shown}: is a directory, not a file"));
    }
    let cannot = |e: std::io::Error| format!("--state {shown}: cannot write: {e}");
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

fn schemas(method: Option<&str>, response: bool, strict: bool) -> Result<(), String> {
    let contract = Contract::load();
    let schema_of = |p: &gitpod_mock::contract::Procedure| {
        if response {
            contract.response_schema(&p.output)
        } else {
            contract.published_request_schema(&p.input, strict)
        }
    };
    let out: Value = match method {
        Some(name) => {
            let procedure = contract.procedure_named(name).ok_or_else(|| {
                let names: Vec<&str> = contract
                    .procedures()
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect();
                let hint = contract.method_hint(name);
                format!(
                    "unknown method {name:?}{hint}; methods are: {}",
                    names.join(", ")
                )
            })?;
            schema_of(procedure)
        }
        None => {
            let all: serde_json::Map<String, Value> = contract
                .procedures()
                .iter()
                .map(|p| (p.name.clone(), schema_of(p)))
                .collect();
            json!(all)
        }
    };
    say(serde_json::to_string_pretty(&out).expect("serializable"))
}

fn check(dir: &PathBuf, scenario_dir: Option<&Path>) -> Result<(), String> {
    let contract = Contract::load();
    let fixtures = load_fixtures(&contract, Some(dir));
    let scenarios =
        Library::load(&contract, scenario_dir).map_err(|e| format!("invalid scenarios:\n{e}"));
    let (fixtures, scenarios) = match (fixtures, scenarios) {
        (Ok(f), Ok(s)) => (f, s),
        (f, s) => {
            return Err([f.err(), s.err()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\n"))
        }
    };
    say(format_args!(
        "scenarios: ok ({} loaded)",
        scenarios.all().count()
    ))?;
    say(format_args!(
        "{}: ok ({})",
        dir.display(),
        fixtures.summary()
    ))
}
