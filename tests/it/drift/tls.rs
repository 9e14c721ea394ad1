//! https upstreams: a TLS gitpod-mock trusted through `--upstream-ca` answers in proxy mode;
//! an untrusted certificate, one for another host, or an upstream that speaks no TLS is a
//! prompt `unavailable` naming the TLS cause and an `upstream_failure` finding; a bad CA file
//! is refused at start by name.

use super::{drift_report, findings, TIMEOUT};
use crate::support::{mock, TestServer};
use gitpod_mock::tls::TlsSource;
use gitpod_mock::{MockServer, UpstreamMode};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A fresh directory for one test's certificates.
fn scratch(name: &str) -> PathBuf {
    let pid = std::process::id();
    let dir = std::env::temp_dir().join(format!("gitpod-mock-it-{pid}-upstream-tls-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An upstream serving TLS with a self-signed certificate for localhost and 127.0.0.1,
/// written into `dir`, and that certificate's file.
async fn self_signed_upstream(dir: &Path) -> (MockServer, PathBuf) {
    let source = TlsSource::SelfSigned {
        dir: dir.to_path_buf(),
    };
    let upstream = mock().tls(source).start().await.unwrap();
    let cert = upstream
        .certificate()
        .expect("its certificate")
        .to_path_buf();
    assert!(upstream.uri().starts_with("https://127.0.0.1:"));
    (upstream, cert)
}

const CREATE: &str = "CreateSCMIntegration";

fn new_integration() -> serde_json::Value {
    json!({
        "runner_id": "07503cd0-8150-42b7-8429-5bf8513241c9",
        "scm_id": "github",
        "host": "tls.upstream.example",
        "oauth_client_id": "client",
        "oauth_plaintext_client_secret": "sup3r-secret",
    })
}

#[tokio::test]
async fn an_https_upstream_trusted_by_upstream_ca_answers_with_its_own_data() {
    let dir = scratch("trusted");
    let (upstream, cert) = self_signed_upstream(&dir).await;
    let builder = mock()
        .upstream(upstream.uri(), UpstreamMode::Proxy, TIMEOUT)
        .upstream_ca(&cert);
    let server = TestServer::from(builder).await;
    let created = server.call(CREATE, new_integration()).await;
    assert_eq!(created.status, 200, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();
    // The integration exists upstream only: the mock created it on a throwaway session.
    let got = server.call("GetSCMIntegration", json!({ "id": id })).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json()["integration"]["host"], "tls.upstream.example");
    let upstream_calls = upstream.journal("default");
    let methods: Vec<&str> = upstream_calls["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["method"].as_str())
        .collect();
    assert_eq!(methods, [CREATE, "GetSCMIntegration"], "{upstream_calls:#}");
    let report = drift_report(&server).await;
    let got: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["method"].as_str().unwrap(), f["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("GetSCMIntegration", "code_differs")], "{report:#}");
    assert_eq!(
        report["findings"][0]["mock"], "code not_found",
        "{report:#}"
    );
    assert_eq!(report["upstream"], upstream.uri());
    upstream.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Proxies one call to `url`, trusting `ca` if given: the call fails promptly with
/// `unavailable`, and the message names the TLS cause; so does the report's one finding.
async fn refused_by_tls(url: String, ca: Option<&Path>, cause: &str) {
    let mut builder = mock().upstream(url, UpstreamMode::Proxy, TIMEOUT);
    if let Some(ca) = ca {
        builder = builder.upstream_ca(ca);
    }
    let server = TestServer::from(builder).await;
    let started = Instant::now();
    let reply = server
        .call(
            "GetHostAuthenticationToken",
            json!({ "id": crate::support::EXAMPLE_ID }),
        )
        .await;
    assert!(started.elapsed() < TIMEOUT, "{:?}", started.elapsed());
    let message = reply.assert_code(503, "unavailable");
    let expected = "gitpod-mock --proxy: the upstream could not be reached: TLS handshake \
                    failed: ";
    assert!(message.starts_with(expected), "{message}");
    assert!(message.contains(cause), "{message}");
    let report = drift_report(&server).await;
    assert_eq!(
        findings(&report),
        [("".to_string(), "upstream_failure".to_string(), 1)]
    );
    let said = report["findings"][0]["upstream"].as_str().unwrap();
    assert!(said.contains(cause), "{report:#}");
}

#[tokio::test]
async fn an_untrusted_upstream_certificate_is_unavailable_and_a_finding() {
    let dir = scratch("untrusted");
    let (upstream, _) = self_signed_upstream(&dir).await;
    let cause = "invalid peer certificate: UnknownIssuer (its CA is neither the system's nor \
                 --upstream-ca's)";
    refused_by_tls(upstream.uri(), None, cause).await;
    upstream.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_certificate_for_another_host_is_unavailable_and_a_finding() {
    let dir = scratch("other-host");
    let made = rcgen::generate_simple_self_signed(["staging.example".to_string()]).unwrap();
    let (cert, key) = (dir.join("staging.pem"), dir.join("staging-key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let source = TlsSource::Files {
        cert: cert.clone(),
        key,
    };
    let upstream = mock().tls(source).start().await.unwrap();
    // Trusted, but called by an address the certificate does not name.
    let cause = "certificate not valid for name \"127.0.0.1\"; certificate is only valid for \
                 DnsName(\"staging.example\")";
    refused_by_tls(upstream.uri(), Some(&cert), cause).await;
    upstream.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn an_upstream_that_speaks_no_tls_is_unavailable_and_a_finding() {
    let plain = TestServer::start().await;
    let url = format!("https://{}", plain.addr);
    refused_by_tls(url, None, "received corrupt message").await;
}

#[test]
fn a_bad_upstream_ca_file_is_refused_at_start_by_name() {
    let dir = std::env::temp_dir().join(format!(
        "gitpod-mock-it-{}-upstream-ca-files",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let key_only = dir.join("key-only.pem");
    let made = rcgen::generate_simple_self_signed(["staging.example".to_string()]).unwrap();
    std::fs::write(&key_only, made.signing_key.serialize_pem()).unwrap();
    let missing = dir.join("missing.pem");
    let cases = [
        (&empty, "holds no PEM certificate"),
        (&key_only, "holds no PEM certificate"),
        (&missing, "No such file or directory"),
    ];
    for (file, why) in cases {
        let file = file.to_str().unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_gitpod-mock"))
            .args(["serve", "--port", "0", "--quiet", "--proxy"])
            .args(["--upstream", "https://127.0.0.1:9", "--upstream-ca", file])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{file} started: {stderr}");
        let named = format!("gitpod-mock: --upstream-ca {file}: ");
        assert!(stderr.starts_with(&named), "{stderr}");
        assert!(stderr.contains(why), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn an_https_upstream_is_offered_h2_and_http1_and_a_stalled_handshake_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let (offered_tx, offered_rx) = tokio::sync::oneshot::channel();
    // Reads the ClientHello, then says nothing: the handshake never finishes.
    let stalling = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let hello = rustls::server::Acceptor::default();
        let start = tokio_rustls::LazyConfigAcceptor::new(hello, stream)
            .await
            .unwrap();
        let alpn: Vec<Vec<u8>> = start
            .client_hello()
            .alpn()
            .unwrap()
            .map(<[u8]>::to_vec)
            .collect();
        offered_tx.send(alpn).unwrap();
        std::future::pending::<()>().await;
    });
    let server = TestServer::from(mock().upstream(url, UpstreamMode::Proxy, TIMEOUT)).await;
    let started = Instant::now();
    let reply = server
        .call(
            "GetHostAuthenticationToken",
            json!({ "id": crate::support::EXAMPLE_ID }),
        )
        .await;
    assert!(started.elapsed() < TIMEOUT * 2, "{:?}", started.elapsed());
    reply.assert_error(
        504,
        "deadline_exceeded",
        "gitpod-mock --proxy: the upstream did not answer within 1000 ms (--upstream-timeout-ms)",
    );
    assert_eq!(
        offered_rx.await.unwrap(),
        [b"h2".to_vec(), b"http/1.1".to_vec()]
    );
    stalling.abort();
}

#[tokio::test]
async fn the_binary_trusts_an_https_upstream_by_upstream_ca() {
    let dir = scratch("binary");
    let (upstream, cert) = self_signed_upstream(&dir).await;
    let (url, cert) = (upstream.uri(), cert.to_str().unwrap().to_string());
    let args = [
        "--upstream",
        &url,
        "--upstream-ca",
        &cert,
        "--proxy",
        "--quiet",
    ];
    let serving = crate::serve_flags::Serving::start(&args);
    let reply = serving.1.call(CREATE, new_integration()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(upstream.journal("default")["entries"][0]["method"], CREATE);
    upstream.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
