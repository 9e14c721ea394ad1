//! What a resource is to the store: one declaration per record type ([`Resource`]) says its
//! name, message, fixture file, fields and references, and everything that serves every
//! resource (tables, fixture loading and checking, state export and import, `--generate`
//! counts, record counts) reads the declarations rather than naming resources.
//!
//! `Kind` is a declaration as a value, so that code can loop over the resources
//! (`records::STORED`); each of its methods is the one place a step written once for any
//! `R: Resource` is run for a particular `R`. Runners are declared too, for fixture loading and
//! as the target of references, but are not stored: they are read-only and live in `Runners`.

use super::fixtures::{Fixtures, Loader};
use super::records::{Runner, RUNNERS, STORED};
use super::runner_schema::RunnerSchema;
use super::snapshot::Pending;
use super::table::{Record, Table};
use super::tables::AnyTable;
use super::typed::TypedRecords;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::any::Any;
use std::collections::HashMap;
use std::fmt::Debug;
use std::marker::PhantomData;

/// The names a resource goes by.
#[derive(Debug)]
pub struct Spec {
    /// Its name on the command line: `--generate host-tokens=10`.
    pub name: &'static str,
    /// One record and several, in messages: "SCM integration", "SCM integrations".
    pub noun: &'static str,
    pub plural: &'static str,
    /// The contract message of one record; a state import reads rows through it.
    pub message: &'static str,
    /// The fixture file, the contract message it holds, and that message's list of records.
    pub file: &'static str,
    pub file_message: &'static str,
    pub list: &'static str,
    /// The id field's JSON name.
    pub id: &'static str,
    /// What its list's page tokens are marked with, so one list refuses another's token.
    pub page_kind: &'static str,
    /// Its key in a state export.
    pub state_key: &'static str,
}

/// A field of one resource that names a record of another by id: `runnerId → runners`.
pub struct Reference<R> {
    /// The field's JSON name.
    pub field: &'static str,
    pub to: &'static Spec,
    /// Whether the field may be left empty, naming nothing.
    pub optional: bool,
    pub of: fn(&R) -> &str,
}

/// A stored record type and its declaration.
pub trait Resource:
    Record + Clone + Default + Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
    const SPEC: Spec;
    const REFERENCES: &'static [Reference<Self>] = &[];

    /// The resource's own fixture rules, beyond unique UUID ids and declared references: what
    /// the service would refuse to store.
    fn fixture_problems(_fixtures: &FixtureView<'_, Self>) -> Vec<Problem> {
        Vec::new()
    }
}

/// A problem in one fixture record: its index, the field within it, and the reason.
#[derive(Debug, PartialEq)]
pub struct Problem {
    pub record: usize,
    pub field: String,
    pub reason: String,
}

