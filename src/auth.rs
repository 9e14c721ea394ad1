//! Auth simulation, off unless `--require-auth`: calls need `Authorization: Bearer …`, and an
//! auth file can list the accepted tokens and mark some read-only. Who may use the control
//! plane is decided beside it (`control`).

mod control;

pub use control::ControlAccess;

use crate::error::{Code, RpcError};
use http::HeaderMap;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthFile {
    tokens: Vec<TokenEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    token: String,
    #[serde(default)]
    read_only: bool,
}

/// Which bearer tokens are accepted. Without a list, any token is.
#[derive(Debug, Default, Clone)]
pub struct Auth {
    /// token → read-only
    tokens: Option<HashMap<String, bool>>,
}

impl Auth {
    /// Auth that accepts any bearer token.
    pub fn any_token() -> Auth {
        Auth::default()
    }

    /// Reads an auth file (YAML or JSON): `tokens: [{token: "…", read_only: true}]`.
    pub fn load(path: &Path) -> Result<Auth, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file: AuthFile =
            serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Auth {
            tokens: Some(
                file.tokens
                    .into_iter()
                    .map(|t| (t.token, t.read_only))
                    .collect(),
            ),
        })
    }

    /// Checks a call's credentials: unauthenticated without a known bearer token,
    /// permission_denied for a read-only token on a method with side effects.
    pub fn check(
        &self,
        headers: &HeaderMap,
        method: &str,
        side_effects: bool,
    ) -> Result<(), RpcError> {
        let header = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .unwrap_or_default();
        if token.is_empty() {
            return Err(RpcError::new(
                Code::Unauthenticated,
                "missing credentials: send Authorization: Bearer <token>",
            ));
        }
        let read_only = match &self.tokens {
            None => false,
            Some(tokens) => *tokens.get(token).ok_or_else(|| {
                RpcError::new(Code::Unauthenticated, "the bearer token is not valid")
            })?,
        };
        if read_only && side_effects {
            return Err(RpcError::new(
                Code::PermissionDenied,
                format!("the bearer token is read-only and {method} changes state"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, auth.parse().unwrap());
        h
    }

    #[test]
    fn tokens_are_required_and_read_only_ones_cannot_write() {
        let auth = Auth {
            tokens: Some(HashMap::from([
                ("rw".to_string(), false),
                ("ro".to_string(), true),
            ])),
        };
        assert_eq!(
            auth.check(&HeaderMap::new(), "X", false).unwrap_err().code,
            Code::Unauthenticated
        );
        assert_eq!(
            auth.check(&headers("Bearer nope"), "X", false)
                .unwrap_err()
                .code,
            Code::Unauthenticated
        );
        assert!(auth.check(&headers("Bearer ro"), "GetX", false).is_ok());
        assert_eq!(
            auth.check(&headers("Bearer ro"), "CreateX", true)
                .unwrap_err()
                .code,
            Code::PermissionDenied
        );
        assert!(auth.check(&headers("Bearer rw"), "CreateX", true).is_ok());
        assert!(Auth::any_token()
            .check(&headers("Bearer anything"), "CreateX", true)
            .is_ok());
    }
}
