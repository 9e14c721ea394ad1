//! Tests of `contract::source`: contracts in temporary directories, compiled and read back.

use super::{compile, SourceError};
use prost_reflect::{DescriptorPool, DynamicMessage, Value};
use std::path::{Path, PathBuf};

/// A fresh directory holding `files` (relative name, text).
fn dir_with(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gpm-source-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

const MODEL: &str = r#"syntax = "proto3";
package shop.v1;

import "buf/validate/validate.proto";
import "google/api/field_behavior.proto";
import "google/api/resource.proto";
import "google/protobuf/timestamp.proto";

message Item {
  option (google.api.resource) = { type: "shop.example.com/Item" pattern: "items/{item}" };
  string name = 1 [(google.api.field_behavior) = IDENTIFIER];
  google.protobuf.Timestamp create_time = 2 [(google.api.field_behavior) = OUTPUT_ONLY];
}

message GetItemRequest {
  string name = 1 [
    (google.api.field_behavior) = REQUIRED,
    (google.api.resource_reference).type = "shop.example.com/Item",
    (buf.validate.field).string.min_len = 1
  ];
}
"#;

const SERVICE: &str = r#"syntax = "proto3";
package shop.v1;

import "google/api/annotations.proto";
import "shop/v1/model.proto";

service ItemService {
  rpc GetItem(GetItemRequest) returns (Item) {
    option (google.api.http) = { get: "/v1/{name=items/*}" };
  }
}
"#;

fn shop(name: &str) -> PathBuf {
    dir_with(
        name,
        &[
            ("shop/v1/model.proto", MODEL),
            ("shop/v1/service.proto", SERVICE),
        ],
    )
}

/// The option `extension` of `options`, as the pool decodes it.
fn option(pool: &DescriptorPool, options: &DynamicMessage, extension: &str) -> Value {
    let extension = pool.get_extension_by_name(extension).unwrap();
    assert!(options.has_extension(&extension), "{extension:?} unset");
    options.get_extension(&extension).into_owned()
}

fn message_field(value: &Value, name: &str) -> Value {
    value
        .as_message()
        .unwrap()
        .get_field_by_name(name)
        .unwrap()
        .into_owned()
}

/// The shop contract's options, read back through the pool: every bundled import's extension.
fn assert_shop_options(pool: &DescriptorPool) {
    let item = pool.get_message_by_name("shop.v1.Item").unwrap();
    let create_time = item.get_field_by_name("create_time").unwrap();
    let behavior = option(pool, &create_time.options(), "google.api.field_behavior");
    assert_eq!(behavior, Value::List(vec![Value::EnumNumber(3)]));
    let output_only = pool
        .get_enum_by_name("google.api.FieldBehavior")
        .unwrap()
        .get_value_by_name("OUTPUT_ONLY")
        .unwrap();
    assert_eq!(output_only.number(), 3);

    let resource = option(pool, &item.options(), "google.api.resource");
    assert_eq!(
        message_field(&resource, "type"),
        Value::String("shop.example.com/Item".into())
    );
    assert_eq!(
        message_field(&resource, "pattern"),
        Value::List(vec![Value::String("items/{item}".into())])
    );

    let name = pool
        .get_message_by_name("shop.v1.GetItemRequest")
        .unwrap()
        .get_field_by_name("name")
        .unwrap();
    let reference = option(pool, &name.options(), "google.api.resource_reference");
    assert_eq!(
        message_field(&reference, "type"),
        Value::String("shop.example.com/Item".into())
    );
    let rules = option(pool, &name.options(), "buf.validate.field");
    let min_len = message_field(&message_field(&rules, "string"), "min_len");
    assert_eq!(min_len, Value::U64(1));

    let method = pool
        .get_service_by_name("shop.v1.ItemService")
        .unwrap()
        .methods()
        .next()
        .unwrap();
    let http = option(pool, &method.options(), "google.api.http");
    assert_eq!(
        message_field(&http, "get"),
        Value::String("/v1/{name=items/*}".into())
    );
    // The timestamp is protox's well-known type, with its source-free descriptor.
    assert_eq!(
        create_time.kind().as_message().unwrap().full_name(),
        "google.protobuf.Timestamp"
    );
}

#[test]
fn a_directory_compiles_with_the_bundled_imports_and_its_options_read_back() {
    let dir = shop("dir");
    let pool = compile(&dir).unwrap();
    assert_shop_options(&pool);
    // Source info is kept, so a later check can point at a line of the user's file.
    let model = pool.get_file_by_name("shop/v1/model.proto").unwrap();
    assert!(model.file_descriptor_proto().source_code_info.is_some());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_bundled_google_api_files_declare_upstreams_numbers() {
    let dir = shop("numbers");
    let pool = compile(&dir).unwrap();
    for (extension, number, extendee) in [
        (
            "google.api.http",
            72_295_728,
            "google.protobuf.MethodOptions",
        ),
        (
            "google.api.field_behavior",
            1052,
            "google.protobuf.FieldOptions",
        ),
        (
            "google.api.resource_reference",
            1055,
            "google.protobuf.FieldOptions",
        ),
        (
            "google.api.resource_definition",
            1053,
            "google.protobuf.FileOptions",
        ),
        (
            "google.api.resource",
            1053,
            "google.protobuf.MessageOptions",
        ),
    ] {
        let ext = pool.get_extension_by_name(extension).unwrap();
        assert_eq!(
            (ext.number(), ext.containing_message().full_name()),
            (number, extendee)
        );
    }
    let behavior = pool
        .get_extension_by_name("google.api.field_behavior")
        .unwrap();
    assert!(behavior.is_list() && !behavior.is_packed(), "{behavior:?}");
    let rule = pool.get_message_by_name("google.api.HttpRule").unwrap();
    let numbers: Vec<(String, u32)> = rule
        .fields()
        .map(|f| (f.name().to_string(), f.number()))
        .collect();
    // By number, as prost-reflect lists them.
    let expected = [
        ("selector", 1),
        ("get", 2),
        ("put", 3),
        ("post", 4),
        ("delete", 5),
        ("patch", 6),
        ("body", 7),
        ("custom", 8),
        ("additional_bindings", 11),
        ("response_body", 12),
    ];
    assert_eq!(numbers, expected.map(|(n, i)| (n.to_string(), i)).to_vec());
    let pattern: Vec<String> = rule
        .oneofs()
        .find(|o| o.name() == "pattern")
        .unwrap()
        .fields()
        .map(|f| f.name().to_string())
        .collect();
    assert_eq!(pattern, ["get", "put", "post", "delete", "patch", "custom"]);
    let descriptor = pool
        .get_message_by_name("google.api.ResourceDescriptor")
        .unwrap();
    assert_eq!(descriptor.get_field_by_name("style").unwrap().number(), 10);
    let identifier = pool
        .get_enum_by_name("google.api.FieldBehavior")
        .unwrap()
        .get_value_by_name("IDENTIFIER")
        .unwrap();
    assert_eq!(identifier.number(), 8);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The shop contract as `protoc -I dir -I contract --include_imports --descriptor_set_out`
/// would write it: compiled by protox's own include-path compiler, not by `compile`.
fn shop_descriptor_set(dir: &Path, include_imports: bool) -> Vec<u8> {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("contract");
    let mut compiler = protox::Compiler::new([dir, bundled.as_path()]).unwrap();
    compiler
        .include_imports(include_imports)
        .include_source_info(true);
    compiler
        .open_files(["shop/v1/model.proto", "shop/v1/service.proto"])
        .unwrap();
    compiler.encode_file_descriptor_set()
}

#[test]
fn the_same_contract_as_a_descriptor_set_loads_identically() {
    let dir = shop("set");
    let from_dir = compile(&dir).unwrap();
    let set = dir.join("shop.binpb");
    std::fs::write(&set, shop_descriptor_set(&dir, true)).unwrap();
    let from_set = compile(&set).unwrap();
    assert_shop_options(&from_set);
    let names = |pool: &DescriptorPool| -> Vec<String> {
        let mut names: Vec<String> = pool.files().map(|f| f.name().to_string()).collect();
        names.sort();
        names
    };
    assert_eq!(names(&from_set), names(&from_dir));
    for file in from_dir.files() {
        let other = from_set.get_file_by_name(file.name()).unwrap();
        assert_eq!(
            other.file_descriptor_proto(),
            file.file_descriptor_proto(),
            "{}",
            file.name()
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn packed_false_is_honoured_as_protoc_honours_it() {
    let ids = "syntax = \"proto3\";\npackage p;\nmessage Ids {\n  repeated int32 packed = 1;\n  \
               repeated int32 unpacked = 2 [packed = false];\n}\nservice S { rpc Get(Ids) returns (Ids); }\n";
    let dir = dir_with("packed", &[("p.proto", ids)]);
    let message = compile(&dir).unwrap().get_message_by_name("p.Ids").unwrap();
    assert!(message.get_field_by_name("packed").unwrap().is_packed());
    assert!(!message.get_field_by_name("unpacked").unwrap().is_packed());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_users_own_copy_of_a_bundled_file_wins() {
    // Upstream's HttpRule, and one field the bundled copy has not: proof of whose was used.
    let http = r#"syntax = "proto3";
package google.api;
message HttpRule {
  string selector = 1;
  oneof pattern { string get = 2; }
  string mine = 99;
}
"#;
    let dir = dir_with(
        "shadow",
        &[
            ("google/api/http.proto", http),
            ("shop/v1/model.proto", MODEL),
            ("shop/v1/service.proto", SERVICE),
        ],
    );
    let pool = compile(&dir).unwrap();
    let rule = pool.get_message_by_name("google.api.HttpRule").unwrap();
    assert!(rule.get_field_by_name("mine").is_some());
    assert!(rule.get_field_by_name("post").is_none());
    // The bundled annotations.proto imported the user's http.proto, and the option still reads.
    let method = pool
        .get_service_by_name("shop.v1.ItemService")
        .unwrap()
        .methods()
        .next()
        .unwrap();
    let option = option(&pool, &method.options(), "google.api.http");
    assert_eq!(
        message_field(&option, "get"),
        Value::String("/v1/{name=items/*}".into())
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn protos_are_found_at_any_depth_by_their_names_under_the_directory() {
    let root = dir_with(
        "depth",
        &[
            (
                "shop/a.proto",
                "syntax = \"proto3\";\npackage a;\nmessage A {}\n",
            ),
            (
                "b/deep/b.proto",
                "syntax = \"proto3\";\npackage b;\nimport \"shop/a.proto\";\n\
                 service B { rpc Get(a.A) returns (a.A); }\n",
            ),
            ("notes.txt", "not a proto"),
        ],
    );
    let pool = compile(&root).unwrap();
    let mut names: Vec<String> = pool.files().map(|f| f.name().to_string()).collect();
    names.sort_unstable();
    assert_eq!(names, ["b/deep/b.proto", "shop/a.proto"]);
    std::fs::remove_dir_all(root).unwrap();
}

mod errors;
