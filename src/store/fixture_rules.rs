//! Each resource's own fixture rules, beyond unique UUID ids and the references its declaration
//! lists: what the real service would refuse to store, so a fixture set cannot hold a record
//! no client could have made.

use super::class_check::check_class;
use super::records::{EnvironmentClass, HostToken, ScmIntegration};
use super::resource::{FixtureView, Problem};
use std::collections::HashSet;

/// A class's configuration fits its runner's schema, as ValidateRunnerConfiguration checks
/// it, and leaves secret fields unset.
pub(super) fn environment_classes(fixtures: &FixtureView<'_, EnvironmentClass>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, class) in fixtures.rows() {
        let Some(schema) = fixtures.schema(&class.runner_id) else {
            continue;
        };
        let checked = check_class(
            schema,
            &class.display_name,
            &class.description,
            &class.configuration,
        );
        let fields = checked.by_field().into_iter();
        problems.extend(fields.map(|(field, reason)| Problem::new(i, field, reason)));
        for value in &class.configuration {
            let field = schema
                .environment_classes
                .iter()
                .find(|f| f.id == value.key);
            if field.is_some_and(|f| f.secret) && !value.value.is_empty() {
                let reason = format!("{}: secret fields are never set in fixtures", value.key);
                problems.push(Problem::new(i, "configuration", reason));
            }
        }
    }
    problems
}

/// One integration per runner and host, for an SCM the runner's schema has, with a PAT only
/// where the schema allows one and a virtual directory only for Azure DevOps.
pub(super) fn scm_integrations(fixtures: &FixtureView<'_, ScmIntegration>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut hosts = HashSet::new();
    for (i, s) in fixtures.rows() {
        if !hosts.insert((s.runner_id.as_str(), s.host.as_str())) {
            let reason = format!(
                "runner {} already has an integration for host {}",
                s.runner_id, s.host
            );
            problems.push(Problem::new(i, "host", reason));
        }
        let schema = fixtures.schema(&s.runner_id);
        let entry = schema.and_then(|schema| schema.scm.iter().find(|e| e.scm_id == s.scm_id));
        if let Some(schema) = schema.filter(|_| entry.is_none()) {
            let reason = format!(
                "{:?} is not in the runner's schema (version {})",
                s.scm_id, schema.version
            );
            problems.push(Problem::new(i, "scmId", reason));
        }
        if s.pat && entry.is_some_and(|e| e.pat.is_none()) {
            let reason = format!("the runner's schema has no pat section for {:?}", s.scm_id);
            problems.push(Problem::new(i, "pat", reason));
        }
        if s.virtual_directory.is_some() && s.scm_id != "azure-devops" {
            let reason = "only azure-devops integrations have a virtual directory";
            problems.push(Problem::new(i, "virtualDirectory", reason));
        }
    }
    problems
}

/// A token's SCM integration, when it names one, is for the token's own runner and host.
pub(super) fn host_tokens(fixtures: &FixtureView<'_, HostToken>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, t) in fixtures
        .rows()
        .filter(|(_, t)| !t.integration_id.is_empty())
    {
        let Some(s) = fixtures.find::<ScmIntegration>(&t.integration_id) else {
            continue; // a missing one: its declared reference reports that
        };
        if (s.runner_id.as_str(), s.host.as_str()) != (&t.runner_id, &t.host) {
            let reason = format!(
                "SCM integration {} is for runner {} and host {}, not this token's",
                s.id, s.runner_id, s.host
            );
            problems.push(Problem::new(i, "integrationId", reason));
        }
    }
    problems
}
