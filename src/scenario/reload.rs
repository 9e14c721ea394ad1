//! A scenario library reloaded from its files (`serve --watch`): what it keeps from the one
//! it replaces, and which scenarios changed, so their counters start afresh.

use super::{Library, Scenario};

impl Library {
    /// Adds a scenario loaded through the control plane, replacing one of the same name; a
    /// reload of the files keeps it.
    pub fn post(&mut self, scenario: Scenario) {
        self.posted.insert(scenario.name.clone());
        self.insert(scenario);
    }

    /// Takes over the scenarios `old` had from the control plane: they have no file to be
    /// reloaded from, and win over a file's scenario of the same name, as they did before.
    pub fn keep_posted(&mut self, old: &Library) {
        for name in &old.posted {
            if let Some(scenario) = old.scenarios.get(name) {
                self.scenarios.insert(name.clone(), scenario.clone());
                self.posted.insert(name.clone());
            }
        }
    }

    /// The scenarios of `old` that this library defines differently or not at all.
    pub fn changed_from(&self, old: &Library) -> Vec<String> {
        // The compiled scenario's debug text is all it holds (rules, matchers, answers), so
        // equal text is an equal definition; a reload is rare enough for the cost.
        let text = |s: &Scenario| format!("{s:?}");
        old.scenarios
            .iter()
            .filter(|(name, was)| {
                self.scenarios
                    .get(*name)
                    .is_none_or(|now| text(now) != text(was))
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Whether a scenario of this name is loaded.
    pub fn has(&self, name: &str) -> bool {
        self.scenarios.contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;

    fn scenario(name: &str, code: &str) -> Scenario {
        let text = format!("name: {name}\nrules:\n  - error: {{code: {code}}}\n");
        Scenario::parse(&Contract::load(), &format!("{name}.yaml"), &text).unwrap()
    }

    #[test]
    fn a_reload_keeps_posted_scenarios_and_names_the_changed_ones() {
        let mut old = Library::default();
        old.insert(scenario("same", "unavailable"));
        old.insert(scenario("edited", "unavailable"));
        old.insert(scenario("removed", "unavailable"));
        old.post(scenario("posted", "internal"));
        let mut new = Library::default();
        new.insert(scenario("same", "unavailable"));
        new.insert(scenario("edited", "internal"));
        new.keep_posted(&old);
        assert!(new.has("posted"));
        assert_eq!(new.changed_from(&old), ["edited", "removed"]);
    }
}
