//! Loads a fixture set (the embedded default or a directory), checks every file against the
//! contract's response schemas and the references between files, and reports every problem
//! with its file, field and reason.

use super::fixture_fields;
use super::records::{Runner, RUNNERS, STORED};
use super::resource::{loaded, Kind, Resource, Spec};
use super::runner_schema::RunnerSchema;
use crate::codec;
use crate::contract::Contract;
use serde_json::Value;
use std::any::Any;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The default fixtures, embedded by build.rs as (relative path, contents).
const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// A loaded, checked fixture set: the runners' schemas, and each resource's records.
#[derive(Clone, Default)]
pub struct Fixtures {
    pub schemas: BTreeMap<String, RunnerSchema>,
    /// One `Vec<R>` per resource, runners first, found by type (see `rows`).
    records: Vec<Arc<dyn Any + Send + Sync>>,
}

impl Fixtures {
    /// The records of resource `R`, in file order.
    pub fn rows<R: Resource>(&self) -> &[R] {
        self.records
            .iter()
            .find_map(|rows| rows.downcast_ref::<Vec<R>>())
            .map_or(&[], Vec::as_slice)
    }

    /// What the set holds: `3 runners, 3 schemas, 8 environment classes, …`.
    pub fn summary(&self) -> String {
        let count = |kind: &dyn Kind| format!("{} {}", kind.ids(self).len(), kind.spec().plural);
        let mut parts = vec![count(RUNNERS), format!("{} schemas", self.schemas.len())];
        parts.extend(STORED.iter().map(|kind| count(*kind)));
        parts.join(", ")
    }
}

impl fmt::Debug for Fixtures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fixtures({})", self.summary())
    }
}

/// One problem in a fixture file.
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureError {
    pub file: String,
    pub field: String,
    pub reason: String,
}

impl FixtureError {
    /// The index of the record the problem is in (2 for `environmentClasses[2].id`); None
    /// for a problem of the whole file.
    pub fn record(&self) -> Option<usize> {
        let (_, rest) = self.field.split_once('[')?;
        rest.split_once(']')?.0.parse().ok()
    }
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.file, self.field, self.reason)
        }
    }
}

/// All problems found in a fixture set.
#[derive(Debug, Clone)]
pub struct FixtureErrors(pub Vec<FixtureError>);

impl fmt::Display for FixtureErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FixtureErrors {}

/// Where fixture files come from.
pub enum Source<'a> {
    Embedded,
    Dir(&'a Path),
}

impl Source<'_> {
    fn read(&self, rel: &str) -> Result<String, String> {
        match self {
            Source::Embedded => EMBEDDED
                .iter()
                .find(|(p, _)| *p == rel)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| "no such embedded file".into()),
            Source::Dir(dir) => std::fs::read_to_string(dir.join(rel)).map_err(|e| e.to_string()),
        }
    }

    pub(super) fn display(&self, rel: &str) -> String {
        match self {
            Source::Embedded => format!("fixtures/{rel}"),
            Source::Dir(dir) => PathBuf::from(dir).join(rel).display().to_string(),
        }
    }
}

pub(super) struct Loader<'a> {
    contract: &'a Contract,
    pub(super) source: Source<'a>,
    pub(super) errors: Vec<FixtureError>,
    /// Files that could not be read or parsed at all: nothing in them can be referred to.
    pub(super) unreadable: HashSet<String>,
    /// The records (by index in their list) with problems of their own, by file: checks
    /// across files skip them, so one mistake is not reported again as its consequences.
    pub(super) broken: BTreeMap<String, HashSet<usize>>,
}

