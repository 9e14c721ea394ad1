//! Which methods of a contract act on a stored resource: Create, Get, List, Update and Delete
//! of a resource message, recognised from the method's name and the shapes of its messages, in
//! either common style. AIP style (aip.dev 131-135) names records by `name`, pages with
//! `page_size`/`page_token` and updates with a `FieldMask`; the Gitpod API's style names them
//! by `id` or `<resource>_id`, pages with a `pagination` message and updates the `optional`
//! fields a request sets. A method that looks like one of these but does not fit is not a
//! resource method, and [`classify`] says why, so the server can show which behaviour each
//! method got.

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor};

pub(crate) mod names;
use names::{plural_of, resource_pattern, snake_case};

/// What a resource method does to its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Create,
    Get,
    List,
    Update,
    Delete,
}

/// Which convention a resource method follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// aip.dev: `name`, `parent`, `page_size`/`page_token`, `update_mask`.
    Aip,
    /// The Gitpod API's: `id` or `<resource>_id`, `pagination`, `filter`, `optional` fields.
    Ids,
}

impl Style {
    /// The style as `check --contract` names it.
    pub fn label(self) -> &'static str {
        match self {
            Style::Aip => "AIP style",
            Style::Ids => "id-field style",
        }
    }
}

/// A method recognised as acting on a resource.
#[derive(Debug, Clone)]
pub struct ResourceMethod {
    pub verb: Verb,
    pub style: Style,
    /// The resource message.
    pub resource: MessageDescriptor,
    /// The resource's own id field (`name`, `id` or `<resource>_id`).
    pub id: FieldDescriptor,
    /// The request message.
    pub request: MessageDescriptor,
    /// The request fields that may name the record, for Get and Delete, and Update in the
    /// Gitpod style (`name`, or `id` and `<resource>_id`), the first one set taking effect; an
    /// AIP Update names it in its body.
    pub keys: Vec<FieldDescriptor>,
    /// The request field with the id a client chooses, for an AIP Create (`<resource>_id`).
    pub chosen_id: Option<FieldDescriptor>,
    /// The resource its records are children of, for an AIP resource whose pattern has a
    /// parent that is itself a resource (`Shelf` for `shelves/{shelf}/books/{book}`).
    pub parent: Option<MessageDescriptor>,
    /// The request field holding the resource, for an AIP Create or Update.
    pub body: Option<FieldDescriptor>,
    /// The response field holding the resource (or, for List, the page of them); None when the
    /// response is the resource itself, or (Create in the Gitpod style) only its id.
    pub answer: Option<FieldDescriptor>,
    /// Whether the response message is the resource itself (AIP's Get, Create, Update).
    pub returns_resource: bool,
}

/// How the server will answer a method.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// From the resource store.
    Resource(ResourceMethod),
    /// With generated data fitting the response type; the reason says why it is not a
    /// resource method.
    Generated(String),
    /// Streaming methods, not served yet.
    Unimplemented(String),
}

/// The behaviour a method gets.
pub fn classify(method: &MethodDescriptor) -> Behaviour {
    if method.is_client_streaming() || method.is_server_streaming() {
        return Behaviour::Unimplemented(format!(
            "{} is a streaming method; only unary methods are served",
            method.name()
        ));
    }
    let name = method.name();
    let Some((verb, rest)) = verb_of(name) else {
        return Behaviour::Generated(format!(
            "{name} does not start with Create, Get, List, Update or Delete"
        ));
    };
    let found = match verb {
        Verb::List => list(method, rest),
        _ => single(method, verb, rest),
    };
    match found {
        Ok(resource) => Behaviour::Resource(resource),
        Err(why) => {
            let article = if verb == Verb::Update { "an" } else { "a" };
            Behaviour::Generated(format!("{name} looks like {article} {verb:?} but {why}"))
        }
    }
}

fn verb_of(name: &str) -> Option<(Verb, &str)> {
    let verbs = [
        ("Create", Verb::Create),
        ("Get", Verb::Get),
        ("List", Verb::List),
        ("Update", Verb::Update),
        ("Delete", Verb::Delete),
    ];
    verbs.iter().find_map(|(prefix, verb)| {
        let rest = name.strip_prefix(prefix)?;
        rest.starts_with(|c: char| c.is_ascii_uppercase())
            .then_some((*verb, rest))
    })
}

/// Create, Get, Update or Delete of the resource message named `rest`.
fn single(method: &MethodDescriptor, verb: Verb, rest: &str) -> Result<ResourceMethod, String> {
    let (input, output) = (method.input(), method.output());
    let resource = resource_named(method, rest)?;
    let (style, id) = identity(&resource)?;
    let snake = snake_case(rest);
    // An AIP Update names the record inside its body (`shelf.name`).
    let keys = match verb {
        Verb::Create => Vec::new(),
        Verb::Update if style == Style::Aip => Vec::new(),
        _ => match key_fields(&input, style, &snake) {
            keys if keys.is_empty() => {
                return Err(match style {
                    Style::Aip => "its request has no string `name` field".to_string(),
                    Style::Ids => format!("its request has no string `id` or `{snake}_id` field"),
                })
            }
            keys => keys,
        },
    };
    let chosen_id = match (verb, style) {
        (Verb::Create, Style::Aip) => string_field(&input, &format!("{snake}_id")),
        _ => None,
    };
    let body = field_of_type(&input, &resource);
    if style == Style::Aip && matches!(verb, Verb::Create | Verb::Update) && body.is_none() {
        return Err(format!("its request has no {} field", resource.name()));
    }
    let returns_resource = output == resource;
    let answer = if returns_resource {
        None
    } else {
        let held = field_of_type(&output, &resource);
        match (verb, style) {
            (Verb::Get, _) if held.is_none() => {
                return Err(format!("its response holds no {}", resource.name()));
            }
            (Verb::Create, Style::Ids) if held.is_none() && !has_string(&output, "id") => {
                return Err(format!(
                    "its response holds neither a {} nor its id",
                    resource.name()
                ));
            }
            _ => held,
        }
    };
    let parent = match style {
        Style::Aip => names::parent_resource(&resource),
        Style::Ids => None,
    };
    Ok(ResourceMethod {
        verb,
        style,
        resource,
        id,
        request: input,
        keys,
        chosen_id,
        parent,
        body,
        answer,
        returns_resource,
    })
}

