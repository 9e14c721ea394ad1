//! The whole server driven in process through `http::serve`: no socket, and tokio's clock
//! paused, so a scripted delay or a client deadline costs no wall-clock time and a call that
//! never finishes shows up as a virtual timeout instead of a stuck test. The oracle every
//! harness applies is here too.

use bytes::Bytes;
use gitpod_mock::app::App;
use gitpod_mock::session::Sessions;
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Longer than any scripted delay or deadline a case can set; virtual time, so free.
const HANG: Duration = Duration::from_secs(600);

pub struct InProcess {
    pub app: Arc<App>,
    runtime: tokio::runtime::Runtime,
}

/// What came back: a response, or a dropped connection; `scripted` when a scenario rule
/// fired for the call, which may then answer anything the rule says.
#[derive(Debug)]
pub enum Answer {
    Response {
        status: u16,
        headers: HeaderMap,
        body: Bytes,
        scripted: bool,
    },
    Dropped {
        scripted: bool,
    },
}

impl InProcess {
    pub fn new(app: App) -> InProcess {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        InProcess {
            app: Arc::new(app),
            runtime,
        }
    }

    /// Serves one request and reads the whole answer; an error if it does not finish.
    pub fn send(&self, request: Request<Full<Bytes>>) -> Result<Answer, String> {
        let app = self.app.clone();
        let session = Sessions::id_from_headers(request.headers()).ok();
        let before = session
            .as_deref()
            .and_then(|id| self.last_entry(id))
            .map(|(seq, _)| seq);
        let work = async move {
            let reset = Arc::new(AtomicBool::new(false));
            let Ok(response) = gitpod_mock::http::serve(app, reset, request).await else {
                return (None, Bytes::new());
            };
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            (Some(parts), body)
        };
        let (parts, body) = self
            .runtime
            .block_on(async { tokio::time::timeout(HANG, work).await })
            .map_err(|_| format!("no answer within {} s of (virtual) time", HANG.as_secs()))?;
        // A scenario fired for this call if the session's newest journal entry is new and
        // names one.
        let scripted = session
            .and_then(|id| self.last_entry(&id))
            .is_some_and(|(seq, fired)| fired && Some(seq) != before);
        Ok(match parts {
            None => Answer::Dropped { scripted },
            Some(parts) => Answer::Response {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
                scripted,
            },
        })
    }

    /// The sequence number of a session's newest journal entry, and whether a scenario fired
    /// for it; None for a session with no entries (or none yet).
    fn last_entry(&self, id: &str) -> Option<(u64, bool)> {
        let session = self.app.sessions.peek(id);
        let session = session.lock();
        let entry = session.journal.entries().last()?;
        Some((entry.seq, entry.scenario.is_some()))
    }
}

/// The oracle: a call either succeeds or is a proper Connect error that is not the mock's
/// fault. 5xx answers are allowed only where Connect specifies them (501 for a method the mock
/// does not implement, 504 for a passed deadline) or where a scenario scripted them.
pub fn judge(answer: &Answer) -> Result<(), String> {
    let (status, headers, body) = match answer {
        Answer::Response { scripted: true, .. } | Answer::Dropped { scripted: true } => {
            return Ok(())
        }
        Answer::Dropped { scripted: false } => {
            return Err("the connection was dropped without a scenario".into())
        }
        Answer::Response {
            status,
            headers,
            body,
            ..
        } => (status, headers, body),
    };
    let text = String::from_utf8_lossy(body);
    if *status >= 500 && !matches!(status, 501 | 504) {
        return Err(format!("answered {status}: {text}"));
    }
    let is_json = headers
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if *status != 200 && is_json && !text.is_empty() {
        let error: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| format!("answered {status} with a body that is not JSON ({e}): {text}"))?;
        let code = error["code"].as_str().unwrap_or_default();
        if code.is_empty() || code == "internal" || error["message"].as_str().is_none() {
            return Err(format!(
                "answered {status} with no proper Connect error: {text}"
            ));
        }
    }
    Ok(())
}
