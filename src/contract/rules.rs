//! The service's validation rules, read once from the `buf.validate` options in the contract,
//! with the rule ids and messages a protovalidate server reports for them.

use prost_reflect::{DynamicMessage, ExtensionDescriptor, FieldDescriptor, Value};
use serde_json::{json, Map, Value as Json};

/// One rule on a field, as protovalidate names it.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// `string.uuid`: a plain uuid rule also rejects the empty string.
    Uuid,
    MinLen(u64),
    MaxLen(u64),
    MinItems(u64),
    MaxItems(u64),
    DefinedOnly,
    /// `int32.gte` / `int32.lte`, reported together as protovalidate does.
    Range {
        gte: Option<i64>,
        lte: Option<i64>,
    },
    /// `required`: a field with presence must be set.
    Required,
}

/// `buf.validate.Ignore` values read here, by their upstream numbers (a test holds the bundled
/// validate.proto to them).
pub const IGNORE_IF_ZERO_VALUE: i32 = 1;
pub const IGNORE_ALWAYS: i32 = 3;

/// All rules of one field. `items` holds the rules each element of a repeated field must meet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldRules {
    pub rules: Vec<Rule>,
    /// `IGNORE_IF_ZERO_VALUE`: the rules apply only when the field is set (not its zero value).
    pub ignore_if_zero_value: bool,
    /// `IGNORE_ALWAYS`: no rule of the field applies, nor any rule inside a message it holds.
    pub ignore_always: bool,
    pub items: Option<Box<FieldRules>>,
}

impl FieldRules {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.items.is_none()
    }

    /// Reads the `(buf.validate.field)` option of `field`, if any.
    pub fn of(field: &FieldDescriptor, ext: &ExtensionDescriptor) -> FieldRules {
        let options = field.options();
        if !options.has_extension(ext) {
            return FieldRules::default();
        }
        match options.get_extension(ext).as_message() {
            Some(rules) => Self::from_message(rules),
            None => FieldRules::default(),
        }
    }

    fn from_message(msg: &DynamicMessage) -> FieldRules {
        let mut out = FieldRules::default();
        match set_field(msg, "ignore").and_then(|v| v.as_enum_number()) {
            Some(IGNORE_IF_ZERO_VALUE) => out.ignore_if_zero_value = true,
            Some(IGNORE_ALWAYS) => {
                out.ignore_always = true;
                return out;
            }
            _ => {}
        }
        if set_field(msg, "required").and_then(|v| v.as_bool()) == Some(true) {
            out.rules.push(Rule::Required);
        }
        if let Some(s) = set_field(msg, "string").and_then(|v| v.as_message().cloned()) {
            if let Some(n) = set_field(&s, "min_len").and_then(|v| v.as_u64()) {
                out.rules.push(Rule::MinLen(n));
            }
            if let Some(n) = set_field(&s, "max_len").and_then(|v| v.as_u64()) {
                out.rules.push(Rule::MaxLen(n));
            }
            if set_field(&s, "uuid").and_then(|v| v.as_bool()) == Some(true) {
                out.rules.push(Rule::Uuid);
            }
        }
        if let Some(e) = set_field(msg, "enum").and_then(|v| v.as_message().cloned()) {
            if set_field(&e, "defined_only").and_then(|v| v.as_bool()) == Some(true) {
                out.rules.push(Rule::DefinedOnly);
            }
        }
        if let Some(i) = set_field(msg, "int32").and_then(|v| v.as_message().cloned()) {
            let gte = set_field(&i, "gte").and_then(|v| v.as_i32()).map(i64::from);
            let lte = set_field(&i, "lte").and_then(|v| v.as_i32()).map(i64::from);
            // With an exclusive bound beside them, protovalidate names the pair (`int32.gte_lt`):
            // the CEL pass (contract::checks) reports those, as it does every other bound.
            let exclusive = i.has_field_by_name("gt") || i.has_field_by_name("lt");
            if (gte.is_some() || lte.is_some()) && !exclusive {
                out.rules.push(Rule::Range { gte, lte });
            }
        }
        if let Some(r) = set_field(msg, "repeated").and_then(|v| v.as_message().cloned()) {
            if let Some(n) = set_field(&r, "min_items")
                .and_then(|v| v.as_u64())
                .filter(|n| *n > 0)
            {
                out.rules.push(Rule::MinItems(n));
            }
            if let Some(n) = set_field(&r, "max_items").and_then(|v| v.as_u64()) {
                out.rules.push(Rule::MaxItems(n));
            }
            if let Some(items) = set_field(&r, "items").and_then(|v| v.as_message().cloned()) {
                out.items = Some(Box::new(Self::from_message(&items)));
            }
        }
        out
    }
}

/// A field of a rules message, only when it is explicitly set.
fn set_field<'a>(message: &'a DynamicMessage, name: &str) -> Option<std::borrow::Cow<'a, Value>> {
    message
        .has_field_by_name(name)
        .then(|| message.get_field_by_name(name))
        .flatten()
}

