//! Record mode (`serve --upstream URL --record DIR`): the records in the upstream's successful
//! answers, kept by id (the latest answer wins), secrets stripped, and written at shutdown as a
//! fixtures directory that `check` accepts and `serve --fixtures` serves (`write`). A record
//! that names one the answers did not carry (a runner, its schema, an SCM integration) is asked
//! of the upstream at once, with the headers of the call that named it, so no credential is
//! kept beyond that call (`complete`).

mod complete;
mod write;

use crate::contract::Procedure;
use crate::secrets::Secrets;
use crate::store::resource::{layouts, Layout};
use parking_lot::Mutex;
use prost_reflect::{Kind as FieldKind, MessageDescriptor};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub(crate) use complete::complete;

/// The most records kept of one resource; an upstream that keeps inventing ids cannot grow
/// the recording without bound. Those past it are counted and reported at shutdown.
const MAX_RECORDS: usize = 10_000;

/// The message a runner's configuration schema answer carries; schemas are kept by the
/// runner the request named, as the fixtures keep them.
const SCHEMA_MESSAGE: &str = "gitpod.v1.RunnerConfigurationSchema";

/// The recording of one `serve --record DIR` run.
pub struct Recorder {
    dir: PathBuf,
    layouts: Vec<Layout>,
    recorded: Mutex<Recorded>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// What has been recorded so far.
#[derive(Debug, Default)]
struct Recorded {
    /// By resource name (`environment-classes`), each record by id, with when its id was
    /// first seen: the files keep the upstream's order.
    records: BTreeMap<&'static str, BTreeMap<String, (usize, Value)>>,
    /// How many records have been seen, for their order.
    seen: usize,
    /// Each runner's configuration schema, by runner id.
    schemas: BTreeMap<String, Value>,
    /// The records asked of the upstream, so each is asked once: (what, id).
    asked: BTreeSet<(&'static str, String)>,
    /// Why a record asked for could not be had, by (what, id).
    gaps: BTreeMap<(&'static str, String), String>,
    /// Records left out because their resource had `MAX_RECORDS` already.
    dropped: usize,
}

/// A record the fixtures need that no answer carried: what it is, and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wanted {
    pub(crate) what: &'static str,
    pub(crate) id: String,
}

impl Recorder {
    /// A recorder writing into `dir`, which is made now so a path that cannot be written
    /// fails at start. The contract must be the built-in one: the recording is in its
    /// fixtures format.
    pub fn new(dir: &Path, contract: &crate::contract::Contract) -> Result<Recorder, String> {
        let layouts = layouts();
        let pool = contract.pool();
        if let Some(missing) = layouts
            .iter()
            .find(|l| pool.get_message_by_name(l.spec.message).is_none())
        {
            return Err(format!(
                "--record writes the built-in Gitpod fixtures format, and this contract has no \
                 {} message",
                missing.spec.message
            ));
        }
        let schemas = dir.join("schemas");
        std::fs::create_dir_all(&schemas)
            .map_err(|e| format!("--record {}: {e}", schemas.display()))?;
        Ok(Recorder {
            dir: dir.to_path_buf(),
            layouts,
            recorded: Mutex::new(Recorded::default()),
        })
    }

    /// The directory the recording is written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps the records of `answer`, the upstream's successful answer to `request` (both
    /// canonical JSON of `procedure`'s messages), and returns the records they name that
    /// have not been recorded or asked for yet.
    pub(crate) fn keep(
        &self,
        secrets: &Secrets,
        procedure: &Procedure,
        request: &Value,
        answer: &Value,
    ) -> Vec<Wanted> {
        let mut found = Vec::new();
        self.records_in(&procedure.output, answer, &mut found);
        let mut named = Vec::new();
        let mut recorded = self.recorded.lock();
        for (layout, mut record) in found {
            let Some(layout) = layout else {
                secrets.strip(SCHEMA_MESSAGE, &mut record);
                if let Some(runner) = request.get("runnerId").and_then(Value::as_str) {
                    recorded.schemas.insert(runner.to_string(), record);
                }
                continue;
            };
            secrets.strip(layout.spec.message, &mut record);
            let Some(id) = record.get(layout.spec.id).and_then(Value::as_str) else {
                continue;
            };
            let id = id.to_string();
            for (field, to) in &layout.references {
                let target = record.get(*field).and_then(Value::as_str);
                if let Some(target) = target.filter(|t| !t.is_empty()) {
                    named.push((to.name, target.to_string()));
                }
            }
            let seen = recorded.seen;
            let records = recorded.records.entry(layout.spec.name).or_default();
            if records.len() >= MAX_RECORDS && !records.contains_key(&id) {
                recorded.dropped += 1;
                continue;
            }
            let order = records.get(&id).map_or(seen, |(order, _)| *order);
            records.insert(id, (order, record));
            recorded.seen += 1;
        }
        recorded.wanted(named)
    }

