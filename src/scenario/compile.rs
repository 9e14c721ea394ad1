//! Turns a scenario file into checked, ready-to-run rules: method names resolved against the
//! contract, codes parsed, regexes compiled, respond bodies checked against the response types,
//! and exactly one action per rule.

use super::checks::{check_delay, check_when, field_test};
use super::spec::{
    ConnectionFault, DelaySpec, DribbleSpec, ErrorSpec, MatchSpec, RawSpec, RuleSpec, ScenarioSpec,
    WhenSpec,
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
    /// The text it was loaded from, for the dashboard's editor.
    pub source: String,
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
    /// Parses and checks a scenario file. Every problem is listed, one a line, each naming
    /// the file, the rule and the key, and the reason.
    pub fn parse(contract: &Contract, file: &str, text: &str) -> Result<Scenario, String> {
        let spec: ScenarioSpec = match serde_saphyr::from_str_with_options(text, yaml_options()) {
            Ok(spec) => spec,
            Err(e) => {
                let all = super::diagnose::problems(contract, file, text);
                return Err(all
                    .filter(|all| !all.is_empty())
                    .unwrap_or_else(|| vec![format!("{file}: {e}")])
                    .join("\n"));
            }
        };
        let stem = std::path::Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(file);
        let name = spec.name.clone().unwrap_or_else(|| stem.to_string());
        if spec.rules.is_empty() {
            return Err(format!("{file}: a scenario needs at least one rule"));
        }
        let mut rules = Vec::new();
        let mut problems = Vec::new();
        for (i, rule) in spec.rules.iter().enumerate() {
            match compile_rule(contract, rule) {
                Ok(rule) => rules.push(rule),
                Err(all) => {
                    problems.extend(all.iter().map(|p| format!("{file}: rule {}: {p}", i + 1)))
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems.join("\n"));
        }
        Ok(Scenario {
            name,
            description: spec.description,
            file: file.to_string(),
            rules,
            source: text.to_string(),
        })
    }
}

impl Scenario {
    /// The `name:` a scenario file gives itself, if it reads that far; None otherwise.
    pub fn declared_name(text: &str) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct Named {
            #[serde(default)]
            name: Option<String>,
        }
        let named: Named = serde_saphyr::from_str_with_options(text, yaml_options()).ok()?;
        named.name.filter(|n| !n.is_empty())
    }
}

/// Checks one rule; every problem is returned, each starting with the key it is about.
pub(super) fn compile_rule(contract: &Contract, rule: &RuleSpec) -> Result<Rule, Vec<String>> {
    let MatchSpec {
        method,
        body,
        fields,
        headers,
    } = &rule.matcher;
    let mut problems = Vec::new();
    let methods: Vec<String> = method.items().iter().map(|m| m.to_string()).collect();
    for pattern in &methods {
        if !contract.procedures().iter().any(|p| glob(pattern, &p.name)) {
            problems.push(format!(
                "match.method: {pattern:?} matches no method of the service"
            ));
        }
    }
    let mut tests = Vec::new();
    for (path, predicate) in fields {
        match field_test(predicate) {
            Ok(test) => tests.push((path.clone(), test)),
            Err(e) => problems.push(format!("match.fields.{path}: {e}")),
        }
    }
    let checks = [
        check_when(&rule.when),
        rule.delay
            .as_ref()
            .map_or(Ok(()), check_delay)
            .map_err(|e| format!("delay: {e}")),
        match &rule.dribble {
            Some(d) if d.chunk_bytes == 0 => Err("dribble.chunk_bytes: must be at least 1".into()),
            _ => Ok(()),
        },
    ];
    problems.extend(checks.into_iter().filter_map(Result::err));
    let action = action(rule).map_err(|e| problems.push(e)).ok();
    if let Some(Action::Respond(body)) = &action {
        // A bad method list already failed above; the body is judged against good ones only.
        if problems.is_empty() {
            if let Err(e) = super::respond::check(contract, &methods, body) {
                problems.push(e);
            }
        }
    }
    let Some(action) = action.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    Ok(Rule {
        methods,
        body: body.clone(),
        fields: tests,
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
        actions.push(Action::Error(
            rpc_error(error).map_err(|e| format!("error: {e}"))?,
        ));
    }
    if let Some(raw) = &rule.raw {
        // hyper cannot send a 1xx as a final answer: it would answer 500 instead.
        if !(200..=599).contains(&raw.status) {
            return Err(format!(
                "raw.status: {} is not a final HTTP status: use 200 to 599",
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
            return Err("rate_limit: needs capacity >= 1 and per_second > 0".into());
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

/// How scenario files are read. YAML 1.2 booleans only: under YAML 1.1 rules `runnerId: y`
/// or `host: on` would be read as `true` and silently match (or respond) something else.
pub(super) fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options
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
            ("rules:\n  - match: {method: GetNothing}\n    error: unavailable\n", "rule 1: match.method: \"GetNothing\" matches no method"),
            ("rules:\n  - error: {code: teapot}\n", "rule 1: error: unknown error code \"teapot\""),
            ("rules:\n  - pass: true\n  - match: {fields: {id: {matches: \"(\"}}}\n    error: internal\n", "rule 2: match.fields.id: bad regex"),
            ("rules:\n  - match: {method: \"*\"}\n", "rule 1: a rule needs an action"),
            ("rules:\n  - error: internal\n    raw: {status: 502}\n", "rule 1: a rule has exactly one action"),
            ("rules:\n  - erorr: internal\n", "x.yaml: rule 1: erorr: unknown field `erorr`"),
            ("rules:\n  - error: {code: internal, mesage: hi}\n", "rule 1: error: unknown field `mesage`"),
            ("rules:\n  - match: {fields: {id: {equalz: 1}}}\n    error: internal\n", "rule 1: match: unknown field `equalz`"),
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
