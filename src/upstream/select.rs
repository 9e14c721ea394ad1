//! Which calls go to the upstream: those whose method a `--shadow-methods` glob matches (all
//! without one), and of them the `--shadow-sample` share, evenly spaced so a run repeats.

use crate::contract::Procedure;
use std::sync::atomic::{AtomicU64, Ordering};

/// The calls forwarded.
#[derive(Debug)]
pub(crate) struct Selection {
    globs: Vec<String>,
    /// The share forwarded, 0 to 1.
    sample: f64,
    /// Calls the globs matched so far, which the sample is spaced over.
    seen: AtomicU64,
}

impl Selection {
    /// Checks the share at startup.
    pub(crate) fn new(globs: Vec<String>, sample: f64) -> Result<Selection, String> {
        if !(0.0..=1.0).contains(&sample) {
            return Err(format!("--shadow-sample {sample} must be between 0 and 1"));
        }
        Ok(Selection {
            globs,
            sample,
            seen: AtomicU64::new(0),
        })
    }

    /// Whether this call of `procedure` is forwarded. The n-th matching call goes when the
    /// running total of the share crosses a whole number: with 0.25, the 4th, 8th, 12th….
    pub(crate) fn selects(&self, procedure: &Procedure) -> bool {
        let qualified = procedure.path.trim_start_matches('/');
        let matched = self.globs.is_empty()
            || self
                .globs
                .iter()
                .any(|g| glob(g, &procedure.name) || glob(g, qualified));
        if !matched {
            return false;
        }
        if self.sample >= 1.0 {
            return true;
        }
        let n = self.seen.fetch_add(1, Ordering::Relaxed) as f64;
        ((n + 1.0) * self.sample).floor() > (n * self.sample).floor()
    }
}

/// Whether `text` matches `pattern`, where `*` is any run of characters and `?` one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it has swallowed up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_whole_names() {
        assert!(glob("Get*", "GetSCMIntegration"));
        assert!(glob("*SCM*", "ListSCMIntegrations"));
        assert!(glob(
            "gitpod.v1.*/Get?CMIntegration",
            "gitpod.v1.X/GetSCMIntegration"
        ));
        assert!(glob("*", ""));
        assert!(!glob("Get*", "ListGets"));
        assert!(!glob("Get", "GetX"));
        assert!(!glob("*Token", "GetHostAuthenticationTokens"));
    }
}
