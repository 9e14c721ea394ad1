//! `--generate`: extra realistic records per resource, drawn with `fake` from the state's
//! seeded generator, each consistent with its runner's schema.

use super::records::{
    EnvironmentClass, FieldValue, HostToken, OAuthConfig, Runner, ScmIntegration, Subject,
    PRINCIPAL_USER, SOURCE_OAUTH, SOURCE_PAT, STORED,
};
use super::resource::Resource;
use super::runner_schema::{Pattern, RunnerSchema, SchemaField};
use super::{rfc3339, State};
use fake::faker::company::en::{Buzzword, CatchPhrase, CompanyName};
use fake::faker::internet::en::DomainSuffix;
use fake::Fake;
use rand::{Rng, RngExt};

/// The moment generated expiry dates count from: fixed, so a seed reproduces them exactly.
const GENERATED_EPOCH: i64 = 1_798_761_600; // 2027-01-01T00:00:00Z

const SIZES: &[&str] = &["Small", "Medium", "Large", "XL", "2XL", "GPU"];

/// How many records `--generate` adds to each stored resource: `N` for all of them, or a list
/// such as `environment-classes=100000,host-tokens=10` naming resources by their declared name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts([usize; STORED.len()], usize);

impl Counts {
    /// `n` records of every resource.
    pub fn all(n: usize) -> Counts {
        Counts([n; STORED.len()], n)
    }

    /// How many records of each resource of another contract (`--contract`) to add: the `N`
    /// of `--generate N`.
    pub fn every(&self) -> usize {
        self.1
    }

    /// How many records of `R` to add.
    pub fn of<R: Resource>(&self) -> usize {
        position(R::SPEC.name).map_or(0, |at| self.0[at])
    }

    /// These counts, with `n` records of `R`.
    pub fn with<R: Resource>(mut self, n: usize) -> Counts {
        if let Some(at) = position(R::SPEC.name) {
            self.0[at] = n;
        }
        self
    }

    fn max(&self) -> usize {
        self.0.iter().copied().max().unwrap_or_default()
    }
}

/// Where the stored resource called `name` is in `STORED`.
fn position(name: &str) -> Option<usize> {
    STORED.iter().position(|kind| kind.spec().name == name)
}

/// The stored resources' names, `a, b, c` or `a, b or c`.
fn names(last: &str) -> String {
    let names: Vec<&str> = STORED.iter().map(|kind| kind.spec().name).collect();
    match names.split_last() {
        Some((end, rest)) if !rest.is_empty() => format!("{}{last}{end}", rest.join(", ")),
        _ => names.join(""),
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
                let all = names(", ");
                format!(
                    "{part:?}: expected N, or RESOURCE=N[,RESOURCE=N] with RESOURCE one of {all}"
                )
            })?;
            let n = n
                .trim()
                .parse()
                .map_err(|_| format!("{part:?}: {n:?} is not a count"))?;
            let name = name.trim();
            let at = position(name)
                .ok_or_else(|| format!("{name:?} is not a resource: use {}", names(" or ")))?;
            counts.0[at] = n;
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
        let class = draw_class(state, i, runner, schema);
        if i < counts.of::<EnvironmentClass>() {
            state.table_mut().insert(class);
        }
        let integration = draw_integration(state, i, runner, schema);
        let integration_kept = i < counts.of::<ScmIntegration>();
        if integration_kept {
            state.table_mut().insert(integration.clone());
        }
        let token = draw_token(state, &integration, integration_kept);
        if i < counts.of::<HostToken>() {
            state.table_mut().insert(token);
        }
    }
}

/// Environment class `i`, on `runner`, configured as its schema allows.
fn draw_class(
    state: &mut State,
    i: usize,
    runner: &Runner,
    schema: Option<&RunnerSchema>,
) -> EnvironmentClass {
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
    EnvironmentClass {
        id,
        runner_id: runner.id.clone(),
        display_name: format!("{} {} {i}", capitalise(&buzz), SIZES[i % SIZES.len()]),
        description,
        configuration,
        enabled: rng.random_bool(0.8),
    }
}

/// SCM integration `i`, on `runner`, for one of the SCMs its schema has, on a host of its own.
fn draw_integration(
    state: &mut State,
    i: usize,
    runner: &Runner,
    schema: Option<&RunnerSchema>,
) -> ScmIntegration {
    let scm_id = schema
        .and_then(|s| (!s.scm.is_empty()).then(|| s.scm[i % s.scm.len()].scm_id.clone()))
        .unwrap_or_else(|| "github".into());
    let company: String = CompanyName().fake_with_rng(state.rng());
    let suffix: String = DomainSuffix().fake_with_rng(state.rng());
    let host = format!("git.{}-{i}.{suffix}", slug(&company));
    let id = state.new_id();
    // A PAT only where the SCM's schema entry has a pat section; without one, OAuth.
    let accepts_pat = schema
        .and_then(|s| s.scm.iter().find(|e| e.scm_id == scm_id))
        .is_none_or(|entry| entry.pat.is_some());
    let with_oauth = state.rng().random_bool(0.6) || !accepts_pat;
    let oauth = with_oauth.then(|| OAuthConfig {
        client_id: format!("{}-client-{i}", slug(&company)),
        encrypted_client_secret: String::new(),
        issuer_url: String::new(),
    });
    let oauth = oauth.map(|o| OAuthConfig {
        encrypted_client_secret: state.seal_secret(&runner.id, &o.client_id),
        ..o
    });
    let pat = accepts_pat && (oauth.is_none() || state.rng().random_bool(0.5));
    ScmIntegration {
        id,
        runner_id: runner.id.clone(),
        scm_id,
        host,
        oauth,
        pat,
        virtual_directory: None,
    }
}