    /// Keeps a runner the upstream described (`RunnerService/GetRunner`), in the fixtures'
    /// runner shape.
    pub(crate) fn keep_runner(&self, runner: Value) {
        let Some(id) = runner.get("id").and_then(Value::as_str) else {
            return;
        };
        let mut recorded = self.recorded.lock();
        let order = recorded.seen;
        recorded.seen += 1;
        let runners = recorded.records.entry(RUNNERS).or_default();
        runners.insert(id.to_string(), (order, runner));
    }

    /// Notes why a record asked for could not be had; the fixtures are written without it
    /// (a runner gets a stand-in) and the reason is printed at shutdown.
    pub(crate) fn gap(&self, wanted: &Wanted, why: String) {
        let key = (wanted.what, wanted.id.clone());
        self.recorded.lock().gaps.insert(key, why);
    }

    /// Finds the records of a resource anywhere in `value`, a message of type `message`,
    /// and the runner schemas (without a layout).
    fn records_in<'a>(
        &'a self,
        message: &MessageDescriptor,
        value: &Value,
        found: &mut Vec<(Option<&'a Layout>, Value)>,
    ) {
        let Value::Object(fields) = value else {
            return;
        };
        for field in message.fields() {
            let FieldKind::Message(inner) = field.kind() else {
                continue;
            };
            let Some(value) = fields.get(field.json_name()) else {
                continue;
            };
            let values: Vec<&Value> = match value {
                Value::Array(items) if field.is_list() => items.iter().collect(),
                Value::Object(map) if field.is_map() => map.values().collect(),
                _ if field.is_list() || field.is_map() => Vec::new(),
                single => vec![single],
            };
            let inner = match field.is_map() {
                true => match inner.map_entry_value_field().kind() {
                    FieldKind::Message(m) => m,
                    _ => continue,
                },
                false => inner,
            };
            let layout = self
                .layouts
                .iter()
                .find(|l| l.spec.message == inner.full_name());
            let schema = inner.full_name() == SCHEMA_MESSAGE;
            for value in values {
                match layout {
                    Some(_) => found.push((layout, value.clone())),
                    None if schema => found.push((None, value.clone())),
                    None => self.records_in(&inner, value, found),
                }
            }
        }
    }
}

/// The runners' resource name.
const RUNNERS: &str = "runners";

impl Recorded {
    /// Of the records `named` by the ones just kept (resource name and id), those neither
    /// recorded nor asked for yet, and each named runner's schema; marks them asked. Records
    /// kept before had theirs asked for then, so only the new ones are looked at.
    fn wanted(&mut self, mut named: Vec<(&'static str, String)>) -> Vec<Wanted> {
        let runners: Vec<String> = named
            .iter()
            .filter(|(what, _)| *what == RUNNERS)
            .map(|(_, id)| id.clone())
            .collect();
        named.extend(runners.into_iter().map(|id| (complete::SCHEMA, id)));
        let mut wanted = Vec::new();
        for (what, id) in named {
            let have = match what {
                complete::SCHEMA => self.schemas.contains_key(&id),
                _ => self.records.get(what).is_some_and(|r| r.contains_key(&id)),
            };
            if !have && self.asked.insert((what, id.clone())) {
                wanted.push(Wanted { what, id });
            }
        }
        wanted
    }
}
