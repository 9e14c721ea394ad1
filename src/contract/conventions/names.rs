//! How resources and their fields are spelled: AIP resource names (a message's
//! `google.api.resource` pattern, its collection and its parent's pattern, AIP-122's rule for a
//! client-chosen id) and the case conversions between message, field and JSON names.

use prost_reflect::MessageDescriptor;

/// The first pattern of the message's `(google.api.resource)` option, if it has one.
pub(crate) fn resource_pattern(resource: &MessageDescriptor) -> Option<String> {
    let ext = resource
        .parent_pool()
        .get_extension_by_name("google.api.resource")?;
    let options = resource.options();
    if !options.has_extension(&ext) {
        return None;
    }
    let value = options.get_extension(&ext);
    let patterns = value.as_message()?.get_field_by_name("pattern")?;
    let first = patterns.as_list()?.first()?.as_str()?.to_string();
    Some(first)
}

/// The collection a resource's names end in, and the pattern of its parent's names: from the
/// first `google.api.resource` pattern (`shelves/{shelf}/books/{book}` gives `books` under
/// `shelves/{shelf}`), or else the message's name in the plural with no parent.
pub(crate) fn collection_of(resource: &MessageDescriptor) -> (Option<String>, String) {
    let pattern = resource_pattern(resource);
    let segments: Vec<&str> = pattern.as_deref().unwrap_or_default().split('/').collect();
    match segments.as_slice() {
        [parent @ .., collection, leaf]
            if leaf.starts_with('{') && !collection.starts_with('{') =>
        {
            let parent = (!parent.is_empty()).then(|| parent.join("/"));
            (parent, collection.to_string())
        }
        _ => (None, plural_collection(resource.name())),
    }
}

/// The message whose resource pattern is the parent pattern of `resource`'s: `Shelf`
/// (`shelves/{shelf}`) for `Book` (`shelves/{shelf}/books/{book}`).
pub(crate) fn parent_resource(resource: &MessageDescriptor) -> Option<MessageDescriptor> {
    let (Some(parent), _) = collection_of(resource) else {
        return None;
    };
    let pool = resource.parent_pool();
    let mut messages = pool.all_messages();
    messages.find(|m| resource_pattern(m).as_deref() == Some(parent.as_str()))
}

/// Why `id` is not a resource id a client may choose (AIP-122: 1 to 63 characters of
/// lowercase letters, digits and hyphens, starting with a letter and not ending with a
/// hyphen, `^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`), or None when it is one.
pub(crate) fn invalid_resource_id(id: &str) -> Option<&'static str> {
    let fits = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if id.len() > 63 {
        Some("it is longer than 63 characters")
    } else if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("it does not start with a lowercase letter")
    } else if !id.chars().all(fits) {
        Some("it holds a character other than a-z, 0-9 and -")
    } else if id.ends_with('-') {
        Some("it ends with a hyphen")
    } else {
        None
    }
}

/// The collection a resource's names use: `Shelf` → `shelves`, `Book` → `books`.
pub(crate) fn plural_collection(name: &str) -> String {
    let lower = lower_camel(name);
    if let Some(stem) = lower.strip_suffix('y') {
        return format!("{stem}ies");
    }
    if let Some(stem) = lower.strip_suffix('f') {
        return format!("{stem}ves");
    }
    if lower.ends_with('s')
        || lower.ends_with("sh")
        || lower.ends_with("ch")
        || lower.ends_with('x')
    {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

/// `Shelf` → `shelf`, `SCMIntegration` → `scmIntegration`, as proto3 JSON names a field of it.
pub(crate) fn lower_camel(name: &str) -> String {
    let upper = name.chars().take_while(char::is_ascii_uppercase).count();
    let cut = if upper > 1 && upper < name.len() {
        upper - 1
    } else {
        upper.max(1)
    };
    name[..cut].to_ascii_lowercase() + &name[cut..]
}

/// Whether `plural` is a plural of the message name `singular`: `Classes` of `Class`,
/// `Policies` of `Policy`, `Shelves` of `Shelf`, `Tokens` of `Token`, or the name itself (AIP
/// allows an uncountable noun).
pub(crate) fn plural_of(singular: &str, plural: &str) -> bool {
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
/// would name a field of that message; a proto3 JSON name (`writtenYear`) the same way.
pub(crate) fn snake_case(camel: &str) -> String {
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
mod tests {
    use super::*;

    #[test]
    fn client_chosen_ids_follow_aip_122() {
        for good in ["a", "fiction", "sci-fi", "b2", &"a".repeat(63)] {
            assert_eq!(invalid_resource_id(good), None, "{good}");
        }
        let bad = [
            ("", "start"),
            ("Fiction", "start"),
            ("2nd", "start"),
            ("sci_fi", "character"),
            ("sci fi", "character"),
            ("trailing-", "hyphen"),
        ];
        for (id, why) in bad {
            assert!(
                invalid_resource_id(id).is_some_and(|w| w.contains(why)),
                "{id}"
            );
        }
        assert!(invalid_resource_id(&"a".repeat(64)).is_some());
    }

    #[test]
    fn collections_and_json_names_are_spelled_as_aip_and_proto3_spell_them() {
        assert_eq!(plural_collection("Shelf"), "shelves");
        assert_eq!(plural_collection("Policy"), "policies");
        assert_eq!(plural_collection("Book"), "books");
        assert_eq!(plural_collection("Class"), "classes");
        assert_eq!(lower_camel("SCMIntegration"), "scmIntegration");
        assert_eq!(lower_camel("Shelf"), "shelf");
        assert_eq!(snake_case("writtenYear"), "written_year");
    }
}
