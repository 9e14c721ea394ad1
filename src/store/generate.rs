//! `--generate`: extra realistic records per resource, drawn with `fake` from the state's
//! seeded generator, each consistent with its runner's schema.

use super::records::{
    EnvironmentClass, FieldValue, HostToken, OAuthConfig, ScmIntegration, Subject, PRINCIPAL_USER,
    SOURCE_OAUTH, SOURCE_PAT,
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

/// How many records `--generate` adds to each resource: `N` for all three, or a list such as
/// `environment-classes=100000,host-tokens=10`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub environment_classes: usize,
    pub scm_integrations: usize,
    pub host_tokens: usize,
}

impl Counts {
    pub fn all(n: usize) -> Counts {
        Counts {
            environment_classes: n,
            scm_integrations: n,
            host_tokens: n,
        }
    }

    fn max(&self) -> usize {
        self.environment_classes
            .max(self.scm_integrations)
            .max(self.host_tokens)
    }
}

impl std::str::FromStr for Counts {
    type Err = String;

    fn from_str(text: &str) -> Result<Counts, String> {
        if let Ok(n) = text.trim().parse() {
            return Ok(Counts::all(n));
        }
        let mut counts = Counts::default();
        for part in text.split(',') {
            let (name, n) = part.split_once('=').ok_or_else(|| {
                format!("{part:?}: expected N, or RESOURCE=N[,RESOURCE=N] with RESOURCE one of environment-classes, scm-integrations, host-tokens")
            })?;
            let n = n
                .trim()
                .parse()
                .map_err(|_| format!("{part:?}: {n:?} is not a count"))?;
            match name.trim() {
                "environment-classes" => counts.environment_classes = n,
                "scm-integrations" => counts.scm_integrations = n,
                "host-tokens" => counts.host_tokens = n,
                other => return Err(format!("{other:?} is not a resource: use environment-classes, scm-integrations or host-tokens")),
            }
        }
        Ok(counts)
    }
}

/// Adds the counted environment classes, SCM integrations and host tokens to `state`. Every
/// record of index i is drawn whatever the counts, so a seed gives the same records for the
/// same index whichever resources are asked for; a token whose integration was not kept
/// names none.
pub fn generate(state: &mut State, counts: Counts) {
    let runners = state.runners.clone();
    if runners.list.is_empty() {
        return;
    }
    for i in 0..counts.max() {
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
        if i < counts.environment_classes {
            state.environment_classes.insert(class);
        }

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
        let integration_kept = i < counts.scm_integrations;
        let integration = ScmIntegration {
            id: integration_id.clone(),
            runner_id: runner.id.clone(),
            scm_id,
            host: host.clone(),
            oauth: oauth.clone(),
            pat,
            virtual_directory: None,
        };
        if integration_kept {
            state.scm_integrations.insert(integration);
        }

        let user = state.new_id();
        let token_id = state.new_id();
        let source = if oauth.is_some() && (!pat || state.rng().random_bool(0.5)) {
            SOURCE_OAUTH
        } else {
            SOURCE_PAT
        };
        let expires = GENERATED_EPOCH + state.rng().random_range(0..365 * 86_400);
        let integration_id = if integration_kept {
            integration_id
        } else {
            String::new()
        };
        let token = HostToken {
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
                principal: PRINCIPAL_USER.into(),
            }),
        };
        if i < counts.host_tokens {
            state.host_tokens.insert(token);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_a_number_or_a_list_of_resources() {
        assert_eq!("7".parse(), Ok(Counts::all(7)));
        let counts: Counts = "environment-classes=100000, host-tokens=2".parse().unwrap();
        assert_eq!(
            counts,
            Counts {
                environment_classes: 100_000,
                scm_integrations: 0,
                host_tokens: 2
            }
        );
        for bad in ["runners=3", "environment-classes", "host-tokens=many"] {
            assert!(bad.parse::<Counts>().is_err(), "{bad}");
        }
    }

    fn generated(counts: Counts) -> State {
        let contract = crate::contract::Contract::load();
        let fixtures =
            crate::store::fixtures::load(&contract, crate::store::fixtures::Source::Embedded)
                .unwrap();
        crate::app::state_from(&fixtures, Some(9), counts)
    }

    #[test]
    fn each_resource_gets_its_own_count_and_the_same_records() {
        let base = generated(Counts::default());
        let some = generated("environment-classes=5,host-tokens=3".parse().unwrap());
        let all = generated(Counts::all(5));
        let added = |s: &State, b: &State| {
            (
                s.environment_classes.len() - b.environment_classes.len(),
                s.scm_integrations.len() - b.scm_integrations.len(),
                s.host_tokens.len() - b.host_tokens.len(),
            )
        };
        assert_eq!(added(&some, &base), (5, 0, 3));
        let new_classes = |s: &State| -> Vec<EnvironmentClass> {
            s.environment_classes
                .iter()
                .skip(base.environment_classes.len())
                .cloned()
                .collect()
        };
        assert_eq!(
            new_classes(&some),
            new_classes(&all),
            "same seed, same records"
        );
        let tokens: Vec<&HostToken> = some
            .host_tokens
            .iter()
            .skip(base.host_tokens.len())
            .collect();
        assert!(
            tokens.iter().all(|t| t.integration_id.is_empty()),
            "no integration was kept for the tokens to name"
        );
    }
}
