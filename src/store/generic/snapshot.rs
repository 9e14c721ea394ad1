//! The generic records as a state export holds them, and back: each resource's records under
//! its message's full name, in creation order. Fixtures and `--generate` add records the same
//! way.

use super::{kind_of, GenericRecord, Resources};
use crate::store::table::Table;
use serde_json::{Map, Value};

impl Resources {
    /// Every resource's records, by the resource message's full name.
    pub fn export(&self) -> Map<String, Value> {
        self.tables
            .iter()
            .map(|(name, table)| {
                let rows = table.iter().map(|r| Value::Object(r.value.clone()));
                (name.clone(), Value::Array(rows.collect()))
            })
            .collect()
    }

    /// Declares a resource: its message's full name and the proto3 JSON name of its id field.
    /// Its records can then be inserted, exported and imported, even before any method runs.
    pub fn declare(&mut self, resource: &str, id_field: &str) {
        let short = resource.rsplit('.').next().unwrap_or(resource);
        self.tables
            .entry(resource.to_string())
            .or_insert_with(|| Table::new(kind_of(short)));
        std::sync::Arc::make_mut(&mut self.id_fields)
            .insert(resource.to_string(), id_field.to_string());
    }

    /// Adds a record of the declared `resource` (a message's full name); a record with the same
    /// id is replaced. An error says what is wrong with the record.
    pub fn insert(&mut self, resource: &str, value: Map<String, Value>) -> Result<(), String> {
        let Some(id_field) = self.id_fields.get(resource) else {
            return Err(format!("{resource} is not a resource of the contract"));
        };
        let id = match value.get(id_field) {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => return Err(format!("a {resource} record has no {id_field}")),
        };
        let table = self.tables.get_mut(resource).expect("declared");
        table.insert(GenericRecord { id, value });
        Ok(())
    }

    /// Replaces every record with those of an export; on error nothing changes.
    pub fn import(&mut self, export: &Map<String, Value>) -> Result<(), String> {
        let mut next = self.clone();
        for table in next.tables.values_mut() {
            table.remove_where(|_| true);
        }
        for (resource, rows) in export {
            let Value::Array(rows) = rows else {
                return Err(format!("{resource}: expected a list of records"));
            };
            for (i, row) in rows.iter().enumerate() {
                let Value::Object(row) = row else {
                    return Err(format!("{resource}[{i}]: expected an object"));
                };
                next.insert(resource, row.clone())
                    .map_err(|e| format!("{resource}[{i}]: {e}"))?;
            }
        }
        *self = next;
        Ok(())
    }

    /// The ids of every record, of any resource, that fit a resource name pattern such as
    /// `shelves/{shelf}`: literal segments equal, each `{variable}` one segment.
    pub fn names_matching(&self, pattern: &str) -> Vec<String> {
        let wanted: Vec<&str> = pattern.split('/').collect();
        let fits = |id: &str| {
            let segments: Vec<&str> = id.split('/').collect();
            segments.len() == wanted.len()
                && segments.iter().zip(&wanted).all(|(s, w)| {
                    !s.is_empty() && (w == s || (w.starts_with('{') && w.ends_with('}')))
                })
        };
        let ids = self
            .tables
            .values()
            .flat_map(|t| t.iter().map(|r| r.id.as_str()));
        ids.filter(|id| fits(id)).map(str::to_string).collect()
    }

    /// Makes `answer` what the method at `path` answers instead of generated data.
    pub fn set_answer(&mut self, path: &str, answer: Value) {
        std::sync::Arc::make_mut(&mut self.answers).insert(path.to_string(), answer);
    }

    /// The fixture answer of the method at `path`, if it has one.
    pub fn answer(&self, path: &str) -> Option<&Value> {
        self.answers.get(path)
    }

    /// Whether any resource is declared (the contract has resources besides the profile's).
    pub fn is_any_declared(&self) -> bool {
        !self.id_fields.is_empty()
    }

    /// Whether `resource` is a declared resource.
    pub fn is_declared(&self, resource: &str) -> bool {
        self.id_fields.contains_key(resource)
    }

    /// Whether `resource` holds a record with `id`.
    pub fn contains(&self, resource: &str, id: &str) -> bool {
        self.tables.get(resource).is_some_and(|t| t.contains(id))
    }
}
