use super::*;
use prost_reflect::DescriptorPool;

/// Every method of `service` in `pool`, by name, with its behaviour.
fn behaviours(pool: &DescriptorPool, service: &str) -> Vec<(String, Behaviour)> {
    let service = pool.get_service_by_name(service).unwrap();
    service
        .methods()
        .map(|m| (m.name().to_string(), classify(&m)))
        .collect()
}

fn resource<'a>(all: &'a [(String, Behaviour)], name: &str) -> &'a ResourceMethod {
    match &all.iter().find(|(n, _)| n == name).unwrap().1 {
        Behaviour::Resource(r) => r,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn the_built_in_services_crud_methods_are_resource_methods_in_the_ids_style() {
    let all = behaviours(crate::contract::descriptors(), crate::contract::SERVICE);
    let generated: Vec<&str> = all
        .iter()
        .filter(|(_, b)| matches!(b, Behaviour::Generated(_)))
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        generated,
        [
            "GetRunnerConfigurationSchema",
            "ValidateRunnerConfiguration"
        ]
    );
    assert_eq!(all.len(), 21);
    for (name, behaviour) in &all {
        if let Behaviour::Resource(r) = behaviour {
            assert_eq!(r.style, Style::Ids, "{name}");
            assert_eq!(r.id.name(), "id", "{name}");
        }
    }
    let get = resource(&all, "GetEnvironmentClass");
    assert_eq!(get.resource.name(), "EnvironmentClass");
    assert_eq!(get.keys[0].name(), "environment_class_id");
    assert_eq!(get.answer.as_ref().unwrap().name(), "environment_class");
    let list = resource(&all, "ListEnvironmentClasses");
    assert_eq!(list.answer.as_ref().unwrap().name(), "environment_classes");
    let create = resource(&all, "CreateLLMIntegration");
    assert_eq!(create.resource.name(), "LLMIntegration");
    assert!(create.answer.is_none(), "it answers only the id");
    let create = resource(&all, "CreateHostAuthenticationToken");
    assert_eq!(create.answer.as_ref().unwrap().name(), "token");
    let delete = resource(&all, "DeleteSCMIntegration");
    assert_eq!(delete.keys[0].name(), "id");
    assert!(delete.answer.is_none());
    let why = match &all
        .iter()
        .find(|(n, _)| n == "GetRunnerConfigurationSchema")
        .unwrap()
        .1
    {
        Behaviour::Generated(why) => why.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        why.contains("RunnerConfigurationSchema has no string `name`, `id` or `runner_configuration_schema_id` field"),
        "{why}"
    );
}

/// A small AIP-style API: shelves and their books, a streaming method and an RPC that is no
/// resource method.
const LIBRARY: &str = r#"
syntax = "proto3";
package library.v1;
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";

service LibraryService {
  rpc CreateShelf(CreateShelfRequest) returns (Shelf);
  rpc GetShelf(GetShelfRequest) returns (Shelf);
  rpc ListShelves(ListShelvesRequest) returns (ListShelvesResponse);
  rpc UpdateShelf(UpdateShelfRequest) returns (Shelf);
  rpc DeleteShelf(DeleteShelfRequest) returns (google.protobuf.Empty);
  rpc ListBooks(ListBooksRequest) returns (ListBooksResponse);
  rpc GetBook(GetBookByTitleRequest) returns (Book);
  rpc MergeShelves(MergeShelvesRequest) returns (Shelf);
  rpc WatchShelf(GetShelfRequest) returns (stream Shelf);
  rpc ListPolicies(ListPoliciesRequest) returns (ListPoliciesResponse);
}

message Shelf { string name = 1; string theme = 2; }
message Book { string name = 1; string title = 2; }
message Policy { string name = 1; }
message CreateShelfRequest { Shelf shelf = 1; string shelf_id = 2; }
message GetShelfRequest { string name = 1; }
message ListShelvesRequest { int32 page_size = 1; string page_token = 2; }
message ListShelvesResponse { repeated Shelf shelves = 1; string next_page_token = 2; }
message UpdateShelfRequest { Shelf shelf = 1; google.protobuf.FieldMask update_mask = 2; }
message DeleteShelfRequest { string name = 1; }
message ListBooksRequest { string parent = 1; int32 page_size = 2; string page_token = 3; }
message ListBooksResponse { repeated Book books = 1; string next_page_token = 2; }
message GetBookByTitleRequest { string title = 1; }
message MergeShelvesRequest { string name = 1; string other_shelf = 2; }
message ListPoliciesRequest { int32 page_size = 1; }
message ListPoliciesResponse { repeated Policy policies = 1; }
"#;

