//! Asking the upstream for what a recording needs and no answer carried: each runner a record
//! names (`RunnerService/GetRunner`) and its configuration schema, and each SCM integration a
//! token names. The asks carry the headers of the call whose answer named them, Authorization
//! included, and nothing of them is kept.

use super::{Wanted, RUNNERS};
use crate::app::App;
use crate::upstream::{decompressed, wire, UpstreamAnswer};
use http::header::{self, HeaderValue};
use http::request::Parts;
use http::{Method, Uri};
use serde_json::{json, Map, Value};

/// What a runner's configuration schema is wanted as.
pub(super) const SCHEMA: &str = "schemas";

/// How each kind of wanted record is asked for: the procedure, and its request's id field.
const ASKS: &[(&str, &str, &str)] = &[
    (RUNNERS, "gitpod.v1.RunnerService/GetRunner", "runnerId"),
    (
        SCHEMA,
        "gitpod.v1.RunnerConfigurationService/GetRunnerConfigurationSchema",
        "runnerId",
    ),
    (
        "scm-integrations",
        "gitpod.v1.RunnerConfigurationService/GetSCMIntegration",
        "id",
    ),
];

/// Records the upstream's successful answer to a call of `routed`, whose canonical request
/// is `request`, then asks the upstream for what the records name until nothing is missing.
pub(crate) async fn complete(
    app: &App,
    parts: &Parts,
    routed: &str,
    request: &Value,
    answer: &UpstreamAnswer,
) {
    let Some(upstream) = &app.upstream else {
        return;
    };
    let Some(recorder) = &upstream.recorder else {
        return;
    };
    let Some(mut wanted) = keep(app, routed, request, answer) else {
        return;
    };
    // Where the client reached the API, e.g. `/api`, so the asks go to the same place.
    let prefix = parts.uri.path().strip_suffix(routed).unwrap_or_default();
    while let Some(next) = wanted.pop() {
        let Some((_, path, field)) = ASKS.iter().find(|(what, ..)| *what == next.what) else {
            continue;
        };
        let request = json!({ *field: next.id });
        let asked = ask(parts, &format!("{prefix}/{path}"));
        let answer = match asked {
            Ok(asked) => upstream
                .forward(
                    &asked,
                    serde_json::to_vec(&request).unwrap_or_default().into(),
                )
                .await
                .map_err(|failure| failure.to_string()),
            Err(why) => Err(why),
        };
        let answer = answer.and_then(|answer| match answer.status {
            200 => Ok(answer),
            status => Err(format!("{path} answered HTTP {status}")),
        });
        match answer {
            Err(why) => recorder.gap(&next, why),
            Ok(answer) if next.what == RUNNERS => {
                match runner_fixture(&decompressed(&answer.headers, &answer.body)) {
                    Some(runner) => recorder.keep_runner(runner),
                    None => recorder.gap(&next, format!("{path} answered no runner")),
                }
            }
            Ok(answer) => {
                let more = keep(app, &format!("/{path}"), &request, &answer);
                wanted.extend(more.unwrap_or_default());
            }
        }
    }
}

/// Keeps the records of `answer`, a successful answer to `routed`; None if it is not one the
/// contract reads.
fn keep(app: &App, routed: &str, request: &Value, answer: &UpstreamAnswer) -> Option<Vec<Wanted>> {
    let recorder = app.upstream.as_ref()?.recorder.as_ref()?;
    let route = app.table.route(routed)?;
    let procedure = route.procedure();
    let canonical = wire::canonical(
        &app.contract,
        &procedure.output,
        &answer.headers,
        &answer.body,
    )?;
    Some(recorder.keep(&app.secrets, procedure, request, &canonical))
}

/// The call that asks for a record: the client's, to `path`, as Connect JSON.
fn ask(parts: &Parts, path: &str) -> Result<Parts, String> {
    let mut asked = parts.clone();
    asked.method = Method::POST;
    asked.uri = Uri::try_from(path).map_err(|e| format!("{path}: {e}"))?;
    let headers = &mut asked.headers;
    for name in [
        header::CONTENT_ENCODING,
        header::ACCEPT_ENCODING,
        header::CONTENT_LENGTH,
    ] {
        headers.remove(name);
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(asked)
}

/// A runner as the fixtures keep it, from a `GetRunner` answer: its id, name, kind and
/// provider, and whether it is online (its phase is active).
fn runner_fixture(body: &[u8]) -> Option<Value> {
    let answer: Value = serde_json::from_slice(body).ok()?;
    let runner = answer.get("runner").filter(|r| r.is_object())?;
    let id = runner.get("runnerId")?.as_str()?;
    let mut fixture = Map::new();
    fixture.insert("id".into(), json!(id));
    for key in ["name", "kind", "provider"] {
        if let Some(value) = runner.get(key).filter(|v| v.is_string()) {
            fixture.insert(key.into(), value.clone());
        }
    }
    let phase = runner.pointer("/status/phase").and_then(Value::as_str);
    fixture.insert("online".into(), json!(phase == Some("RUNNER_PHASE_ACTIVE")));
    Some(Value::Object(fixture))
}
