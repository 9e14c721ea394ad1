//! `InProcess`: the whole server driven through `http::serve`, with no socket and tokio's clock
//! paused.

use super::Reply;
use bytes::Bytes;
use gitpod_mock::app::App;
use gitpod_mock::session::Sessions;
use http::Request;
use http_body_util::Full;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Longer than any scripted delay or deadline a call can meet; virtual time, so free.
const HANG: Duration = Duration::from_secs(600);

/// The whole server driven in process through `http::serve`: no socket, and tokio's clock
/// paused, so a scripted delay or a client deadline costs no wall-clock time, and a call that
/// never finishes shows up as a virtual timeout instead of a stuck test.
pub struct InProcess {
    pub app: Arc<App>,
    runtime: tokio::runtime::Runtime,
}

/// What an in-process call got.
#[derive(Debug)]
pub struct Exchange {
    /// None when the server dropped the connection without an answer.
    pub reply: Option<Reply>,
    /// A scenario rule fired for the call, which may then answer anything the rule says.
    pub scripted: bool,
    /// How long the answer took on the paused clock: the delays the server slept.
    pub took: Duration,
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
    pub fn send(&self, request: Request<Full<Bytes>>) -> Result<Exchange, String> {
        let app = self.app.clone();
        let session = Sessions::id_from_headers(request.headers()).ok();
        let before = session.as_deref().and_then(|id| self.last_entry(id));
        let work = async move {
            let started = tokio::time::Instant::now();
            let reset = Arc::new(AtomicBool::new(false));
            let reply = match gitpod_mock::http::serve(app, reset, request).await {
                // A body that breaks off counts as an empty one, as the oracle judges status.
                Ok(response) => Reply::read(response, |_| Ok(Bytes::new())).await.ok(),
                Err(_) => None,
            };
            (reply, started.elapsed())
        };
        let (reply, took) = self
            .runtime
            .block_on(async { tokio::time::timeout(HANG, work).await })
            .map_err(|_| format!("no answer within {} s of (virtual) time", HANG.as_secs()))?;
        // A scenario fired for this call if the session's newest journal entry is new and
        // names one.
        let after = session.and_then(|id| self.last_entry(&id));
        let scripted = after.is_some_and(|(seq, fired)| fired && Some(seq) != before.map(|b| b.0));
        Ok(Exchange {
            reply,
            scripted,
            took,
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
