//! The state's tables, one per stored resource, each found by its record type: `State` reaches
//! every resource through here, so adding one adds no field.

use super::records::STORED;
use super::resource::Resource;
use super::table::Table;
use super::Fixtures;
use serde_json::Value;
use std::any::Any;
use std::fmt;

/// What every table does whatever its record type.
pub(super) trait AnyTable: Any + Send + Sync + fmt::Debug {
    fn state_key(&self) -> &'static str;
    fn len(&self) -> usize;
    fn contains(&self, id: &str) -> bool;
    /// The rows in creation order, as a state export writes them.
    fn export(&self) -> Value;
    fn cloned(&self) -> Box<dyn AnyTable>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<R: Resource> AnyTable for Table<R> {
    fn state_key(&self) -> &'static str {
        R::SPEC.state_key
    }

    fn len(&self) -> usize {
        Table::len(self)
    }

    fn contains(&self, id: &str) -> bool {
        Table::contains(self, id)
    }

    fn export(&self) -> Value {
        let rows = self.iter().map(serde_json::to_value);
        Value::Array(rows.collect::<Result<_, _>>().expect("records serialize"))
    }

    fn cloned(&self) -> Box<dyn AnyTable> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// One table per stored resource, in `STORED` order.
#[derive(Debug)]
pub(super) struct Tables(Vec<Box<dyn AnyTable>>);

impl Clone for Tables {
    fn clone(&self) -> Self {
        Tables(self.0.iter().map(|t| t.cloned()).collect())
    }
}

impl Tables {
    pub(super) fn new(fixtures: &Fixtures) -> Tables {
        Tables(STORED.iter().map(|kind| kind.table(fixtures)).collect())
    }

    /// Tables made elsewhere (a state import), in `STORED` order.
    pub(super) fn from_tables(tables: Vec<Box<dyn AnyTable>>) -> Tables {
        Tables(tables)
    }

    pub(super) fn get<R: Resource>(&self) -> &Table<R> {
        self.0
            .iter()
            .find_map(|t| t.as_any().downcast_ref())
            .unwrap_or_else(|| not_stored::<R>())
    }

    pub(super) fn get_mut<R: Resource>(&mut self) -> &mut Table<R> {
        self.0
            .iter_mut()
            .find_map(|t| t.as_any_mut().downcast_mut())
            .unwrap_or_else(|| not_stored::<R>())
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &dyn AnyTable> {
        self.0.iter().map(Box::as_ref)
    }
}

/// Asking for the table of a resource not in `STORED` is a mistake in the code, found by the
/// first test that touches that resource, never by a request.
fn not_stored<R: Resource>() -> ! {
    panic!(
        "{} is not a stored resource: add it to records::STORED",
        R::SPEC.name
    )
}
