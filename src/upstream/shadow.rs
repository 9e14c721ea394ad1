//! A call with an upstream configured: the body is read once, the mock runs the call as ever
//! while the upstream gets the same request, and when both have answered the two answers are
//! compared into the drift report. The client gets the mock's answer (`--shadow`) or the
//! upstream's (`--proxy`). Only unary Connect calls (a POST of `application/json` or
//! `application/proto`, or a Connect GET, to a known procedure) are forwarded; gRPC and
//! gRPC-Web calls are the mock's alone. Binary answers are compared as the JSON they decode
//! to (`wire`).

use super::{end_to_end, wire, Mode, UpstreamAnswer, UpstreamFailure};
use crate::app::App;
use crate::body::{full, Body, RequestBody};
use crate::codec::answer::ConnectionFault;
use crate::contract::Procedure;
use crate::drift::compare::{self, Side};
use crate::error::{Code, RpcError};
use crate::journal::Entry;
use crate::rpc::{self, error_response};
use bytes::Bytes;
use http::request::Parts;
use http::{Method, Response};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use std::sync::Arc;

/// Whether a call goes to the upstream too: a unary Connect call of a known procedure, one
/// the `--shadow-methods` and `--shadow-sample` selection picks.
pub(crate) fn applies(app: &App, parts: &Parts, routed: &str) -> bool {
    let Some(upstream) = &app.upstream else {
        return false;
    };
    let unary = match parts.method {
        Method::POST => wire::encoding(&parts.headers).is_some(),
        Method::GET => crate::codec::get::parse(parts.uri.query()).is_ok(),
        _ => false,
    };
    unary
        && app
            .table
            .route(routed)
            .is_some_and(|route| upstream.selects(route.procedure()))
}

/// Serves a forwarded call (see the module docs).
pub(crate) async fn call<B: RequestBody>(
    app: &Arc<App>,
    parts: &Parts,
    routed: &str,
    body: B,
) -> Result<Response<Body>, ConnectionFault> {
    let Some(upstream) = &app.upstream else {
        return rpc::call(app, parts, routed, body).await;
    };
    let raw = match crate::body::read(body, app.settings.max_body_bytes, &parts.headers).await {
        Ok(raw) => raw,
        Err(e) => return Ok(error_response(&e)),
    };
    match upstream.mode {
        Mode::Shadow => shadow(app, parts, routed, raw).await,
        Mode::Proxy => {
            let (upstream_answer, mock_answer) = tokio::join!(
                upstream.forward(parts, raw.clone()),
                mock_answer(app, parts, routed, raw.clone(), rpc::Scope::Throwaway),
            );
            if let Ok((head, bytes, entry)) = mock_answer {
                let mock = read_whole(&head, &bytes);
                record(app, parts, routed, &raw, &upstream_answer, &mock);
                if let Some(entry) = entry {
                    journal_proxied(app, entry, &upstream_answer);
                }
            }
            if upstream.recorder.is_some() {
                // The client need not wait for what the recording asks of the upstream.
                let (app, parts, routed) = (Arc::clone(app), parts.clone(), routed.to_string());
                let answer = upstream_answer.clone();
                app.drift.begin();
                tokio::spawn(async move {
                    recorded(&app, &parts, &routed, &raw, &answer).await;
                    app.drift.end();
                });
            }
            Ok(match upstream_answer {
                Ok(answer) => relayed(answer),
                Err(failure) => failed(&failure),
            })
        }
    }
}

/// Shadow mode: the client gets the mock's answer as soon as it is ready; the upstream's is
/// awaited and compared in a task of its own, which the report counts as pending meanwhile.
/// A call whose client hangs up before the mock answers is not compared.
async fn shadow(
    app: &Arc<App>,
    parts: &Parts,
    routed: &str,
    raw: Bytes,
) -> Result<Response<Body>, ConnectionFault> {
    let (mock_tx, mock_rx) = tokio::sync::oneshot::channel::<UpstreamAnswer>();
    let comparison = Comparison {
        app: Arc::clone(app),
        parts: parts.clone(),
        routed: routed.to_string(),
        raw: raw.clone(),
    };
    app.drift.begin();
    tokio::spawn(async move {
        let Comparison {
            app,
            parts,
            routed,
            raw,
        } = comparison;
        if let Some(upstream) = &app.upstream {
            let answer = upstream.forward(&parts, raw.clone()).await;
            if let Ok(mock) = mock_rx.await {
                record(&app, &parts, &routed, &raw, &answer, &mock);
            }
            recorded(&app, &parts, &routed, &raw, &answer).await;
        }
        app.drift.end();
    });
    // The mock's call is the client's own: it runs on the session itself.
    let (head, bytes, _) = mock_answer(app, parts, routed, raw, rpc::Scope::Kept).await?;
    let _ = mock_tx.send(read_whole(&head, &bytes));
    Ok(Response::from_parts(head, full(bytes)))
}

