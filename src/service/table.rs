//! The procedure table joined with the loaded contract, once at startup: each documented
//! method with its procedure, found by Connect path, and the contract's methods the mock does
//! not cover.

use super::methods::{Method, METHODS, UNCOVERED};
use crate::contract::{Contract, Procedure};
use rustc_hash::FxHashMap as HashMap;

/// Every procedure of the contract, served or not, by Connect path.
pub struct Table {
    entries: Vec<Entry>,
    uncovered: Vec<Procedure>,
    by_path: HashMap<String, Slot>,
}

/// A method the mock serves: what the contract says about it, and its table entry.
pub struct Entry {
    pub procedure: Procedure,
    pub method: &'static Method,
}

/// Where a Connect path leads.
#[derive(Clone, Copy)]
pub enum Route<'a> {
    Served(&'a Entry),
    /// A method of the real service that the mock does not cover.
    Uncovered(&'a Procedure),
}

#[derive(Clone, Copy)]
enum Slot {
    Served(usize),
    Uncovered(usize),
}

impl Route<'_> {
    pub fn procedure(&self) -> &Procedure {
        match self {
            Route::Served(entry) => &entry.procedure,
            Route::Uncovered(procedure) => procedure,
        }
    }
}

impl Table {
    /// Joins the contract's procedures with [`METHODS`] and [`UNCOVERED`]. Every method the
    /// lists name must be a procedure of the contract, and every procedure must be in one of
    /// them, so a renamed or a new method fails here, at startup.
    pub fn new(contract: &Contract) -> Table {
        let procedure = |name: &str| {
            contract
                .procedure(name)
                .unwrap_or_else(|| panic!("method {name} has no procedure in the contract"))
                .clone()
        };
        let entries: Vec<Entry> = METHODS
            .iter()
            .map(|method| Entry {
                procedure: procedure(method.name),
                method,
            })
            .collect();
        let uncovered: Vec<Procedure> = UNCOVERED.iter().map(|name| procedure(name)).collect();
        let mut by_path = HashMap::default();
        for (i, entry) in entries.iter().enumerate() {
            by_path.insert(entry.procedure.path.clone(), Slot::Served(i));
        }
        for (i, procedure) in uncovered.iter().enumerate() {
            by_path.insert(procedure.path.clone(), Slot::Uncovered(i));
        }
        for procedure in contract.procedures() {
            assert!(
                by_path.contains_key(&procedure.path),
                "the contract's {} is neither in service::METHODS nor in service::UNCOVERED",
                procedure.name
            );
        }
        Table {
            entries,
            uncovered,
            by_path,
        }
    }

    /// The procedure at a Connect path such as `/gitpod.v1.RunnerConfigurationService/GetSCMIntegration`.
    pub fn route(&self, path: &str) -> Option<Route<'_>> {
        Some(match *self.by_path.get(path)? {
            Slot::Served(i) => Route::Served(&self.entries[i]),
            Slot::Uncovered(i) => Route::Uncovered(&self.uncovered[i]),
        })
    }

    /// The methods the mock serves, in table order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The contract's methods the mock does not cover.
    pub fn uncovered(&self) -> &[Procedure] {
        &self.uncovered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_procedure_routes_to_its_entry_or_is_uncovered() {
        let contract = Contract::load();
        let table = Table::new(&contract);
        assert_eq!(
            table.entries().len() + table.uncovered().len(),
            contract.procedures().len()
        );
        for procedure in contract.procedures() {
            let route = table.route(&procedure.path).unwrap();
            assert_eq!(route.procedure().name, procedure.name);
            let served = matches!(route, Route::Served(e) if e.method.name == procedure.name);
            assert_eq!(served, !UNCOVERED.contains(&procedure.name.as_str()));
        }
        assert!(table
            .route("/gitpod.v1.RunnerConfigurationService/Nope")
            .is_none());
    }
}
