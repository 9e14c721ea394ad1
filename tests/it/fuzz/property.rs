//! The property that makes "request does not fit the handler" unreachable: for every method
//! of the contract, every schema-valid message, sent as JSON (in any of its spellings), as
//! binary or, for methods without side effects, as a Connect GET, gets no 5xx but 501 for the
//! methods the mock does not implement, and a success reads as the method's response type.

use super::oracle::judge;
use super::{case_count, messages, requests, runner};
use crate::support::{Exchange, InProcess};
use gitpod_mock::app::App;
use gitpod_mock::contract::Procedure;
use proptest::test_runner::TestCaseError;
use prost_reflect::DynamicMessage;

/// Cases per method in `cargo test`; `GITPOD_MOCK_PROPERTY_CASES` sets another count.
const CASES_PER_METHOD: u32 = 24;

#[test]
fn every_method_answers_every_schema_valid_message() {
    let cases = case_count("GITPOD_MOCK_PROPERTY_CASES", CASES_PER_METHOD);
    let server = InProcess::new(App::with_defaults(Some(7)));
    assert!(
        server.app.contract.procedures().len() > gitpod_mock::service::METHODS.len(),
        "the contract's procedures, not a list of ours"
    );
    every_method_answers(&server, cases);
}

/// The same property for the whole Gitpod API served with `--contract`, from the descriptor
/// set `scripts/gitpod-api-descriptors.py` writes (`scripts/test.sh` writes it and runs this
/// test by name): 300 methods of 26 services, answered by the profile, the generic store or
/// generated data, and the debug build's cross-checks of the fast decoders and encoders
/// against the reference ones on every message.
#[test]
#[ignore = "needs target/gitpod-api.binpb; scripts/test.sh writes it and runs this test"]
fn the_whole_gitpod_api_answers_every_schema_valid_message() {
    let path = std::env::var("GITPOD_API_DESCRIPTORS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target/gitpod-api.binpb").into());
    let app = gitpod_mock::MockServer::builder()
        .seed(Some(7))
        .contract(path)
        .build()
        .unwrap();
    let server = InProcess::new(app);
    assert_eq!(server.app.contract.procedures().len(), 300);
    every_method_answers(&server, case_count("GITPOD_MOCK_PROPERTY_CASES", 6));
}

fn every_method_answers(server: &InProcess, cases: u32) {
    let procedures = server.app.contract.procedures().to_vec();
    let statuses = std::cell::RefCell::new(std::collections::BTreeMap::new());
    for (i, procedure) in procedures.iter().enumerate() {
        let strategy = (messages::request(procedure), requests::wire(procedure));
        let mut runner = runner(cases, 1000 + i as u64);
        let result = runner.run(&strategy, |(message, wire)| {
            let request = requests::request(procedure, &message, wire);
            let exchange = server.send(request).map_err(TestCaseError::fail)?;
            if let Some(reply) = &exchange.reply {
                *statuses.borrow_mut().entry(reply.status).or_insert(0u32) += 1;
            }
            judge(&exchange)
                .and_then(|()| reads_as_response(procedure, &exchange))
                .map_err(|e| TestCaseError::fail(format!("{wire:?}: {e}")))
        });
        if let Err(e) = result {
            panic!("{}: {e}", procedure.path);
        }
    }
    eprintln!("property: answers by status {:?}", statuses.borrow());
}

/// A 200's body decodes as the method's response message in the codec it names.
fn reads_as_response(procedure: &Procedure, exchange: &Exchange) -> Result<(), String> {
    let Some(reply) = exchange.reply.as_ref().filter(|r| r.status == 200) else {
        return Ok(());
    };
    let (headers, body) = (&reply.headers, &reply.body);
    let desc = procedure.output.clone();
    let decoded = match headers.get("content-type").map(|v| v.as_bytes()) {
        Some(b"application/proto") => DynamicMessage::decode(desc, body.as_ref())
            .map(drop)
            .map_err(|e| e.to_string()),
        Some(b"application/json") => {
            let mut de = serde_json::Deserializer::from_slice(body);
            DynamicMessage::deserialize(desc, &mut de)
                .map(drop)
                .map_err(|e| e.to_string())
        }
        other => Err(format!("content type {other:?}")),
    };
    decoded.map_err(|e| format!("the 200 is not a {}: {e}", procedure.output.full_name()))
}
