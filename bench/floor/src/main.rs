//! The benchmark floor: a hyper server that answers every request with one fixed JSON body.
//!
//! It does what gitpod-mock's accept loop does per connection (a tokio task, `TCP_NODELAY`,
//! hyper's HTTP/1 connection, the request body read to the end) and nothing else: no routing,
//! decoding, validation, state or encoding. Its throughput and latency are the ceiling any
//! hyper server reaches on this machine, so `bench/run` reports the mock as a ratio of it.
//!
//! Usage: `gitpod-mock-floor [--port N]` (default 0: a free port). It prints
//! `gitpod-mock-floor listening on http://127.0.0.1:PORT` when ready, and runs until killed.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::process::ExitCode;

/// The mock's GetEnvironmentClass answer for the default fixtures' first class, so both
/// servers write the same number of bytes per response.
const BODY: &str = r#"{"environmentClass":{"configuration":[{"key":"instance_type","value":"m6i.xlarge"},{"key":"cpu","value":"4"},{"key":"memory","value":"16384"},{"key":"disk_size_gb","value":"80"},{"key":"architecture","value":"x86_64"},{"key":"spot","value":"false"}],"description":"4 vCPU, 16 GiB RAM, 80 GB disk (m6i.xlarge)","displayName":"Standard","enabled":true,"id":"d2c94c27-3b76-4a42-b88c-95a85e392c68","runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}}"#;

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the body as the mock does, so the floor does not skip work a real server must do.
    let _ = request.into_body().collect().await;
    Ok(Response::builder()
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from_static(BODY.as_bytes())))
        .expect("static headers are valid"))
}

fn port_from_args() -> Result<u16, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(0),
        [flag, port] if flag == "--port" => port
            .parse()
            .map_err(|_| format!("--port needs a number, got {port:?}")),
        _ => Err("usage: gitpod-mock-floor [--port N]".into()),
    }
}

fn main() -> ExitCode {
    let port = match port_from_args() {
        Ok(port) => port,
        Err(e) => {
            eprintln!("gitpod-mock-floor: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
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
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(answer))
                    .await;
            });
        }
    })
}
