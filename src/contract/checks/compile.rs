//! Reads each message's `buf.validate` options into checks, once, when the contract loads:
//! custom `cel` rules of fields and messages compiled to CEL programs, the predefined standard
//! rules compiled from the CEL that the bundled validate.proto gives each of them, `required`,
//! `ignore`, and the oneof rules. Rules the JSON Schema pass states already are left to it.

use super::{Compiled, FieldCheck, Ignore, MessageChecks, MessageOneof, RuleRoot, ValueChecks};
use crate::contract::descriptors;
use prost_reflect::{
    DynamicMessage, ExtensionDescriptor, FieldDescriptor, MessageDescriptor, ReflectMessage,
};
use std::borrow::Cow;

/// The rule extensions of the contract's pool, and the bundled validate.proto's `predefined`.
pub(super) struct Extensions {
    pub field: ExtensionDescriptor,
    pub message: Option<ExtensionDescriptor>,
    pub oneof: Option<ExtensionDescriptor>,
}

impl Extensions {
    pub(super) fn of(pool: &prost_reflect::DescriptorPool) -> Option<Extensions> {
        Some(Extensions {
            field: pool.get_extension_by_name("buf.validate.field")?,
            message: pool.get_extension_by_name("buf.validate.message"),
            oneof: pool.get_extension_by_name("buf.validate.oneof"),
        })
    }
}

