//! The dashboard's Data view on the control plane: each resource of a session with its records
//! and methods (`GET resources`), record edits run as the resource's own Create, Update and
//! Delete calls, so they pass the same validation as any client's (`records/NAME[/ID]`), and
//! generated records (`POST generate`).

use super::{query_pairs, session};
use crate::app::App;
use crate::contract::conventions::{ResourceMethod, Verb};
use crate::contract::Procedure;
use crate::error::{Code, RpcError};
use http::Method;
use prost_reflect::{Kind, MessageDescriptor};
use serde_json::{json, Map, Value};

/// The most records one `generate` call adds.
const MOST_GENERATED: usize = 1000;

/// A resource as the Data view shows it: its methods by verb.
struct Shown<'a> {
    /// Its name: the built-in resources' `--generate` name, or the message's full name.
    name: String,
    /// Its key in a state export.
    key: String,
    message: &'a MessageDescriptor,
    id: String,
    methods: Vec<(Verb, &'a Procedure, &'a ResourceMethod)>,
}

impl Shown<'_> {
    fn method(&self, verb: Verb) -> Option<(&Procedure, &ResourceMethod)> {
        self.methods
            .iter()
            .find(|(v, ..)| *v == verb)
            .map(|(_, p, m)| (*p, *m))
    }
}

/// Every resource the table serves methods of, in the contract's order.
fn resources(app: &App) -> Vec<Shown<'_>> {
    let mut out: Vec<Shown<'_>> = Vec::new();
    for entry in app.table.entries() {
        let Some(method) = entry.resource_method() else {
            continue;
        };
        let full = method.resource.full_name();
        let at = match out.iter().position(|r| r.message.full_name() == full) {
            Some(at) => at,
            None => {
                let spec = crate::store::stored().find(|spec| spec.message == full);
                out.push(Shown {
                    name: spec.map_or(full.to_string(), |s| s.name.to_string()),
                    key: spec.map_or(full.to_string(), |s| s.state_key.to_string()),
                    message: &method.resource,
                    id: method.id.json_name().to_string(),
                    methods: Vec::new(),
                });
                out.len() - 1
            }
        };
        out[at]
            .methods
            .push((method.verb, &entry.procedure, method));
    }
    out
}

/// `GET resources`: each resource's records in the session, the methods that change them, and
/// the fields its Create and Update requests carry; then the runners, which are read-only.
pub(super) fn list(app: &App, id: &str) -> Value {
    let session = app.sessions.peek(id);
    let session = session.lock();
    let export = session.state.export();
    let shown: Vec<Value> = resources(app)
        .iter()
        .map(|r| {
            let carried = |verb| r.method(verb).map(|(_, m)| carried(r, m));
            let methods: Map<String, Value> = r
                .methods
                .iter()
                .map(|(verb, p, _)| (format!("{verb:?}").to_lowercase(), json!(p.path)))
                .collect();
            json!({
                "name": r.name,
                "key": r.key,
                "message": r.message.full_name(),
                "id": r.id,
                "methods": methods,
                "creates": carried(Verb::Create),
                "updates": carried(Verb::Update),
                "records": export.get(&r.key).cloned().unwrap_or(json!([])),
            })
        })
        .collect();
    let runners = serde_json::to_value(&session.state.runners.list).unwrap_or_default();
    json!({ "session": id, "resources": shown, "runners": runners })
}

/// The record fields a Create or Update request carries: all of them when the request holds
/// the whole record (AIP), else those of the request's fields that share a record field's name.
fn carried(r: &Shown<'_>, method: &ResourceMethod) -> Vec<String> {
    // The id is the route's, not a field to fill in.
    let record: Vec<String> = r
        .message
        .fields()
        .map(|f| f.json_name().to_string())
        .filter(|f| *f != r.id)
        .collect();
    if whole_record_field(r, method).is_some() {
        return record;
    }
    let request: Vec<String> = method
        .request
        .fields()
        .map(|f| f.json_name().to_string())
        .collect();
    record.into_iter().filter(|f| request.contains(f)).collect()
}

/// The request field that holds the whole record, if the request has one (`shelf` of AIP's
/// `CreateShelfRequest`).
fn whole_record_field(r: &Shown<'_>, method: &ResourceMethod) -> Option<String> {
    method
        .request
        .fields()
        .find(|f| matches!(f.kind(), Kind::Message(m) if m.full_name() == r.message.full_name()))
        .map(|f| f.json_name().to_string())
}

/// Whether `rest` (after `/__mock/`) is a route of this module.
pub fn handles(rest: &str) -> bool {
    rest == "generate" || rest.starts_with("records/")
}

