//! The stored resources, as typed rows whose serde form is the contract's proto3 JSON.
//! Secrets have no field here: token values are never kept, and OAuth client secrets only as
//! the opaque ciphertext the real service stores. Ids are lowered as rows are read (`ids`).
//! Beside each record type is its declaration (see `resource`).

use super::fixture_rules;
use super::ids;
use super::resource::{FixtureView, Kind, Of, Problem, Reference, Resource, Spec};
use super::table::Record;
use serde::{Deserialize, Serialize};

/// A proto3 enum value as canonical JSON writes it: by name when the contract names the
/// number, else as the number itself. Proto3 enums are open, so an unnamed number is a valid
/// value: it is kept as it came and written back as a number, as protojson writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnumValue {
    Name(String),
    Number(i32),
}

impl Default for EnumValue {
    /// The zero value, which every proto3 enum has.
    fn default() -> Self {
        EnumValue::Number(0)
    }
}

impl EnumValue {
    /// Whether this is the value named `name`.
    pub fn is(&self, name: &str) -> bool {
        matches!(self, EnumValue::Name(n) if n == name)
    }
}

impl From<&str> for EnumValue {
    fn from(name: &str) -> Self {
        EnumValue::Name(name.to_string())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldValue {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvironmentClass {
    #[serde(deserialize_with = "ids::one")]
    pub id: String,
    #[serde(deserialize_with = "ids::one")]
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
    #[serde(deserialize_with = "ids::one")]
    pub id: String,
    #[serde(deserialize_with = "ids::one")]
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
    #[serde(deserialize_with = "ids::one")]
    pub id: String,
    pub principal: EnumValue,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HostToken {
    #[serde(deserialize_with = "ids::one")]
    pub id: String,
    #[serde(deserialize_with = "ids::one")]
    pub runner_id: String,
    #[serde(deserialize_with = "ids::one")]
    pub user_id: String,
    pub host: String,
    pub source: EnumValue,
    pub expires_at: Option<String>,
    #[serde(deserialize_with = "ids::one")]
    pub integration_id: String,
    pub scopes: Vec<String>,
    pub subject: Option<Subject>,
}

/// Host token sources, by their enum names.
pub const SOURCE_OAUTH: &str = "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH";
pub const SOURCE_PAT: &str = "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT";
/// The principal of a subject that is a user.
pub const PRINCIPAL_USER: &str = "PRINCIPAL_USER";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Runner {
    #[serde(deserialize_with = "ids::one")]
    pub id: String,
    pub name: String,
    pub kind: EnumValue,
    pub provider: EnumValue,
    pub schema: String,
    pub online: bool,
}

// Each resource's declaration. A new resource is its record type above, its `Record` and
// `Resource` impls here, a line in `STORED`, and its domain rules: its handlers, its fixture
// rules (`fixture_rules`) and how `--generate` draws it.

/// The resources a session stores and changes, in the order they are created, exported and
/// counted. Runners are not among them: they are read-only, fixed for the life of the server,
/// and kept with their schemas in `Runners`.
pub(super) const STORED: &[&dyn Kind] = &[
    &Of::<EnvironmentClass>::KIND,
    &Of::<ScmIntegration>::KIND,
    &Of::<HostToken>::KIND,
];

/// The runners' declaration, for what reads every fixture file.
pub(super) const RUNNERS: &dyn Kind = &Of::<Runner>::KIND;

impl Record for Runner {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Resource for Runner {
    const SPEC: Spec = Spec {
        name: "runners",
        noun: "runner",
        plural: "runners",
        message: "gitpod_mock.v1.Runner",
        file: "runners.json",
        file_message: "gitpod_mock.v1.RunnerList",
        list: "runners",
        id: "id",
        page_kind: "runners",
        state_key: "runners",
    };
}

impl Record for EnvironmentClass {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Resource for EnvironmentClass {
    const SPEC: Spec = Spec {
        name: "environment-classes",
        noun: "environment class",
        plural: "environment classes",
        message: "gitpod.v1.EnvironmentClass",
        file: "environment_classes.json",
        file_message: "gitpod.v1.ListEnvironmentClassesResponse",
        list: "environmentClasses",
        id: "id",
        page_kind: "environmentClasses",
        state_key: "environmentClasses",
    };
    const REFERENCES: &'static [Reference<Self>] = &[Reference {
        field: "runnerId",
        to: &Runner::SPEC,
        optional: false,
        of: |class| &class.runner_id,
    }];

    fn fixture_problems(fixtures: &FixtureView<'_, Self>) -> Vec<Problem> {
        fixture_rules::environment_classes(fixtures)
    }
}

impl Record for ScmIntegration {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Resource for ScmIntegration {
    const SPEC: Spec = Spec {
        name: "scm-integrations",
        noun: "SCM integration",
        plural: "SCM integrations",
        message: "gitpod.v1.SCMIntegration",
        file: "scm_integrations.json",
        file_message: "gitpod.v1.ListSCMIntegrationsResponse",
        list: "integrations",
        id: "id",
        page_kind: "integrations",
        state_key: "scmIntegrations",
    };
    const REFERENCES: &'static [Reference<Self>] = &[Reference {
        field: "runnerId",
        to: &Runner::SPEC,
        optional: false,
        of: |integration| &integration.runner_id,
    }];

    fn fixture_problems(fixtures: &FixtureView<'_, Self>) -> Vec<Problem> {
        fixture_rules::scm_integrations(fixtures)
    }
}

impl Record for HostToken {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Resource for HostToken {
    const SPEC: Spec = Spec {
        name: "host-tokens",
        noun: "host token",
        plural: "host tokens",
        message: "gitpod.v1.HostAuthenticationToken",
        file: "host_authentication_tokens.json",
        file_message: "gitpod.v1.ListHostAuthenticationTokensResponse",
        list: "tokens",
        id: "id",
        page_kind: "tokens",
        state_key: "hostTokens",
    };
    const REFERENCES: &'static [Reference<Self>] = &[
        Reference {
            field: "runnerId",
            to: &Runner::SPEC,
            optional: false,
            of: |token| &token.runner_id,
        },
        Reference {
            field: "integrationId",
            to: &ScmIntegration::SPEC,
            optional: true,
            of: |token| &token.integration_id,
        },
    ];

    fn fixture_problems(fixtures: &FixtureView<'_, Self>) -> Vec<Problem> {
        fixture_rules::host_tokens(fixtures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_lowered_as_rows_are_read() {
        let upper = "D2C94C27-3B76-4A42-B88C-95A85E392C68";
        let lower = upper.to_ascii_lowercase();
        let token: HostToken = serde_json::from_value(json!({
            "id": upper, "runnerId": upper, "userId": upper, "integrationId": upper,
            "subject": {"id": upper, "principal": "PRINCIPAL_USER"},
        }))
        .unwrap();
        let subject = token.subject.as_ref().map(|s| s.id.as_str());
        assert_eq!(
            [
                &token.id,
                &token.runner_id,
                &token.user_id,
                &token.integration_id
            ],
            [&lower; 4]
        );
        assert_eq!(subject, Some(lower.as_str()));
        let runner: Runner = serde_json::from_value(json!({"id": upper})).unwrap();
        assert_eq!(runner.id, lower);
    }
}
