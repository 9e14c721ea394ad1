//! The `gitpod-mock` command line: parse arguments, then serve, print schemas or check fixtures.

use clap::{Parser, Subcommand};
use gitpod_mock::commands::{self, say};
use gitpod_mock::{Error, MockServer, MockServerBuilder, RunOptions, SessionLimits, TlsSource};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// mimalloc: the pipeline allocates many small, short-lived JSON values per call, and glibc's
/// malloc spent about a sixth of the server's CPU on them under load (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        /// Another contract (a directory of .proto files, or a descriptor set): its methods'
        /// schemas, by `package.Service/Method` (a bare method name when it is unique).
        #[arg(long)]
        contract: Option<PathBuf>,
    },
    /// Print the contract as an OpenAPI 3.1 document (JSON): paths, schemas, errors, examples.
    Openapi {
        /// The server URL the document names.
        #[arg(long, default_value = "http://127.0.0.1:4010")]
        server: String,
        /// Describe a server run with --strict: request schemas forbid unknown fields.
        #[arg(long)]
        strict: bool,
        /// Another contract (a directory of .proto files, or a descriptor set): every method of
        /// every service it declares.
        #[arg(long)]
        contract: Option<PathBuf>,
    },
    /// Check a fixtures directory (and scenario files) and list every problem; exits non-zero if there are any.
    Check {
        /// The fixtures directory to check (`fixtures` unless --contract is given).
        dir: Option<PathBuf>,
        /// Also check the scenario files in this directory.
        #[arg(long)]
        scenario_dir: Option<PathBuf>,
        /// Instead, compile a contract (a directory of .proto files, or a descriptor set), list
        /// how each of its methods would be served, and check DIR as its fixtures if given.
        #[arg(long)]
        contract: Option<PathBuf>,
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
    /// Serve TLS with this PEM certificate chain (with --tls-key); HTTP/2 and HTTP/1.1 by ALPN.
    #[arg(long, env = "GITPOD_MOCK_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "GITPOD_MOCK_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve TLS with a certificate for localhost made at start, written to DIR (the system's
    /// temporary directory when left out) for clients to trust; the ready line names the file.
    #[arg(long, env = "GITPOD_MOCK_TLS_SELF_SIGNED", value_name = "DIR", num_args = 0..=1,
          default_missing_value = "", conflicts_with = "tls_cert")]
    tls_self_signed: Option<PathBuf>,
    /// Serve this contract instead of the embedded Gitpod one: a directory of .proto files or
    /// a compiled descriptor set (.binpb, .pb, .desc). Every unary method of every service is
    /// served: resource methods from stored state, the rest with generated data.
    #[arg(long, env = "GITPOD_MOCK_CONTRACT")]
    contract: Option<PathBuf>,
    /// Load fixtures from this directory instead of the embedded defaults. With --contract,
    /// one JSON file per resource, named by its message (Shelf.json).
    #[arg(long, env = "GITPOD_MOCK_FIXTURES")]
    fixtures: Option<PathBuf>,
    /// Seed for generated ids and fake data, so runs repeat exactly.
    #[arg(long, env = "GITPOD_MOCK_SEED")]
    seed: Option<u64>,
    /// Add generated records: N per resource (environment classes, SCM integrations, host
    /// tokens), or per resource, e.g. `environment-classes=100000,host-tokens=10`.
    #[arg(long, env = "GITPOD_MOCK_GENERATE", default_value = "0")]
    generate: gitpod_mock::GenerateCounts,
    /// Runtime worker threads. Calls on one session take turns on its lock, and the clients
    /// under test usually share the machine, so one worker gives the steadiest latency (the
    /// benchmark's p99 at 64 connections: about 1 ms with one, 7 ms with two on two cores).
    /// Raise it for heavy loads spread over many sessions.
    #[arg(long, env = "GITPOD_MOCK_WORKERS", default_value_t = 1)]
    workers: usize,
    /// Reject unknown JSON fields with invalid_argument instead of ignoring them.
    #[arg(long, env = "GITPOD_MOCK_STRICT")]
    strict: bool,
    /// Answer the way Prism does for generated SDK tests: rule violations, unknown ids,
    /// unknown page tokens and conflicts are reported in `x-mock-violations`, not refused.
    #[arg(long, env = "GITPOD_MOCK_LENIENT")]
    lenient: bool,
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
    /// Reload --fixtures and --scenario-dir when their files change (on by default when
    /// either is given). Sessions that never wrote follow the new files; a broken file keeps
    /// the last good version serving, with its error on stderr and in /__mock/health.
    #[arg(long, env = "GITPOD_MOCK_WATCH", overrides_with = "no_watch")]
    watch: bool,
    /// Do not reload the fixture and scenario files when they change.
    #[arg(long, env = "GITPOD_MOCK_NO_WATCH", overrides_with = "watch")]
    no_watch: bool,
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
    log_format: gitpod_mock::LogFormat,
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
    /// Forward unary Connect calls (JSON, binary, GET) to this real API too (http:// or
    /// https://host[:port][/path]), and report how its answers drift from the contract and the
    /// mock's at /__mock/drift.
    #[arg(long, env = "GITPOD_MOCK_UPSTREAM")]
    upstream: Option<String>,
    /// With an https --upstream: also trust the CA certificates in this PEM file, beside the
    /// system's roots; repeatable.
    #[arg(
        long,
        env = "GITPOD_MOCK_UPSTREAM_CA",
        value_name = "FILE",
        requires = "upstream"
    )]
    upstream_ca: Vec<PathBuf>,
    /// With --upstream: the client gets the mock's answer (the default).
    #[arg(long, requires = "upstream", conflicts_with = "proxy")]
    shadow: bool,
    /// With --upstream: the client gets the upstream's answer.
    #[arg(long, requires = "upstream")]
    proxy: bool,
    /// With --upstream: how long a forwarded call may take before it counts as a timeout.
    #[arg(long, env = "GITPOD_MOCK_UPSTREAM_TIMEOUT_MS", default_value_t = 5000)]
    upstream_timeout_ms: u64,
    /// With --upstream: forward only the methods this glob matches, by name (`Get*`) or as
    /// `package.Service/Method`; repeatable. The rest are the mock's alone.
    #[arg(
        long,
        env = "GITPOD_MOCK_SHADOW_METHODS",
        value_delimiter = ',',
        requires = "upstream"
    )]
    shadow_methods: Vec<String>,
    /// With --upstream: forward this share of the calls (0 to 1), evenly spaced.
    #[arg(long, env = "GITPOD_MOCK_SHADOW_SAMPLE", default_value_t = 1.0)]
    shadow_sample: f64,
    /// With --upstream: write the drift report into DIR at shutdown, as drift.md (Markdown)
    /// and drift.junit.xml (JUnit XML, one failing case per finding).
    #[arg(
        long,
        env = "GITPOD_MOCK_DRIFT_REPORT",
        value_name = "DIR",
        requires = "upstream"
    )]
    drift_report: Option<PathBuf>,
    /// With --upstream: exit with status 1 at shutdown if the drift report has any finding.
    #[arg(long, env = "GITPOD_MOCK_FAIL_ON_DRIFT", requires = "upstream")]
    fail_on_drift: bool,
    /// With --upstream: write the records in the upstream's answers into DIR at shutdown, as
    /// fixtures that `check` accepts and `serve --fixtures` serves; secrets stripped, ids kept.
    #[arg(
        long,
        env = "GITPOD_MOCK_RECORD",
        value_name = "DIR",
        requires = "upstream"
    )]
    record: Option<PathBuf>,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Serve(args) => serve(*args),
        Command::Schemas {
            method,
            response,
            strict,
            contract,
        } => commands::schemas(method.as_deref(), response, strict, contract.as_deref())
            .map_err(Error::from)
            .and_then(|schemas| say(pretty(&schemas))),
        Command::Openapi {
            server,
            strict,
            contract,
        } => commands::openapi(&server, strict, contract.as_deref())
            .map_err(Error::from)
            .and_then(|document| say(pretty(&document))),
        Command::Check {
            contract: Some(contract),
            dir,
            scenario_dir,
        } => commands::check_contract(&contract, dir.as_deref(), scenario_dir.as_deref())
            .map_err(Error::from)
            .and_then(|lines| lines.iter().try_for_each(say)),
        Command::Check {
            dir, scenario_dir, ..
        } => commands::check(
            &dir.unwrap_or_else(|| "fixtures".into()),
            scenario_dir.as_deref(),
        )
        .map_err(Error::from)
        .and_then(|lines| lines.iter().try_for_each(say)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "gitpod-mock: {e}");
            ExitCode::FAILURE
        }
    }
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The flags, as the library's builder and run options.
fn serve(args: ServeArgs) -> Result<(), Error> {
    let mut mock = MockServer::builder()
        .bind(&args.host, args.port)
        .seed(args.seed)
        .generate(args.generate)
        .strict(args.strict)
        .lenient(args.lenient)
        .max_body_bytes(args.max_body_bytes)
        .control_open(args.control_open)
        .watch(
            !args.no_watch
                && (args.watch || args.fixtures.is_some() || args.scenario_dir.is_some()),
        )
        .limits(SessionLimits {
            max_sessions: args.max_sessions,
            idle_ttl: Duration::from_secs(args.session_ttl_secs),
            max_new_records: args.session_max_records,
            journal_size: args.journal_size,
            journal_max_bytes: args.journal_max_bytes,
        });
    mock = args.fixtures.iter().fold(mock, MockServerBuilder::fixtures);
    mock = args.contract.iter().fold(mock, MockServerBuilder::contract);
    mock = args
        .scenario_dir
        .iter()
        .fold(mock, MockServerBuilder::scenario_dir);
    mock = args
        .scenarios
        .iter()
        .fold(mock, MockServerBuilder::scenario);
    mock = args
        .cors_origin
        .iter()
        .fold(mock, MockServerBuilder::cors_origin);
    mock = args
        .control_token
        .iter()
        .fold(mock, MockServerBuilder::control_token);
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        mock = mock.tls(TlsSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        });
    }
    if let Some(dir) = &args.tls_self_signed {
        let dir = match dir.as_os_str().is_empty() {
            true => std::env::temp_dir(),
            false => dir.clone(),
        };
        mock = mock.tls(TlsSource::SelfSigned { dir });
    }
    if args.require_auth {
        mock = match &args.auth_file {
            Some(path) => mock.auth_file(path)?,
            None => mock.require_auth(),
        };
    }
    if let Some(url) = &args.upstream {
        let mode = match args.proxy {
            true => gitpod_mock::UpstreamMode::Proxy,
            false => gitpod_mock::UpstreamMode::Shadow,
        };
        let timeout = Duration::from_millis(args.upstream_timeout_ms);
        mock = mock.upstream(url, mode, timeout);
        mock = args
            .shadow_methods
            .iter()
            .fold(mock, MockServerBuilder::shadow_methods);
        mock = mock.shadow_sample(args.shadow_sample);
        if let Some(dir) = &args.record {
            mock = mock.record(dir);
        }
        mock = args
            .upstream_ca
            .iter()
            .fold(mock, MockServerBuilder::upstream_ca);
    }
    // The log goes to stderr: stdout carries the ready line that scripts wait for, and stays
    // free of anything else.
    if !args.quiet {
        mock = mock.log(args.log_format);
    }
    let options = RunOptions {
        workers: args.workers,
        state_file: args.state,
        control_token_given: args.control_token.is_some(),
        drift_report: args.drift_report,
        fail_on_drift: args.fail_on_drift,
    };
    gitpod_mock::run(mock, options)
}
