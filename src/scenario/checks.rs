//! The checks of a rule's parts that need no contract: field predicates (one test each, a
//! regex that compiles), `when` counts and probabilities, and the shape of a delay.

use super::compile::FieldTest;
use super::spec::{DelaySpec, Predicate, WhenSpec};

pub(super) fn field_test(predicate: &Predicate) -> Result<FieldTest, String> {
    let test = match predicate {
        Predicate::Equals(v) => return Ok(FieldTest::Equals(v.clone())),
        Predicate::Test(t) => t,
    };
    let mut tests = Vec::new();
    if let Some(v) = &test.equals {
        tests.push(FieldTest::Equals(v.clone()));
    }
    if let Some(v) = &test.one_of {
        tests.push(FieldTest::OneOf(v.clone()));
    }
    if let Some(re) = &test.matches {
        tests.push(FieldTest::Matches(regex::Regex::new(re).map_err(|e| {
            // The parser's message draws the pattern over several lines; its last line
            // is the reason, which keeps the report one problem a line.
            let text = e.to_string();
            let reason = text.lines().last().unwrap_or_default();
            format!("bad regex {re:?}: {}", reason.trim_start_matches("error: "))
        })?));
    }
    if let Some(v) = &test.contains {
        tests.push(FieldTest::Contains(v.clone()));
    }
    if let Some(b) = test.exists {
        tests.push(FieldTest::Exists(b));
    }
    match tests.len() {
        1 => Ok(tests.remove(0)),
        _ => {
            Err("a field predicate has exactly one of equals, in, matches, contains, exists".into())
        }
    }
}

pub(super) fn check_when(when: &WhenSpec) -> Result<(), String> {
    if when.nth == Some(0) || when.every == Some(0) {
        return Err("when.nth, when.every: count from 1".into());
    }
    if when.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
        return Err("when.probability: must be between 0 and 1".into());
    }
    Ok(())
}

pub(super) fn check_delay(d: &DelaySpec) -> Result<(), String> {
    let kinds = [d.ms.is_some(), d.min_ms.is_some(), d.median_ms.is_some()]
        .iter()
        .filter(|k| **k)
        .count();
    if kinds != 1 {
        return Err(
            "one of: ms, min_ms with max_ms (uniform), median_ms with sigma (lognormal)".into(),
        );
    }
    if d.min_ms.is_some() && d.max_ms.is_none_or(|max| max < d.min_ms.unwrap_or(0)) {
        return Err("a uniform delay needs max_ms >= min_ms".into());
    }
    if d.median_ms.is_some() && d.sigma.is_none_or(|s| s.is_nan() || s < 0.0) {
        return Err("a lognormal delay needs sigma >= 0".into());
    }
    Ok(())
}
