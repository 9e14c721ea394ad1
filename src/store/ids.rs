//! Ids in the one form the store keeps them: lower case. UUIDs are case-insensitive (the
//! `string.uuid` rule accepts `D2C94C27-…`), and the service looks them up that way and always
//! answers the canonical lower-case form. Records lower their ids as they are read (fixtures,
//! state imports), and handlers lower the ids of requests with the same helpers.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The canonical form of an id.
pub fn canonical(id: &str) -> String {
    id.to_ascii_lowercase()
}

/// The canonical form of the string field `field` of a request; empty when it is unset.
pub fn of(body: &Value, field: &str) -> String {
    canonical(body[field].as_str().unwrap_or_default())
}

/// `#[serde(deserialize_with = "ids::one")]`: one id, lowered.
pub fn one<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    String::deserialize(d).map(|id| canonical(&id))
}

/// `#[serde(deserialize_with = "ids::optional")]`: an id that may be absent, lowered.
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d).map(|id| id.as_deref().map(canonical))
}

/// `#[serde(deserialize_with = "ids::many")]`: a list of ids, each lowered.
pub fn many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Vec::<String>::deserialize(d).map(|ids| ids.iter().map(|id| canonical(id)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Request {
        #[serde(deserialize_with = "one")]
        id: String,
        #[serde(deserialize_with = "optional")]
        maybe: Option<String>,
        #[serde(deserialize_with = "many")]
        list: Vec<String>,
    }

    #[test]
    fn every_helper_lowers_and_absent_fields_stay_absent() {
        let body = json!({"id": "AB-Cd", "maybe": "X", "list": ["Y", "z"]});
        let req: Request = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(
            (req.id.as_str(), req.maybe.as_deref(), req.list),
            ("ab-cd", Some("x"), vec!["y".to_string(), "z".to_string()])
        );
        let empty: Request = serde_json::from_value(json!({})).unwrap();
        assert_eq!((empty.id, empty.maybe), (String::new(), None));
        assert_eq!(of(&body, "id"), "ab-cd");
        assert_eq!(of(&body, "missing"), "");
    }
}