/// What a shadow call's comparison task owns.
struct Comparison {
    app: Arc<App>,
    parts: Parts,
    routed: String,
    raw: Bytes,
}

/// Compares the two answers to a call and records the differences.
fn record(
    app: &App,
    parts: &Parts,
    routed: &str,
    raw: &[u8],
    upstream: &Result<UpstreamAnswer, UpstreamFailure>,
    mock: &UpstreamAnswer,
) {
    let Some(route) = app.table.route(routed) else {
        return;
    };
    let procedure = route.procedure();
    let mock_body = wire::answer_json(&procedure.output, mock);
    let mock = Side {
        status: mock.status,
        body: &mock_body,
    };
    let differences = match upstream {
        Ok(answer) => {
            let body = wire::answer_json(&procedure.output, answer);
            let upstream = Side {
                status: answer.status,
                body: &body,
            };
            let mut found = compare::answers(&procedure.output, upstream, mock);
            if answer.status == 200 {
                found.extend(wire::unknown_numbers(&procedure.output, answer));
                found.extend(rule_violations(app, procedure, answer));
            }
            found
        }
        Err(failure) => vec![compare::failure(failure, mock)],
    };
    let example = example_request(app, procedure, parts, raw);
    app.drift.record(&procedure.name, &example, differences);
}

/// With `--record`: keeps the records of the upstream's successful answer, and asks the
/// upstream for those they name.
async fn recorded(
    app: &App,
    parts: &Parts,
    routed: &str,
    raw: &[u8],
    answer: &Result<UpstreamAnswer, UpstreamFailure>,
) {
    let (Some(upstream), Ok(answer)) = (&app.upstream, answer) else {
        return;
    };
    if upstream.recorder.is_none() || answer.status != 200 {
        return;
    }
    let Some(route) = app.table.route(routed) else {
        return;
    };
    let request = example_request(app, route.procedure(), parts, raw);
    super::record::complete(app, parts, routed, &request, answer).await;
}

/// The upstream's successful answer checked against the buf.validate rules of the response
/// message: a required field left out, a string too long, a CEL rule broken. Paths are the
/// rules' proto paths, list indices folded (`items[]`), so each is one finding.
fn rule_violations(
    app: &App,
    procedure: &Procedure,
    answer: &UpstreamAnswer,
) -> Vec<crate::drift::Difference> {
    let output = &procedure.output;
    // An answer that does not decode already has its wrong types and unknown fields found.
    let Some(canonical) = wire::canonical(&app.contract, output, &answer.headers, &answer.body)
    else {
        return Vec::new();
    };
    // `attach` compiled the response messages' validators at start.
    let Err(violations) = app.contract.validate_request(output, &canonical) else {
        return Vec::new();
    };
    violations
        .into_iter()
        .map(|v| crate::drift::Difference {
            path: json_names(output, &folded_indices(&v.field_path)),
            kind: crate::drift::Kind::ViolatesRule,
            upstream: format!("breaks rule {}: {}", v.rule_id, v.message),
            mock: format!("{} has the rule", output.full_name()),
        })
        .collect()
}

/// A rule's field path, which names proto fields (`token.expires_at`), with the JSON names
/// every other finding uses (`token.expiresAt`); a segment the message lacks is kept as it is.
fn json_names(message: &prost_reflect::MessageDescriptor, path: &str) -> String {
    let mut at = Some(message.clone());
    let mut out = Vec::new();
    for segment in path.split('.') {
        let (name, suffix) = match segment.strip_suffix("[]") {
            Some(name) => (name, "[]"),
            None => (segment, ""),
        };
        let field = at.as_ref().and_then(|m| m.get_field_by_name(name));
        out.push(match &field {
            Some(field) => format!("{}{suffix}", field.json_name()),
            None => segment.to_string(),
        });
        at = field.and_then(|f| match f.kind() {
            prost_reflect::Kind::Message(inner) if f.is_map() => {
                match inner.map_entry_value_field().kind() {
                    prost_reflect::Kind::Message(value) => Some(value),
                    _ => None,
                }
            }
            prost_reflect::Kind::Message(inner) => Some(inner),
            _ => None,
        });
    }
    out.join(".")
}

