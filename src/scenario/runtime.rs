//! A session's scenario state: per-rule counters, token buckets and a seeded generator, and
//! the decision, taken under the session lock, of what a call gets. Delays are only decided
//! here; the caller sleeps after releasing the lock.

use super::compile::{Action, Rule, Scenario};
use super::explain::{self, Explained, MAX_EXPLAINED};
use super::respond::Scripted;
use super::spec::{DelaySpec, DribbleSpec};
use crate::codec::answer::{Answer, Response};
use crate::error::{Code, RpcError};
use http::HeaderMap;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Each active rule's verdict on one call, at most [`MAX_EXPLAINED`] of them; the rest are
/// counted in `omitted`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Explanation {
    pub rules: Vec<Explained>,
    pub omitted: usize,
}

impl Explanation {
    fn add(&mut self, scenario: &str, index: usize, fired: bool, reason: String) {
        if self.rules.len() >= MAX_EXPLAINED {
            self.omitted += 1;
            return;
        }
        let scenario = scenario.to_string();
        let rule = index + 1;
        self.rules.push(Explained {
            scenario,
            rule,
            fired,
            reason,
        });
    }

    /// About how many bytes it holds, for the journal's budget.
    pub fn bytes(&self) -> usize {
        self.rules.iter().map(Explained::bytes).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// What the RPC path knows about a call when scenarios look at it.
pub struct CallInfo<'a> {
    pub method: &'a str,
    pub body: &'a Value,
    pub headers: &'a HeaderMap,
    /// The client's Connect-Timeout-Ms, if it sent one.
    pub timeout: Option<Duration>,
}

/// The decision for one call: which rule fired (if any), how long to wait, and the answer it
/// scripts, if any. The rule's response headers go on whatever the call answers; an error
/// keeps its own headers (a `retry-after`) over theirs.
#[derive(Debug)]
pub struct Decision {
    pub fired: Option<(String, usize)>,
    /// Each active rule's verdict on the call, in order (see [`Explanation`]).
    pub why: Explanation,
    pub delay: Duration,
    /// None lets the call go on to validation and its handler.
    pub answer: Option<Answer>,
    pub dribble: Option<(usize, Duration)>,
    pub headers: Vec<(String, String)>,
}

impl Decision {
    pub fn pass() -> Decision {
        Decision {
            fired: None,
            why: Explanation::default(),
            delay: Duration::ZERO,
            answer: None,
            dribble: None,
            headers: Vec::new(),
        }
    }
}

/// Counts for one rule within a session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RuleCount {
    pub matched: u64,
    pub fired: u64,
}

#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Per-session scenario state.
#[derive(Debug, Clone)]
pub struct Runtime {
    rng: Xoshiro256PlusPlus,
    counts: BTreeMap<(String, usize), RuleCount>,
    buckets: BTreeMap<(String, usize), Bucket>,
}

impl Runtime {
    /// A runtime whose random choices repeat exactly for the same seed.
    pub fn new(seed: u64) -> Runtime {
        Runtime {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            counts: BTreeMap::new(),
            buckets: BTreeMap::new(),
        }
    }

    pub fn counts(&self) -> &BTreeMap<(String, usize), RuleCount> {
        &self.counts
    }

    /// Forgets one scenario's counters and token buckets, for when it is loaded again: they
    /// are keyed by rule position, so new rules would otherwise carry on the old ones' counts.
    pub fn forget(&mut self, scenario: &str) {
        self.counts.retain(|(name, _), _| name != scenario);
        self.buckets.retain(|(name, _), _| name != scenario);
    }

