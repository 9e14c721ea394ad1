//! The upstream client's TLS: the roots an https upstream is trusted by (the system's, and the
//! `--upstream-ca` files), ALPN offering h2 and http/1.1, and a TLS failure told apart from
//! another transport problem so it can be named.

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The connector for an upstream: plain TCP for http://, TLS for https:// that trusts the
/// system's roots (only read for an https upstream) and every certificate in `ca_files`.
pub(super) fn connector(
    https: bool,
    ca_files: &[PathBuf],
) -> Result<HttpsConnector<HttpConnector>, String> {
    let mut roots = RootCertStore::empty();
    if https {
        // A system certificate that does not parse is skipped, as curl and browsers do: one
        // bad file in /etc/ssl/certs must not keep the others from being trusted.
        let system = rustls_native_certs::load_native_certs();
        let _ = roots.add_parsable_certificates(system.certs);
    }
    for path in ca_files {
        for cert in read_ca(path)? {
            roots.add(cert).map_err(|e| {
                format!(
                    "--upstream-ca {}: not a CA certificate rustls can use: {e}",
                    path.display()
                )
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("--upstream: TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    // The connector below decides between TCP and TLS by the URL's scheme.
    http.enforce_http(false);
    // Without it a TLS record and the h2 frames after it wait on Nagle and the peer's
    // delayed ACK: 50 ms a forwarded call over https, against 4 ms over http (debug build).
    http.set_nodelay(true);
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(http))
}

/// The PEM certificates of one `--upstream-ca` file; a missing, unreadable or empty file, or
/// one that is not PEM, is refused by name.
pub(super) fn read_ca(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("--upstream-ca {shown}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--upstream-ca {shown}: not a PEM certificate: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "--upstream-ca {shown}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(certs)
}

/// The TLS error somewhere in a client error's causes, e.g. "invalid peer certificate:
/// UnknownIssuer". hyper-rustls wraps rustls's error in two `io::Error`s, whose `source`
/// skips the wrapped error itself, so each is opened with `get_ref`.
pub(super) fn tls_cause(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            let unknown =
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
            return Some(match *tls == unknown {
                true => format!("{tls} (its CA is neither the system's nor --upstream-ca's)"),
                false => tls.to_string(),
            });
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(found) = tls_cause(inner) {
                    return Some(found);
                }
            }
        }
        next = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tls_error_is_found_inside_the_io_errors_around_it() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let outer = std::io::Error::other(inner);
        assert_eq!(
            tls_cause(&outer).as_deref(),
            Some(
                "invalid peer certificate: UnknownIssuer (its CA is neither the system's nor \
                 --upstream-ca's)"
            )
        );
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(tls_cause(&std::io::Error::other(refused)), None);
    }

    #[test]
    fn a_ca_file_that_is_missing_empty_or_not_pem_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("gitpod-mock-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let garbled = dir.join("garbled.pem");
        let body = "-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n";
        std::fs::write(&garbled, body).unwrap();
        let missing = dir.join("missing.pem");
        let cases = [
            (&empty, "holds no PEM certificate"),
            (&garbled, "not a PEM certificate"),
            (&missing, "No such file"),
        ];
        for (path, why) in cases {
            let error = read_ca(path).unwrap_err();
            let named = format!("--upstream-ca {}: ", path.display());
            assert!(error.starts_with(&named), "{error}");
            assert!(error.contains(why), "{error}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
