//! List of a resource: one page in O(page) with the table's opaque tokens, in the method's
//! paging style, scoped by `parent` (`-` for any) and filtered by the `filter` message's fields.

use super::fields::set;
use super::{number, GenericRecord, Reply};
use crate::contract::conventions::{ResourceMethod, Style};
use crate::error::RpcError;
use crate::store::table::Table;
use prost_reflect::MessageDescriptor;
use serde_json::{Map, Value};

pub(super) fn list(
    table: &Table<GenericRecord>,
    method: &ResourceMethod,
    request: &Map<String, Value>,
) -> Result<Reply, RpcError> {
    let page_field = method.answer.as_ref().map_or("items", |f| f.json_name());
    let (token, size) = match method.style {
        Style::Aip => (
            request
                .get("pageToken")
                .and_then(Value::as_str)
                .unwrap_or(""),
            request.get("pageSize").and_then(number).unwrap_or(0),
        ),
        Style::Ids => {
            let pagination = request.get("pagination");
            let field = |name| pagination.and_then(|p| p.get(name));
            (
                field("token").and_then(Value::as_str).unwrap_or(""),
                field("pageSize").and_then(number).unwrap_or(0),
            )
        }
    };
    let parent = request
        .get("parent")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty() && *p != "-");
    let filters = filters(&method.resource, request.get("filter"));
    let keep = |record: &GenericRecord| {
        parent.is_none_or(|p| under(&record.id, p))
            && filters.iter().all(|(field, wanted)| {
                let have = record.value.get(field).unwrap_or(&Value::Null);
                wanted.iter().any(|w| w == have)
            })
    };
    let (rows, next) = table.page(token, size as usize, keep)?;
    Ok(Reply::Page {
        field: page_field.to_string(),
        rows,
        next,
        style: method.style,
    })
}

/// The `filter` message's set fields that name a resource field (singular or plural), each as
/// the values a record may have there.
fn filters(resource: &MessageDescriptor, filter: Option<&Value>) -> Vec<(String, Vec<Value>)> {
    let Some(filter) = filter.and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, wanted) in filter {
        let singular = name.strip_suffix('s').unwrap_or(name);
        let field = resource
            .get_field_by_json_name(name)
            .or_else(|| resource.get_field_by_json_name(singular));
        let Some(field) = field else { continue };
        let values = match wanted {
            Value::Array(items) if !field.is_list() => items.clone(),
            Value::Null => continue,
            one => vec![one.clone()],
        };
        if values.is_empty() || values.iter().all(|v| !set(&field, v)) {
            continue;
        }
        out.push((field.json_name().to_string(), values));
    }
    out
}

/// Whether the record named `id` is under `parent`: the parent's segments begin the name,
/// with AIP's `-` standing for any one segment (`shelves/-` is every shelf).
fn under(id: &str, parent: &str) -> bool {
    let mut segments = id.split('/');
    let fits = parent.split('/').all(|wanted| {
        segments
            .next()
            .is_some_and(|s| wanted == "-" || wanted == s)
    });
    fits && segments.next().is_some()
}

#[cfg(test)]
mod parent_tests {
    use super::under;

    #[test]
    fn a_parent_scopes_by_whole_segments_and_dash_stands_for_any() {
        assert!(under("shelves/a/books/b", "shelves/a"));
        assert!(under("shelves/a/books/b", "shelves/-"));
        assert!(under("shelves/a/books/b", "shelves/-/books"));
        assert!(!under("shelves/ab/books/b", "shelves/a"));
        assert!(!under("shelves/a", "shelves/a"));
        assert!(!under("shelves/b/books/c", "shelves/a"));
    }
}