/// List of the resource whose plural is `rest`: a repeated field of it in the response, and the
/// style's paging fields.
fn list(method: &MethodDescriptor, rest: &str) -> Result<ResourceMethod, String> {
    let (input, output) = (method.input(), method.output());
    let page = output
        .fields()
        .find(|f| f.is_list() && message_kind(f).is_some_and(|m| plural_of(m.name(), rest)))
        .ok_or_else(|| format!("its response has no repeated field of the {rest} it lists"))?;
    let resource = message_kind(&page).expect("found as a message field");
    let (style, id) = identity(&resource)?;
    match style {
        Style::Aip if !(has_field(&input, "page_size") && has_string(&input, "page_token")) => {
            return Err("its request lacks page_size and page_token".into());
        }
        Style::Aip if !has_string(&output, "next_page_token") => {
            return Err("its response lacks next_page_token".into());
        }
        Style::Ids if !is_message(&input, "pagination") || !is_message(&output, "pagination") => {
            return Err("its request or response lacks a pagination message".into());
        }
        _ => {}
    }
    Ok(ResourceMethod {
        verb: Verb::List,
        style,
        resource,
        id,
        request: input,
        keys: Vec::new(),
        chosen_id: None,
        parent: None,
        body: None,
        answer: Some(page),
        returns_resource: false,
    })
}

/// The message `name` in the method's service's package.
fn resource_named(method: &MethodDescriptor, name: &str) -> Result<MessageDescriptor, String> {
    let package = method.parent_service().package_name().to_string();
    let full = match package.is_empty() {
        true => name.to_string(),
        false => format!("{package}.{name}"),
    };
    method
        .parent_pool()
        .get_message_by_name(&full)
        .ok_or_else(|| format!("there is no message {full}"))
}

/// The resource's style and id field. A message with a `google.api.resource` pattern and a
/// string `name` is named by it (AIP); otherwise a string `id` or `<resource>_id` is its id
/// (the Gitpod style, where `name` is a display name), and failing those a `name` (AIP).
fn identity(resource: &MessageDescriptor) -> Result<(Style, FieldDescriptor), String> {
    let name = string_field(resource, "name");
    if let Some(name) = name
        .clone()
        .filter(|_| resource_pattern(resource).is_some())
    {
        return Ok((Style::Aip, name));
    }
    let own = format!("{}_id", snake_case(resource.name()));
    let id = string_field(resource, "id").or_else(|| string_field(resource, &own));
    match (id, name) {
        (Some(id), _) => Ok((Style::Ids, id)),
        (None, Some(name)) => Ok((Style::Aip, name)),
        (None, None) => Err(format!(
            "{} has no string `name`, `id` or `{own}` field",
            resource.name()
        )),
    }
}

/// The request fields that may name the record.
fn key_fields(input: &MessageDescriptor, style: Style, snake: &str) -> Vec<FieldDescriptor> {
    let names = match style {
        Style::Aip => vec!["name".to_string()],
        Style::Ids => vec!["id".to_string(), format!("{snake}_id")],
    };
    names
        .iter()
        .filter_map(|name| string_field(input, name))
        .collect()
}

/// The message's singular string field `name`.
fn string_field(message: &MessageDescriptor, name: &str) -> Option<FieldDescriptor> {
    message
        .get_field_by_name(name)
        .filter(|f| f.kind() == Kind::String && !f.is_list())
}

fn field_of_type(message: &MessageDescriptor, of: &MessageDescriptor) -> Option<FieldDescriptor> {
    message
        .fields()
        .find(|f| !f.is_list() && message_kind(f).as_ref() == Some(of))
}

fn message_kind(field: &FieldDescriptor) -> Option<MessageDescriptor> {
    match field.kind() {
        Kind::Message(m) if !field.is_map() => Some(m),
        _ => None,
    }
}

fn has_field(message: &MessageDescriptor, name: &str) -> bool {
    message.get_field_by_name(name).is_some()
}

fn has_string(message: &MessageDescriptor, name: &str) -> bool {
    message
        .get_field_by_name(name)
        .is_some_and(|f| f.kind() == Kind::String && !f.is_list())
}

fn is_message(message: &MessageDescriptor, name: &str) -> bool {
    message
        .get_field_by_name(name)
        .is_some_and(|f| !f.is_list() && message_kind(&f).is_some())
}

#[cfg(test)]
pub(crate) mod tests;