/// The checks of `message`; an error names the rule whose CEL does not compile.
pub(super) fn message(ext: &Extensions, desc: &MessageDescriptor) -> Result<MessageChecks, String> {
    let mut checks = MessageChecks::default();
    if let Some(rules) = option(desc.options(), ext.message.as_ref()) {
        for (i, rule) in list(&rules, "cel").iter().enumerate() {
            let Some(rule) = rule.as_message() else {
                continue;
            };
            checks
                .cel
                .push(custom(rule, RuleRoot::Message, vec![step("cel", Some(i))])?);
        }
        for (i, oneof) in list(&rules, "oneof").iter().enumerate() {
            let Some(oneof) = oneof.as_message() else {
                continue;
            };
            let names: Vec<String> = list(oneof, "fields")
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
            let fields = names
                .iter()
                .map(|n| {
                    desc.get_field_by_name(n).ok_or_else(|| {
                        format!(
                            "{}: message oneof rule names no field {n}",
                            desc.full_name()
                        )
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            checks.message_oneofs.push(MessageOneof {
                fields,
                required: flag(oneof, "required"),
                index: i,
            });
        }
    }
    for oneof in desc.oneofs().filter(|o| !o.is_synthetic()) {
        let rules = option(oneof.options(), ext.oneof.as_ref());
        if rules.is_some_and(|r| flag(&r, "required")) {
            checks.required_oneofs.push(oneof);
        }
    }
    for field in desc.fields() {
        let check = field_check(ext, &field)?;
        // IGNORE_ALWAYS switches off every rule of the field, `required` too.
        if check.ignore != Ignore::Always {
            checks.fields.push(check);
        }
    }
    Ok(checks)
}

fn field_check(ext: &Extensions, field: &FieldDescriptor) -> Result<FieldCheck, String> {
    let rules = option(field.options(), Some(&ext.field));
    let mut check = FieldCheck {
        field: field.clone(),
        ignore: Ignore::Unspecified,
        required: false,
        own: ValueChecks::default(),
        items: None,
    };
    let Some(rules) = rules else {
        return Ok(check);
    };
    check.ignore = ignore(&rules);
    check.required = flag(&rules, "required");
    let name = field.full_name();
    check.own = value_checks(&rules, Vec::new(), name)?;
    if let Some(items) = sub_message(&rules, "repeated").and_then(|r| sub_message(&r, "items")) {
        let prefix = vec![step("repeated", None), step("items", None)];
        check.items = Some((ignore(&items), value_checks(&items, prefix, name)?));
    }
    Ok(check)
}

/// The `cel` rules and the predefined standard rules of one `FieldRules`, found at `prefix`
/// inside the field's rules.
fn value_checks(
    rules: &DynamicMessage,
    prefix: Vec<(Cow<'static, str>, Option<usize>)>,
    field: &str,
) -> Result<ValueChecks, String> {
    let mut out = ValueChecks::default();
    for (i, rule) in list(rules, "cel").iter().enumerate() {
        let Some(rule) = rule.as_message() else {
            continue;
        };
        let mut path = prefix.clone();
        path.push(step("cel", Some(i)));
        out.rules
            .push(custom(rule, RuleRoot::Field, path).map_err(|e| format!("{field}: {e}"))?);
    }
    let Some((type_field, type_rules)) = rules
        .fields()
        .find(|(f, _)| f.containing_oneof().is_some_and(|o| o.name() == "type"))
        .and_then(|(f, v)| v.as_message().map(|m| (f, m.clone())))
    else {
        return Ok(out);
    };
    let bundled = descriptors().get_message_by_name(type_rules.descriptor().full_name());
    let predefined = descriptors().get_extension_by_name("buf.validate.predefined");
    let (Some(bundled), Some(predefined)) = (bundled, predefined) else {
        return Ok(out);
    };
    let rules_value = super::to_cel::option_message(&type_rules);
    for (rule_field, value) in type_rules.fields() {
        let name = rule_field.name();
        if name == "example" || covered_by_schema(type_field.name(), name, &type_rules) {
            continue;
        }
        let Some(definition) = bundled.get_field_by_name(name) else {
            continue;
        };
        let Some(defined) = option(definition.options(), Some(&predefined)) else {
            continue;
        };
        for rule in list(&defined, "cel") {
            let Some(rule) = rule.as_message() else {
                continue;
            };
            let mut path = prefix.clone();
            path.push(step(type_field.name(), None));
            path.push(step(name, None));
            let mut compiled = custom(rule, RuleRoot::Field, path)
                .map_err(|e| format!("{field}: predefined rule {}: {e}", rule_field.full_name()))?;
            compiled.rules = Some(rules_value.clone());
            compiled.rule = Some(super::to_cel::option(value));
            out.rules.push(compiled);
        }
    }
    Ok(out)
}

/// Rules that rules.rs reads and the JSON Schema pass checks, with protovalidate's ids.
fn covered_by_schema(kind: &str, rule: &str, rules: &DynamicMessage) -> bool {
    match (kind, rule) {
        ("string", "min_len" | "max_len" | "uuid") => true,
        ("repeated", "min_items" | "max_items") => true,
        // rules.rs reads int32 bounds only when neither exclusive bound is set.
        ("int32", "gte" | "lte") => {
            !rules.has_field_by_name("gt") && !rules.has_field_by_name("lt")
        }
        _ => false,
    }
}

/// A `buf.validate.Rule` compiled.
fn custom(
    rule: &DynamicMessage,
    root: RuleRoot,
    path: Vec<(Cow<'static, str>, Option<usize>)>,
) -> Result<Compiled, String> {
    let text = |name: &str| {
        rule.get_field_by_name(name)
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    };
    let expression = text("expression");
    let program = super::environment()
        .compile(&expression)
        .map_err(|e| format!("CEL rule {:?} does not compile: {e}", text("id")))?;
    Ok(Compiled {
        program,
        id: text("id"),
        message: text("message"),
        expression,
        root,
        path,
        rules: None,
        rule: None,
    })
}

fn step(name: &str, index: Option<usize>) -> (Cow<'static, str>, Option<usize>) {
    (Cow::Owned(name.to_string()), index)
}

fn ignore(rules: &DynamicMessage) -> Ignore {
    match rules
        .get_field_by_name("ignore")
        .and_then(|v| v.as_enum_number())
    {
        Some(crate::contract::rules::IGNORE_IF_ZERO_VALUE) => Ignore::IfZeroValue,
        Some(crate::contract::rules::IGNORE_ALWAYS) => Ignore::Always,
        _ => Ignore::Unspecified,
    }
}

/// An extension option of a descriptor, when it is set.
fn option(options: DynamicMessage, ext: Option<&ExtensionDescriptor>) -> Option<DynamicMessage> {
    let ext = ext?;
    if !options.has_extension(ext) {
        return None;
    }
    options.get_extension(ext).as_message().cloned()
}

fn sub_message(message: &DynamicMessage, name: &str) -> Option<DynamicMessage> {
    message
        .has_field_by_name(name)
        .then(|| message.get_field_by_name(name))
        .flatten()
        .and_then(|v| v.as_message().cloned())
}

fn list(message: &DynamicMessage, name: &str) -> Vec<prost_reflect::Value> {
    message
        .get_field_by_name(name)
        .and_then(|v| v.as_list().map(|l| l.to_vec()))
        .unwrap_or_default()
}

fn flag(message: &DynamicMessage, name: &str) -> bool {
    message.get_field_by_name(name).and_then(|v| v.as_bool()) == Some(true)
}
