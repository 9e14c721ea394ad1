//! The procedure table joined with the loaded contract, once at startup: how each procedure is
//! answered, found by Connect path. The embedded contract is served by the runner-configuration
//! profile (`crate::profile`) alone; any other contract's methods are answered by a profile
//! where one has their service, by the generic resource store where `contract::conventions` finds a resource method,
//! and with generated data otherwise. Streaming methods are not served yet.

use super::methods::{Method, METHODS, UNCOVERED};
use crate::contract::conventions::{self, Behaviour, ResourceMethod};
use crate::contract::{Contract, Procedure};
use crate::profile::{self, Custom, DomainRules, Plan};
use crate::store::generic::fixtures::Declared;
use rustc_hash::FxHashMap as HashMap;

/// Every procedure of the contract, served or not, by Connect path.
pub struct Table {
    entries: Vec<Entry>,
    uncovered: Vec<(Procedure, String)>,
    by_path: HashMap<String, Slot>,
}

/// A method the mock serves: what the contract says about it, and how it is answered.
pub struct Entry {
    pub procedure: Procedure,
    pub handling: Handling,
}

/// How a served method is answered.
pub enum Handling {
    /// By a profile: its resource engine with its service's domain rules, or one of its rules'
    /// own methods.
    Profile(ProfileMethod),
    /// From the generic store of the contract's resources.
    Resource(ResourceMethod),
    /// With generated data fitting the response type; the reason says why it is not a
    /// resource method.
    Generated(String),
}

/// A documented method of a profile's service, and how the profile answers it.
pub struct ProfileMethod {
    pub doc: &'static Method,
    pub rules: &'static dyn DomainRules,
    pub call: ProfileCall,
}

/// How a profile answers one of its methods.
pub enum ProfileCall {
    /// A resource method, run by the engine with the rules' hooks.
    Engine(Plan),
    /// A method the engine cannot serve, answered by the rules.
    Custom(Custom),
}

impl Entry {
    /// The resource method the call runs, by the profile's engine or the generic store; None
    /// for a profile's own methods and generated answers.
    pub fn resource_method(&self) -> Option<&conventions::ResourceMethod> {
        match &self.handling {
            Handling::Profile(ProfileMethod {
                call: ProfileCall::Engine(plan),
                ..
            }) => Some(&plan.method),
            Handling::Resource(method) => Some(method),
            Handling::Profile(_) | Handling::Generated(_) => None,
        }
    }

    /// Whether a call adds records, so that the session's record budget applies to it.
    pub fn creates_records(&self) -> bool {
        if let Some(method) = self.resource_method() {
            return method.verb == conventions::Verb::Create;
        }
        matches!(&self.handling, Handling::Profile(ProfileMethod {
            call: ProfileCall::Custom(custom),
            ..
        }) if custom.creates_records)
    }

    /// The behaviour as `GET /` and `check --contract` name it.
    pub fn behaviour(&self) -> String {
        match &self.handling {
            Handling::Profile(_) => "profile".into(),
            Handling::Resource(m) => format!(
                "resource: {:?} {} ({})",
                m.verb,
                m.resource.full_name(),
                m.style.label()
            ),
            Handling::Generated(why) => format!("generated: {why}"),
        }
    }
}

/// Where a Connect path leads.
#[derive(Clone, Copy)]
pub enum Route<'a> {
    Served(&'a Entry),
    /// A method the mock does not serve, and why.
    Uncovered(&'a Procedure, &'a str),
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
            Route::Uncovered(procedure, _) => procedure,
        }
    }
}

/// Why the embedded contract's uncovered methods answer `unimplemented`.
fn not_documented(name: &str) -> String {
    format!(
        "gitpod-mock does not cover {name} yet: the method exists in the real service but is not in the documented API"
    )
}

