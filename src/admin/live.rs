//! The live feed, `GET /__mock/live`: each journaled call and each reload as a server-sent
//! event, as it happens, for the dashboard and for `curl -N`. A call costs the feed one atomic
//! load while nobody listens; with listeners, its summary is written once and shared.

use crate::body::Body;
use crate::error::{Code, RpcError};
use crate::journal::Entry;
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use hyper::body::Frame;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// Events kept for listeners that fall behind; one further behind is told how many it missed.
const BACKLOG: usize = 256;
/// At most this many open feeds, so forgotten browser tabs cannot pile up tasks.
pub const MAX_LISTENERS: usize = 32;
/// At most this many events go out in one frame.
const BATCH: usize = 64;
/// A comment line this often keeps proxies and browsers from closing an idle feed.
const KEEPALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
enum Event {
    /// A call's summary, with its session so a feed can keep to one.
    Call { session: Arc<str>, data: Arc<str> },
    /// A reload attempt, as `/__mock/health` reports it.
    Reload(Arc<str>),
}

/// The sending side of the feed, one per server.
pub struct Live {
    sender: broadcast::Sender<Event>,
    listeners: Arc<AtomicUsize>,
}

impl Default for Live {
    fn default() -> Live {
        Live {
            sender: broadcast::channel(BACKLOG).0,
            listeners: Arc::new(AtomicUsize::new(0)),
        }
    }
}

/// What the feed says of a call; the rest (bodies, why) is one `GET journal?seq=` away.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    seq: u64,
    at: crate::journal::Millis,
    session: &'a str,
    method: &'a str,
    path: &'a str,
    protocol: &'a str,
    status: u16,
    code: &'a str,
    latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answered_by: Option<&'a str>,
}

impl Live {
    /// Whether anyone listens; the RPC path asks before building a summary.
    pub fn is_heard(&self) -> bool {
        self.listeners.load(Ordering::Relaxed) > 0
    }

    /// Announces a call the journal is about to keep as entry `seq`.
    pub fn call(&self, seq: u64, entry: &Entry) {
        let summary = Summary {
            seq,
            at: crate::journal::Millis(entry.at),
            session: &entry.session,
            method: &entry.method,
            path: &entry.path,
            protocol: entry.protocol,
            status: entry.status,
            code: &entry.code,
            latency_ms: entry.latency_ms,
            scenario: entry.scenario.as_deref(),
            rule: entry.rule,
            answered_by: entry.answered_by,
        };
        let data = serde_json::to_string(&summary).expect("a summary serializes");
        let _ = self.sender.send(Event::Call {
            session: entry.session.as_str().into(),
            data: data.into(),
        });
    }

    /// Announces a reload attempt with the status `/__mock/health` now reports.
    pub fn reload(&self, status: &serde_json::Value) {
        if self.is_heard() {
            let _ = self.sender.send(Event::Reload(status.to_string().into()));
        }
    }

    /// Opens a feed, of one session's calls when `session` is given, that ends when the client
    /// goes away or the server stops.
    pub fn open(
        &self,
        session: Option<String>,
        mut stopping: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Response<Body>, RpcError> {
        let listener = Listener::join(&self.listeners).ok_or_else(|| {
            RpcError::new(
                Code::ResourceExhausted,
                format!("{MAX_LISTENERS} live feeds are open already; close one (a browser tab of the dashboard) and retry"),
            )
        })?;
        let mut events = self.sender.subscribe();
        let (frames, body) = mpsc::channel::<Frame<Bytes>>(16);
        tokio::spawn(async move {
            let _listener = listener;
            let mut keepalive =
                tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
            let mut text = String::from("retry: 2000\n: connected\n\n");
            loop {
                if !text.is_empty() {
                    let frame = Frame::data(Bytes::from(std::mem::take(&mut text)));
                    if frames.send(frame).await.is_err() {
                        return;
                    }
                }
                tokio::select! {
                    _ = stopping.wait_for(|stopping| *stopping) => return,
                    _ = frames.closed() => return,
                    _ = keepalive.tick() => text.push_str(": keepalive\n\n"),
                    event = events.recv() => {
                        if !write(event, session.as_deref(), &mut text) {
                            return;
                        }
                        // Under load, the events waiting go out in one frame, not one each.
                        for _ in 1..BATCH {
                            match events.try_recv() {
                                Ok(event) => write(Ok(event), session.as_deref(), &mut text),
                                Err(broadcast::error::TryRecvError::Lagged(n)) => {
                                    write(Err(broadcast::error::RecvError::Lagged(n)), None, &mut text)
                                }
                                Err(_) => break,
                            };
                        }
                    }
                }
            }
        });
        Response::builder()
            .status(StatusCode::OK)
            .header(http::header::CONTENT_TYPE, "text/event-stream")
            .header(http::header::CACHE_CONTROL, "no-cache")
            .header("x-accel-buffering", "no")
            .body(crate::body::channel(body))
            .map_err(|e| RpcError::internal(format!("the live feed's head: {e}")))
    }
}

/// Appends an event to `text` as the feed writes it, if it is for `session` (any, when None);
/// false when the feed has closed.
fn write(
    event: Result<Event, broadcast::error::RecvError>,
    session: Option<&str>,
    text: &mut String,
) -> bool {
    use std::fmt::Write as _;
    let _ = match event {
        Ok(Event::Call { session: of, data }) if session.is_none_or(|s| *s == *of) => {
            write!(text, "event: call\ndata: {data}\n\n")
        }
        Ok(Event::Call { .. }) => Ok(()),
        Ok(Event::Reload(data)) => write!(text, "event: reload\ndata: {data}\n\n"),
        Err(broadcast::error::RecvError::Lagged(missed)) => {
            write!(text, "event: lagged\ndata: {{\"missed\":{missed}}}\n\n")
        }
        Err(broadcast::error::RecvError::Closed) => return false,
    };
    true
}

/// One open feed, counted while it lives.
struct Listener(Arc<AtomicUsize>);

impl Listener {
    fn join(count: &Arc<AtomicUsize>) -> Option<Listener> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_LISTENERS).then_some(n + 1)
            })
            .ok()?;
        Some(Listener(count.clone()))
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `GET /__mock/live[?session=ID]`, behind the control token like the rest of the
/// control plane.
pub fn serve(
    app: &crate::app::App,
    parts: &http::request::Parts,
) -> Result<Response<Body>, RpcError> {
    super::only(&parts.method, "live", &[Method::GET, Method::HEAD])?;
    app.settings.control.check(&parts.headers)?;
    let session = super::query_pairs(parts.uri.query())
        .into_iter()
        .find(|(k, _)| k == "session")
        .map(|(_, id)| crate::session::Sessions::normalize_id(&id))
        .transpose()?;
    app.live.open(session, app.stopping.subscribe())
}