/// `a[3].b["k"]` as `a[].b[]`.
fn folded_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut inside = false;
    for c in path.chars() {
        match c {
            '[' => {
                inside = true;
                out.push_str("[]");
            }
            ']' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// The mock's answer to the call, read whole so it can be compared and, in shadow mode, sent.
async fn mock_answer(
    app: &App,
    parts: &Parts,
    routed: &str,
    raw: Bytes,
    // In proxy mode the client gets the upstream's answer, so the mock's call must change
    // nothing: it runs on a throwaway copy of the session.
    scope: rpc::Scope,
) -> Result<MockAnswer, ConnectionFault> {
    let (response, entry) = rpc::call_in(app, parts, routed, Full::new(raw), scope).await?;
    let (head, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    Ok((head, bytes, entry))
}

/// The mock's answer read whole, and in proxy mode the journal entry its throwaway call made.
type MockAnswer = (http::response::Parts, Bytes, Option<Entry>);

/// Proxy mode: the call journalled in its session as the client saw it, with the upstream's
/// status and code (`answeredBy: upstream`), or the failure the client got instead.
fn journal_proxied(app: &App, mut entry: Entry, answer: &Result<UpstreamAnswer, UpstreamFailure>) {
    let (status, code) = match answer {
        Ok(answer) => {
            // A Connect error is JSON in both codecs; a 200 is `ok` whatever its body.
            let body = super::decompressed(&answer.headers, &answer.body);
            let error: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let side = Side {
                status: answer.status,
                body: &error,
            };
            (answer.status, side.code().unwrap_or("unknown").to_string())
        }
        Err(failure) => {
            let code = failure_code(failure);
            (code.http_status(), code.as_str().to_string())
        }
    };
    entry.status = status;
    entry.code = code.into();
    entry.answered_by = Some("upstream");
    app.log.call(&entry);
    let session = app.sessions.get(&entry.session);
    app.keep(&mut session.lock(), entry);
}

/// The upstream's answer as the client gets it in proxy mode.
fn relayed(answer: UpstreamAnswer) -> Response<Body> {
    let mut response = Response::new(full(answer.body));
    *response.status_mut() =
        http::StatusCode::from_u16(answer.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    *response.headers_mut() = end_to_end(&answer.headers);
    response
}

/// A Connect error naming why the upstream gave no answer: unavailable, or deadline_exceeded
/// for a timeout.
fn failed(failure: &UpstreamFailure) -> Response<Body> {
    let code = failure_code(failure);
    error_response(&RpcError::new(
        code,
        format!("gitpod-mock --proxy: {failure}"),
    ))
}

/// The code a client gets for an upstream failure: deadline_exceeded for a timeout, else
/// unavailable.
fn failure_code(failure: &UpstreamFailure) -> Code {
    match failure {
        UpstreamFailure::Timeout(_) => Code::DeadlineExceeded,
        UpstreamFailure::Transport(_) | UpstreamFailure::Tls(_) => Code::Unavailable,
    }
}

/// The request as the report keeps it: decoded to canonical JSON and its secrets redacted;
/// null if it could not be decoded, so nothing undecoded is kept.
fn example_request(app: &App, procedure: &Procedure, parts: &Parts, raw: &[u8]) -> Value {
    let input = &procedure.input;
    let decoded = match parts.method {
        Method::GET => wire::get_canonical(&app.contract, input, parts.uri.query()),
        _ => wire::canonical(&app.contract, input, &parts.headers, raw),
    };
    let Some(mut request) = decoded else {
        return Value::Null;
    };
    app.secrets.redact(input.full_name(), &mut request);
    request
}

/// The mock's answer, read whole, to compare as the upstream's is.
fn read_whole(head: &http::response::Parts, body: &Bytes) -> UpstreamAnswer {
    UpstreamAnswer {
        status: head.status.as_u16(),
        headers: head.headers.clone(),
        body: body.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::{folded_indices, json_names};

    #[test]
    fn a_rules_proto_path_is_written_with_json_names_and_folded_indices() {
        let pool = crate::contract::descriptors();
        let list = pool
            .get_message_by_name("gitpod.v1.ListEnvironmentClassesResponse")
            .unwrap();
        let path = folded_indices("environment_classes[3].display_name");
        assert_eq!(json_names(&list, &path), "environmentClasses[].displayName");
        assert_eq!(json_names(&list, "no_such.field"), "no_such.field");
    }
}
