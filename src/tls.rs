//! TLS for the listener: a certificate and key from PEM files (`--tls-cert`, `--tls-key`), or a
//! self-signed one for localhost made at start (`--tls-self-signed`), with ALPN offering h2 and
//! http/1.1.

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

/// Where the server's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// A certificate chain and its private key, both PEM files.
    Files { cert: PathBuf, key: PathBuf },
    /// A certificate for `localhost`, `127.0.0.1` and `::1` made at start, written (with its
    /// key) into this directory for clients to trust.
    SelfSigned { dir: PathBuf },
}

/// A listener's TLS: the acceptor, and the certificate file clients should trust when the
/// mock made it.
#[derive(Clone)]
pub struct Tls {
    /// Accepts TLS connections.
    pub acceptor: TlsAcceptor,
    /// Set for a self-signed certificate: the PEM file the ready line names.
    pub written: Option<PathBuf>,
}

impl Tls {
    /// Loads or makes the certificate; the error names the file and the problem.
    pub fn load(source: &TlsSource) -> Result<Tls, String> {
        match source {
            TlsSource::Files { cert, key } => {
                let chain = read_chain(cert)?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| format!("--tls-key {}: no PEM private key: {e}", key.display()))?;
                Ok(Tls {
                    acceptor: acceptor(chain, key)?,
                    written: None,
                })
            }
            TlsSource::SelfSigned { dir } => self_signed(dir),
        }
    }
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("--tls-cert {shown}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--tls-cert {shown}: not a PEM certificate: {e}"))?;
    if chain.is_empty() {
        return Err(format!("--tls-cert {shown}: holds no PEM certificate"));
    }
    Ok(chain)
}

fn acceptor(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<TlsAcceptor, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS: the certificate and key do not go together: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Makes a certificate for localhost and writes it, and its key, into `dir`.
fn self_signed(dir: &Path) -> Result<Tls, String> {
    let names = ["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("--tls-self-signed: cannot make a certificate: {e}"))?;
    let cert_path = dir.join("gitpod-mock-localhost.pem");
    let key_path = dir.join("gitpod-mock-localhost-key.pem");
    let write = |path: &Path, text: String| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        // The key is readable by its owner only, as ssh-keygen and mkcert leave theirs.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(path)
            .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()))
            .map_err(|e| format!("--tls-self-signed: cannot write {}: {e}", path.display()))
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("--tls-self-signed: cannot create {}: {e}", dir.display()))?;
    write(&cert_path, made.cert.pem())?;
    write(&key_path, made.signing_key.serialize_pem())?;
    let key = PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    Ok(Tls {
        acceptor: acceptor(vec![made.cert.der().clone()], key)?,
        written: Some(cert_path),
    })
}
