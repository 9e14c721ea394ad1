//! The request log: one line per call, as text or JSON, written by its own thread from a
//! bounded queue, so a log nobody reads drops lines (and counts them) instead of stalling
//! calls. A line holds no body and no header, so it cannot carry a secret.

use crate::journal::{Entry, Millis};
use serde::Serialize;
use std::borrow::Cow;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// Lines the queue holds; past that, new lines are dropped until the writer catches up.
const QUEUE_LINES: usize = 4096;

/// How long the writer rests after a batch. Lines queue up meanwhile and go out in one write,
/// and a call that queues a line while the writer rests wakes no thread: under load the log
/// costs a few writes a second, not a wake-up and a write per call.
const REST: Duration = Duration::from_millis(10);

/// How each line is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `TIME SESSION METHOD PROTOCOL STATUS CODE LATENCY [rule=SCENARIO#N] [answered-by=upstream]`,
    /// for people.
    #[default]
    Text,
    /// One JSON object per line, for machines.
    Json,
}

/// What a line says about one call.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    at: Millis,
    session: String,
    method: String,
    protocol: &'static str,
    status: u16,
    code: Cow<'static, str>,
    latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answered_by: Option<&'static str>,
}

enum Message {
    Line(Line),
    /// Answered once every line queued before it has been written.
    Flush(mpsc::Sender<()>),
}

/// A handle on the log; cloning it shares the queue. The default logs nothing.
#[derive(Clone, Default)]
pub struct Log {
    queue: Option<SyncSender<Message>>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("on", &self.queue.is_some())
            .finish()
    }
}

impl Log {
    /// No log: an embedded server's default, and `serve --quiet`.
    pub fn off() -> Log {
        Log::default()
    }

    /// Logs to `out` in `format`, from a thread of its own.
    pub fn to(out: impl Write + Send + 'static, format: Format) -> Log {
        Log::with_queue(out, format, QUEUE_LINES)
    }

    fn with_queue(out: impl Write + Send + 'static, format: Format, lines: usize) -> Log {
        let (queue, messages) = mpsc::sync_channel(lines);
        let dropped = Arc::new(AtomicU64::new(0));
        let counter = dropped.clone();
        let writer = std::thread::Builder::new()
            .name("gitpod-mock-log".into())
            .spawn(move || drain(&messages, lines, out, format, &counter));
        match writer {
            Ok(_) => Log {
                queue: Some(queue),
                dropped,
            },
            Err(_) => Log::off(),
        }
    }

