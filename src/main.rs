//! The `gitpod-mock` command line: parse arguments, then serve, print schemas or check fixtures.

use clap::{Parser, Subcommand};
use gitpod_mock::app::{self, App, Settings};
use gitpod_mock::contract::Contract;
use gitpod_mock::store::fixtures::{self, Fixtures, Source};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// A mock of Gitpod's RunnerConfigurationService for client tests, CI contract checks and
/// frontend development. It answers all 16 documented methods over Connect from in-memory
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
    Serve(ServeArgs),
    /// Print the JSON Schemas derived from the contract: for one method, or for all.
    Schemas {
        /// A method name such as CreateSCMIntegration; all methods when left out.
        method: Option<String>,
        /// Print the response schema instead of the request schema.
        #[arg(long)]
        response: bool,
    },
    /// Check a fixtures directory and list every problem; exits non-zero if there are any.
    Check {
        /// The directory to check.
        #[arg(default_value = "fixtures")]
        dir: PathBuf,
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
    /// Add N generated records per resource (environment classes, SCM integrations, tokens).
    #[arg(long, env = "GITPOD_MOCK_GENERATE", default_value_t = 0)]
    generate: usize,
    /// Reject unknown JSON fields with invalid_argument instead of ignoring them.
    #[arg(long, env = "GITPOD_MOCK_STRICT")]
    strict: bool,
    /// Largest request body accepted; larger ones get resource_exhausted.
    #[arg(long, env = "GITPOD_MOCK_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    max_body_bytes: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Schemas { method, response } => schemas(method.as_deref(), response),
        Command::Check { dir } => check(&dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gitpod-mock: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_fixtures(contract: &Contract, dir: Option<&PathBuf>) -> Result<Fixtures, String> {
    let source = dir.map_or(Source::Embedded, |d| Source::Dir(d));
    fixtures::load(contract, source).map_err(|e| format!("invalid fixtures:\n{e}"))
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let contract = Contract::load();
    let fixtures = load_fixtures(&contract, args.fixtures.as_ref())?;
    let state = app::state_from(&fixtures, args.seed, args.generate);
    let settings = Settings {
        strict: args.strict,
        max_body_bytes: args.max_body_bytes,
    };
    let app = Arc::new(App::new(contract, state, settings));
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("gitpod-mock listening on http://{addr}");
        gitpod_mock::server::run(listener, app, shutdown_signal()).await;
        Ok(())
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

fn schemas(method: Option<&str>, response: bool) -> Result<(), String> {
    let contract = Contract::load();
    let schema_of = |p: &gitpod_mock::contract::Procedure| {
        if response {
            contract.response_schema(&p.output)
        } else {
            contract.request_schema(&p.input)
        }
    };
    let out: Value = match method {
        Some(name) => {
            let procedure = contract.procedure(name).ok_or_else(|| {
                let names: Vec<&str> = contract
                    .procedures()
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect();
                format!("unknown method {name:?}; methods are: {}", names.join(", "))
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
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("serializable")
    );
    Ok(())
}

fn check(dir: &PathBuf) -> Result<(), String> {
    let contract = Contract::load();
    let fixtures = load_fixtures(&contract, Some(dir))?;
    println!(
        "{}: ok ({} runners, {} schemas, {} environment classes, {} SCM integrations, {} host tokens)",
        dir.display(),
        fixtures.runners.len(),
        fixtures.schemas.len(),
        fixtures.environment_classes.len(),
        fixtures.scm_integrations.len(),
        fixtures.host_tokens.len()
    );
    Ok(())
}