impl Rule {
    /// The protovalidate rule id, e.g. `string.uuid`. `value` picks the variant of rules whose id
    /// depends on what failed (`string.uuid_empty` for an empty string).
    pub fn id(&self, value: &Json) -> &'static str {
        match self {
            Rule::Uuid if value.as_str() == Some("") => "string.uuid_empty",
            Rule::Uuid => "string.uuid",
            Rule::MinLen(_) => "string.min_len",
            Rule::MaxLen(_) => "string.max_len",
            Rule::MinItems(_) => "repeated.min_items",
            Rule::MaxItems(_) => "repeated.max_items",
            Rule::DefinedOnly => "enum.defined_only",
            Rule::Range {
                gte: Some(_),
                lte: Some(_),
            } => "int32.gte_lte",
            Rule::Range { gte: Some(_), .. } => "int32.gte",
            Rule::Range { .. } => "int32.lte",
            Rule::Required => "required",
        }
    }

    /// The path of the rule inside `buf.validate.FieldRules`, e.g. `["string", "uuid"]`.
    pub fn path(&self) -> &'static [&'static str] {
        match self {
            Rule::Uuid => &["string", "uuid"],
            Rule::MinLen(_) => &["string", "min_len"],
            Rule::MaxLen(_) => &["string", "max_len"],
            Rule::MinItems(_) => &["repeated", "min_items"],
            Rule::MaxItems(_) => &["repeated", "max_items"],
            Rule::DefinedOnly => &["enum", "defined_only"],
            Rule::Range { gte: Some(_), .. } => &["int32", "gte"],
            Rule::Range { .. } => &["int32", "lte"],
            Rule::Required => &["required"],
        }
    }

    /// The human message protovalidate reports for a value that breaks this rule.
    pub fn message(&self, value: &Json) -> String {
        match self {
            Rule::Uuid if value.as_str() == Some("") => {
                "value is empty, which is not a valid UUID".into()
            }
            Rule::Uuid => "value must be a valid UUID".into(),
            Rule::MinLen(n) => format!("value length must be at least {n} characters"),
            Rule::MaxLen(n) => format!("value length must be at most {n} characters"),
            Rule::MinItems(n) => format!("value must contain at least {n} item(s)"),
            Rule::MaxItems(n) => format!("value must contain no more than {n} item(s)"),
            Rule::DefinedOnly => "value must be one of the defined enum values".into(),
            Rule::Range {
                gte: Some(lo),
                lte: Some(hi),
            } => {
                format!(
                    "value must be greater than or equal to {lo} and less than or equal to {hi}"
                )
            }
            Rule::Range { gte: Some(lo), .. } => {
                format!("value must be greater than or equal to {lo}")
            }
            Rule::Range { lte, .. } => format!(
                "value must be less than or equal to {}",
                lte.unwrap_or_default()
            ),
            Rule::Required => "value is required".into(),
        }
    }

    /// Whether the rule rejects a field's zero value, which makes the field required in the schema.
    pub fn rejects_empty(&self) -> bool {
        matches!(
            self,
            Rule::Uuid | Rule::MinLen(1..) | Rule::MinItems(1..) | Rule::Required
        )
    }

    /// The JSON Schema keywords that express this rule.
    pub fn schema_keywords(&self, into: &mut Map<String, Json>) {
        let (keyword, value) = match self {
            Rule::Uuid => ("format", json!("uuid")),
            Rule::MinLen(n) => ("minLength", json!(n)),
            Rule::MaxLen(n) => ("maxLength", json!(n)),
            Rule::MinItems(n) => ("minItems", json!(n)),
            Rule::MaxItems(n) => ("maxItems", json!(n)),
            Rule::Range { gte, lte } => {
                if let Some(hi) = lte {
                    into.insert("maximum".into(), json!(hi));
                }
                match gte {
                    Some(lo) => ("minimum", json!(lo)),
                    None => return,
                }
            }
            // Enum membership and presence are expressed by the field's type schema and `required`.
            Rule::DefinedOnly | Rule::Required => return,
        };
        into.insert(keyword.into(), value);
    }

    /// Which rule a JSON Schema keyword that failed stands for.
    pub fn matches_keyword(&self, keyword: &str) -> bool {
        matches!(
            (self, keyword),
            (Rule::Uuid, "format")
                | (Rule::MinLen(_), "minLength")
                | (Rule::MaxLen(_), "maxLength")
                | (Rule::MinItems(_), "minItems")
                | (Rule::MaxItems(_), "maxItems")
                | (Rule::DefinedOnly, "enum")
                | (Rule::Range { .. }, "minimum" | "maximum")
                | (Rule::Required, "required")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_uuid_has_its_own_id_and_message() {
        assert_eq!(Rule::Uuid.id(&json!("")), "string.uuid_empty");
        assert_eq!(
            Rule::Uuid.message(&json!("")),
            "value is empty, which is not a valid UUID"
        );
        assert_eq!(Rule::Uuid.id(&json!("abc")), "string.uuid");
        assert_eq!(
            Rule::Uuid.message(&json!("abc")),
            "value must be a valid UUID"
        );
    }

    #[test]
    fn ranges_read_like_protovalidate() {
        let rule = Rule::Range {
            gte: Some(0),
            lte: Some(100),
        };
        assert_eq!(rule.id(&json!(101)), "int32.gte_lte");
        assert_eq!(
            rule.message(&json!(101)),
            "value must be greater than or equal to 0 and less than or equal to 100"
        );
    }

    #[test]
    fn rules_map_to_schema_keywords_and_back() {
        for rule in [
            Rule::Uuid,
            Rule::MinLen(3),
            Rule::MaxLen(9),
            Rule::MinItems(1),
            Rule::MaxItems(2),
        ] {
            let mut keywords = Map::new();
            rule.schema_keywords(&mut keywords);
            let keyword = keywords.keys().next().expect("one keyword");
            assert!(rule.matches_keyword(keyword), "{rule:?} vs {keyword}");
        }
    }
}

#[cfg(test)]
mod bundled_validate_proto;
