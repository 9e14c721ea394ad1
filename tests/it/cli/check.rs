//! `check` (and `serve --fixtures`) on the default fixtures and on broken copies of them: every
//! problem is reported with its file, its field and the reason, and the server never starts.
//! `check --contract` on a user's proto directory: how each method would be served, or where
//! the contract does not compile; and `schemas --contract` and `openapi --contract`.

use super::run;
use crate::support::fixture;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

#[test]
fn check_accepts_the_default_fixtures() {
    let (output, stdout, stderr) = run(&["check", "fixtures"]);
    assert!(output.status.success(), "{stderr}");
    let count = |file: &str, list: &str| fixture(file)[list].as_array().unwrap().len();
    let schemas = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schemas"))
        .unwrap()
        .count();
    let line = format!(
        "fixtures: ok ({} runners, {schemas} schemas, {} environment classes, {} SCM integrations, {} host tokens)",
        count("runners.json", "runners"),
        count("environment_classes.json", "environmentClasses"),
        count("scm_integrations.json", "integrations"),
        count("host_authentication_tokens.json", "tokens"),
    );
    assert!(stdout.lines().any(|l| l == line), "{stdout}");
}

/// A copy of fixtures/ in a fresh temporary directory, removed when dropped.
struct Copy(PathBuf);