    /// Runs the call past each scenario's rules in order; the first rule that fires decides.
    /// Each rule's verdict goes into the decision's explanation.
    pub fn decide(
        &mut self,
        scenarios: &[&Scenario],
        call: &CallInfo<'_>,
        now: Instant,
    ) -> Decision {
        let mut why = Explanation::default();
        let rules = scenarios.iter().flat_map(|s| {
            s.rules
                .iter()
                .enumerate()
                .map(move |(i, r)| (&s.name, i, r))
        });
        let mut rules = rules.peekable();
        while let Some((name, index, rule)) = rules.next() {
            if let Some(reason) = explain::miss(rule, call) {
                why.add(name, index, false, reason);
                continue;
            }
            let key = (name.clone(), index);
            let count = {
                let c = self.counts.entry(key.clone()).or_default();
                c.matched += 1;
                c.matched
            };
            if let Some(reason) = self.held_back(rule, count) {
                why.add(name, index, false, reason);
                continue;
            }
            {
                let answer = match &rule.action {
                    Action::RateLimit {
                        capacity,
                        per_second,
                    } => match self.take_token(&key, *capacity, *per_second, now) {
                        Ok(()) => {
                            let reason = format!("rate limit: a token of {capacity} was free");
                            why.add(name, index, false, reason);
                            continue;
                        }
                        Err(wait) => Some(rate_limited(wait)),
                    },
                    Action::Pass => None,
                    Action::Error(e) => Some(Answer::Error(e.clone())),
                    Action::Raw(raw) => Some(Answer::Raw {
                        status: raw.status,
                        content_type: raw.content_type.clone(),
                        body: raw.body.clone(),
                    }),
                    Action::Connection(fault) => Some(Answer::Connection(*fault)),
                    Action::Respond(body) => {
                        Some(Answer::Message(Response::new(Scripted(body.clone()))))
                    }
                    Action::ExceedDeadline { .. } => Some(Answer::Error(RpcError::new(
                        Code::DeadlineExceeded,
                        "the request's deadline passed",
                    ))),
                };
                self.counts.entry(key.clone()).or_default().fired += 1;
                let headers = rule.response_headers.clone();
                let delay = match &rule.action {
                    Action::ExceedDeadline {
                        margin_ms,
                        fallback_ms,
                    } => call
                        .timeout
                        .map_or(Duration::from_millis(*fallback_ms), |t| {
                            t + Duration::from_millis(*margin_ms)
                        }),
                    _ => rule
                        .delay
                        .as_ref()
                        .map_or(Duration::ZERO, |d| self.sample_delay(d)),
                };
                let dribble = rule.dribble.as_ref().map(
                    |DribbleSpec {
                         chunk_bytes,
                         interval_ms,
                     }| (*chunk_bytes, Duration::from_millis(*interval_ms)),
                );
                why.add(name, index, true, format!("fired: call {count} it matched"));
                for (later, index, _) in rules {
                    let reason = format!("not reached: {}#{} fired first", key.0, key.1 + 1);
                    why.add(later, index, false, reason);
                }
                return Decision {
                    fired: Some(key),
                    why,
                    delay,
                    answer,
                    dribble,
                    headers,
                };
            }
        }
        Decision {
            why,
            ..Decision::pass()
        }
    }

    /// Why the rule's `count`th matching call does not fire; None if it does. The
    /// probability is drawn only once the counters let the call through.
    fn held_back(&mut self, rule: &Rule, count: u64) -> Option<String> {
        if let Some(reason) = explain::held_back(rule, count, None) {
            return Some(reason);
        }
        let drawn = rule.when.probability.map(|_| self.rng.random::<f64>());
        explain::held_back(rule, count, drawn)
    }

    /// Takes a token from the rule's bucket, or says how long until one is back.
    fn take_token(
        &mut self,
        key: &(String, usize),
        capacity: u32,
        per_second: f64,
        now: Instant,
    ) -> Result<(), Duration> {
        let bucket = self.buckets.entry(key.clone()).or_insert(Bucket {
            tokens: f64::from(capacity),
            at: now,
        });
        let refill = now.saturating_duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refill).min(f64::from(capacity));
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }

    fn sample_delay(&mut self, d: &DelaySpec) -> Duration {
        let ms = if let Some(ms) = d.ms {
            ms as f64
        } else if let Some(min) = d.min_ms {
            self.rng
                .random_range(min as f64..=d.max_ms.unwrap_or(min) as f64)
        } else {
            // Lognormal: median * e^(sigma * z), z standard normal by Box-Muller.
            let (u1, u2): (f64, f64) = (
                self.rng.random::<f64>().max(f64::MIN_POSITIVE),
                self.rng.random(),
            );
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            d.median_ms.unwrap_or(0) as f64 * (d.sigma.unwrap_or(0.0) * z).exp()
        };
        let capped = d.max_ms.map_or(ms, |max| ms.min(max as f64));
        Duration::from_secs_f64(capped.max(0.0) / 1000.0)
    }
}

fn rate_limited(wait: Duration) -> Answer {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let error = RpcError::new(
        Code::ResourceExhausted,
        format!("rate limit exceeded: retry in {secs}s"),
    )
    .with_header("retry-after", secs.to_string());
    Answer::Error(error)
}

/// Whether `value` contains `subset`: objects by key, arrays element-wise in any order.
pub fn contains(value: &Value, subset: &Value) -> bool {
    match (value, subset) {
        (Value::Object(v), Value::Object(s)) => s
            .iter()
            .all(|(k, sv)| v.get(k).is_some_and(|vv| contains(vv, sv))),
        (Value::Array(v), Value::Array(s)) => {
            s.iter().all(|sv| v.iter().any(|vv| contains(vv, sv)))
        }
        _ => value == subset,
    }
}

#[cfg(test)]
mod tests;
