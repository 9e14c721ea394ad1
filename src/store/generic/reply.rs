//! What a resource method answers: a stored record shared with the store (`Arc`), alone or in
//! its response's field, a page of them, or a small message of its own. The records are
//! encoded after the session's lock is released, without being copied.

use super::GenericRecord;
use crate::contract::conventions::Style;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use std::sync::Arc;

/// A resource method's answer, in its response message's proto3 JSON shape.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A message of its own, such as `{}` or `{"id": …}`.
    Message(Value),
    /// A record: the response itself, or in the response's field `field`.
    Record {
        field: Option<String>,
        record: Arc<GenericRecord>,
    },
    /// One page of a List, with the style's next-page token.
    Page {
        field: String,
        rows: Vec<Arc<GenericRecord>>,
        next: String,
        style: Style,
    },
}

impl Serialize for GenericRecord {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(out)
    }
}

impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        match self {
            Reply::Message(value) => value.serialize(out),
            Reply::Record {
                field: None,
                record,
            } => record.serialize(out),
            Reply::Record {
                field: Some(field),
                record,
            } => {
                let mut message = out.serialize_map(Some(1))?;
                message.serialize_entry(field, record.as_ref())?;
                message.end()
            }
            Reply::Page {
                field,
                rows,
                next,
                style,
            } => {
                let mut message = out.serialize_map(Some(2))?;
                message.serialize_entry(field, rows)?;
                match style {
                    Style::Aip => message.serialize_entry("nextPageToken", next)?,
                    Style::Ids => {
                        let pagination = NextToken { next_token: next };
                        message.serialize_entry("pagination", &pagination)?
                    }
                }
                message.end()
            }
        }
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct NextToken<'a> {
    next_token: &'a str,
}
