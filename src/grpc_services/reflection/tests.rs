use super::*;
use crate::codec::compression::Compression;
use crate::grpc_services::stream::{Codec, Framing};
use prost_reflect::{DescriptorPool, DynamicMessage, ReflectMessage, Value};

fn session(package: &'static str) -> Session {
    Session {
        call: Call {
            framing: Framing::Grpc,
            codec: Codec::Proto,
            compression: Compression::Identity,
            deadline: None,
        },
        pool: crate::contract::descriptors().clone(),
        services: super::super::served(&crate::contract::Contract::load()),
        package,
        sent: HashSet::default(),
    }
}

/// A request asking `field` (`value` a string, or an ExtensionRequest's two fields).
fn request(package: &str, field: &str, value: Value) -> DynamicMessage {
    let pool = crate::contract::descriptors();
    let desc = pool
        .get_message_by_name(&format!("{package}.ServerReflectionRequest"))
        .unwrap();
    let mut request = DynamicMessage::new(desc);
    request.set_field_by_name("host", Value::String("localhost:4010".into()));
    request.set_field_by_name(field, value);
    request
}

fn ask(session: &mut Session, field: &str, value: &str) -> DynamicMessage {
    let asked = request(session.package, field, Value::String(value.into()));
    let response = session.answer(&asked).unwrap();
    assert_eq!(
        response.get_field_by_name("valid_host").unwrap().as_str(),
        Some("localhost:4010")
    );
    let echoed = response.get_field_by_name("original_request").unwrap();
    assert_eq!(echoed.as_message(), Some(&asked));
    response
}

/// The message set in the response's `message_response`, by field name.
fn part(response: &DynamicMessage, field: &str) -> DynamicMessage {
    assert!(
        response.has_field_by_name(field),
        "{field} is not set in {response:?}"
    );
    response
        .get_field_by_name(field)
        .unwrap()
        .as_message()
        .unwrap()
        .clone()
}

/// The serialized files of a file_descriptor_response, and their names.
fn files(response: &DynamicMessage) -> (Vec<String>, Vec<Vec<u8>>) {
    let files = part(response, "file_descriptor_response");
    let list = files.get_field_by_name("file_descriptor_proto").unwrap();
    let encoded: Vec<Vec<u8>> = list
        .as_list()
        .unwrap()
        .iter()
        .map(|v| v.as_bytes().unwrap().to_vec())
        .collect();
    let names = encoded
        .iter()
        .map(|bytes| {
            let file = <prost_reflect::prost_types::FileDescriptorProto as prost::Message>::decode(
                &bytes[..],
            );
            file.unwrap().name.unwrap()
        })
        .collect();
    (names, encoded)
}

/// A pool of these files, added as a client adds them: each once the files it imports are in.
fn resolve(files: &[Vec<u8>]) -> DescriptorPool {
    let mut pool = DescriptorPool::new();
    let mut pending: Vec<&Vec<u8>> = files.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|file| {
            let mut next = pool.clone();
            let added = next.decode_file_descriptor_proto(&file[..]).is_ok();
            if added {
                pool = next;
            }
            !added
        });
        assert!(
            pending.len() < before,
            "{} files import files not sent",
            pending.len()
        );
    }
    pool
}

fn not_found(response: &DynamicMessage) -> String {
    let error = part(response, "error_response");
    assert_eq!(
        error.get_field_by_name("error_code").unwrap().as_i32(),
        Some(5)
    );
    let message = error.get_field_by_name("error_message").unwrap();
    message.as_str().unwrap().to_string()
}

