//! Turns a scenario file into checked, ready-to-run rules: method names resolved against the
//! contract, codes parsed, regexes compiled, respond bodies checked against the response types,
//! and exactly one action per rule.

use super::spec::{
    ConnectionFault, DelaySpec, DribbleSpec, ErrorSpec, MatchSpec, Predicate, RawSpec, RuleSpec,
    ScenarioSpec, WhenSpec,
};
use crate::contract::Contract;
use crate::error::{Code, DebugJson, ErrorDetail, RpcError};
use base64::Engine;
use serde_json::Value;

/// A loaded, checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub file: String,
    pub rules: Vec<Rule>,
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub methods: Vec<String>,
    pub body: Option<Value>,
    pub fields: Vec<(String, FieldTest)>,
    pub headers: Vec<(String, String)>,
    pub when: WhenSpec,
    pub action: Action,
    pub delay: Option<DelaySpec>,
    pub dribble: Option<DribbleSpec>,
    pub response_headers: Vec<(String, String)>,
}

/// What a firing rule does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Go on to the normal answer (after any delay).
    Pass,
    Error(RpcError),
    Raw(RawSpec),
    Connection(ConnectionFault),
    Respond(Value),
    RateLimit {
        capacity: u32,
        per_second: f64,
    },
    ExceedDeadline {
        margin_ms: u64,
        fallback_ms: u64,
    },
}

/// A compiled field predicate.
#[derive(Debug, Clone)]
pub enum FieldTest {
    Equals(Value),
    OneOf(Vec<Value>),
    Matches(regex::Regex),
    Contains(Value),
    Exists(bool),
}

impl Scenario {
    /// Parses and checks a scenario file. The error names the file, the rule and the reason.
    pub fn parse(contract: &Contract, file: &str, text: &str) -> Result<Scenario, String> {
        // YAML 1.2 booleans only: under YAML 1.1 rules `runnerId: y` or `host: on` would be
        // read as `true` and silently match (or respond) something else.
        let mut options = serde_saphyr::Options::default();
        options.strict_booleans = true;
        let spec: ScenarioSpec = serde_saphyr::from_str_with_options(text, options)
            .map_err(|e| format!("{file}: {e}"))?;
        let stem = std::path::Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(file);
        let name = spec.name.clone().unwrap_or_else(|| stem.to_string());
        if spec.rules.is_empty() {
            return Err(format!("{file}: a scenario needs at least one rule"));
        }
        let rules = spec
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                compile_rule(contract, rule)
                    .map_err(|reason| format!("{file}: rule {}: {reason}", i + 1))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scenario {
            name,
            description: spec.description,
            file: file.to_string(),
            rules,
        })
    }
}

fn compile_rule(contract: &Contract, rule: &RuleSpec) -> Result<Rule, String> {
    let MatchSpec {
        method,
        body,
        fields,
        headers,
    } = &rule.matcher;
    let methods: Vec<String> = method.items().iter().map(|m| m.to_string()).collect();
    for pattern in &methods {
        if !contract.procedures().iter().any(|p| glob(pattern, &p.name)) {
            return Err(format!(
                "method {pattern:?} matches no method of the service"
            ));
        }
    }
    let fields = fields
        .iter()
        .map(|(path, p)| Ok((path.clone(), field_test(p)?)))
        .collect::<Result<_, String>>()?;
    check_when(&rule.when)?;
    if let Some(delay) = &rule.delay {
        check_delay(delay)?;
    }
    if rule.dribble.as_ref().is_some_and(|d| d.chunk_bytes == 0) {
        return Err("dribble.chunk_bytes must be at least 1".into());
    }
    let action = action(rule)?;
    if let Action::Respond(body) = &action {
        super::respond::check(contract, &methods, body)?;
    }
    Ok(Rule {
        methods,
        body: body.clone(),
        fields,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
        when: rule.when.clone(),
        action,
        delay: rule.delay.clone(),
        dribble: rule.dribble.clone(),
        response_headers: rule
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
    })
}

fn action(rule: &RuleSpec) -> Result<Action, String> {
    let mut actions = Vec::new();
    if let Some(error) = &rule.error {
        actions.push(Action::Error(rpc_error(error)?));
    }
    if let Some(raw) = &rule.raw {
        // hyper cannot send a 1xx as a final answer: it would answer 500 instead.
        if !(200..=599).contains(&raw.status) {
            return Err(format!(
                "raw.status {} is not a final HTTP status: use 200 to 599",
                raw.status
            ));
        }
        actions.push(Action::Raw(raw.clone()));
    }
    if let Some(fault) = rule.connection {
        actions.push(Action::Connection(fault));
    }
    if let Some(body) = &rule.respond {
        actions.push(Action::Respond(body.clone()));
    }
    if let Some(limit) = &rule.rate_limit {
        if limit.capacity == 0 || limit.per_second.is_nan() || limit.per_second <= 0.0 {
            return Err("rate_limit needs capacity >= 1 and per_second > 0".into());
        }
        actions.push(Action::RateLimit {
            capacity: limit.capacity,
            per_second: limit.per_second,
        });
    }
    if let Some(d) = &rule.exceed_deadline {
        actions.push(Action::ExceedDeadline {
            margin_ms: d.margin_ms.unwrap_or(50),
            fallback_ms: d.fallback_ms.unwrap_or(1000),
        });
    }
    match actions.len() {
        0 if rule.pass || rule.delay.is_some() || rule.dribble.is_some() || !rule.headers.is_empty() => Ok(Action::Pass),
        0 => Err("a rule needs an action: error, raw, connection, respond, rate_limit, exceed_deadline, delay, dribble or pass".into()),
        1 if !rule.pass => Ok(actions.remove(0)),
        _ => Err("a rule has exactly one action (delay, dribble and headers may go with it)".into()),
    }
}

