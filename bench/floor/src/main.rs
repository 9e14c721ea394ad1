//! The benchmark floor: a hyper server that answers every request with one fixed answer.
//!
//! It does what gitpod-mock's accept loop does per connection (a tokio task, `TCP_NODELAY`,
//! hyper's connection, the request body read to the end) and nothing else: no routing,
//! decoding, validation, state or encoding. It runs on a current-thread runtime, one thread
//! doing everything, as the mock's single worker does, without the mock's scheduler. What it
//! costs per request is the least any hyper server pays on this machine, so `bench/run`
//! reports the mock's CPU per request as a ratio of it.
//!
//! Usage: `gitpod-mock-floor [--port N] [--h2] [--json FILE] [--proto FILE]`.
//! - Without `--h2` it speaks HTTP/1.1 only. It answers a request whose `content-type` is
//!   `application/proto` with the `--proto` bytes (Connect's binary answer), and any other
//!   with the `--json` bytes, as `application/json`.
//! - With `--h2` it speaks HTTP/2 with prior knowledge (h2c) only, and answers every request as
//!   a successful gRPC call: the `--proto` bytes in a gRPC envelope, `application/grpc+proto`,
//!   then the trailer `grpc-status: 0`.
//!
//! `bench/run` takes both files from the mock's own answer to GetEnvironmentClass, so the floor
//! writes the same message bytes. Without them the answers are `{}` and an empty message. The
//! port defaults to 0 (a free one). It prints `gitpod-mock-floor listening on
//! http://127.0.0.1:PORT` when ready, and runs until killed.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "usage: gitpod-mock-floor [--port N] [--h2] [--json FILE] [--proto FILE]";

/// The command line, checked.
struct Options {
    port: u16,
    http2: bool,
    answers: Answers,
}

/// The fixed answers, read once at start.
struct Answers {
    json: Bytes,
    proto: Bytes,
    /// The `proto` bytes in a gRPC envelope: flag 0 (not compressed), 4 bytes of length.
    grpc: Bytes,
}

impl Answers {
    fn new(json: Vec<u8>, proto: Vec<u8>) -> Result<Self, String> {
        let length = u32::try_from(proto.len()).map_err(|_| "--proto: over 4 GiB".to_string())?;
        let mut grpc = Vec::with_capacity(5 + proto.len());
        grpc.push(0);
        grpc.extend_from_slice(&length.to_be_bytes());
        grpc.extend_from_slice(&proto);
        Ok(Self {
            json: json.into(),
            proto: proto.into(),
            grpc: grpc.into(),
        })
    }
}

fn options_from_args() -> Result<Options, String> {
    let mut port = 0;
    let mut http2 = false;
    let mut json = b"{}".to_vec();
    let mut proto = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))
        };
        match flag.as_str() {
            "--port" => {
                let text = value()?;
                port = text
                    .parse()
                    .map_err(|_| format!("--port needs a number, got {text:?}"))?;
            }
            "--h2" => http2 = true,
            "--json" => json = read(&value()?)?,
            "--proto" => proto = read(&value()?)?,
            _ => return Err(USAGE.into()),
        }
    }
    Ok(Options {
        port,
        http2,
        answers: Answers::new(json, proto)?,
    })
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// HTTP/1.1: Connect's binary answer for a binary request, the JSON answer for any other.
async fn answer_http1(
    answers: Arc<Answers>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let binary = request
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes() == b"application/proto");
    // Read the body as the mock does, so the floor does not skip work a real server must do.
    let _ = request.into_body().collect().await;
    let (content_type, body) = if binary {
        ("application/proto", answers.proto.clone())
    } else {
        ("application/json", answers.json.clone())
    };
    let mut response = Response::new(Full::new(body));
    let content_type = HeaderValue::from_static(content_type);
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    Ok(response)
}

/// HTTP/2: a successful unary gRPC call, the status in trailers as the mock sends it.
async fn answer_grpc(
    answers: Arc<Answers>,
    request: Request<Incoming>,
) -> Result<Response<impl Body<Data = Bytes, Error = Infallible>>, Infallible> {
    let _ = request.into_body().collect().await;
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let body =
        Full::new(answers.grpc.clone()).with_trailers(std::future::ready(Some(Ok(trailers))));
    let mut response = Response::new(body);
    let content_type = HeaderValue::from_static("application/grpc+proto");
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    Ok(response)
}

async fn serve(options: Options) -> ExitCode {
    let port = options.port;
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("gitpod-mock-floor: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    println!("gitpod-mock-floor listening on http://{addr}");
    let answers = Arc::new(options.answers);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(stream);
        let answers = answers.clone();
        if options.http2 {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|r| answer_grpc(answers.clone(), r));
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(io, service)
                    .await;
            });
        } else {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|r| answer_http1(answers.clone(), r));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    }
}

fn main() -> ExitCode {
    let options = match options_from_args() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("gitpod-mock-floor: {e}");
            return ExitCode::FAILURE;
        }
    };
    // One thread for the accept loop and every connection, like the mock's single worker.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(serve(options))
}