#[test]
fn list_services_names_every_service_served() {
    for package in ["grpc.reflection.v1", "grpc.reflection.v1alpha"] {
        let response = ask(&mut session(package), "list_services", "");
        assert_eq!(
            response.descriptor().full_name(),
            format!("{package}.ServerReflectionResponse")
        );
        let list = part(&response, "list_services_response");
        let names: Vec<String> = list
            .get_field_by_name("service")
            .unwrap()
            .as_list()
            .unwrap()
            .iter()
            .map(|s| {
                let name = s.as_message().unwrap().get_field_by_name("name").unwrap();
                name.as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(
            names,
            [
                "gitpod.v1.RunnerConfigurationService",
                "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection",
            ]
        );
    }
}

#[test]
fn the_services_file_comes_with_every_import_and_its_validation_rules() {
    let mut session = session("grpc.reflection.v1");
    let response = ask(
        &mut session,
        "file_containing_symbol",
        "gitpod.v1.RunnerConfigurationService",
    );
    let (names, encoded) = files(&response);
    let pool = resolve(&encoded);
    assert_eq!(names[0], "gitpod/v1/runner_configuration.proto");
    for import in [
        "buf/validate/validate.proto",
        "google/protobuf/descriptor.proto",
        "gitpod/v1/pagination.proto",
    ] {
        assert!(names.iter().any(|n| n == import), "{import} in {names:?}");
    }
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    let service = pool
        .get_service_by_name("gitpod.v1.RunnerConfigurationService")
        .unwrap();
    assert_eq!(
        service.methods().len(),
        crate::contract::Contract::load().procedures().len()
    );
    // The rules are options the bytes must keep for tools that show or check them.
    let field = pool
        .get_message_by_name("gitpod.v1.ListSCMIntegrationsRequest.Filter")
        .unwrap()
        .get_field_by_name("runner_ids")
        .unwrap();
    let rules = pool.get_extension_by_name("buf.validate.field").unwrap();
    assert!(
        field.options().has_extension(&rules),
        "{:?}",
        field.options()
    );

    // The same stream sends each import once: asking again brings only the file itself.
    let again = ask(
        &mut session,
        "file_by_filename",
        "gitpod/v1/runner_configuration.proto",
    );
    assert_eq!(files(&again).0, ["gitpod/v1/runner_configuration.proto"]);
}

#[test]
fn symbols_of_every_kind_find_their_file() {
    let cases = [
        (
            "gitpod.v1.RunnerConfigurationService.ListSCMIntegrations",
            "gitpod/v1/runner_configuration.proto",
        ),
        (
            ".gitpod.v1.ListSCMIntegrationsRequest",
            "gitpod/v1/runner_configuration.proto",
        ),
        (
            "gitpod.v1.ListSCMIntegrationsRequest.Filter",
            "gitpod/v1/runner_configuration.proto",
        ),
        (
            "gitpod.v1.ListSCMIntegrationsRequest.pagination",
            "gitpod/v1/runner_configuration.proto",
        ),
        ("gitpod.v1.PaginationRequest", "gitpod/v1/pagination.proto"),
        ("gitpod.v1.Principal", "gitpod/v1/identity.proto"),
        ("gitpod.v1.PRINCIPAL_ACCOUNT", "gitpod/v1/identity.proto"),
        ("buf.validate.field", "buf/validate/validate.proto"),
        (
            "google.protobuf.Timestamp",
            "google/protobuf/timestamp.proto",
        ),
        ("grpc.health.v1.Health.Watch", "grpc/health/v1/health.proto"),
        (
            "grpc.health.v1.HealthCheckResponse.SERVING",
            "grpc/health/v1/health.proto",
        ),
        (
            "grpc.reflection.v1alpha.ServerReflection",
            "grpc/reflection/v1alpha/reflection.proto",
        ),
    ];
    for (symbol, file) in cases {
        let response = ask(
            &mut session("grpc.reflection.v1"),
            "file_containing_symbol",
            symbol,
        );
        assert_eq!(files(&response).0[0], file, "{symbol}");
    }
}

#[test]
fn unknown_names_get_not_found_and_the_stream_goes_on() {
    let mut session = session("grpc.reflection.v1");
    for symbol in [
        "gitpod.v1.Nope",
        "gitpod.v1.RunnerConfigurationService.Nope",
        "gitpod.v1.ListSCMIntegrationsRequest.nope",
        "nope",
        "",
    ] {
        let message = not_found(&ask(&mut session, "file_containing_symbol", symbol));
        assert_eq!(message, format!("symbol {symbol:?} is not in the contract"));
    }
    let message = not_found(&ask(
        &mut session,
        "file_by_filename",
        "gitpod/v1/nope.proto",
    ));
    assert_eq!(
        message,
        "file \"gitpod/v1/nope.proto\" is not in the contract"
    );
    let message = not_found(&ask(
        &mut session,
        "all_extension_numbers_of_type",
        "nope.Nope",
    ));
    assert_eq!(message, "message type \"nope.Nope\" is not in the contract");
    // It still answers after its errors.
    assert!(ask(&mut session, "list_services", "").has_field_by_name("list_services_response"));
}

fn extension(containing_type: &str, number: i32) -> Value {
    let pool = crate::contract::descriptors();
    let desc = pool
        .get_message_by_name("grpc.reflection.v1.ExtensionRequest")
        .unwrap();
    let mut asked = DynamicMessage::new(desc);
    asked.set_field_by_name("containing_type", Value::String(containing_type.into()));
    asked.set_field_by_name("extension_number", Value::I32(number));
    Value::Message(asked)
}

#[test]
fn extensions_are_found_by_the_type_they_extend() {
    let mut session = session("grpc.reflection.v1");
    let asked = request(
        "grpc.reflection.v1",
        "file_containing_extension",
        extension("google.protobuf.FieldOptions", 1159),
    );
    let (names, _) = files(&session.answer(&asked).unwrap());
    assert_eq!(names[0], "buf/validate/validate.proto");
    for (extended, number) in [
        ("google.protobuf.FieldOptions", 1),
        ("google.protobuf.FieldOptions", -1),
        ("nope", 1159),
    ] {
        let asked = request(
            "grpc.reflection.v1",
            "file_containing_extension",
            extension(extended, number),
        );
        let why = not_found(&session.answer(&asked).unwrap());
        assert!(why.contains("has no extension numbered"), "{why}");
    }
    let response = ask(
        &mut session,
        "all_extension_numbers_of_type",
        "google.protobuf.MessageOptions",
    );
    let numbers = part(&response, "all_extension_numbers_response");
    assert_eq!(
        numbers
            .get_field_by_name("base_type_name")
            .unwrap()
            .as_str(),
        Some("google.protobuf.MessageOptions")
    );
    let mut found: Vec<i32> = numbers
        .get_field_by_name("extension_number")
        .unwrap()
        .as_list()
        .unwrap()
        .iter()
        .map(|n| n.as_i32().unwrap())
        .collect();
    found.sort();
    assert_eq!(found, [1042, 1159]);
}

#[test]
fn a_request_asking_nothing_ends_the_stream() {
    let pool = crate::contract::descriptors();
    let desc = pool
        .get_message_by_name("grpc.reflection.v1.ServerReflectionRequest")
        .unwrap();
    let e = session("grpc.reflection.v1")
        .answer(&DynamicMessage::new(desc))
        .unwrap_err();
    assert_eq!(e.code, Code::InvalidArgument);
    assert!(e.message.contains("asks nothing"), "{}", e.message);
}
