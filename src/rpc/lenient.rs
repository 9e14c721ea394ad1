//! Lenient mode (`serve --lenient`): answering the way Prism does for generated SDK tests,
//! which send placeholder bodies, ids that don't exist and page tokens such as "token". The
//! contract is still checked: what strict mode would refuse is reported, not enforced, in the
//! `x-mock-violations` response header (shaped like Prism's `sl-violations`) and the journal.
//! An unknown id answers a fixture-shaped record carrying that id, an unknown page token the
//! first page, and a conflict or missing reference a sample answer. Malformed bodies, wrong
//! content types and protocol errors are decided before this and stay errors.

use crate::app::App;
use crate::codec::answer::Response;
use crate::contract::conventions::{ResourceMethod, Verb};
use crate::contract::sample;
use crate::contract::Violation;
use crate::error::{Code, RpcError};
use crate::hash::{fnv1a64, splitmix64};
use crate::service::{Entry, Handling, ProfileCall};
use crate::session::Session;
use serde_json::{json, Value};

mod oneofs;
pub(super) use oneofs::one_member_each;

/// The response header that lists a lenient call's violations.
pub(super) const HEADER: &str = "x-mock-violations";

/// The longest `x-mock-violations` value, in bytes: proxies commonly refuse headers of 8 KiB.
const HEADER_LIMIT: usize = 4096;

/// The rule violations of a request, one Prism-shaped note each.
pub(super) fn notes_of(violations: &[Violation]) -> Vec<Value> {
    let notes = violations.iter().map(|v| {
        let mut location = vec![json!("request"), json!("body")];
        location.extend(
            (v.field_path.split('.'))
                .filter(|s| !s.is_empty())
                .map(|s| json!(s)),
        );
        note(location, &v.rule_id, &v.message)
    });
    notes.collect()
}

/// One violation as Prism's `sl-violations` writes it.
fn note(location: Vec<Value>, code: &str, message: &str) -> Value {
    json!({ "location": location, "severity": "Error", "code": code, "message": message })
}

/// The call's domain error, which lenient mode answers past: a missing record, a conflict, a
/// missing reference or a bad page token. Others (budgets, internal errors) stay errors.
fn relaxed(e: &RpcError) -> bool {
    matches!(
        e.code,
        Code::NotFound | Code::AlreadyExists | Code::FailedPrecondition | Code::InvalidArgument
    )
}

/// Answers a call whose handler refused it, noting the refusal in `notes`: an unknown page
/// token gets the first page; a profile's resource method a stand-in record (see
/// [`crate::profile::engine::stand_in`]); anything else a sample of the response message.
pub(super) fn recover(
    app: &App,
    entry: &Entry,
    session: &mut Session,
    request: &Value,
    refused: RpcError,
    notes: &mut Vec<Value>,
    handle: impl Fn(&mut Session, &Value) -> Result<Response, RpcError>,
) -> Result<Response, RpcError> {
    if !relaxed(&refused) {
        return Err(refused);
    }
    notes.push(note(
        vec![json!("request")],
        refused.code.as_str(),
        &refused.message,
    ));
    let token = &request["pagination"]["token"];
    if refused.code == Code::InvalidArgument && token.as_str().is_some_and(|t| !t.is_empty()) {
        let mut first_page = request.clone();
        first_page["pagination"]["token"] = json!("");
        if let Ok(page) = handle(session, &first_page) {
            return Ok(page);
        }
    }
    if let Handling::Profile(method) = &entry.handling {
        if let ProfileCall::Engine(plan) = &method.call {
            let state = &mut session.state;
            if let Some(stand_in) = crate::profile::engine::stand_in(plan, state, request) {
                return Ok(stand_in);
            }
        }
    }
    if let Handling::Resource(method) = &entry.handling {
        if let Some(sample) = sample_carrying_id(app, entry, method, request) {
            return Ok(sample);
        }
    }
    Ok(crate::service::generic::generated(
        &app.contract,
        &session.state,
        app.seed,
        &entry.procedure,
        request,
    ))
}

/// For a Get or an Update of a generic resource the store lacks, a sample of the response
/// whose record carries the requested id (or name); None for other methods.
fn sample_carrying_id(
    app: &App,
    entry: &Entry,
    method: &ResourceMethod,
    request: &Value,
) -> Option<Response> {
    if !matches!(method.verb, Verb::Get | Verb::Update) {
        return None;
    }
    let key = method
        .keys
        .iter()
        .find(|k| request.get(k.json_name()).is_some())?;
    let procedure = &entry.procedure;
    // Seeded as generated answers are, so the same call answers the same sample.
    let text = format!("{}\0{request}", procedure.path);
    let seed = splitmix64(app.seed ^ fnv1a64(text.as_bytes()));
    let mut answer = sample::message(&app.contract, &procedure.output, seed);
    let record = match &method.answer {
        Some(field) => answer.get_mut(field.json_name())?,
        None if method.returns_resource => &mut answer,
        None => return None,
    };
    let id = request[key.json_name()].clone();
    record
        .as_object_mut()?
        .insert(method.id.json_name().to_string(), id);
    Some(answer.into())
}

/// The `x-mock-violations` header of `notes`: a JSON array, ASCII only (other characters
/// escaped), cut to [`HEADER_LIMIT`] bytes with a last note counting the ones left out.
pub(super) fn header(notes: &[Value]) -> Option<(String, String)> {
    if notes.is_empty() {
        return None;
    }
    let mut kept: Vec<String> = Vec::new();
    let mut length = 2;
    for (i, n) in notes.iter().enumerate() {
        let text = ascii_json(n);
        let tail = format!(
            "{{\"severity\":\"Error\",\"code\":\"truncated\",\"message\":\"{} more\"}}",
            notes.len() - i
        );
        if length + text.len() + 1 + tail.len() + 1 > HEADER_LIMIT {
            kept.push(tail);
            break;
        }
        length += text.len() + 1;
        kept.push(text);
    }
    Some((HEADER.to_string(), format!("[{}]", kept.join(","))))
}

/// `value` as JSON text with every character outside printable ASCII written as `\uXXXX`, so
/// it is a valid header value. Such characters only occur inside JSON strings.
fn ascii_json(value: &Value) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
            continue;
        }
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            out.push_str(&format!("\\u{unit:04x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_ascii_and_bounded() {
        let long = "é".repeat(300);
        let notes: Vec<Value> = (0..50).map(|_| note(vec![], "x", &long)).collect();
        let (name, value) = header(&notes).unwrap();
        assert_eq!(name, HEADER);
        assert!(value.len() <= HEADER_LIMIT, "{}", value.len());
        assert!(value.bytes().all(|b| (0x20..0x7f).contains(&b)));
        let parsed: Vec<Value> = serde_json::from_str(&value).unwrap();
        assert_eq!(parsed[0]["message"], json!(long));
        let last = parsed.last().unwrap();
        assert_eq!(last["code"], "truncated");
        let shown = parsed.len() - 1;
        assert_eq!(last["message"], format!("{} more", 50 - shown));
    }

    #[test]
    fn no_notes_no_header() {
        assert!(header(&[]).is_none());
    }
}
