//! State export and import as JSON, so a session's data can be saved and loaded again
//! (`serve --state FILE`, `GET`/`PUT /__mock/state`): every stored resource under its
//! declared key, in creation order. Secrets are not part of state, so an export never carries
//! one.

use super::records::{Runner, STORED};
use super::resource::Resource;
use super::table::Table;
use super::tables::{AnyTable, Tables};
use super::{is_uuid, Runners, State};
use prost_reflect::{DeserializeOptions, DynamicMessage};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::OnceLock;

impl State {
    /// The stored resources: the profile's under their declared keys (unless the contract has
    /// no profile service), any other contract's under their messages' full names.
    pub fn export(&self) -> Value {
        let tables = self.tables.iter().filter(|_| self.profile);
        let mut out: Map<String, Value> = tables
            .map(|t| (t.state_key().to_string(), t.export()))
            .collect();
        out.extend(self.generic.export());
        Value::Object(out)
    }

    /// Replaces the resources with an exported snapshot, after checking ids and runner
    /// references. On error nothing changes.
    pub fn import(&mut self, value: &Value) -> Result<(), String> {
        let Some(object) = value.as_object().filter(|_| self.generic.is_any_declared()) else {
            return self.import_profile(value);
        };
        // A message's full name has dots; the profile's keys do not.
        let (generic, profile): (Map<String, Value>, Map<String, Value>) = object
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .partition(|(k, _)| k.contains('.') && self.generic.is_declared(k));
        let mut resources = self.generic.clone();
        resources.import(&generic)?;
        if !self.profile && !profile.is_empty() {
            let keys: Vec<&String> = profile.keys().collect();
            return Err(format!(
                "not a state export of this contract: unknown resources {keys:?}"
            ));
        }
        if self.profile {
            self.import_profile(&Value::Object(profile))?;
        }
        self.generic = resources;
        Ok(())
    }

    fn import_profile(&mut self, value: &Value) -> Result<(), String> {
        let Snapshot(mut rows) =
            Snapshot::deserialize(value).map_err(|e| format!("not a state export: {e}"))?;
        for pending in &mut rows {
            pending.canonical()?;
        }
        for pending in &rows {
            pending.check(&self.runners)?;
        }
        let tables = rows.into_iter().map(|pending| pending.into_table());
        self.tables = Tables::from_tables(tables.collect());
        Ok(())
    }
}

/// One stored resource's rows from a state export, typed but not yet checked.
pub(super) trait Pending {
    /// Reads the rows through their contract message (see `canonical_rows`).
    fn canonical(&mut self) -> Result<(), String>;
    /// Ids are UUIDs and runners exist. References between the imported resources are left
    /// as they came, as before: the snapshot replaces all of them together.
    fn check(&self, runners: &Runners) -> Result<(), String>;
    fn into_table(self: Box<Self>) -> Box<dyn AnyTable>;
}

impl<R: Resource> Pending for Vec<R> {
    fn canonical(&mut self) -> Result<(), String> {
        *self = canonical_rows(std::mem::take(self))?;
        Ok(())
    }

    fn check(&self, runners: &Runners) -> Result<(), String> {
        let noun = R::SPEC.noun;
        let to_runners = R::REFERENCES
            .iter()
            .filter(|r| r.to.name == Runner::SPEC.name);
        let to_runners: Vec<_> = to_runners.collect();
        for row in self {
            let id = row.id();
            if !is_uuid(id) {
                return Err(format!("{noun} id {id:?} is not a UUID"));
            }
            for reference in &to_runners {
                let runner = (reference.of)(row);
                let named = runner.is_empty() && reference.optional;
                if !named && runners.get(runner).is_none() {
                    return Err(format!("{noun} {id} names unknown runner {runner:?}"));
                }
            }
        }
        Ok(())
    }

    fn into_table(self: Box<Self>) -> Box<dyn AnyTable> {
        let mut table = Table::<R>::new(R::SPEC.page_kind);
        self.into_iter().for_each(|r| table.insert(r));
        Box::new(table)
    }
}

/// The rows as the contract's message type reads them, in canonical JSON: an enum given by
/// the number of a named value is stored by its name, as a request's would be, so handlers
/// compare like with like; an unnamed number stays a number. A row the message type refuses
/// (an unknown enum name, a timestamp or base64 that does not parse) is an error here, not an
/// answer the mock cannot encode later.
fn canonical_rows<R: Resource>(rows: Vec<R>) -> Result<Vec<R>, String> {
    let (list, message) = (R::SPEC.state_key, R::SPEC.message);
    let desc = crate::contract::descriptors()
        .get_message_by_name(message)
        .expect("resource messages are in the contract");
    // Rows were typed already, so an unknown name here can only be an enum value's.
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    let row = |(i, row): (usize, R)| {
        let json = serde_json::to_value(row).expect("records serialize");
        let decoded = DynamicMessage::deserialize_with_options(desc.clone(), json, &options)
            .map_err(|e| format!("{list}[{i}] is not a valid {message}: {e}"))?;
        serde_json::from_value(crate::codec::canonical(&decoded))
            .map_err(|e| format!("{list}[{i}] is not a valid {message}: {e}"))
    };
    rows.into_iter().enumerate().map(row).collect()
}

