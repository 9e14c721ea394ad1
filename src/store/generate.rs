//! `--generate N`: N extra realistic records per resource, drawn with `fake` from the state's
//! seeded generator, each consistent with its runner's schema.

use super::records::{
    EnvironmentClass, FieldValue, HostToken, OAuthConfig, ScmIntegration, Subject, SOURCE_OAUTH,
    SOURCE_PAT,
};
use super::runner_schema::SchemaField;
use super::{rfc3339, State};
use fake::faker::company::en::{Buzzword, CatchPhrase, CompanyName};
use fake::faker::internet::en::DomainSuffix;
use fake::Fake;
use rand::{Rng, RngExt};

/// The moment generated expiry dates count from: fixed, so a seed reproduces them exactly.
const GENERATED_EPOCH: i64 = 1_798_761_600; // 2027-01-01T00:00:00Z

const SIZES: &[&str] = &["Small", "Medium", "Large", "XL", "2XL", "GPU"];

/// Adds `n` environment classes, SCM integrations and host tokens to `state`.
pub fn generate(state: &mut State, n: usize) {
    let runners = state.runners.clone();
    if runners.list.is_empty() {
        return;
    }
    for i in 0..n {
        let runner = &runners.list[state.rng().random_range(0..runners.list.len())];
        let schema = runners.schema(runner);
        let id = state.new_id();
        let rng = state.rng();
        let buzz: String = Buzzword().fake_with_rng(rng);
        let mut description: String = CatchPhrase().fake_with_rng(rng);
        description.truncate(200);
        let configuration = schema
            .map(|s| {
                s.environment_classes
                    .iter()
                    .filter_map(|f| value_for(f, rng))
                    .collect()
            })
            .unwrap_or_default();
        let class = EnvironmentClass {
            id,
            runner_id: runner.id.clone(),
            display_name: format!("{} {} {i}", capitalise(&buzz), SIZES[i % SIZES.len()]),
            description,
            configuration,
            enabled: rng.random_bool(0.8),
        };
        state.environment_classes.insert(class);

        let scm_id = schema
            .and_then(|s| (!s.scm.is_empty()).then(|| s.scm[i % s.scm.len()].scm_id.clone()))
            .unwrap_or_else(|| "github".into());
        let company: String = CompanyName().fake_with_rng(state.rng());
        let suffix: String = DomainSuffix().fake_with_rng(state.rng());
        let host = format!("git.{}-{i}.{suffix}", slug(&company));
        let integration_id = state.new_id();
        let oauth = state.rng().random_bool(0.6).then(|| OAuthConfig {
            client_id: format!("{}-client-{i}", slug(&company)),
            encrypted_client_secret: String::new(),
            issuer_url: String::new(),
        });
        let oauth = oauth.map(|o| OAuthConfig {
            encrypted_client_secret: state.seal_secret(&runner.id, &o.client_id),
            ..o
        });
        let pat = oauth.is_none() || state.rng().random_bool(0.5);
        state.scm_integrations.insert(ScmIntegration {
            id: integration_id.clone(),
            runner_id: runner.id.clone(),
            scm_id,
            host: host.clone(),
            oauth: oauth.clone(),
            pat,
            virtual_directory: None,
        });

        let user = state.new_id();
        let token_id = state.new_id();
        let source = if oauth.is_some() && (!pat || state.rng().random_bool(0.5)) {
            SOURCE_OAUTH
        } else {
            SOURCE_PAT
        };
        let expires = GENERATED_EPOCH + state.rng().random_range(0..365 * 86_400);
        state.host_tokens.insert(HostToken {
            id: token_id,
            runner_id: runner.id.clone(),
            user_id: user.clone(),
            host,
            source: source.into(),
            expires_at: Some(rfc3339(expires)),
            integration_id,
            scopes: vec!["repo".into(), "read:user".into()],
            subject: Some(Subject {
                id: user,
                principal: "PRINCIPAL_USER".into(),
            }),
        });
    }
}

/// A value for a schema field that the runner's schema accepts, or none for optional text.
fn value_for(field: &SchemaField, rng: &mut impl Rng) -> Option<FieldValue> {
    let value = if let Some(int) = &field.int {
        rng.random_range(int.min..=int.max.max(int.min)).to_string()
    } else if let Some(e) = &field.r#enum {
        let allowed = e.allowed();
        (*allowed.get(rng.random_range(0..allowed.len().max(1)))?).to_string()
    } else if field.bool.is_some() {
        rng.random_bool(0.5).to_string()
    } else {
        return None;
    };
    Some(FieldValue {
        key: field.id.clone(),
        value,
    })
}

fn slug(s: &str) -> String {
    let lower: String = s
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    lower
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