impl Problem {
    pub fn new(record: usize, field: impl Into<String>, reason: impl Into<String>) -> Problem {
        Problem {
            record,
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The loaded fixtures as a resource's fixture rules see them: records with problems of their
/// own are left out, so one mistake is not reported again as its consequences.
pub struct FixtureView<'a, R> {
    pub(super) fixtures: &'a Fixtures,
    pub(super) loader: &'a Loader<'a>,
    pub(super) rows: &'a [R],
}

impl<'a, R: Resource> FixtureView<'a, R> {
    /// The resource's records without problems of their own, with their index in the file.
    pub fn rows(&self) -> impl Iterator<Item = (usize, &'a R)> + '_ {
        let file = R::SPEC.file;
        self.rows
            .iter()
            .enumerate()
            .filter(move |(i, _)| !self.loader.is_broken(file, *i))
    }

    /// The first record of `T` with `id`, unless it has problems of its own.
    pub fn find<T: Resource>(&self, id: &str) -> Option<&'a T> {
        let rows = self.fixtures.rows::<T>();
        let at = rows.iter().position(|r| r.id() == id)?;
        (!self.loader.is_broken(T::SPEC.file, at)).then(|| &rows[at])
    }

    /// The schema of the runner with `runner_id`, if both exist.
    pub fn schema(&self, runner_id: &str) -> Option<&'a RunnerSchema> {
        let runner = self
            .fixtures
            .rows::<Runner>()
            .iter()
            .find(|r| r.id == runner_id)?;
        self.fixtures.schemas.get(&runner.schema)
    }
}

/// Where each loaded resource's ids are: by resource name, the index of each id's first record.
pub(super) type IdIndex<'a> = HashMap<&'static str, HashMap<&'a str, usize>>;

/// A declaration as a value. The methods are what differs by type in the steps that serve
/// every resource; each is a one-line call of that step's generic function.
pub(super) trait Kind: Sync {
    fn spec(&self) -> &'static Spec;
    /// Reads and checks the resource's fixture file: its records, as a `Vec<R>`.
    fn load(&self, loader: &mut Loader<'_>) -> Box<dyn Any + Send + Sync>;
    /// The loaded records' ids, in file order.
    fn ids<'a>(&self, fixtures: &'a Fixtures) -> Vec<&'a str>;
    /// Checks the loaded records' ids, references and fixture rules.
    fn check(&self, loader: &mut Loader<'_>, fixtures: &Fixtures, index: &IdIndex<'_>);
    /// A table holding the loaded records.
    fn table(&self, fixtures: &Fixtures) -> Box<dyn AnyTable>;
    /// The rows of a state export, typed, before they are checked.
    fn read(&self, rows: Value) -> Result<Box<dyn Pending>, serde_json::Error>;
    /// The resource's table as the profile engine reads and writes it.
    fn typed(&self) -> &dyn TypedRecords;
    /// Its references: each field's JSON name and the resource it names.
    fn references(&self) -> Vec<(&'static str, &'static Spec)>;
}

/// A resource with a fixture file, as what writes fixture files sees it (`serve --record`).
pub struct Layout {
    pub spec: &'static Spec,
    /// The fields that name a record of another resource, and that resource.
    pub references: Vec<(&'static str, &'static Spec)>,
}

/// Every resource with a fixture file, runners first, as [`Layout`]s.
pub fn layouts() -> Vec<Layout> {
    loaded()
        .map(|kind| Layout {
            spec: kind.spec(),
            references: kind.references(),
        })
        .collect()
}

/// Every resource with a fixture file, in the order they are read: runners, then the stored ones.
pub(super) fn loaded() -> impl Iterator<Item = &'static dyn Kind> {
    std::iter::once(RUNNERS).chain(STORED.iter().copied())
}

/// The `Kind` of `R`.
pub(super) struct Of<R>(PhantomData<fn() -> R>);

impl<R> Of<R> {
    pub(super) const KIND: Of<R> = Of(PhantomData);
}

impl<R: Resource> Kind for Of<R> {
    fn spec(&self) -> &'static Spec {
        &R::SPEC
    }

    fn load(&self, loader: &mut Loader<'_>) -> Box<dyn Any + Send + Sync> {
        Box::new(loader.rows::<R>())
    }

    fn ids<'a>(&self, fixtures: &'a Fixtures) -> Vec<&'a str> {
        fixtures.rows::<R>().iter().map(R::id).collect()
    }

    fn check(&self, loader: &mut Loader<'_>, fixtures: &Fixtures, index: &IdIndex<'_>) {
        super::references::check::<R>(loader, fixtures, index);
    }

    fn table(&self, fixtures: &Fixtures) -> Box<dyn AnyTable> {
        let mut table = Table::<R>::new(R::SPEC.page_kind);
        fixtures
            .rows::<R>()
            .iter()
            .cloned()
            .for_each(|r| table.insert(r));
        Box::new(table)
    }

    fn read(&self, rows: Value) -> Result<Box<dyn Pending>, serde_json::Error> {
        Ok(Box::new(serde_json::from_value::<Vec<R>>(rows)?))
    }

    fn typed(&self) -> &dyn TypedRecords {
        self
    }

    fn references(&self) -> Vec<(&'static str, &'static Spec)> {
        R::REFERENCES.iter().map(|r| (r.field, r.to)).collect()
    }
}
