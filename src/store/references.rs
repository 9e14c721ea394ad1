//! The fixture checks that span records and files, run for every resource from its
//! declaration: ids are UUIDs and unique, each declared reference names a record that exists,
//! and then the resource's own fixture rules. Each problem is reported with its file, field
//! and reason, like every fixture error.

use super::fixtures::{is_uuid, Fixtures, Loader};
use super::resource::{loaded, FixtureView, IdIndex, Reference, Resource};
use crate::error::shown_id;
use std::collections::{HashMap, HashSet};

/// Checks every loaded resource's records.
pub(super) fn check_all(loader: &mut Loader<'_>, fixtures: &Fixtures) {
    let index: IdIndex<'_> = loaded()
        .map(|kind| {
            let mut first = HashMap::new();
            for (i, id) in kind.ids(fixtures).into_iter().enumerate() {
                first.entry(id).or_insert(i);
            }
            (kind.spec().name, first)
        })
        .collect();
    for kind in loaded() {
        kind.check(loader, fixtures, &index);
    }
}

/// Checks `R`'s records: ids and references first, then `R`'s own rules. A record with
/// problems of its own is checked no further.
pub(super) fn check<R: Resource>(
    loader: &mut Loader<'_>,
    fixtures: &Fixtures,
    index: &IdIndex<'_>,
) {
    let spec = &R::SPEC;
    let rows = fixtures.rows::<R>();
    let mut seen = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        if loader.is_broken(spec.file, i) {
            continue;
        }
        let (id, field) = (row.id(), format!("{}[{i}].{}", spec.list, spec.id));
        if !is_uuid(id) {
            loader.error(spec.file, field.clone(), format!("{id:?} is not a UUID"));
        }
        if !seen.insert(id) {
            loader.error(spec.file, field, format!("duplicate id {}", shown_id(id)));
        }
        for reference in R::REFERENCES {
            if let Some(reason) = dangling(loader, index, reference, row) {
                let field = format!("{}[{i}].{}", spec.list, reference.field);
                loader.error(spec.file, field, reason);
            }
        }
    }
    let view = FixtureView {
        fixtures,
        loader,
        rows,
    };
    for problem in R::fixture_problems(&view) {
        let field = format!("{}[{}].{}", spec.list, problem.record, problem.field);
        loader.error(spec.file, field, problem.reason);
    }
}

/// Why `row`'s `reference` names nothing, if it does. A file that did not load at all is not
/// reported again as the references into it.
fn dangling<R>(
    loader: &Loader<'_>,
    index: &IdIndex<'_>,
    reference: &Reference<R>,
    row: &R,
) -> Option<String> {
    let (id, to) = ((reference.of)(row), reference.to);
    if (id.is_empty() && reference.optional) || loader.unreadable.contains(to.file) {
        return None;
    }
    match index.get(to.name).and_then(|ids| ids.get(id)) {
        Some(_) => None,
        None => Some(format!(
            "unknown {} {}: not in {}",
            to.noun,
            shown_id(id),
            to.file
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::contract::Contract;
    use crate::store::fixtures::{load, Source};
    use serde_json::Value;
    use std::path::{Path, PathBuf};

    /// A copy of the default fixtures in a directory of its own, with `edit` applied to `file`.
    fn edited(name: &str, file: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let dir = std::env::temp_dir().join(format!("gpm-refs-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("schemas")).unwrap();
        let files = [
            "runners.json",
            "environment_classes.json",
            "scm_integrations.json",
            "host_authentication_tokens.json",
        ];
        for rel in files {
            std::fs::copy(from.join(rel), dir.join(rel)).unwrap();
        }
        for entry in std::fs::read_dir(from.join("schemas")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.join("schemas").join(path.file_name().unwrap())).unwrap();
        }
        let mut value: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        edit(&mut value);
        std::fs::write(dir.join(file), value.to_string()).unwrap();
        dir
    }

    #[test]
    fn every_unknown_reference_shows_its_id_the_same_way() {
        // Before references were checked from declarations, an unknown integration id was
        // shown bare while an unknown runner id was quoted when it was not plain.
        let dir = edited("odd", "host_authentication_tokens.json", |v| {
            v["tokens"][0]["integrationId"] = "odd id!".into();
            v["tokens"][0]["runnerId"] = "odd id!".into();
        });
        let errors = load(&Contract::load(), Source::Dir(&dir)).unwrap_err();
        let reasons: Vec<String> = errors.0.iter().map(|e| e.reason.clone()).collect();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(
            reasons,
            [
                "unknown runner \"odd id!\": not in runners.json",
                "unknown SCM integration \"odd id!\": not in scm_integrations.json",
            ]
        );
    }
}
