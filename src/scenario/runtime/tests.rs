//! Unit tests of the scenario runtime: sequencing, seeded probability, predicates, token
//! buckets, delays and deadlines.

use super::*;
use crate::contract::Contract;
use serde_json::json;

fn scenario(text: &str) -> Scenario {
    Scenario::parse(&Contract::load(), "t.yaml", text).unwrap()
}

fn run(runtime: &mut Runtime, s: &Scenario, method: &str, body: Value) -> Decision {
    let headers = HeaderMap::new();
    runtime.decide(
        &[s],
        &CallInfo {
            method,
            body: &body,
            headers: &headers,
            timeout: None,
        },
        Instant::now(),
    )
}

fn code(d: &Decision) -> Option<Code> {
    match &d.answer {
        Some(Answer::Error(e)) => Some(e.code),
        _ => None,
    }
}

#[test]
fn first_k_then_pass() {
    let s = scenario("rules:\n  - when: {first: 2}\n    error: unavailable\n");
    let mut rt = Runtime::new(1);
    let codes: Vec<_> = (0..4)
        .map(|_| code(&run(&mut rt, &s, "GetSCMIntegration", json!({}))))
        .collect();
    assert_eq!(
        codes,
        [Some(Code::Unavailable), Some(Code::Unavailable), None, None]
    );
    assert_eq!(
        rt.counts()[&("t".to_string(), 0)],
        RuleCount {
            matched: 4,
            fired: 2
        }
    );
}

#[test]
fn forgetting_a_scenario_starts_its_counts_afresh() {
    let s = scenario("rules:\n  - when: {first: 1}\n    error: unavailable\n");
    let mut rt = Runtime::new(1);
    assert!(code(&run(&mut rt, &s, "GetSCMIntegration", json!({}))).is_some());
    assert!(code(&run(&mut rt, &s, "GetSCMIntegration", json!({}))).is_none());
    rt.forget("other");
    assert!(code(&run(&mut rt, &s, "GetSCMIntegration", json!({}))).is_none());
    rt.forget("t");
    assert!(code(&run(&mut rt, &s, "GetSCMIntegration", json!({}))).is_some());
}

#[test]
fn nth_every_and_after() {
    let s = scenario("rules:\n  - when: {nth: 3}\n    error: internal\n  - when: {every: 2}\n    error: unavailable\n");
    let mut rt = Runtime::new(1);
    let codes: Vec<_> = (0..5)
        .map(|_| code(&run(&mut rt, &s, "GetSCMIntegration", json!({}))))
        .collect();
    // Rule 2 counts only the calls rule 1 let through: calls 1, 2, 4, 5 are its 1st-4th.
    assert_eq!(
        codes,
        [
            Some(Code::Unavailable),
            None,
            Some(Code::Internal),
            Some(Code::Unavailable),
            None
        ]
    );
}

#[test]
fn the_same_seed_gives_the_same_fault_sequence() {
    let s = scenario("rules:\n  - when: {probability: 0.5}\n    error: unavailable\n");
    let sequence = |seed| {
        let mut rt = Runtime::new(seed);
        (0..64)
            .map(|_| code(&run(&mut rt, &s, "GetSCMIntegration", json!({}))))
            .collect::<Vec<_>>()
    };
    assert_eq!(sequence(7), sequence(7));
    assert_ne!(sequence(7), sequence(8));
    let fired = sequence(7).iter().filter(|c| c.is_some()).count();
    assert!((16..=48).contains(&fired), "{fired} of 64");
}

#[test]
fn predicates_on_method_body_and_fields() {
    let s = scenario(concat!(
        "rules:\n",
        "  - match: {method: \"List*\", fields: {\"filter.runnerIds\": {contains: r1}}}\n    error: unavailable\n",
        "  - match: {body: {runnerId: r1}}\n    error: unavailable\n",
    ));
    let mut rt = Runtime::new(1);
    assert!(code(&run(
        &mut rt,
        &s,
        "ListSCMIntegrations",
        json!({"filter": {"runnerIds": ["r0", "r1"]}})
    ))
    .is_some());
    assert!(code(&run(
        &mut rt,
        &s,
        "ListSCMIntegrations",
        json!({"filter": {"runnerIds": ["r0"]}})
    ))
    .is_none());
    assert!(code(&run(
        &mut rt,
        &s,
        "CreateSCMIntegration",
        json!({"runnerId": "r1", "host": "h"})
    ))
    .is_some());
    assert!(code(&run(
        &mut rt,
        &s,
        "CreateSCMIntegration",
        json!({"runnerId": "r2"})
    ))
    .is_none());
}

#[test]
fn a_bucket_empties_and_refills() {
    let s = scenario("rules:\n  - rate_limit: {capacity: 2, per_second: 1}\n");
    let mut rt = Runtime::new(1);
    let (headers, body, t0) = (HeaderMap::new(), json!({}), Instant::now());
    let call = CallInfo {
        method: "GetSCMIntegration",
        body: &body,
        headers: &headers,
        timeout: None,
    };
    let at = |ms| t0 + Duration::from_millis(ms);
    assert!(rt.decide(&[&s], &call, at(0)).answer.is_none());
    assert!(rt.decide(&[&s], &call, at(1)).answer.is_none());
    let limited = rt.decide(&[&s], &call, at(2));
    let retry_after = match &limited.answer {
        Some(Answer::Error(e)) => e.headers.contains(&("retry-after", "1".to_string())),
        _ => false,
    };
    assert!(retry_after, "{limited:?}");
    assert_eq!(code(&limited), Some(Code::ResourceExhausted));
    assert!(rt.decide(&[&s], &call, at(1100)).answer.is_none());
}

#[test]
fn delays_are_sampled_within_their_bounds() {
    let s = scenario("rules:\n  - delay: {median_ms: 100, sigma: 1.0, max_ms: 300}\n");
    let mut rt = Runtime::new(3);
    for _ in 0..200 {
        let d = run(&mut rt, &s, "GetSCMIntegration", json!({}));
        assert!(d.delay <= Duration::from_millis(300) && d.answer.is_none());
    }
    let u = scenario("rules:\n  - delay: {min_ms: 10, max_ms: 20}\n");
    let d = run(&mut rt, &u, "GetSCMIntegration", json!({})).delay;
    assert!(
        d >= Duration::from_millis(10) && d <= Duration::from_millis(20),
        "{d:?}"
    );
}

#[test]
fn exceeding_the_deadline_waits_past_the_clients_timeout() {
    let s = scenario("rules:\n  - exceed_deadline: {margin_ms: 20}\n");
    let (headers, body) = (HeaderMap::new(), json!({}));
    let call = CallInfo {
        method: "GetSCMIntegration",
        body: &body,
        headers: &headers,
        timeout: Some(Duration::from_millis(100)),
    };
    let d = Runtime::new(1).decide(&[&s], &call, Instant::now());
    assert_eq!(d.delay, Duration::from_millis(120));
    assert_eq!(code(&d), Some(Code::DeadlineExceeded));
}