/// A user's token for `integration`'s runner and host, issued through it when it was kept.
fn draw_token(state: &mut State, integration: &ScmIntegration, kept: bool) -> HostToken {
    let user = state.new_id();
    let token_id = state.new_id();
    let oauth = integration.oauth.is_some();
    let source = if oauth && (!integration.pat || state.rng().random_bool(0.5)) {
        SOURCE_OAUTH
    } else {
        SOURCE_PAT
    };
    let expires = GENERATED_EPOCH + state.rng().random_range(0..365 * 86_400);
    HostToken {
        id: token_id,
        runner_id: integration.runner_id.clone(),
        user_id: user.clone(),
        host: integration.host.clone(),
        source: source.into(),
        expires_at: Some(rfc3339(expires)),
        integration_id: if kept {
            integration.id.clone()
        } else {
            String::new()
        },
        scopes: vec!["repo".into(), "read:user".into()],
        subject: Some(Subject {
            id: user,
            principal: PRINCIPAL_USER.into(),
        }),
    }
}

/// A value for a schema field that the runner's schema accepts: none for optional text, and
/// the schema's default for required text (a pattern is not drawn from).
fn value_for(field: &SchemaField, rng: &mut impl Rng) -> Option<FieldValue> {
    let value = if let Some(int) = &field.int {
        rng.random_range(int.min..=int.max.max(int.min)).to_string()
    } else if let Some(e) = &field.r#enum {
        let allowed = e.allowed();
        (*allowed.get(rng.random_range(0..allowed.len().max(1)))?).to_string()
    } else if field.bool.is_some() {
        rng.random_bool(0.5).to_string()
    } else if let Some(text) = field.string.as_ref().filter(|_| field.required) {
        let fits = match &text.pattern {
            Pattern::Any => true,
            Pattern::Regex(re) => re.is_match(&text.default),
            Pattern::Invalid { .. } => false,
        };
        (fits && !text.default.is_empty()).then(|| text.default.clone())?
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
            Counts::default()
                .with::<EnvironmentClass>(100_000)
                .with::<HostToken>(2)
        );
        assert_eq!(
            (counts.of::<ScmIntegration>(), counts.of::<HostToken>()),
            (0, 2)
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
                s.table::<EnvironmentClass>().len() - b.table::<EnvironmentClass>().len(),
                s.table::<ScmIntegration>().len() - b.table::<ScmIntegration>().len(),
                s.table::<HostToken>().len() - b.table::<HostToken>().len(),
            )
        };
        assert_eq!(added(&some, &base), (5, 0, 3));
        let new_classes = |s: &State| -> Vec<EnvironmentClass> {
            s.table::<EnvironmentClass>()
                .iter()
                .skip(base.table::<EnvironmentClass>().len())
                .cloned()
                .collect()
        };
        assert_eq!(
            new_classes(&some),
            new_classes(&all),
            "same seed, same records"
        );
        let tokens: Vec<&HostToken> = some
            .table::<HostToken>()
            .iter()
            .skip(base.table::<HostToken>().len())
            .collect();
        assert!(
            tokens.iter().all(|t| t.integration_id.is_empty()),
            "no integration was kept for the tokens to name"
        );
    }

    /// Generated records pass the fixture rules, which are the service's: every required
    /// field set, a PAT only where the SCM accepts one. Each seed's records are written as a
    /// fixtures directory beside the default runners and schemas, and loaded.
    #[test]
    fn generated_records_pass_the_fixture_rules_for_every_seed() {
        let contract = crate::contract::Contract::load();
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let dir =
            std::env::temp_dir().join(format!("gitpod-mock-generated-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("schemas")).unwrap();
        for entry in std::fs::read_dir(shipped.join("schemas")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.join("schemas").join(path.file_name().unwrap())).unwrap();
        }
        std::fs::copy(shipped.join("runners.json"), dir.join("runners.json")).unwrap();
        for seed in 0..40 {
            let fixtures =
                crate::store::fixtures::load(&contract, crate::store::fixtures::Source::Embedded)
                    .unwrap();
            let state = crate::app::state_from(&fixtures, Some(seed), Counts::all(6)).export();
            for layout in crate::store::resource::layouts().iter().skip(1) {
                let spec = layout.spec;
                let file = serde_json::json!({ spec.list: state[spec.state_key] });
                std::fs::write(dir.join(spec.file), file.to_string()).unwrap();
            }
            let loaded =
                crate::store::fixtures::load(&contract, crate::store::fixtures::Source::Dir(&dir));
            assert!(loaded.is_ok(), "seed {seed}: {}", loaded.unwrap_err());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