fn rpc_error(spec: &ErrorSpec) -> Result<RpcError, String> {
    let (name, message, details) = match spec {
        ErrorSpec::Code(code) => (code, None, &Vec::new()),
        ErrorSpec::Full {
            code,
            message,
            details,
        } => (code, message.clone(), details),
    };
    let code = Code::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Code::all().map(Code::as_str).collect();
        format!(
            "unknown error code {name:?}; codes are: {}",
            names.join(", ")
        )
    })?;
    let mut error = RpcError::new(
        code,
        message.unwrap_or_else(|| format!("scripted {} from gitpod-mock scenario", code.as_str())),
    );
    for detail in details {
        let type_name = detail["type"]
            .as_str()
            .ok_or("an error detail needs a \"type\"")?
            .to_string();
        let value = detail["value"].as_str().unwrap_or_default();
        let value = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(value.trim_end_matches('='))
            .map_err(|e| format!("error detail value is not base64: {e}"))?;
        error = error.with_detail(ErrorDetail {
            type_name,
            value,
            debug: detail.get("debug").and_then(DebugJson::of),
        });
    }
    Ok(error)
}

fn field_test(predicate: &Predicate) -> Result<FieldTest, String> {
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
        tests.push(FieldTest::Matches(
            regex::Regex::new(re).map_err(|e| format!("bad regex {re:?}: {e}"))?,
        ));
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

fn check_when(when: &WhenSpec) -> Result<(), String> {
    if when.nth == Some(0) || when.every == Some(0) {
        return Err("when.nth and when.every count from 1".into());
    }
    if when.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
        return Err("when.probability must be between 0 and 1".into());
    }
    Ok(())
}

fn check_delay(d: &DelaySpec) -> Result<(), String> {
    let kinds = [d.ms.is_some(), d.min_ms.is_some(), d.median_ms.is_some()]
        .iter()
        .filter(|k| **k)
        .count();
    if kinds != 1 {
        return Err(
            "a delay is one of: ms, min_ms with max_ms (uniform), median_ms with sigma (lognormal)"
                .into(),
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

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
pub fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((prefix, rest)) => {
            let Some(tail) = name.strip_prefix(prefix) else {
                return false;
            };
            (0..=tail.len()).any(|i| tail.is_char_boundary(i) && glob(rest, &tail[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_prefixes_suffixes_and_everything() {
        assert!(glob("*", "GetSCMIntegration"));
        assert!(glob("Create*", "CreateSCMIntegration"));
        assert!(glob("*SCM*", "ListSCMIntegrations"));
        assert!(!glob("Create*", "GetSCMIntegration"));
        assert!(glob("GetSCMIntegration", "GetSCMIntegration"));
    }

    #[test]
    fn load_errors_name_the_file_the_rule_and_the_reason() {
        let contract = Contract::load();
        let cases = [
            ("rules:\n  - match: {method: GetNothing}\n    error: unavailable\n", "rule 1: method \"GetNothing\" matches no method"),
            ("rules:\n  - error: {code: teapot}\n", "rule 1: unknown error code \"teapot\""),
            ("rules:\n  - pass: true\n  - match: {fields: {id: {matches: \"(\"}}}\n    error: internal\n", "rule 2: bad regex"),
            ("rules:\n  - match: {method: \"*\"}\n", "rule 1: a rule needs an action"),
            ("rules:\n  - error: internal\n    raw: {status: 502}\n", "rule 1: a rule has exactly one action"),
            ("rules:\n  - erorr: internal\n", "x.yaml: "),
            ("rules:\n  - error: {code: internal, mesage: hi}\n", "unknown field `mesage`"),
            ("rules:\n  - match: {fields: {id: {equalz: 1}}}\n    error: internal\n", "unknown field `equalz`"),
        ];
        for (text, expected) in cases {
            let err = Scenario::parse(&contract, "x.yaml", text).unwrap_err();
            assert!(
                err.starts_with("x.yaml: ") && err.contains(expected),
                "{err}"
            );
        }
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let s = Scenario::parse(
            &Contract::load(),
            "x.yaml",
            "rules:\n  - match: {method: GetSCMIntegration, fields: {host: on}}\n    respond: {integration: {id: y}}\n",
        )
        .unwrap();
        assert!(matches!(&s.rules[0].fields[0].1, FieldTest::Equals(v) if v == "on"));
        assert!(matches!(&s.rules[0].action, Action::Respond(v) if v["integration"]["id"] == "y"));
    }

    #[test]
    fn fail_twice_then_succeed_reads_as_one_rule() {
        let contract = Contract::load();
        let s = Scenario::parse(
            &contract,
            "scenarios/retry.yaml",
            "rules:\n  - when: {first: 2}\n    error: unavailable\n",
        )
        .unwrap();
        assert_eq!(s.name, "retry");
        assert!(matches!(&s.rules[0].action, Action::Error(e) if e.code == Code::Unavailable));
        assert_eq!(s.rules[0].when.first, Some(2));
    }
}
