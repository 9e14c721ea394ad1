//! Runs a control-plane record edit as an RPC through the whole call path (validation,
//! scenarios, handler, journal), and turns a refusal's `buf.validate` violations into fields
//! of the record, so the dashboard can show each message at its field.

use crate::app::App;
use crate::contract::Procedure;
use crate::error::{Code, RpcError};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use prost_reflect::{Kind, MessageDescriptor};
use serde_json::{json, Value};

/// What the journal's `user-agent` says of these calls.
const USER_AGENT: &str = "gitpod-mock-dashboard";

/// Calls `procedure` with `request` (Connect JSON) in session `id`. An answer comes back as
/// `{"answer"}`; a refusal as a 4xx with its code, message and, for rule violations, the
/// record fields they name. `within` is the request field holding the whole record, if any,
/// which record field paths leave out.
pub(super) async fn run(
    app: &App,
    id: &str,
    procedure: &Procedure,
    within: Option<&str>,
    request: Value,
) -> Result<(u16, Value), RpcError> {
    let built = http::Request::post(&procedure.path)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::USER_AGENT, USER_AGENT)
        .header("x-mock-session", id)
        .body(full_body(&request))
        .map_err(|e| RpcError::internal(format!("building the call: {e}")))?;
    let (parts, body) = built.into_parts();
    let response = crate::rpc::call(app, &parts, &procedure.path, body)
        .await
        .map_err(|fault| {
            RpcError::new(
                Code::Unavailable,
                format!("a scenario dropped the call ({fault:?}); switch it off to edit records"),
            )
        })?;
    let status = response.status().as_u16();
    let text = read_all(response.into_body()).await;
    let answer: Value = serde_json::from_slice(&text).unwrap_or(Value::Null);
    if status == 200 {
        return Ok((200, json!({ "method": procedure.name, "answer": answer })));
    }
    let fields = violations(&answer, &procedure.input, within);
    let mut refusal = json!({
        "method": procedure.name,
        "code": answer["code"],
        "message": answer["message"],
    });
    if !fields.is_empty() {
        refusal["violations"] = Value::Array(fields);
    }
    Ok((if status >= 400 { status } else { 400 }, refusal))
}

/// The `buf.validate` violations of a Connect error, each as `{field, message, rule}` with the
/// field as the record's JSON path (`displayName`, `configuration[0].key`).
fn violations(error: &Value, request: &MessageDescriptor, within: Option<&str>) -> Vec<Value> {
    let Some(details) = error["details"].as_array() else {
        return Vec::new();
    };
    let listed = details
        .iter()
        .filter_map(|d| d["debug"]["violations"].as_array())
        .flatten();
    listed
        .map(|v| {
            let elements = v["field"]["elements"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            json!({
                "field": json_path(request, &elements, within),
                "message": v["message"],
                "rule": v["ruleId"],
            })
        })
        .collect()
}

/// A violation's field path, proto names along `request`'s fields, as JSON names; without
/// the leading `within` field.
fn json_path(request: &MessageDescriptor, elements: &[Value], within: Option<&str>) -> String {
    let mut message = Some(request.clone());
    let mut out = String::new();
    for element in elements {
        let proto = element["fieldName"].as_str().unwrap_or_default();
        let field = message.as_ref().and_then(|m| m.get_field_by_name(proto));
        let name = field
            .as_ref()
            .map_or(proto.to_string(), |f| f.json_name().to_string());
        message = field.and_then(|f| match f.kind() {
            Kind::Message(m) => Some(m),
            _ => None,
        });
        if out.is_empty() && within == Some(name.as_str()) {
            continue;
        }
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&name);
        if let Some(index) = element.get("index").and_then(Value::as_u64) {
            out.push_str(&format!("[{index}]"));
        }
    }
    out
}

/// Reads a whole response body (the mock's own answer, so it is small and never fails).
async fn read_all(body: crate::body::Body) -> Bytes {
    body.collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default()
}

/// A JSON request body for an in-process call.
fn full_body(value: &Value) -> Full<Bytes> {
    Full::new(Bytes::from(value.to_string()))
}
