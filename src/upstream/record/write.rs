//! Writing a recording as a fixtures directory: one file per resource in its fixture message
//! (`{"environmentClasses": [...]}`), records sorted by id; each distinct schema once in
//! `schemas/`, named by the first runner that has it; and every runner a record names, a
//! stand-in where the upstream did not describe it. The directory is then checked as `check`
//! would, and the problems, if any, are part of what is printed.

use super::{Recorded, Recorder, RUNNERS};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

impl Recorder {
    /// Writes the recording and returns the lines to print: what was written, what could not
    /// be had and why, and what `check` finds in the result.
    pub fn write(&self) -> Result<Vec<String>, String> {
        let recorded = self.recorded.lock();
        let schema_files = schema_files(&recorded.schemas);
        let mut written = BTreeSet::new();
        for (name, schema) in schema_files.values() {
            if written.insert(name) {
                write_json(
                    &self.dir.join("schemas").join(format!("{name}.json")),
                    schema,
                )?;
            }
        }
        let runners = self.runners(&recorded, &schema_files);
        let mut counts = Vec::new();
        for layout in &self.layouts {
            let records: Vec<&Value> = match layout.spec.name {
                RUNNERS => runners.iter().collect(),
                name => recorded.records.get(name).map(in_order).unwrap_or_default(),
            };
            counts.push(format!("{} {}", records.len(), layout.spec.plural));
            let file = json!({ layout.spec.list: records });
            write_json(&self.dir.join(layout.spec.file), &file)?;
        }
        counts.insert(1, format!("{} schemas", written.len()));
        let mut lines = vec![format!(
            "gitpod-mock: recorded {} into {}",
            counts.join(", "),
            self.dir.display()
        )];
        for ((what, id), why) in &recorded.gaps {
            let (noun, stand_in) = match *what {
                RUNNERS => (
                    "runner",
                    "; runners.json has a stand-in named by its id, online",
                ),
                super::complete::SCHEMA => ("the configuration schema of runner", ""),
                _ => ("SCM integration", ""),
            };
            lines.push(format!("  could not record {noun} {id}: {why}{stand_in}"));
        }
        if recorded.dropped > 0 {
            lines.push(format!(
                "  left out {} records past {} of one resource",
                recorded.dropped,
                super::MAX_RECORDS
            ));
        }
        match crate::commands::check(&self.dir, None) {
            Ok(_) => lines.push(format!("  check {}: ok", self.dir.display())),
            Err(problems) => {
                lines.push(format!("  check {} finds:", self.dir.display()));
                lines.extend(problems.lines().map(|l| format!("    {l}")));
            }
        }
        Ok(lines)
    }

    /// Every runner the recording names, by id: as the upstream described it, or a stand-in
    /// named by its id, with the schema file it has (none if its schema could not be had).
    fn runners(
        &self,
        recorded: &Recorded,
        schema_files: &BTreeMap<String, (String, Value)>,
    ) -> Vec<Value> {
        let mut ids: BTreeSet<String> = recorded.schemas.keys().cloned().collect();
        let described = recorded.records.get(RUNNERS);
        ids.extend(described.into_iter().flat_map(|r| r.keys().cloned()));
        for layout in &self.layouts {
            let Some(records) = recorded.records.get(layout.spec.name) else {
                continue;
            };
            for (field, _) in layout
                .references
                .iter()
                .filter(|(_, to)| to.name == RUNNERS)
            {
                let named = records
                    .values()
                    .filter_map(|(_, r)| r.get(*field)?.as_str());
                ids.extend(named.filter(|id| !id.is_empty()).map(str::to_string));
            }
        }
        ids.into_iter()
            .map(|id| {
                let mut runner = described
                    .and_then(|r| r.get(&id))
                    .map(|(_, runner)| runner.clone())
                    .unwrap_or_else(|| json!({ "id": id, "name": id, "online": true }));
                if let Some((file, _)) = schema_files.get(&id) {
                    runner["schema"] = json!(file);
                }
                runner
            })
            .collect()
    }
}

/// A resource's records in the order the upstream first answered them.
fn in_order(records: &BTreeMap<String, (usize, Value)>) -> Vec<&Value> {
    let mut ordered: Vec<&(usize, Value)> = records.values().collect();
    ordered.sort_by_key(|(order, _)| *order);
    ordered.into_iter().map(|(_, record)| record).collect()
}

/// Each runner's schema file, by runner id: a schema several runners share is one file,
/// named by the first of them.
fn schema_files(schemas: &BTreeMap<String, Value>) -> BTreeMap<String, (String, Value)> {
    let mut named: Vec<(&Value, &String)> = Vec::new();
    let mut out = BTreeMap::new();
    for (runner, schema) in schemas {
        let name = match named.iter().find(|(s, _)| *s == schema) {
            Some((_, name)) => *name,
            None => {
                named.push((schema, runner));
                runner
            }
        };
        out.insert(runner.clone(), (name.clone(), schema.clone()));
    }
    out
}

fn write_json(path: &Path, value: &Value) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("--record: writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runners_sharing_a_schema_share_its_file() {
        let schemas = BTreeMap::from([
            ("b".to_string(), json!({"scm": []})),
            ("a".to_string(), json!({"scm": []})),
            ("c".to_string(), json!({"scm": [{"scmId": "github"}]})),
        ]);
        let files = schema_files(&schemas);
        let names: Vec<(&str, &str)> = files
            .iter()
            .map(|(runner, (file, _))| (runner.as_str(), file.as_str()))
            .collect();
        assert_eq!(names, [("a", "a"), ("b", "a"), ("c", "c")]);
    }
}
