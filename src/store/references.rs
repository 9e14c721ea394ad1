//! The fixture checks that span files: ids, runners, integrations and runner schemas that
//! records refer to, reported with the file, field and reason like every fixture error.

use super::class_check::check_class;
use super::fixtures::{is_uuid, Fixtures, Loader};
use crate::error::shown_id;
use std::collections::HashSet;

/// Checks the references between fixture files: ids are UUIDs and unique, every record's
/// runner exists, tokens name integrations of their own runner, and class configurations
/// fit their runner's schema.
pub(super) fn check(loader: &mut Loader<'_>, f: &Fixtures) {
    // A record with problems of its own is checked no further, and a file that did not load
    // at all is not reported again as the references into it.
    let runners_loaded = !loader.unreadable.contains("runners.json");
    let integrations_loaded = !loader.unreadable.contains("scm_integrations.json");
    let runners: HashSet<&str> = f.runners.iter().map(|r| r.id.as_str()).collect();
    let check_ids =
        |loader: &mut Loader<'_>, rel: &str, list: &str, ids: Vec<(&str, Option<&str>)>| {
            let mut seen = HashSet::new();
            for (i, (id, runner)) in ids.into_iter().enumerate() {
                if loader.is_broken(rel, i) {
                    continue;
                }
                if !is_uuid(id) {
                    loader.error(
                        rel,
                        format!("{list}[{i}].id"),
                        format!("{id:?} is not a UUID"),
                    );
                }
                if !seen.insert(id) {
                    loader.error(
                        rel,
                        format!("{list}[{i}].id"),
                        format!("duplicate id {}", shown_id(id)),
                    );
                }
                if let Some(runner) = runner.filter(|r| runners_loaded && !runners.contains(r)) {
                    loader.error(
                        rel,
                        format!("{list}[{i}].runnerId"),
                        format!("unknown runner {}: not in runners.json", shown_id(runner)),
                    );
                }
            }
        };
    check_ids(
        loader,
        "runners.json",
        "runners",
        f.runners.iter().map(|r| (r.id.as_str(), None)).collect(),
    );
    check_ids(
        loader,
        "environment_classes.json",
        "environmentClasses",
        f.environment_classes
            .iter()
            .map(|r| (r.id.as_str(), Some(r.runner_id.as_str())))
            .collect(),
    );
    check_ids(
        loader,
        "scm_integrations.json",
        "integrations",
        f.scm_integrations
            .iter()
            .map(|r| (r.id.as_str(), Some(r.runner_id.as_str())))
            .collect(),
    );
    check_ids(
        loader,
        "host_authentication_tokens.json",
        "tokens",
        f.host_tokens
            .iter()
            .map(|r| (r.id.as_str(), Some(r.runner_id.as_str())))
            .collect(),
    );
    let mut hosts = HashSet::new();
    for (i, s) in f.scm_integrations.iter().enumerate() {
        if loader.is_broken("scm_integrations.json", i) {
            continue;
        }
        if !hosts.insert((s.runner_id.as_str(), s.host.as_str())) {
            loader.error(
                "scm_integrations.json",
                format!("integrations[{i}].host"),
                format!(
                    "runner {} already has an integration for host {}",
                    s.runner_id, s.host
                ),
            );
        }
        let schema = f
            .runners
            .iter()
            .find(|r| r.id == s.runner_id)
            .and_then(|r| f.schemas.get(&r.schema));
        if let Some(schema) =
            schema.filter(|schema| !schema.scm.iter().any(|scm| scm.scm_id == s.scm_id))
        {
            loader.error(
                "scm_integrations.json",
                format!("integrations[{i}].scmId"),
                format!(
                    "{:?} is not in the runner's schema (version {})",
                    s.scm_id, schema.version
                ),
            );
        }
        let entry = schema.and_then(|schema| schema.scm.iter().find(|e| e.scm_id == s.scm_id));
        if s.pat && entry.is_some_and(|e| e.pat.is_none()) {
            loader.error(
                "scm_integrations.json",
                format!("integrations[{i}].pat"),
                format!("the runner's schema has no pat section for {:?}", s.scm_id),
            );
        }
        if s.virtual_directory.is_some() && s.scm_id != "azure-devops" {
            loader.error(
                "scm_integrations.json",
                format!("integrations[{i}].virtualDirectory"),
                "only azure-devops integrations have a virtual directory",
            );
        }
    }
    for (i, t) in f.host_tokens.iter().enumerate() {
        if loader.is_broken("host_authentication_tokens.json", i) || !integrations_loaded {
            continue;
        }
        let integration = f
            .scm_integrations
            .iter()
            .enumerate()
            .find(|(_, s)| s.id == t.integration_id);
        let problem = match integration {
            _ if t.integration_id.is_empty() => None,
            Some((at, _)) if loader.is_broken("scm_integrations.json", at) => None,
            Some((_, s)) if (s.runner_id.as_str(), s.host.as_str()) != (&t.runner_id, &t.host) => {
                Some(format!(
                    "SCM integration {} is for runner {} and host {}, not this token's",
                    s.id, s.runner_id, s.host
                ))
            }
            None => Some(format!(
                "unknown SCM integration {}: not in scm_integrations.json",
                t.integration_id
            )),
            Some(_) => None,
        };
        if let Some(problem) = problem {
            let field = format!("tokens[{i}].integrationId");
            loader.error("host_authentication_tokens.json", field, problem);
        }
    }
    for (i, class) in f.environment_classes.iter().enumerate() {
        if loader.is_broken("environment_classes.json", i) {
            continue;
        }
        let runner = f.runners.iter().find(|r| r.id == class.runner_id);
        let Some(schema) = runner.and_then(|r| f.schemas.get(&r.schema)) else {
            continue;
        };
        let mut problems = check_class(
            schema,
            &class.display_name,
            &class.description,
            &class.configuration,
        )
        .by_field();
        for value in &class.configuration {
            let field = schema
                .environment_classes
                .iter()
                .find(|f| f.id == value.key);
            if field.is_some_and(|f| f.secret) && !value.value.is_empty() {
                let reason = format!("{}: secret fields are never set in fixtures", value.key);
                problems.push(("configuration".into(), reason));
            }
        }
        for (field, reason) in problems {
            let field = format!("environmentClasses[{i}].{field}");
            loader.error("environment_classes.json", field, reason);
        }
    }
}
