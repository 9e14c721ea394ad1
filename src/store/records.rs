//! The stored resources, as typed rows whose serde form is the contract's proto3 JSON.
//! Secrets have no field here: token values are never kept, and OAuth client secrets only as
//! the opaque ciphertext the real service stores.

use super::table::Record;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldValue {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvironmentClass {
    pub id: String,
    pub runner_id: String,
    pub display_name: String,
    pub description: String,
    pub configuration: Vec<FieldValue>,
    pub enabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OAuthConfig {
    pub client_id: String,
    /// Base64 of the secret encrypted for the runner; never the plaintext.
    pub encrypted_client_secret: String,
    pub issuer_url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScmIntegration {
    pub id: String,
    pub runner_id: String,
    pub scm_id: String,
    pub host: String,
    pub oauth: Option<OAuthConfig>,
    pub pat: bool,
    pub virtual_directory: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Subject {
    pub id: String,
    pub principal: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HostToken {
    pub id: String,
    pub runner_id: String,
    pub user_id: String,
    pub host: String,
    pub source: String,
    pub expires_at: Option<String>,
    pub integration_id: String,
    pub scopes: Vec<String>,
    pub subject: Option<Subject>,
}

/// Host token sources, by their enum names.
pub const SOURCE_OAUTH: &str = "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH";
pub const SOURCE_PAT: &str = "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Runner {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub provider: String,
    pub schema: String,
    pub online: bool,
}

macro_rules! record {
    ($($t:ty),*) => {$(
        impl Record for $t {
            fn id(&self) -> &str {
                &self.id
            }
        }
    )*};
}
record!(EnvironmentClass, ScmIntegration, HostToken);
