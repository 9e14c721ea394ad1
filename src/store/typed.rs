//! The stored resources as the profile engine (`profile::engine`) reaches them: by their
//! contract message's full name, through an object that reads and writes a resource's typed
//! table in proto3 JSON on writes and hands out the shared rows (`Arc`) on reads, so a Get or
//! a List copies no record.

use super::records::STORED;
use super::resource::{Of, Resource, Spec};
use super::State;
use crate::codec::answer::Response;
use crate::error::RpcError;
use serde_json::{Map, Value};
use std::any::Any;

/// Whether a row of a List passes its filter. The row is the table's record type (a profile's
/// rules know which one they filter, and downcast to it).
pub type Keep<'a> = dyn Fn(&dyn Any) -> bool + 'a;

/// One stored resource's table, whatever its record type.
pub trait TypedRecords: Sync {
    fn spec(&self) -> &'static Spec;
    /// `{"<field>": record}` for the record with `id`, sharing the stored row.
    fn get(&self, state: &State, field: &'static str, id: &str) -> Option<Response>;
    /// The record with `id` as its proto3 JSON object, for a change.
    fn record(&self, state: &State, id: &str) -> Option<Map<String, Value>>;
    /// The first stored record as its proto3 JSON object, if there is one.
    fn first(&self, state: &State) -> Option<Map<String, Value>>;
    /// Stores a record given as its proto3 JSON object, replacing one with the same id.
    fn put(&self, state: &mut State, record: Map<String, Value>) -> Result<(), RpcError>;
    /// Removes the record with `id`; false if there is none.
    fn remove(&self, state: &mut State, id: &str) -> bool;
    /// One page of the records that pass `keep`, as `{"<field>": rows, "pagination": …}`.
    fn page(
        &self,
        state: &State,
        field: &'static str,
        token: &str,
        size: usize,
        keep: &Keep<'_>,
    ) -> Result<Response, RpcError>;
}

/// The stored resource whose record is the contract message `message`, if there is one.
pub fn by_message(message: &str) -> Option<&'static dyn TypedRecords> {
    STORED
        .iter()
        .find(|kind| kind.spec().message == message)
        .map(|kind| kind.typed())
}

impl<R: Resource> TypedRecords for Of<R> {
    fn spec(&self) -> &'static Spec {
        &R::SPEC
    }

    fn get(&self, state: &State, field: &'static str, id: &str) -> Option<Response> {
        let row = state.table::<R>().shared(id)?;
        Some(Response::field(field, row))
    }

    fn record(&self, state: &State, id: &str) -> Option<Map<String, Value>> {
        let row = state.table::<R>().get(id)?;
        match serde_json::to_value(row).expect("records serialize") {
            Value::Object(record) => Some(record),
            _ => unreachable!("a record serializes as an object"),
        }
    }

    fn first(&self, state: &State) -> Option<Map<String, Value>> {
        let id = state
            .table::<R>()
            .iter()
            .next()
            .map(|row| row.id().to_string())?;
        self.record(state, &id)
    }

    fn put(&self, state: &mut State, record: Map<String, Value>) -> Result<(), RpcError> {
        let row = R::deserialize(Value::Object(record)).map_err(|e| {
            RpcError::internal(format!(
                "gitpod-mock bug: a new {} does not fit its record: {e}",
                R::SPEC.noun
            ))
        })?;
        state.table_mut::<R>().insert(row);
        Ok(())
    }

    fn remove(&self, state: &mut State, id: &str) -> bool {
        state.table_mut::<R>().remove(id).is_some()
    }

    fn page(
        &self,
        state: &State,
        field: &'static str,
        token: &str,
        size: usize,
        keep: &Keep<'_>,
    ) -> Result<Response, RpcError> {
        let (rows, next) = state
            .table::<R>()
            .page(token, size, |row| keep(row as &dyn Any))?;
        Ok(Response::list(field, rows, next))
    }
}
