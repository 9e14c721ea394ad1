//! A session's scenario state: per-rule counters, token buckets and a seeded generator, and
//! the decision, taken under the session lock, of what a call gets. Delays are only decided
//! here; the caller sleeps after releasing the lock.

use super::compile::{glob, Action, FieldTest, Rule, Scenario};
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
    pub fn decide(
        &mut self,
        scenarios: &[&Scenario],
        call: &CallInfo<'_>,
        now: Instant,
    ) -> Decision {
        for scenario in scenarios {
            for (index, rule) in scenario.rules.iter().enumerate() {
                if !matches(rule, call) {
                    continue;
                }
                let key = (scenario.name.clone(), index);
                let count = {
                    let c = self.counts.entry(key.clone()).or_default();
                    c.matched += 1;
                    c.matched
                };
                if !self.fires(rule, count) {
                    continue;
                }
                let answer = match &rule.action {
                    Action::RateLimit {
                        capacity,
                        per_second,
                    } => match self.take_token(&key, *capacity, *per_second, now) {
                        Ok(()) => continue,
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
                return Decision {
                    fired: Some(key),
                    delay,
                    answer,
                    dribble,
                    headers,
                };
            }
        }
        Decision::pass()
    }

    fn fires(&mut self, rule: &Rule, count: u64) -> bool {
        let w = &rule.when;
        w.nth.is_none_or(|n| count == n)
            && w.first.is_none_or(|k| count <= k)
            && w.after.is_none_or(|k| count > k)
            && w.every.is_none_or(|n| (count - 1).is_multiple_of(n))
            && w.probability.is_none_or(|p| self.rng.random::<f64>() < p)
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

fn matches(rule: &Rule, call: &CallInfo<'_>) -> bool {
    (rule.methods.is_empty() || rule.methods.iter().any(|m| glob(m, call.method)))
        && rule
            .body
            .as_ref()
            .is_none_or(|subset| contains(call.body, subset))
        && rule
            .fields
            .iter()
            .all(|(path, test)| field_matches(lookup(call.body, path), test))
        && rule.headers.iter().all(|(name, want)| {
            call.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|got| want == "*" || got == want)
        })
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

/// The value at a dotted path such as `filter.runnerIds` or `configuration.0.key`.
fn lookup<'a>(body: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(body, |v, part| match v {
        Value::Array(items) => items.get(part.parse::<usize>().ok()?),
        _ => v.get(part),
    })
}

fn field_matches(value: Option<&Value>, test: &FieldTest) -> bool {
    // Fields left at their default count as absent, as in proto3.
    let present = value.filter(|v| {
        !matches!(v, Value::Null)
            && **v != Value::String(String::new())
            && **v != Value::Array(Vec::new())
    });
    match test {
        FieldTest::Exists(want) => present.is_some() == *want,
        FieldTest::Equals(want) => value == Some(want),
        FieldTest::OneOf(options) => value.is_some_and(|v| options.contains(v)),
        FieldTest::Matches(re) => value
            .and_then(Value::as_str)
            .is_some_and(|s| re.is_match(s)),
        FieldTest::Contains(item) => value
            .and_then(Value::as_array)
            .is_some_and(|items| items.contains(item)),
    }
}

#[cfg(test)]
mod tests;