impl Table {
    /// The table of `contract`. For the embedded contract, every procedure must be in
    /// [`METHODS`] or [`UNCOVERED`], so a renamed or a new method fails here, at startup.
    pub fn new(contract: &Contract) -> Table {
        let mut entries = Vec::new();
        let mut uncovered = Vec::new();
        for procedure in contract.procedures() {
            let profile = profile_method(contract, procedure);
            let handling = match (contract.is_builtin(), profile) {
                (_, Some(method)) => Handling::Profile(method),
                (true, None) => {
                    assert!(
                        UNCOVERED.contains(&procedure.name.as_str()),
                        "the contract's {} is neither in service::METHODS nor in service::UNCOVERED",
                        procedure.name
                    );
                    uncovered.push((procedure.clone(), not_documented(&procedure.name)));
                    continue;
                }
                (false, None) => match conventions::classify(&procedure.method) {
                    Behaviour::Resource(method) => Handling::Resource(method),
                    Behaviour::Generated(why) => Handling::Generated(why),
                    Behaviour::Unimplemented(why) => {
                        uncovered.push((procedure.clone(), why));
                        continue;
                    }
                },
            };
            entries.push(Entry {
                procedure: procedure.clone(),
                handling,
            });
        }
        if contract.is_builtin() {
            for method in METHODS {
                assert!(
                    entries.iter().any(|e| e.procedure.name == method.name),
                    "method {} has no procedure in the contract",
                    method.name
                );
            }
        }
        let mut by_path = HashMap::default();
        for (i, entry) in entries.iter().enumerate() {
            by_path.insert(entry.procedure.path.clone(), Slot::Served(i));
        }
        for (i, (procedure, _)) in uncovered.iter().enumerate() {
            by_path.insert(procedure.path.clone(), Slot::Uncovered(i));
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
            Slot::Uncovered(i) => {
                let (procedure, why) = &self.uncovered[i];
                Route::Uncovered(procedure, why)
            }
        })
    }

    /// The methods the mock serves, in the contract's order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The contract's methods the mock does not serve, each with the reason.
    pub fn uncovered(&self) -> &[(Procedure, String)] {
        &self.uncovered
    }

    /// The resources the generic store keeps: every resource method's message, once.
    pub fn resources(&self) -> Vec<Declared> {
        let mut out: Vec<Declared> = Vec::new();
        for entry in &self.entries {
            let Handling::Resource(method) = &entry.handling else {
                continue;
            };
            if !out.iter().any(|d| d.message == method.resource) {
                out.push(Declared {
                    message: method.resource.clone(),
                    id: method.id.clone(),
                    style: method.style,
                });
            }
        }
        out
    }

    /// The methods answered with generated data (or a fixture's answer).
    pub fn generated(&self) -> Vec<&Procedure> {
        let generated = self
            .entries
            .iter()
            .filter(|e| matches!(e.handling, Handling::Generated(_)));
        generated.map(|e| &e.procedure).collect()
    }

    /// The served method a profile handler answers under `name`, if any.
    pub fn profile_entry(&self, name: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| matches!(&e.handling, Handling::Profile(m) if m.doc.name == name))
    }
}

/// A profile's answer for a documented procedure of its service whose request and response
/// messages are the ones its rules were written for: the engine's for a resource method, or
/// else its rules' own method.
fn profile_method(contract: &Contract, procedure: &Procedure) -> Option<ProfileMethod> {
    let rules = profile::for_service(&procedure.service)?;
    let doc = METHODS.iter().find(|m| m.name == procedure.name)?;
    let expected = |suffix: &str| format!("gitpod.v1.{}{suffix}", procedure.name);
    let fits = procedure.input.full_name() == expected("Request")
        && procedure.output.full_name() == expected("Response");
    if !(contract.is_builtin() || fits) {
        return None;
    }
    let call = match rules.custom(&procedure.name) {
        Some(custom) => ProfileCall::Custom(custom),
        None => match conventions::classify(&procedure.method) {
            Behaviour::Resource(method) => ProfileCall::Engine(Plan::new(method)?),
            _ => return None,
        },
    };
    Some(ProfileMethod { doc, rules, call })
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
            let served = matches!(route,
                Route::Served(Entry { handling: Handling::Profile(m), .. }) if m.doc.name == procedure.name);
            assert_eq!(served, !UNCOVERED.contains(&procedure.name.as_str()));
        }
        assert!(table
            .route("/gitpod.v1.RunnerConfigurationService/Nope")
            .is_none());
    }
}