    /// Queues the line of a journalled call, or counts it as dropped if the queue is full.
    pub fn call(&self, entry: &Entry) {
        let Some(queue) = &self.queue else {
            return;
        };
        let line = Line {
            at: Millis(entry.at),
            session: entry.session.clone(),
            method: entry.method.clone(),
            protocol: entry.protocol,
            status: entry.status,
            code: entry.code.clone(),
            latency_ms: entry.latency_ms,
            scenario: entry.scenario.clone(),
            rule: entry.rule,
            answered_by: entry.answered_by,
        };
        if let Err(TrySendError::Full(_)) = queue.try_send(Message::Line(line)) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Lines dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Waits at most `wait` for the lines queued so far to be written; false if they were not
    /// (a writer that is stuck). Shutdown calls this, so it must not wait for ever.
    pub fn flush(&self, wait: Duration) -> bool {
        let Some(queue) = &self.queue else {
            return true;
        };
        let until = std::time::Instant::now() + wait;
        let (ack, acked) = mpsc::channel();
        let mut flush = Message::Flush(ack);
        // The queue may be full of lines still being written: retry until it has room.
        loop {
            match queue.try_send(flush) {
                Ok(()) => break,
                Err(TrySendError::Full(again)) if std::time::Instant::now() < until => {
                    flush = again;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return false,
            }
        }
        let left = until.saturating_duration_since(std::time::Instant::now());
        acked.recv_timeout(left).is_ok()
    }
}

/// The log thread: writes what is queued (at most a queue's worth at a time), says how many
/// lines were dropped since it last wrote, if any, and rests. Write errors (a closed stderr)
/// are ignored: the log is best effort.
fn drain(
    messages: &Receiver<Message>,
    batch: usize,
    out: impl Write,
    format: Format,
    dropped: &AtomicU64,
) {
    let mut out = std::io::BufWriter::new(out);
    let mut reported = 0;
    while let Ok(first) = messages.recv() {
        let mut acks = Vec::new();
        for message in std::iter::once(first).chain(messages.try_iter().take(batch)) {
            match message {
                Message::Line(line) => {
                    let _ = write_line(&mut out, &line, format);
                }
                Message::Flush(ack) => acks.push(ack),
            }
        }
        let lost = dropped.load(Ordering::Relaxed);
        if lost > reported {
            let _ = writeln!(
                out,
                "gitpod-mock: {} log lines dropped: the log was not read fast enough",
                lost - reported
            );
            reported = lost;
        }
        let _ = out.flush();
        let idle = acks.is_empty();
        for ack in acks {
            let _ = ack.send(());
        }
        if idle {
            std::thread::sleep(REST);
        }
    }
}

fn write_line(out: &mut impl Write, line: &Line, format: Format) -> std::io::Result<()> {
    if format == Format::Json {
        serde_json::to_writer(&mut *out, line)?;
        return writeln!(out);
    }
    write!(
        out,
        "{} {} {} {} {} {} {:.3}ms",
        line.at, line.session, line.method, line.protocol, line.status, line.code, line.latency_ms
    )?;
    if let (Some(scenario), Some(rule)) = (&line.scenario, line.rule) {
        write!(out, " rule={scenario}#{rule}")?;
    }
    if let Some(by) = line.answered_by {
        write!(out, " answered-by={by}")?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;
    use std::collections::BTreeMap;
    use std::time::UNIX_EPOCH;

    /// A writer tests can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A writer that never returns, like a pipe whose reader never reads.
    struct Stuck;

    impl Write for Stuck {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            loop {
                std::thread::park();
            }
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.write(&[]).map(|_| ())
        }
    }

    fn entry(scenario: Option<(&str, usize)>) -> Entry {
        Entry {
            seq: 1,
            at: UNIX_EPOCH + Duration::from_millis(1_735_689_599_042),
            session: "ci-1".into(),
            method: "GetSCMIntegration".into(),
            path: "/gitpod.v1.RunnerConfigurationService/GetSCMIntegration".into(),
            protocol: "connect+proto",
            status: 503,
            code: "unavailable".into(),
            latency_ms: 1.5,
            scenario: scenario.map(|(s, _)| s.to_string()),
            rule: scenario.map(|(_, r)| r),
            headers: BTreeMap::new(),
            request: serde_json::Value::Null,
            truncated: false,
            violations: Vec::new(),
            answered_by: None,
            answer: Default::default(),
            why: Default::default(),
            bytes: 0,
        }
    }

    fn written(format: Format, entries: &[Entry]) -> String {
        let out = Shared::default();
        let log = Log::to(out.clone(), format);
        entries.iter().for_each(|e| log.call(e));
        assert!(log.flush(Duration::from_secs(10)));
        let text = String::from_utf8(out.0.lock().clone()).unwrap();
        text
    }

    #[test]
    fn text_lines_say_time_session_method_protocol_status_code_latency_and_rule() {
        let text = written(Format::Text, &[entry(None), entry(Some(("flaky", 2)))]);
        assert_eq!(
            text,
            "2024-12-31T23:59:59.042Z ci-1 GetSCMIntegration connect+proto 503 unavailable 1.500ms\n\
             2024-12-31T23:59:59.042Z ci-1 GetSCMIntegration connect+proto 503 unavailable 1.500ms rule=flaky#2\n"
        );
    }

    #[test]
    fn json_lines_are_one_object_each() {
        let text = written(Format::Json, &[entry(Some(("flaky", 2)))]);
        let line: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(
            line,
            serde_json::json!({"at": "2024-12-31T23:59:59.042Z", "session": "ci-1", "method": "GetSCMIntegration", "protocol": "connect+proto", "status": 503, "code": "unavailable", "latencyMs": 1.5, "scenario": "flaky", "rule": 2})
        );
    }

    #[test]
    fn a_stuck_writer_drops_and_counts_lines_instead_of_blocking() {
        let log = Log::with_queue(Stuck, Format::Text, 8);
        for _ in 0..10_000 {
            log.call(&entry(None));
        }
        // The writer holds at most one batch (nine lines) and the queue eight; the rest are dropped.
        assert!(log.dropped() >= 10_000 - 8 - 9, "{}", log.dropped());
        assert!(
            !log.flush(Duration::from_millis(1)),
            "a stuck writer cannot flush"
        );
    }
}
