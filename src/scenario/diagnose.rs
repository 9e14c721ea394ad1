//! Every problem of a scenario file that does not read as a whole. serde stops at the first
//! unknown key or wrong type, so the file is read loosely, then each top-level key and each
//! rule on its own, and each key of a rule that fails; rules that read are compiled, so their
//! problems are listed in the same run.

use super::compile::{compile_rule, yaml_options};
use super::spec::{RuleSpec, ScenarioSpec};
use crate::contract::Contract;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use serde_saphyr::MessageFormatter;

/// The problems of `text`, each `FILE: [rule N: ][key: ]reason`; None when the file is not
/// even loose YAML, whose parse error (with its line) then says all there is.
pub(super) fn problems(contract: &Contract, file: &str, text: &str) -> Option<Vec<String>> {
    let top: Map<String, Value> = serde_saphyr::from_str_with_options(text, yaml_options()).ok()?;
    let mut out = Vec::new();
    for (key, value) in top.iter().filter(|(k, _)| *k != "rules") {
        let alone = json!({ key: value, "rules": [] });
        if let Err(e) = read::<ScenarioSpec>(&alone) {
            out.push(format!("{file}: {key}: {e}"));
        }
    }
    let rules = match top.get("rules") {
        None => {
            out.push(format!(
                "{file}: a scenario needs rules: a list of at least one rule"
            ));
            return Some(out);
        }
        Some(Value::Array(rules)) => rules,
        Some(other) => {
            out.push(format!("{file}: rules: a list of rules, not {other}"));
            return Some(out);
        }
    };
    for (i, rule) in rules.iter().enumerate() {
        let problems = match read::<RuleSpec>(rule) {
            Ok(spec) => compile_rule(contract, &spec).err().unwrap_or_default(),
            Err(whole) => rule_keys(rule).unwrap_or_else(|| vec![whole]),
        };
        out.extend(
            problems
                .into_iter()
                .map(|p| format!("{file}: rule {}: {p}", i + 1)),
        );
    }
    Some(out)
}

/// The problem of each key of a rule that does not read, alone; None when the rule is no map.
fn rule_keys(rule: &Value) -> Option<Vec<String>> {
    let keys = rule.as_object()?;
    let problems: Vec<String> = keys
        .iter()
        .filter_map(|(key, value)| {
            let alone = json!({ key: value });
            read::<RuleSpec>(&alone)
                .err()
                .map(|e| format!("{key}: {e}"))
        })
        .collect();
    // A rule whose keys each read may still fail as a whole; the caller has that reason.
    (!problems.is_empty()).then_some(problems)
}

/// Reads a loosely parsed piece the way the whole file is read: back through the YAML reader,
/// as JSON text (which is YAML), so a plain `5` still reads as the string "5" where a string
/// is wanted. The reason comes without a location, which would point into that text.
fn read<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    let text = value.to_string();
    serde_saphyr::from_str_with_options(&text, yaml_options()).map_err(|e| {
        serde_saphyr::DefaultMessageFormatter
            .format_message(e.without_snippet())
            .into_owned()
    })
}

#[cfg(test)]
mod tests {
    use crate::contract::Contract;
    use crate::scenario::Scenario;

    #[test]
    fn four_mistakes_in_one_file_are_four_lines() {
        let text = "description: four mistakes\nrules:\n  - match: {method: GetNothing}\n    error: unavailable\n  - erorr: internal\n  - error: {code: teapot}\n  - when: {probability: 2}\n    delay: {ms: 10, min_ms: 5}\n";
        let err = Scenario::parse(&Contract::load(), "x.yaml", text).unwrap_err();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines,
            [
                "x.yaml: rule 1: match.method: \"GetNothing\" matches no method of the service",
                "x.yaml: rule 2: erorr: unknown field `erorr`, expected one of match, when, error, raw, connection, respond, rate_limit, exceed_deadline, delay, dribble, headers, pass",
                "x.yaml: rule 3: error: unknown error code \"teapot\"; codes are: canceled, unknown, invalid_argument, deadline_exceeded, not_found, already_exists, permission_denied, resource_exhausted, failed_precondition, aborted, out_of_range, unimplemented, internal, unavailable, data_loss, unauthenticated",
                "x.yaml: rule 4: when.probability: must be between 0 and 1",
                "x.yaml: rule 4: delay: one of: ms, min_ms with max_ms (uniform), median_ms with sigma (lognormal)",
            ]
        );
    }

    #[test]
    fn top_level_mistakes_and_bad_keys_of_one_rule_are_each_named() {
        let text = "descripton: typo\nname: [1]\nrules:\n  - error: internal\n    when: {nht: 1}\n    delay: {ms: soon}\n";
        let err = Scenario::parse(&Contract::load(), "y.yaml", text).unwrap_err();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 4, "{err}");
        assert!(
            lines[0].starts_with("y.yaml: descripton: unknown field `descripton`"),
            "{err}"
        );
        assert!(lines[1].starts_with("y.yaml: name: "), "{err}");
        assert!(lines[2].starts_with("y.yaml: rule 1: delay: "), "{err}");
        assert!(
            lines[3].starts_with("y.yaml: rule 1: when: unknown field `nht`"),
            "{err}"
        );
    }
}
