use super::*;
use crate::contract::validate::RequestValidator;
use std::sync::LazyLock;

static CONTRACT: LazyLock<Contract> = LazyLock::new(Contract::load);

/// Every message of the contract but the mock's own and the rule definitions.
fn messages() -> Vec<MessageDescriptor> {
    CONTRACT
        .pool()
        .all_messages()
        .filter(|m| !m.is_map_entry())
        .filter(|m| m.package_name().starts_with("gitpod."))
        .collect()
}

#[test]
fn every_message_of_the_contract_has_a_sample_that_decodes_and_passes_its_rules() {
    let all = messages();
    assert!(all.len() > 50, "{}", all.len());
    for desc in all {
        for seed in [0, 1, 42] {
            let value = message(&CONTRACT, &desc, seed);
            let decoded = crate::codec::to_message(&desc, value.clone())
                .unwrap_or_else(|e| panic!("{}: {value}: {}", desc.full_name(), e.message));
            let canonical = crate::codec::canonical(&decoded);
            let verdict = RequestValidator::new(&CONTRACT, &desc)
                .unwrap()
                .check(&CONTRACT, &desc, &canonical);
            assert!(
                verdict.is_ok(),
                "{}: {value}: {verdict:?}",
                desc.full_name()
            );
        }
    }
}

#[test]
fn samples_are_the_same_for_a_seed_and_differ_between_seeds() {
    let desc = CONTRACT.message("gitpod.v1.EnvironmentClass").unwrap();
    assert_eq!(message(&CONTRACT, &desc, 7), message(&CONTRACT, &desc, 7));
    assert_ne!(message(&CONTRACT, &desc, 7), message(&CONTRACT, &desc, 8));
}

#[test]
fn strings_read_as_what_their_field_names_say() {
    let none = FieldRules::default();
    assert!(string("email", &none, 3).ends_with("@example.com"));
    assert!(string("homepage_url", &none, 3).starts_with("https://"));
    let name = string("display_name", &none, 3);
    assert!(
        name.contains(' ') && name.starts_with(|c: char| c.is_ascii_uppercase()),
        "{name}"
    );
    let id = string("runner_id", &none, 3);
    assert_eq!((id.len(), &id[14..15], &id[19..20]), (36, "4", &id[19..20]));
    assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
    let short = FieldRules {
        rules: vec![Rule::MinLen(40), Rule::MaxLen(50)],
        ..FieldRules::default()
    };
    let fitted = string("host", &short, 3);
    assert!((40..=50).contains(&fitted.chars().count()), "{fitted}");
}
