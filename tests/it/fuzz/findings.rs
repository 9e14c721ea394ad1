//! What the fuzz harness found, each kept as a plain regression test.

use gitpod_mock::contract::Contract;
use gitpod_mock::scenario::Scenario;

/// A scripted `raw` answer with a 1xx status loaded, but hyper cannot send a 1xx as a final
/// response and answers 500 in its place; such a file is now refused at load.
#[test]
fn a_scripted_raw_answer_needs_a_final_status() {
    let contract = Contract::load();
    for status in [100, 101, 154, 199] {
        let text = format!("rules:\n  - raw: {{status: {status}}}\n");
        let err = Scenario::parse(&contract, "x.yaml", &text).unwrap_err();
        let expected = format!(
            "x.yaml: rule 1: raw.status {status} is not a final HTTP status: use 200 to 599"
        );
        assert_eq!(err, expected);
    }
    assert!(Scenario::parse(&contract, "x.yaml", "rules:\n  - raw: {status: 200}\n").is_ok());
}
