//! Which request fields hold secrets. A leaf, so the journal (which redacts their values) and
//! the codec (whose type errors leave their values out) read one list.

/// Body fields whose values are secrets.
pub(crate) const SECRET_FIELDS: &[&str] = &[
    "token",
    "refreshToken",
    "oauthPlaintextClientSecret",
    "oauthEncryptedClientSecret",
    "apiKey",
];
