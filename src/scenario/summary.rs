//! One line saying what a rule matches and what it does, for the dashboard's Scenarios view:
//! `GetEnvironmentClass, field environmentClassId == "c1", when nth: 3 → error unavailable`.

use super::compile::{Action, FieldTest, Rule};
use super::spec::WhenSpec;

impl Rule {
    /// What the rule matches, then `→` what it does.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        parts.push(match self.methods.is_empty() {
            true => "every method".into(),
            false => self.methods.join(" | "),
        });
        if let Some(body) = &self.body {
            parts.push(format!("body contains {body}"));
        }
        for (field, test) in &self.fields {
            parts.push(match test {
                FieldTest::Equals(v) => format!("field {field} == {v}"),
                FieldTest::OneOf(vs) => format!("field {field} in {}", serde_json::json!(vs)),
                FieldTest::Matches(re) => format!("field {field} matches /{}/", re.as_str()),
                FieldTest::Contains(v) => format!("field {field} contains {v}"),
                FieldTest::Exists(true) => format!("field {field} is set"),
                FieldTest::Exists(false) => format!("field {field} is unset"),
            });
        }
        for (name, value) in &self.headers {
            parts.push(format!("header {name}: {value}"));
        }
        parts.extend(when(&self.when));
        let mut does = vec![match &self.action {
            Action::Pass => "pass".to_string(),
            Action::Error(e) => format!("error {}", e.code.as_str()),
            Action::Raw(raw) => format!("raw {}", raw.status),
            Action::Connection(fault) => format!("connection {fault:?}").to_lowercase(),
            Action::Respond(_) => "respond with a scripted body".into(),
            Action::RateLimit {
                capacity,
                per_second,
            } => {
                format!("rate limit {capacity} at {per_second}/s")
            }
            Action::ExceedDeadline { .. } => "exceed the deadline".into(),
        }];
        if self.delay.is_some() {
            does.push("after a delay".into());
        }
        if self.dribble.is_some() {
            does.push("dribbled".into());
        }
        format!("{} → {}", parts.join(", "), does.join(", "))
    }
}

/// The `when` counters that are set, as `nth: 3`.
fn when(w: &WhenSpec) -> Vec<String> {
    let counters = [
        ("nth", w.nth),
        ("first", w.first),
        ("after", w.after),
        ("every", w.every),
    ];
    let mut out: Vec<String> = counters
        .iter()
        .filter_map(|(name, n)| n.map(|n| format!("when {name}: {n}")))
        .collect();
    if let Some(p) = w.probability {
        out.push(format!("when probability: {p}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::contract::Contract;
    use crate::scenario::Scenario;

    #[test]
    fn a_summary_names_the_match_the_counter_and_the_action() {
        let text = "rules:\n  - match:\n      method: GetEnvironmentClass\n      fields: {environmentClassId: c1}\n    when: {nth: 3}\n    error: unavailable\n  - delay: {ms: 5}\n";
        let scenario = Scenario::parse(&Contract::load(), "s.yaml", text).unwrap();
        let summaries: Vec<String> = scenario.rules.iter().map(|r| r.summary()).collect();
        assert_eq!(
            summaries,
            [
                "GetEnvironmentClass, field environmentClassId == \"c1\", when nth: 3 → error unavailable",
                "every method → pass, after a delay",
            ]
        );
    }
}