/// A state export as read: each stored resource's rows, in `STORED` order, empty for a key
/// left out. It reads and refuses exactly what the derived form of a struct with one
/// defaulted field per resource and `deny_unknown_fields` would.
struct Snapshot(Vec<Box<dyn Pending>>);

impl<'de> Deserialize<'de> for Snapshot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Snapshot, D::Error> {
        d.deserialize_struct("Snapshot", state_keys(), SnapshotVisitor)
    }
}

/// The keys of a state export: each stored resource's `state_key`.
fn state_keys() -> &'static [&'static str] {
    static KEYS: OnceLock<Vec<&'static str>> = OnceLock::new();
    KEYS.get_or_init(|| STORED.iter().map(|kind| kind.spec().state_key).collect())
}

struct SnapshotVisitor;

impl<'de> Visitor<'de> for SnapshotVisitor {
    type Value = Snapshot;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct Snapshot")
    }

    /// The derived form reads a sequence too, one element per resource in order.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Snapshot, A::Error> {
        let mut rows = Vec::new();
        for kind in STORED {
            let given = seq.next_element::<Value>()?;
            let read = kind.read(given.unwrap_or_else(|| Value::Array(Vec::new())));
            rows.push(read.map_err(de::Error::custom)?);
        }
        Ok(Snapshot(rows))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Snapshot, A::Error> {
        let mut given: Vec<Option<Box<dyn Pending>>> = STORED.iter().map(|_| None).collect();
        while let Some(key) = map.next_key::<String>()? {
            let Some(at) = state_keys().iter().position(|k| *k == key) else {
                return Err(de::Error::unknown_field(&key, state_keys()));
            };
            if given[at].is_some() {
                return Err(de::Error::duplicate_field(state_keys()[at]));
            }
            let rows = STORED[at].read(map.next_value()?);
            given[at] = Some(rows.map_err(de::Error::custom)?);
        }
        let rows = STORED.iter().zip(given).map(|(kind, rows)| match rows {
            Some(rows) => Ok(rows),
            None => kind
                .read(Value::Array(Vec::new()))
                .map_err(de::Error::custom),
        });
        Ok(Snapshot(rows.collect::<Result<_, _>>()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;
    use crate::store::fixtures::{load, Source};
    use crate::store::records::EnvironmentClass;

    #[test]
    fn export_then_import_round_trips_and_bad_imports_change_nothing() {
        let fixtures = load(&Contract::load(), Source::Embedded).unwrap();
        let mut state = State::new(&fixtures, Some(1));
        let exported = state.export();
        let mut other = State::new(&fixtures, Some(2));
        let first = &fixtures.rows::<EnvironmentClass>()[0];
        other.table_mut::<EnvironmentClass>().remove(&first.id);
        other.import(&exported).unwrap();
        assert_eq!(other.export(), exported);

        let mut bad = exported.clone();
        bad["hostTokens"][0]["runnerId"] = "nope".into();
        let before = state.export();
        assert!(state.import(&bad).unwrap_err().contains("unknown runner"));
        assert_eq!(state.export(), before);
    }

    #[test]
    fn imported_enums_are_canonical_and_unnamed_numbers_are_kept() {
        let fixtures = load(&Contract::load(), Source::Embedded).unwrap();
        let mut state = State::new(&fixtures, Some(1));
        let mut exported = state.export();
        let token = &mut exported["hostTokens"][0];
        token["source"] = 2.into();
        token["subject"] = serde_json::json!({"principal": 99});
        state.import(&exported).unwrap();
        let token = &state.export()["hostTokens"][0];
        assert_eq!(token["source"], "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT");
        assert_eq!(token["subject"]["principal"], 99);
    }

    #[test]
    fn rows_the_contract_refuses_are_not_imported() {
        let fixtures = load(&Contract::load(), Source::Embedded).unwrap();
        let mut state = State::new(&fixtures, Some(1));
        let before = state.export();
        #[rustfmt::skip]
        let cases = [
            ("source", "NO_SUCH_SOURCE".into(), "unrecognized enum value 'NO_SUCH_SOURCE'"),
            ("expiresAt", "tomorrow".into(), "hostTokens[0] is not a valid gitpod.v1.HostAuthenticationToken"),
        ];
        for (field, value, reason) in cases {
            let mut bad = before.clone();
            bad["hostTokens"][0][field] = value;
            let err = state.import(&bad).unwrap_err();
            assert!(err.contains(reason), "{field}: {err}");
            assert_eq!(state.export(), before);
        }
    }
}
