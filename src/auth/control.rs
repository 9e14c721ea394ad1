//! Who may use the control plane: anyone when the server listens on loopback (or was started
//! with `--control-open`), elsewhere only a caller sending the control token as
//! `Authorization: Bearer <token>`. The token is compared in constant time and never logged.

use crate::error::{Code, RpcError};
use http::HeaderMap;
use subtle::ConstantTimeEq;

/// The control plane's lock.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ControlAccess {
    /// Anyone who reaches the port may use it.
    #[default]
    Open,
    /// Callers must send this token.
    Token(String),
}

/// Debug output never shows the token: `Settings` is printed in test failures and logs.
impl std::fmt::Debug for ControlAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlAccess::Open => f.write_str("Open"),
            ControlAccess::Token(_) => f.write_str("Token([REDACTED])"),
        }
    }
}

impl ControlAccess {
    /// The access for a server listening on `host`. A token given with `--control-token`
    /// always applies; without one, loopback and `open` leave the control plane open, and any
    /// other address gets a fresh random token, which the ready line prints once.
    pub fn for_host(
        host: &str,
        token: Option<String>,
        open: bool,
    ) -> Result<ControlAccess, String> {
        match token {
            Some(_) if open => {
                Err("--control-token and --control-open contradict each other: give one".into())
            }
            Some(token) if token.trim().is_empty() => {
                Err("--control-token must not be empty".into())
            }
            Some(token) => Ok(ControlAccess::Token(token)),
            None if open || crate::cors::is_loopback_host(host) => Ok(ControlAccess::Open),
            None => Ok(ControlAccess::Token(generate())),
        }
    }

    /// The token callers must send, if any.
    pub fn token(&self) -> Option<&str> {
        match self {
            ControlAccess::Open => None,
            ControlAccess::Token(token) => Some(token),
        }
    }

    /// Lets the call through, or answers `unauthenticated` saying what to send.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), RpcError> {
        let ControlAccess::Token(expected) = self else {
            return Ok(());
        };
        let sent = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let problem = match sent {
            None | Some("") => "the control plane needs its token",
            Some(sent) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => return Ok(()),
            Some(_) => "the control-plane token is not valid",
        };
        Err(RpcError::new(
            Code::Unauthenticated,
            format!(
                "{problem}: send Authorization: Bearer <token>, with the token from \
                 --control-token or the one the ready line printed (--control-open turns this off)"
            ),
        )
        .with_header(
            "www-authenticate",
            "Bearer realm=\"gitpod-mock control plane\"",
        ))
    }
}

/// 128 random bits from the thread's CSPRNG (ChaCha, seeded from the OS), as hex.
fn generate() -> String {
    use rand::RngExt;
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn loopback_stays_open_and_other_addresses_get_a_token() {
        for host in ["127.0.0.1", "::1", "localhost"] {
            assert_eq!(
                ControlAccess::for_host(host, None, false),
                Ok(ControlAccess::Open)
            );
        }
        let generated = ControlAccess::for_host("0.0.0.0", None, false).unwrap();
        let token = generated.token().expect("a generated token").to_string();
        assert_eq!(token.len(), 32);
        let again = ControlAccess::for_host("0.0.0.0", None, false).unwrap();
        assert_ne!(
            again.token(),
            Some(token.as_str()),
            "each start draws a new one"
        );
        assert_eq!(
            ControlAccess::for_host("0.0.0.0", None, true),
            Ok(ControlAccess::Open)
        );
        let given = ControlAccess::for_host("127.0.0.1", Some("t0k".into()), false);
        assert_eq!(
            given,
            Ok(ControlAccess::Token("t0k".into())),
            "a given token applies everywhere"
        );
        assert!(ControlAccess::for_host("0.0.0.0", Some("t".into()), true).is_err());
        assert!(ControlAccess::for_host("0.0.0.0", Some(" ".into()), false).is_err());
    }

    #[test]
    fn only_the_token_opens_it_and_debug_output_hides_it() {
        let access = ControlAccess::Token("s3cret-control".into());
        assert!(access.check(&bearer("Bearer s3cret-control")).is_ok());
        for headers in [
            HeaderMap::new(),
            bearer("Bearer nope"),
            bearer("s3cret-control"),
            bearer("Bearer "),
        ] {
            let e = access.check(&headers).unwrap_err();
            assert_eq!((e.code, e.status()), (Code::Unauthenticated, 401));
            assert!(!e.message.contains("s3cret"), "{}", e.message);
        }
        assert!(!format!("{access:?}").contains("s3cret"));
        assert!(ControlAccess::Open.check(&HeaderMap::new()).is_ok());
    }
}