impl Loader<'_> {
    pub(super) fn error(&mut self, rel: &str, field: impl Into<String>, reason: impl Into<String>) {
        let file = self.source.display(rel);
        self.errors.push(FixtureError {
            file,
            field: field.into(),
            reason: reason.into(),
        });
    }

    /// Reads `rel` as a `message` in proto3 JSON, checks it against the message's response
    /// schema, and returns its canonical JSON. Every field that does not decode or fit the
    /// schema is reported and left out; the records of `list` holding one are marked broken,
    /// so one bad record neither hides the others nor drops the whole file.
    fn message(&mut self, rel: &str, message: &str, list: Option<&str>) -> Option<Value> {
        let text = match self.source.read(rel) {
            Ok(text) => text,
            Err(e) => return self.unreadable(rel, format!("cannot read: {e}")),
        };
        let raw: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => return self.unreadable(rel, format!("invalid JSON: {e}")),
        };
        // The fixture files' own messages (contract/mock) are the embedded contract's, also
        // when another contract holding the profile's service is served.
        let desc = self
            .contract
            .message(message)
            .or_else(|| crate::contract::descriptors().get_message_by_name(message))
            .expect("fixture messages are in the embedded contract");
        let decoded = fixture_fields::decode_all(&desc, &raw);
        let mut bad_paths: Vec<String> = Vec::new();
        for (path, reason) in &decoded.problems {
            let field = fixture_fields::shown(path);
            self.error(
                rel,
                field.clone(),
                format!("not a valid {message}: {reason}"),
            );
            bad_paths.push(field);
        }
        let Some(decoded) = decoded.message else {
            self.unreadable.insert(rel.to_string());
            return None;
        };
        let value = serde_json::to_value(&decoded).expect("a message serializes");
        let schema = self.contract.response_schema(&desc);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("derived schemas compile");
        for e in validator.iter_errors(&value) {
            let mut field = schema_path(e.instance_path().as_str());
            if let jsonschema::error::ValidationErrorKind::Required { property } = e.kind() {
                let property = property.as_str().unwrap_or_default();
                field = if field.is_empty() {
                    property.to_string()
                } else {
                    format!("{field}.{property}")
                };
            }
            // A field set aside for not decoding is not reported again as missing.
            if !bad_paths.iter().any(|bad| within(&field, bad)) {
                self.error(rel, field.clone(), e.masked().to_string());
                bad_paths.push(field);
            }
        }
        if let Some(list) = list {
            let broken: HashSet<usize> = bad_paths
                .iter()
                .filter_map(|bad| record_index(bad, list))
                .collect();
            self.broken
                .entry(rel.to_string())
                .or_default()
                .extend(broken);
        }
        Some(codec::canonical(&decoded))
    }

    /// Whether record `i` of `rel` has problems of its own.
    pub(super) fn is_broken(&self, rel: &str, i: usize) -> bool {
        self.broken.get(rel).is_some_and(|rows| rows.contains(&i))
    }

    /// Records a file-level problem: the file yields nothing.
    fn unreadable<T>(&mut self, rel: &str, reason: String) -> Option<T> {
        self.error(rel, "", reason);
        self.unreadable.insert(rel.to_string());
        None
    }

    /// The records of `R`'s fixture file, one per element of its list and in file order (a
    /// broken one as far as it decoded), so record `i` is element `i` in every later message.
    pub(super) fn rows<R: Resource>(&mut self) -> Vec<R> {
        let Spec {
            file,
            file_message,
            list,
            ..
        } = R::SPEC;
        let Some(value) = self.message(file, file_message, Some(list)) else {
            return Vec::new();
        };
        let rows = value
            .get(list)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut out = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            out.push(serde_json::from_value(row).unwrap_or_else(|e| {
                self.error(file, format!("{list}[{i}]"), e.to_string());
                self.broken.entry(file.to_string()).or_default().insert(i);
                R::default()
            }));
        }
        out
    }
}

/// The index of the record of `list` that `field` lies in: 2 for `environmentClasses[2].id`.
fn record_index(field: &str, list: &str) -> Option<usize> {
    let rest = field.strip_prefix(list)?.strip_prefix('[')?;
    rest.split_once(']')?.0.parse().ok()
}

/// Whether `field` is `within` a path or is it: `a[1].b` is within `a[1]`.
fn within(field: &str, path: &str) -> bool {
    field
        .strip_prefix(path)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// A JSON Schema instance path (`/environmentClasses/1/id`) as a field path
/// (`environmentClasses[1].id`).
fn schema_path(pointer: &str) -> String {
    let steps = pointer
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| match s.parse::<usize>() {
            Ok(i) => fixture_fields::Step::Index(i),
            Err(_) => fixture_fields::Step::Key(s.replace("~1", "/").replace("~0", "~")),
        })
        .collect::<Vec<_>>();
    fixture_fields::shown(&steps)
}

/// Loads and checks a fixture set. Every problem is reported, not only the first.
pub fn load(contract: &Contract, source: Source<'_>) -> Result<Fixtures, FixtureErrors> {
    if let Source::Dir(dir) = source {
        if !dir.is_dir() {
            let reason = if dir.exists() {
                "not a directory"
            } else {
                "directory not found"
            };
            return Err(FixtureErrors(vec![FixtureError {
                file: dir.display().to_string(),
                field: String::new(),
                reason: reason.into(),
            }]));
        }
    }
    let mut loader = Loader {
        contract,
        source,
        errors: Vec::new(),
        unreadable: HashSet::new(),
        broken: BTreeMap::new(),
    };
    let records = loaded()
        .map(|kind| Arc::from(kind.load(&mut loader)))
        .collect();
    let mut fixtures = Fixtures {
        records,
        schemas: BTreeMap::new(),
    };
    let names: HashSet<String> = fixtures
        .rows::<Runner>()
        .iter()
        .enumerate()
        .filter(|(i, _)| !loader.is_broken(Runner::SPEC.file, *i))
        .map(|(_, r)| r.schema.clone())
        .collect();
    for name in names {
        let rel = format!("schemas/{name}.json");
        if let Some(json) = loader.message(&rel, "gitpod.v1.RunnerConfigurationSchema", None) {
            let mut schema: RunnerSchema = serde_json::from_value(json.clone()).unwrap_or_default();
            for (field, reason) in schema.pattern_problems() {
                loader.error(&rel, field, reason);
            }
            schema.json = json;
            fixtures.schemas.insert(name, schema);
        }
    }
    super::references::check_all(&mut loader, &fixtures);
    // File by file, and within a file record by record, whichever check found the problem.
    loader
        .errors
        .sort_by(|a, b| (&a.file, a.record()).cmp(&(&b.file, b.record())));
    if loader.errors.is_empty() {
        Ok(fixtures)
    } else {
        Err(FixtureErrors(loader.errors))
    }
}

/// Whether `s` is a UUID in its canonical hyphenated form.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}
