//! State export and import as JSON, so a session's data can be saved and loaded again
//! (`serve --state FILE`, `GET`/`PUT /__mock/state`). Secrets are not part of state, so
//! an export never carries one.

use super::records::{EnvironmentClass, HostToken, ScmIntegration};
use super::table::{Record, Table};
use super::{is_uuid, State};
use prost_reflect::{DeserializeOptions, DynamicMessage};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The exported form: every mutable resource in creation order.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Snapshot {
    #[serde(default)]
    pub environment_classes: Vec<EnvironmentClass>,
    #[serde(default)]
    pub scm_integrations: Vec<ScmIntegration>,
    #[serde(default)]
    pub host_tokens: Vec<HostToken>,
}

impl State {
    pub fn export(&self) -> Value {
        let snapshot = Snapshot {
            environment_classes: self.environment_classes.iter().cloned().collect(),
            scm_integrations: self.scm_integrations.iter().cloned().collect(),
            host_tokens: self.host_tokens.iter().cloned().collect(),
        };
        serde_json::to_value(snapshot).expect("records serialize")
    }

    /// Replaces the resources with an exported snapshot, after checking ids and runner
    /// references. On error nothing changes.
    pub fn import(&mut self, value: &Value) -> Result<(), String> {
        let snapshot: Snapshot =
            Snapshot::deserialize(value).map_err(|e| format!("not a state export: {e}"))?;
        let snapshot = Snapshot {
            environment_classes: canonical_rows(
                snapshot.environment_classes,
                "environmentClasses",
                "gitpod.v1.EnvironmentClass",
            )?,
            scm_integrations: canonical_rows(
                snapshot.scm_integrations,
                "scmIntegrations",
                "gitpod.v1.SCMIntegration",
            )?,
            host_tokens: canonical_rows(
                snapshot.host_tokens,
                "hostTokens",
                "gitpod.v1.HostAuthenticationToken",
            )?,
        };
        let runners = self.runners.clone();
        let check = |kind: &str, id: &str, runner: &str| -> Result<(), String> {
            if !is_uuid(id) {
                return Err(format!("{kind} id {id:?} is not a UUID"));
            }
            if runners.get(runner).is_none() {
                return Err(format!("{kind} {id} names unknown runner {runner:?}"));
            }
            Ok(())
        };
        snapshot
            .environment_classes
            .iter()
            .try_for_each(|r| check("environment class", &r.id, &r.runner_id))?;
        snapshot
            .scm_integrations
            .iter()
            .try_for_each(|r| check("SCM integration", &r.id, &r.runner_id))?;
        snapshot
            .host_tokens
            .iter()
            .try_for_each(|r| check("host token", &r.id, &r.runner_id))?;
        self.environment_classes = filled(
            Table::new("environmentClasses"),
            snapshot.environment_classes,
        );
        self.scm_integrations = filled(Table::new("integrations"), snapshot.scm_integrations);
        self.host_tokens = filled(Table::new("tokens"), snapshot.host_tokens);
        Ok(())
    }
}

/// The rows as the contract's `message` type reads them, in canonical JSON: an enum given by
/// the number of a named value is stored by its name, as a request's would be, so handlers
/// compare like with like; an unnamed number stays a number. A row the message type refuses
/// (an unknown enum name, a timestamp or base64 that does not parse) is an error here, not an
/// answer the mock cannot encode later.
fn canonical_rows<T: Serialize + DeserializeOwned>(
    rows: Vec<T>,
    list: &str,
    message: &str,
) -> Result<Vec<T>, String> {
    let desc = crate::contract::descriptors()
        .get_message_by_name(message)
        .expect("resource messages are in the contract");
    // Rows were typed already, so an unknown name here can only be an enum value's.
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    let row = |(i, row): (usize, T)| {
        let json = serde_json::to_value(row).expect("records serialize");
        let decoded = DynamicMessage::deserialize_with_options(desc.clone(), json, &options)
            .map_err(|e| format!("{list}[{i}] is not a valid {message}: {e}"))?;
        serde_json::from_value(crate::codec::canonical(&decoded))
            .map_err(|e| format!("{list}[{i}] is not a valid {message}: {e}"))
    };
    rows.into_iter().enumerate().map(row).collect()
}

fn filled<T: Record + Clone>(mut table: Table<T>, rows: Vec<T>) -> Table<T> {
    rows.into_iter().for_each(|r| table.insert(r));
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;
    use crate::store::fixtures::{load, Source};

    #[test]
    fn export_then_import_round_trips_and_bad_imports_change_nothing() {
        let fixtures = load(&Contract::load(), Source::Embedded).unwrap();
        let mut state = State::new(&fixtures, Some(1));
        let exported = state.export();
        let mut other = State::new(&fixtures, Some(2));
        other
            .environment_classes
            .remove(&fixtures.environment_classes[0].id);
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