/// Serves `POST records/NAME`, `PUT records/NAME/ID`, `DELETE records/NAME/ID` and
/// `POST generate`.
pub async fn serve(app: &App, call: &super::AdminCall<'_>) -> Result<(u16, Value), RpcError> {
    app.settings.control.check(call.headers)?;
    let (rest, method) = (call.path, call.method);
    let id = session(call)?;
    if rest == "generate" {
        super::only(method, rest, &[Method::POST])?;
        return generate(app, &id, &query_pairs(call.query));
    }
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').skip(1).collect();
    let (name, record_id) = match segments.as_slice() {
        [name] => (*name, None),
        [name, record] => (*name, Some(super::decoded(record))),
        _ => return Err(unknown_route(rest)),
    };
    let all = resources(app);
    let resource = all.iter().find(|r| r.name == name).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|r| r.name.as_str()).collect();
        RpcError::not_found(format!("no resource {name:?}: use one of {names:?}")).with_status(404)
    })?;
    let allowed: &[Method] = match record_id {
        None => &[Method::POST],
        Some(_) => &[Method::PUT, Method::DELETE],
    };
    super::only(method, rest, allowed)?;
    let verb = match *method {
        Method::POST => Verb::Create,
        Method::PUT => Verb::Update,
        _ => Verb::Delete,
    };
    let (procedure, resource_method) = resource.method(verb).ok_or_else(|| {
        RpcError::new(
            Code::FailedPrecondition,
            format!(
                "the contract has no {verb:?} method for {}: its records cannot be {} through the API",
                resource.name,
                match verb {
                    Verb::Create => "created",
                    Verb::Delete => "deleted",
                    _ => "changed",
                }
            ),
        )
    })?;
    let record = match verb {
        Verb::Delete => Map::new(),
        _ => match serde_json::from_slice(call.body) {
            Ok(Value::Object(record)) => record,
            _ => {
                return Err(RpcError::invalid_argument(
                    "the body must be a record: a JSON object",
                ))
            }
        },
    };
    let within = whole_record_field(resource, resource_method);
    let request = request_for(
        resource,
        resource_method,
        within.clone(),
        record,
        record_id.as_deref(),
    );
    super::in_process::run(app, &id, procedure, within.as_deref(), request).await
}

/// The request a record edit becomes: the record in the field that holds a whole one, or its
/// fields copied into the request fields of the same name; and the record's id in the key
/// field that names it.
fn request_for(
    r: &Shown<'_>,
    method: &ResourceMethod,
    within: Option<String>,
    mut record: Map<String, Value>,
    id: Option<&str>,
) -> Value {
    let mut request = Map::new();
    if let Some(id) = id {
        record.insert(r.id.clone(), json!(id));
        if let Some(key) = method.keys.first() {
            request.insert(key.json_name().to_string(), json!(id));
        }
    }
    match within {
        Some(field) if method.verb != Verb::Delete => {
            if let (Some(chosen), Some(id)) = (&method.chosen_id, record.get(&r.id)) {
                request.insert(chosen.json_name().to_string(), id.clone());
            }
            request.insert(field, Value::Object(record));
        }
        _ => {
            for field in method.request.fields() {
                let name = field.json_name();
                if let (false, Some(value)) = (request.contains_key(name), record.get(name)) {
                    request.insert(name.to_string(), value.clone());
                }
            }
        }
    }
    Value::Object(request)
}

/// `POST generate?resource=NAME&count=N`: N generated records of a built-in resource, within
/// the session's record budget.
fn generate(app: &App, id: &str, query: &[(String, String)]) -> Result<(u16, Value), RpcError> {
    let value = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let name = value("resource")
        .ok_or_else(|| RpcError::invalid_argument("name the resource: ?resource=NAME"))?;
    let count: usize = value("count").unwrap_or("10").parse().map_err(|_| {
        RpcError::invalid_argument(format!("count must be a number, got {:?}", value("count")))
    })?;
    if count == 0 || count > MOST_GENERATED {
        return Err(RpcError::invalid_argument(format!(
            "count must be 1 to {MOST_GENERATED}, got {count}"
        )));
    }
    let counts: crate::store::GenerateCounts = format!("{name}={count}")
        .parse()
        .map_err(|e: String| RpcError::invalid_argument(format!("cannot generate: {e}")))?;
    let session = app.sessions.get(id);
    let mut session = session.lock();
    session.check_room(count)?;
    let before = session.state.records();
    crate::store::generate(&mut session.state, counts);
    session.mark_written();
    let generated = session.state.records() - before;
    Ok((
        200,
        json!({ "session": id, "resource": name, "generated": generated }),
    ))
}

fn unknown_route(rest: &str) -> RpcError {
    RpcError::not_found(format!(
        "no control-plane route /__mock/{rest}: use records/NAME or records/NAME/ID"
    ))
    .with_status(404)
}
