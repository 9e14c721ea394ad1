//! Scripted failure scenarios: loading and checking scenario files, and deciding, per call,
//! which rule fires and what the mock does instead of (or before) its normal answer.

mod checks;
mod compile;
mod diagnose;
pub mod explain;
mod reload;
mod respond;
mod runtime;
pub(crate) mod seed;
pub mod spec;
mod summary;

pub use compile::glob;
pub use compile::{Action, Rule, Scenario};
pub use runtime::{
    contains as runtime_contains, CallInfo, Decision, Explanation, RuleCount, Runtime,
};
pub use seed::session_seed;

use crate::contract::Contract;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

/// The scenarios shipped with the mock, embedded by build.rs as (file name, contents).
const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/scenarios.rs"));

/// Every loaded scenario, by name.
#[derive(Debug, Clone, Default)]
pub struct Library {
    scenarios: BTreeMap<String, Arc<Scenario>>,
    /// The names of scenarios loaded through the control plane rather than from a file, which a
    /// reload of the files keeps (see `reload`).
    posted: BTreeSet<String>,
}

impl Library {
    /// The shipped scenarios (when the contract has the service they are written for) plus
    /// those in `dir`, which override shipped ones of the same name. Every problem in every
    /// file is reported.
    pub fn load(contract: &Contract, dir: Option<&Path>) -> Result<Library, String> {
        let shipped = contract.services().contains(&crate::contract::SERVICE);
        let mut files: Vec<(String, String)> = EMBEDDED
            .iter()
            .filter(|_| shipped)
            .map(|(n, t)| (format!("scenarios/{n}"), t.to_string()))
            .collect();
        let mut errors = Vec::new();
        if let Some(dir) = dir {
            if !dir.is_dir() {
                let reason = if dir.exists() {
                    "not a directory"
                } else {
                    "directory not found"
                };
                return Err(format!("{}: {reason}", dir.display()));
            }
            let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let mut paths: Vec<_> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| is_scenario_file(p))
                .collect();
            paths.sort();
            for path in paths {
                match std::fs::read_to_string(&path) {
                    Ok(text) => files.push((path.display().to_string(), text)),
                    Err(e) => errors.push(format!("{}: cannot read: {e}", path.display())),
                }
            }
        }
        let mut library = Library::default();
        for (file, text) in files {
            match Scenario::parse(contract, &file, &text) {
                Ok(scenario) => {
                    library.insert(scenario);
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(library)
        } else {
            Err(errors.join("\n"))
        }
    }

    pub fn get(&self, name: &str) -> Option<Arc<Scenario>> {
        self.scenarios.get(name).cloned()
    }

    /// Adds a scenario, replacing one of the same name.
    pub fn insert(&mut self, scenario: Scenario) {
        self.scenarios
            .insert(scenario.name.clone(), Arc::new(scenario));
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<Scenario>> {
        self.scenarios.values()
    }

    /// The error for a name that is not loaded, listing those that are.
    pub fn unknown(&self, name: &str) -> String {
        let names: Vec<&str> = self.scenarios.keys().map(String::as_str).collect();
        format!(
            "unknown scenario {name:?}; loaded scenarios are: {}",
            names.join(", ")
        )
    }
}

fn is_scenario_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
}