/// The library API compiled, for the tests here and the generic store's.
pub(crate) fn library() -> DescriptorPool {
    let dir = std::env::temp_dir().join(format!("conventions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("library.proto"), LIBRARY).unwrap();
    let set = protox::compile(["library.proto"], [&dir]).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    DescriptorPool::from_file_descriptor_set(set).unwrap()
}

#[test]
fn aip_methods_are_recognised_and_the_misfits_say_why() {
    let pool = library();
    let all = behaviours(&pool, "library.v1.LibraryService");
    let create = resource(&all, "CreateShelf");
    assert_eq!(
        (create.style, create.resource.name()),
        (Style::Aip, "Shelf")
    );
    assert_eq!(create.body.as_ref().unwrap().name(), "shelf");
    assert!(
        create.answer.is_none(),
        "the response is the resource itself"
    );
    assert_eq!(resource(&all, "GetShelf").keys[0].name(), "name");
    assert_eq!(
        resource(&all, "UpdateShelf").body.as_ref().unwrap().name(),
        "shelf"
    );
    assert_eq!(resource(&all, "DeleteShelf").verb, Verb::Delete);
    let books = resource(&all, "ListBooks");
    assert_eq!(
        (books.resource.name(), books.answer.as_ref().unwrap().name()),
        ("Book", "books")
    );
    assert_eq!(resource(&all, "ListShelves").resource.name(), "Shelf");

    let why = |name: &str| match &all.iter().find(|(n, _)| n == name).unwrap().1 {
        Behaviour::Generated(why) | Behaviour::Unimplemented(why) => why.clone(),
        other => panic!("{name}: {other:?}"),
    };
    assert!(
        why("GetBook").contains("no string `name` field"),
        "{}",
        why("GetBook")
    );
    assert!(why("MergeShelves").contains("does not start with"));
    assert!(why("WatchShelf").contains("streaming"));
    assert!(
        why("ListPolicies").contains("page_size and page_token"),
        "{}",
        why("ListPolicies")
    );
    assert!(matches!(
        all.iter().find(|(n, _)| n == "WatchShelf").unwrap().1,
        Behaviour::Unimplemented(_)
    ));
}

#[test]
fn names_turn_into_fields_and_plurals_as_protoc_and_aip_spell_them() {
    assert_eq!(snake_case("SCMIntegration"), "scm_integration");
    assert_eq!(snake_case("EnvironmentClass"), "environment_class");
    assert_eq!(snake_case("LLMIntegration"), "llm_integration");
    assert_eq!(snake_case("Shelf"), "shelf");
    assert!(plural_of("EnvironmentClass", "EnvironmentClasses"));
    assert!(plural_of("Policy", "Policies"));
    assert!(plural_of(
        "HostAuthenticationToken",
        "HostAuthenticationTokens"
    ));
    assert!(plural_of("Fish", "Fish"));
    assert!(plural_of("Shelf", "Shelves") && plural_of("Knife", "Knives"));
    assert!(!plural_of("Shelf", "Books"));
}

/// The whole Gitpod public API, as `scripts/gitpod-api-descriptors.py` writes it from the
/// official SDK's descriptors: every method gets a behaviour, every service's CRUD methods are
/// recognised, and every response message has a sample that decodes and passes its rules.
/// `scripts/test.sh` writes the file and runs this test by name.
#[test]
#[ignore = "needs target/gitpod-api.binpb; scripts/test.sh writes it and runs this test"]
fn the_whole_gitpod_api_gets_a_behaviour_for_every_method() {
    let path = std::env::var("GITPOD_API_DESCRIPTORS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target/gitpod-api.binpb").into());
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let pool = DescriptorPool::decode(&bytes[..]).unwrap();
    let contract = crate::contract::Contract::from_pool(pool.clone(), &[]).unwrap();
    assert_eq!(contract.procedures().len(), 300);
    let (mut resource, mut generated, mut unimplemented) = (0, 0, 0);
    let mut by_verb = std::collections::BTreeMap::new();
    for service in pool.services() {
        for method in service.methods() {
            match classify(&method) {
                Behaviour::Resource(r) => {
                    resource += 1;
                    *by_verb.entry(format!("{:?}", r.verb)).or_insert(0) += 1;
                }
                Behaviour::Generated(_) => generated += 1,
                Behaviour::Unimplemented(_) => unimplemented += 1,
            }
            let output = method.output();
            let sample = crate::contract::sample::message(&contract, &output, 7);
            let decoded = crate::codec::to_message(&output, sample.clone())
                .unwrap_or_else(|e| panic!("{}: {sample}: {}", output.full_name(), e.message));
            let canonical = crate::codec::canonical(&decoded);
            let validator =
                crate::contract::validate::RequestValidator::new(&contract, &output).unwrap();
            let verdict = validator.check(&contract, &output, &canonical);
            assert!(
                verdict.is_ok(),
                "{}: {sample}: {verdict:?}",
                output.full_name()
            );
        }
    }
    eprintln!("whole API: {resource} resource methods {by_verb:?}, {generated} generated, {unimplemented} unimplemented");
    assert_eq!(resource + generated + unimplemented, 300);
    assert_eq!(unimplemented, 1, "EventService/WatchEvents streams");
    // The runner-configuration service alone has 19; the others add far more.
    assert!(resource > 100, "{resource}");
}