impl Copy {
    fn new(name: &str) -> Copy {
        let dir =
            std::env::temp_dir().join(format!("gitpod-mock-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        for sub in ["", "schemas"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
            for entry in std::fs::read_dir(from.join(sub))
                .unwrap()
                .map(Result::unwrap)
            {
                if entry.file_type().unwrap().is_file() {
                    std::fs::copy(entry.path(), dir.join(sub).join(entry.file_name())).unwrap();
                }
            }
        }
        Copy(dir)
    }

    /// Sets one field of a JSON file, named by a JSON pointer.
    fn set(&self, file: &str, pointer: &str, value: Value) {
        let path = self.0.join(file);
        let mut json: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let (parent, name) = pointer.rsplit_once('/').unwrap();
        let parent = json.pointer_mut(parent).and_then(Value::as_object_mut);
        parent
            .unwrap_or_else(|| panic!("{file}{pointer}"))
            .insert(name.into(), value);
        std::fs::write(path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

type Breakage = (&'static str, fn(&Copy), &'static [&'static str]);

/// (name, how to break the copy, the lines of the report after `DIR/`)
#[rustfmt::skip]
const BROKEN: &[Breakage] = &[
    ("bad-uuid", |c| c.set("environment_classes.json", "/environmentClasses/1/id", json!("not-a-uuid")),
        &["environment_classes.json: environmentClasses[1].id: \"not-a-uuid\" is not a UUID"]),
    ("unknown-runner", |c| c.set("host_authentication_tokens.json", "/tokens/0/runnerId", json!("11111111-1111-4111-8111-111111111111")),
        &["host_authentication_tokens.json: tokens[0].runnerId: unknown runner 11111111-1111-4111-8111-111111111111: not in runners.json"]),
    ("wrong-type", |c| c.set("environment_classes.json", "/environmentClasses/2/enabled", json!("no")),
        &["environment_classes.json: environmentClasses[2].enabled: not a valid gitpod.v1.ListEnvironmentClassesResponse: invalid type: string \"no\", expected a boolean"]),
    ("wrong-type-in-a-schema", |c| c.set("schemas/gcp.json", "/environmentClasses/0/required", json!("yes")),
        &["schemas/gcp.json: environmentClasses[0].required: not a valid gitpod.v1.RunnerConfigurationSchema: invalid type: string \"yes\", expected a boolean"]),
    ("invalid-json", |c| std::fs::write(c.0.join("scm_integrations.json"), "{\"integrations\": [\n  {\"id\": ").unwrap(),
        &["scm_integrations.json: invalid JSON: EOF while parsing a value at line 2 column 9"]),
    ("missing-schema", |c| std::fs::remove_file(c.0.join("schemas/dev-agent.json")).unwrap(),
        &["schemas/dev-agent.json: cannot read: No such file or directory (os error 2)"]),
    // The rules of fixtures/README.md that only hold between files.
    ("token-integration", |c| {
        c.set("host_authentication_tokens.json", "/tokens/0/integrationId", json!("99999999-9999-4999-8999-999999999999"));
        c.set("host_authentication_tokens.json", "/tokens/1/integrationId", json!("2c803332-766e-403a-a56b-aed9d42290a0"));
    }, &[
        "host_authentication_tokens.json: tokens[0].integrationId: unknown SCM integration 99999999-9999-4999-8999-999999999999: not in scm_integrations.json",
        "host_authentication_tokens.json: tokens[1].integrationId: SCM integration 2c803332-766e-403a-a56b-aed9d42290a0 is for runner 07503cd0-8150-42b7-8429-5bf8513241c9 and host gitlab.com, not this token's",
    ]),
    ("scm-schema", |c| {
        c.set("scm_integrations.json", "/integrations/4/pat", json!(true));
        c.set("scm_integrations.json", "/integrations/0/virtualDirectory", json!("/x"));
    }, &[
        "scm_integrations.json: integrations[0].virtualDirectory: only azure-devops integrations have a virtual directory",
        "scm_integrations.json: integrations[4].pat: the runner's schema has no pat section for \"gitlab\"",
    ]),
    ("class-schema", |c| {
        c.set("environment_classes.json", "/environmentClasses/0/configuration", json!([{"key": "cpu", "value": "4"}, {"key": "memory", "value": "16384"}, {"key": "gpu", "value": "1"}]));
        c.set("environment_classes.json", "/environmentClasses/3/configuration", json!([{"key": "cpu", "value": "99"}]));
        c.set("environment_classes.json", "/environmentClasses/5/displayName", json!("ab"));
        c.set("environment_classes.json", "/environmentClasses/6/configuration", json!([{"key": "machine_type", "value": "c3-highcpu-22"}, {"key": "private_registry_token", "value": "tok"}]));
    }, &[
        "environment_classes.json: environmentClasses[0].configuration: gpu: unknown configuration key: the runner's schema (version 2025-01-15) has no such field",
        "environment_classes.json: environmentClasses[3].configuration: cpu: must be between 1 and 64, got 99",
        "environment_classes.json: environmentClasses[3].configuration: memory: Memory (MiB) is required",
        "environment_classes.json: environmentClasses[5].displayName: display name must be between 3 and 127 characters long, got 2",
        "environment_classes.json: environmentClasses[6].configuration: private_registry_token: secret fields are never set in fixtures",
    ]),
    // Several mistakes in one file, of every kind, all reported in one run.
    ("many-in-one-file", |c| {
        c.set("environment_classes.json", "/environmentClasses/0/enabled", json!("no"));
        c.set("environment_classes.json", "/environmentClasses/1/id", json!("not-a-uuid"));
        c.set("environment_classes.json", "/environmentClasses/2/displayName", json!("ab"));
        c.set("environment_classes.json", "/environmentClasses/3/runnerId", json!("11111111-1111-4111-8111-111111111111"));
        c.set("environment_classes.json", "/environmentClasses/4/configuration", json!("cpu=4"));
        c.set("environment_classes.json", "/extra", json!(1));
        c.set("schemas/gcp.json", "/environmentClasses/0/required", json!("yes"));
        c.set("schemas/gcp.json", "/runnerConfig/1/name", json!(7));
    }, &[
        "environment_classes.json: extra: not a valid gitpod.v1.ListEnvironmentClassesResponse: unrecognized field name 'extra'",
        "environment_classes.json: environmentClasses[0].enabled: not a valid gitpod.v1.ListEnvironmentClassesResponse: invalid type: string \"no\", expected a boolean",
        "environment_classes.json: environmentClasses[1].id: \"not-a-uuid\" is not a UUID",
        "environment_classes.json: environmentClasses[2].displayName: display name must be between 3 and 127 characters long, got 2",
        "environment_classes.json: environmentClasses[3].runnerId: unknown runner 11111111-1111-4111-8111-111111111111: not in runners.json",
        "environment_classes.json: environmentClasses[4].configuration: not a valid gitpod.v1.ListEnvironmentClassesResponse: invalid type: string \"cpu=4\", expected a list",
        "schemas/gcp.json: environmentClasses[0].required: not a valid gitpod.v1.RunnerConfigurationSchema: invalid type: string \"yes\", expected a boolean",
        "schemas/gcp.json: runnerConfig[1].name: not a valid gitpod.v1.RunnerConfigurationSchema: invalid type: integer `7`, expected a string",
    ]),
    // A broken record is not reported again through the records that refer to it.
    ("no-echoes", |c| {
        c.set("scm_integrations.json", "/integrations/1/runnerId", json!(5));
        c.set("runners.json", "/runners/0/online", json!("yes"));
    }, &[
        "runners.json: runners[0].online: not a valid gitpod_mock.v1.RunnerList: invalid type: string \"yes\", expected a boolean",
        "scm_integrations.json: integrations[1].runnerId: not a valid gitpod.v1.ListSCMIntegrationsResponse: invalid type: integer `5`, expected a string",
    ]),
    ("two-files", |c| {
        c.set("environment_classes.json", "/environmentClasses/0/runnerId", json!("22222222-2222-4222-8222-222222222222"));
        c.set("scm_integrations.json", "/integrations/3/id", json!("15ec0cc1-0e17-439c-afa9-05f309ce5983"));
    }, &[
        "environment_classes.json: environmentClasses[0].runnerId: unknown runner 22222222-2222-4222-8222-222222222222: not in runners.json",
        "scm_integrations.json: integrations[3].id: duplicate id 15ec0cc1-0e17-439c-afa9-05f309ce5983",
    ]),
];

#[test]
fn broken_fixtures_are_reported_by_file_field_and_reason() {
    for (name, breaks, lines) in BROKEN {
        let copy = Copy::new(name);
        breaks(&copy);
        let dir = copy.0.to_str().unwrap();
        let expected: Vec<String> = lines.iter().map(|l| format!("{dir}/{l}")).collect();
        let report = |stderr: &str| {
            let rest = stderr.strip_prefix("gitpod-mock: invalid fixtures:\n");
            let rest = rest.unwrap_or_else(|| panic!("{name}: {stderr}"));
            rest.lines().map(String::from).collect::<Vec<_>>()
        };
        let (output, stdout, stderr) = run(&["check", dir]);
        assert!(!output.status.success(), "{name}: check passed: {stdout}");
        assert_eq!(report(&stderr), expected, "{name}: check");
        // serve refuses the same directory at startup, before it listens.
        let (output, stdout, stderr) = run(&["serve", "--port", "0", "--fixtures", dir]);
        assert!(
            !output.status.success() && stdout.is_empty(),
            "{name}: served: {stdout}"
        );
        assert_eq!(report(&stderr), expected, "{name}: serve");
    }
}

#[test]
fn a_missing_directory_is_one_problem() {
    let dir = std::env::temp_dir().join(format!("gitpod-mock-it-{}-none", std::process::id()));
    let dir = dir.to_str().unwrap();
    let expected = format!("gitpod-mock: invalid fixtures:\n{dir}: directory not found\n");
    for args in [
        vec!["check", dir],
        vec!["serve", "--port", "0", "--fixtures", dir],
    ] {
        let (output, stdout, stderr) = run(&args);
        assert!(
            !output.status.success() && stdout.is_empty(),
            "{args:?}: {stdout}"
        );
        assert_eq!(stderr, expected, "{args:?}");
    }
    let (output, _, stderr) = run(&["check", "fixtures", "--scenario-dir", dir]);
    assert!(!output.status.success());
    assert_eq!(
        stderr,
        format!("gitpod-mock: invalid scenarios:\n{dir}: directory not found\n")
    );
}

#[test]
fn every_problem_of_every_scenario_file_is_listed_in_one_run() {
    let dir = std::env::temp_dir().join(format!("gitpod-mock-it-{}-scenarios", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    #[rustfmt::skip]
    let files = [
        ("a.yaml", "rules:\n  - match: {method: GetNothing}\n    error: unavailable\n  - erorr: internal\n  - error: {code: teapot}\n  - when: {probability: 2}\n    error: internal\n"),
        ("b.yaml", "descripton: typo\nrules:\n  - match: {fields: {id: {matches: \"(\"}}}\n    error: internal\n  - error: internal\n    raw: {status: 502}\n"),
        ("c.yaml", "rules:\n  - error: unavailable\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let d = dir.to_str().unwrap();
    #[rustfmt::skip]
    let expected = [
        format!("{d}/a.yaml: rule 1: match.method: \"GetNothing\" matches no method of the service"),
        format!("{d}/a.yaml: rule 2: erorr: unknown field `erorr`, expected one of match, when, error, raw, connection, respond, rate_limit, exceed_deadline, delay, dribble, headers, pass"),
        format!("{d}/a.yaml: rule 3: error: unknown error code \"teapot\"; codes are: canceled, unknown, invalid_argument, deadline_exceeded, not_found, already_exists, permission_denied, resource_exhausted, failed_precondition, aborted, out_of_range, unimplemented, internal, unavailable, data_loss, unauthenticated"),
        format!("{d}/a.yaml: rule 4: when.probability: must be between 0 and 1"),
        format!("{d}/b.yaml: descripton: unknown field `descripton`, expected one of name, description, rules"),
        format!("{d}/b.yaml: rule 1: match.fields.id: bad regex \"(\": unclosed group"),
        format!("{d}/b.yaml: rule 2: a rule has exactly one action (delay, dribble and headers may go with it)"),
    ];
    let report = |stderr: &str| {
        let rest = stderr.strip_prefix("gitpod-mock: invalid scenarios:\n");
        let rest = rest.unwrap_or_else(|| panic!("{stderr}"));
        rest.lines().map(String::from).collect::<Vec<_>>()
    };
    let (output, _, stderr) = run(&["check", "fixtures", "--scenario-dir", d]);
    assert!(!output.status.success());
    assert_eq!(report(&stderr), expected, "check");
    let (output, stdout, stderr) = run(&["serve", "--port", "0", "--scenario-dir", d]);
    assert!(!output.status.success() && stdout.is_empty(), "{stdout}");
    assert_eq!(report(&stderr), expected, "serve");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A directory holding `files` (name, text), removed when dropped.
struct Protos(PathBuf);

impl Protos {
    fn new(name: &str, files: &[(&str, &str)]) -> Protos {
        let dir =
            std::env::temp_dir().join(format!("gitpod-mock-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (file, text) in files {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Protos(dir)
    }
}

impl Drop for Protos {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn check_contract_says_how_each_method_of_a_users_contract_would_be_served() {
    let shop = r#"syntax = "proto3";
package shop.v1;
import "buf/validate/validate.proto";
import "google/api/field_behavior.proto";
import "google/protobuf/empty.proto";
service ShopService {
  rpc GetProduct(GetProductRequest) returns (Product);
  rpc DeleteProduct(GetProductRequest) returns (google.protobuf.Empty);
  rpc Checkout(CheckoutRequest) returns (google.protobuf.Empty);
}
message Product { string name = 1 [(google.api.field_behavior) = IDENTIFIER]; string title = 2; }
message GetProductRequest { string name = 1 [(buf.validate.field).string.min_len = 1]; }
message CheckoutRequest { repeated string names = 1; }
"#;
    let dir = Protos::new("shop", &[("shop/v1/shop.proto", shop)]);
    let (output, stdout, stderr) = run(&["check", "--contract", dir.0.to_str().unwrap()]);
    assert!(output.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].ends_with(": ok (1 service, 3 methods: 2 resource, 1 generated, 0 unimplemented)"),
        "{stdout}"
    );
    assert_eq!(
        lines[1..],
        [
            "shop.v1.ShopService/GetProduct: Get of shop.v1.Product (AIP style)",
            "shop.v1.ShopService/DeleteProduct: Delete of shop.v1.Product (AIP style)",
            "shop.v1.ShopService/Checkout: generated data (Checkout does not start with Create, Get, List, Update or Delete)",
        ]
    );
}

#[test]
fn check_contract_names_the_file_line_and_column_of_a_compile_error() {
    let broken = "syntax = \"proto3\";\npackage x;\nmessage A { string b = ; }\n";
    let dir = Protos::new("broken", &[("x.proto", broken)]);
    let (output, stdout, stderr) = run(&["check", "--contract", dir.0.to_str().unwrap()]);
    assert!(!output.status.success(), "{stdout}");
    let at = format!(
        "{}:3:24: expected an integer",
        dir.0.join("x.proto").display()
    );
    assert!(stderr.contains(&at), "{stderr}");
    let (output, _, stderr) = run(&["check", "--contract", "/no/such/contract"]);
    assert!(!output.status.success());
    assert!(stderr.contains("contract path not found"), "{stderr}");
}

#[test]
fn schemas_and_openapi_of_a_users_contract_name_methods_by_service() {
    let api = r#"syntax = "proto3";
package pets.v1;
import "buf/validate/validate.proto";
service PetService { rpc GetPet(GetPetRequest) returns (Pet); }
service ToyService { rpc GetPet(GetPetRequest) returns (Pet); }
message Pet { string id = 1; map<string, int32> toys = 2; }
message GetPetRequest { string id = 1 [(buf.validate.field).string.uuid = true]; }
"#;
    let dir = Protos::new("pets", &[("pets.proto", api)]);
    let path = dir.0.to_str().unwrap();
    let (output, stdout, stderr) = run(&["schemas", "--contract", path]);
    assert!(output.status.success(), "{stderr}");
    let all: Value = serde_json::from_str(&stdout).unwrap();
    let names: Vec<&String> = all.as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        ["pets.v1.PetService/GetPet", "pets.v1.ToyService/GetPet"]
    );
    let request = &all["pets.v1.PetService/GetPet"]["$defs"]["pets.v1.GetPetRequest"];
    assert_eq!(request["properties"]["id"]["format"], "uuid", "{request}");
    let (_, stdout, stderr) = run(&[
        "schemas",
        "--contract",
        path,
        "--response",
        "pets.v1.ToyService/GetPet",
    ]);
    let pet: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
    let toys = &pet["$defs"]["pets.v1.Pet"]["properties"]["toys"];
    assert_eq!(toys["type"], "object", "a map is an object: {toys}");
    assert_eq!(toys["additionalProperties"]["type"], "integer", "{toys}");
    // The OpenAPI document of that contract: a path per method of each service.
    let (output, stdout, stderr) = run(&["openapi", "--contract", path]);
    assert!(output.status.success(), "{stderr}");
    let document: Value = serde_json::from_str(&stdout).unwrap();
    let paths: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        ["/pets.v1.PetService/GetPet", "/pets.v1.ToyService/GetPet"]
    );
    let post = &document["paths"]["/pets.v1.ToyService/GetPet"]["post"];
    assert_eq!(
        (&post["operationId"], &post["tags"][0]),
        (&json!("ToyService_GetPet"), &json!("ToyService"))
    );
    assert_eq!(
        document["info"]["title"],
        "pets.v1.PetService, pets.v1.ToyService"
    );
    // A bare name that two services share is ambiguous, and the error lists the full names.
    let (output, _, stderr) = run(&["schemas", "--contract", path, "GetPet"]);
    assert!(!output.status.success());
    assert!(stderr.contains("pets.v1.ToyService/GetPet"), "{stderr}");
}
