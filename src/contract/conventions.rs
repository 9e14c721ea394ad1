//! Which methods of a contract act on a stored resource: Create, Get, List, Update and Delete
//! of a resource message, recognised from the method's name and the shapes of its messages, in
//! either common style. AIP style (aip.dev 131-135) names records by `name`, pages with
//! `page_size`/`page_token` and updates with a `FieldMask`; the Gitpod API's style names them
//! by `id` or `<resource>_id`, pages with a `pagination` message and updates the `optional`
//! fields a request sets. A method that looks like one of these but does not fit is not a
//! resource method, and [`classify`] says why, so the server can show which behaviour each
//! method got.

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor};

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
    /// The resource's own id field (`name` or `id`).
    pub id: FieldDescriptor,
    /// The request field naming the record, for Get and Delete, and Update in the Gitpod
    /// style (`name`, `id` or `<resource>_id`); an AIP Update names it in its body.
    pub key: Option<FieldDescriptor>,
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
    let key = match verb {
        Verb::Create => None,
        Verb::Update if style == Style::Aip => None,
        _ => Some(key_field(&input, style, &snake).ok_or_else(|| match style {
            Style::Aip => "its request has no string `name` field".to_string(),
            Style::Ids => format!("its request has no string `id` or `{snake}_id` field"),
        })?),
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
    Ok(ResourceMethod {
        verb,
        style,
        resource,
        id,
        key,
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
        key: None,
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

/// The resource's style and id field: a string `name` (AIP) or `id`.
fn identity(resource: &MessageDescriptor) -> Result<(Style, FieldDescriptor), String> {
    let string = |name: &str| {
        resource
            .get_field_by_name(name)
            .filter(|f| f.kind() == Kind::String && !f.is_list())
    };
    if let Some(id) = string("name") {
        return Ok((Style::Aip, id));
    }
    string("id")
        .map(|id| (Style::Ids, id))
        .ok_or_else(|| format!("{} has no string `name` or `id` field", resource.name()))
}

/// The request field that names the record.
fn key_field(input: &MessageDescriptor, style: Style, snake: &str) -> Option<FieldDescriptor> {
    let names = match style {
        Style::Aip => vec!["name".to_string()],
        Style::Ids => vec!["id".to_string(), format!("{snake}_id")],
    };
    names.iter().find_map(|name| {
        input
            .get_field_by_name(name)
            .filter(|f| f.kind() == Kind::String && !f.is_list())
    })
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

/// Whether `plural` is a plural of the message name `singular`: `Classes` of `Class`,
/// `Policies` of `Policy`, `Shelves` of `Shelf`, `Tokens` of `Token`, or the name itself (AIP
/// allows an uncountable noun).
fn plural_of(singular: &str, plural: &str) -> bool {
    let candidates = [
        format!("{singular}s"),
        format!("{singular}es"),
        singular
            .strip_suffix('y')
            .map_or_else(String::new, |stem| format!("{stem}ies")),
        singular
            .strip_suffix("fe")
            .or_else(|| singular.strip_suffix('f'))
            .map_or_else(String::new, |stem| format!("{stem}ves")),
        singular.to_string(),
    ];
    candidates.iter().any(|c| c == plural)
}

/// `SCMIntegration` → `scm_integration`, `EnvironmentClass` → `environment_class`, as protoc
/// would name a field of that message.
fn snake_case(camel: &str) -> String {
    let chars: Vec<char> = camel.chars().collect();
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let after_lower = i > 0 && !chars[i - 1].is_ascii_uppercase();
            let ends_acronym = i > 0
                && chars[i - 1].is_ascii_uppercase()
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if after_lower || ends_acronym {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests;
