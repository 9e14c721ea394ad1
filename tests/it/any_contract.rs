//! `serve --contract`: the example library API (examples/library) served from its protos, in
//! process. Resources are kept as state (AIP Create with and without an id, Get, List with
//! paging and `-` for any parent, Update by field mask, Delete), other methods answer generated
//! data that is the same for the same request, rules are checked, scenarios match its methods,
//! fixture problems are all reported at once, and GET / and the state
//! export describe this contract rather than the embedded one.

use crate::support::{request, Exchange, InProcess};
use gitpod_mock::MockServer;
use serde_json::{json, Value};

const LIBRARY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/library");
const SERVICE: &str = "/library.v1.LibraryService";

fn library() -> gitpod_mock::MockServerBuilder {
    MockServer::builder()
        .seed(Some(3))
        .contract(format!("{LIBRARY}/proto"))
        .fixtures(format!("{LIBRARY}/fixtures"))
        .scenario_dir(format!("{LIBRARY}/scenarios"))
}

fn server() -> InProcess {
    InProcess::new(library().build().unwrap())
}

/// Calls a method with a JSON body and returns the status and the body as JSON.
fn call(server: &InProcess, method: &str, body: Value, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let line = format!("POST {SERVICE}/{method}");
    let exchange: Exchange = server.send(request(&line, &all, body.to_string())).unwrap();
    let reply = exchange.reply.expect("an answer");
    let body = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    (reply.status, body)
}

#[test]
fn books_are_created_read_updated_by_mask_and_deleted() {
    let server = server();
    let book = json!({"title": "Cosmos Revisited", "author": "A. Writer", "writtenYear": 2001});
    let (status, created) = call(
        &server,
        "CreateBook",
        json!({"parent": "shelves/science", "book": book, "bookId": "revisited"}),
        &[],
    );
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["name"], "shelves/science/books/revisited");
    assert!(
        created["createTime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{created}"
    );
    let (status, again) = call(
        &server,
        "CreateBook",
        json!({"parent": "shelves/science", "book": book, "bookId": "revisited"}),
        &[],
    );
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("already_exists")),
        "{again}"
    );
    let (_, unnamed) = call(
        &server,
        "CreateBook",
        json!({"parent": "shelves/science", "book": {"title": "Untitled"}}),
        &[],
    );
    let name = unnamed["name"].as_str().unwrap();
    assert!(
        name.starts_with("shelves/science/books/") && name.len() > 30,
        "{name}"
    );

    let change = json!({"name": "shelves/science/books/revisited", "title": "Cosmos, Again", "author": "Someone Else"});
    let (status, updated) = call(
        &server,
        "UpdateBook",
        json!({"book": change, "updateMask": "title"}),
        &[],
    );
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (updated["title"].as_str(), updated["author"].as_str()),
        (Some("Cosmos, Again"), Some("A. Writer"))
    );
    let (_, read) = call(
        &server,
        "GetBook",
        json!({"name": "shelves/science/books/revisited"}),
        &[],
    );
    assert_eq!(read, updated);
    assert_ne!(read["updateTime"], Value::Null);

    let (status, _) = call(
        &server,
        "DeleteBook",
        json!({"name": "shelves/science/books/revisited"}),
        &[],
    );
    assert_eq!(status, 200);
    let (status, gone) = call(
        &server,
        "GetBook",
        json!({"name": "shelves/science/books/revisited"}),
        &[],
    );
    assert_eq!(
        (status, gone["code"].as_str()),
        (404, Some("not_found")),
        "{gone}"
    );
}

#[test]
fn lists_page_through_every_record_once_and_dash_is_any_parent() {
    let server = server();
    for i in 0..5 {
        let book = json!({"title": format!("Volume {i}")});
        let (status, _) = call(
            &server,
            "CreateBook",
            json!({"parent": "shelves/fiction", "book": book}),
            &[],
        );
        assert_eq!(status, 200);
    }
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let (status, page) = call(
            &server,
            "ListBooks",
            json!({"parent": "shelves/fiction", "pageSize": 2, "pageToken": token}),
            &[],
        );
        assert_eq!(status, 200, "{page}");
        let books = page["books"].as_array().cloned().unwrap_or_default();
        assert!(books.len() <= 2);
        names.extend(
            books
                .iter()
                .map(|b| b["name"].as_str().unwrap().to_string()),
        );
        token = page["nextPageToken"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if token.is_empty() {
            break;
        }
    }
    // Two fixture books on the fiction shelf, then the five created, in creation order.
    assert_eq!(names.len(), 7, "{names:?}");
    assert_eq!(
        &names[..2],
        [
            "shelves/fiction/books/dune",
            "shelves/fiction/books/solaris"
        ]
    );
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(unique.len(), 7);
    let (_, every) = call(
        &server,
        "ListBooks",
        json!({"parent": "shelves/-", "pageSize": 100}),
        &[],
    );
    assert_eq!(every["books"].as_array().unwrap().len(), 8, "{every}");
    let (status, bad) = call(
        &server,
        "ListBooks",
        json!({"parent": "shelves/-", "pageToken": "nonsense"}),
        &[],
    );
    assert_eq!(
        (status, bad["code"].as_str()),
        (400, Some("invalid_argument")),
        "{bad}"
    );
}

#[test]
fn other_methods_answer_generated_data_the_same_for_the_same_request() {
    let server = server();
    let lend = json!({"name": "shelves/fiction/books/dune", "borrowerEmail": "ada@example.com"});
    let (status, receipt) = call(&server, "LendBook", lend.clone(), &[]);
    assert_eq!(status, 200, "{receipt}");
    assert!(
        receipt["loanId"]
            .as_str()
            .is_some_and(gitpod_mock::store::is_uuid),
        "{receipt}"
    );
    assert_eq!(call(&server, "LendBook", lend, &[]).1, receipt);
    let other =
        json!({"name": "shelves/fiction/books/solaris", "borrowerEmail": "ada@example.com"});
    assert_ne!(call(&server, "LendBook", other, &[]).1, receipt);
}

#[test]
fn rules_are_checked_and_scenarios_match_the_contracts_methods() {
    let server = server();
    let (status, error) = call(&server, "CreateShelf", json!({"shelf": {"theme": ""}}), &[]);
    assert_eq!(status, 400, "{error}");
    assert_eq!(
        error["message"],
        "validation error: shelf.theme: value length must be at least 1 characters"
    );
    let lend = json!({"name": "shelves/fiction/books/dune", "borrowerEmail": "ada@example.com"});
    let closed = [("x-mock-scenario", "lending-desk-closed")];
    let (status, error) = call(&server, "LendBook", lend, &closed);
    assert_eq!(
        (status, error["message"].as_str()),
        (503, Some("the lending desk is closed"))
    );
    let (status, _) = call(
        &server,
        "GetShelf",
        json!({"name": "shelves/fiction"}),
        &closed,
    );
    assert_eq!(status, 200);
}

#[test]
fn the_root_and_the_state_describe_this_contract() {
    let server = server();
    let root = server
        .send(request("GET /", &[], ""))
        .unwrap()
        .reply
        .unwrap();
    let root: Value = serde_json::from_slice(&root.body).unwrap();
    assert_eq!(root["services"], json!(["library.v1.LibraryService"]));
    let behaviour = |name: &str| {
        let methods = root["methods"].as_array().unwrap();
        let method = methods.iter().find(|m| m["name"] == name).unwrap();
        method["behaviour"].as_str().unwrap().to_string()
    };
    assert_eq!(
        behaviour("ListBooks"),
        "resource: List library.v1.Book (AIP style)"
    );
    assert!(
        behaviour("LendBook").starts_with("generated: "),
        "{}",
        behaviour("LendBook")
    );
    let state = server.app.with_state(|s| s.export());
    let keys: Vec<&String> = state.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["library.v1.Book", "library.v1.Shelf"]);
    assert_eq!(state["library.v1.Shelf"].as_array().unwrap().len(), 2);
    // An export imports back; a record without its id does not, and changes nothing.
    server.app.with_state(|s| s.import(&state)).unwrap();
    let broken = json!({"library.v1.Shelf": [{"theme": "no name"}]});
    let refused = server.app.with_state(|s| s.import(&broken)).unwrap_err();
    assert!(refused.contains("has no name"), "{refused}");
    assert_eq!(server.app.with_state(|s| s.export()), state);
}

#[test]
fn generate_adds_samples_of_every_resource_with_children_under_parents() {
    let app = library()
        .generate(gitpod_mock::GenerateCounts::all(4))
        .build()
        .unwrap();
    let state = app.with_state(|s| s.export());
    let shelves: Vec<&str> = state["library.v1.Shelf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(shelves.len(), 6, "{shelves:?}");
    for book in state["library.v1.Book"].as_array().unwrap() {
        let name = book["name"].as_str().unwrap();
        let (parent, _) = name.rsplit_once("/books/").unwrap();
        assert!(shelves.contains(&parent), "{name} is under no shelf");
    }
}

#[test]
fn every_fixture_problem_is_reported_at_once() {
    let dir = std::env::temp_dir().join(format!("gpm-any-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Shelf.json"), r#"[{"name": "shelves/a", "theme": ""}, {"theme": "x"}, {"name": "shelves/a", "theme": "y"}]"#).unwrap();
    std::fs::write(
        dir.join("Book.json"),
        r#"[{"name": "shelves/a/books/b", "pages": 3}]"#,
    )
    .unwrap();
    std::fs::write(dir.join("Author.json"), "[]").unwrap();
    let error = library().fixtures(&dir).build().err().unwrap().to_string();
    for expected in [
        "Author.json: Author is neither a resource of the contract nor a method answered with generated data; fixture files are named by a resource message: Shelf, Book",
        "Book.json: [0]: not a valid library.v1.Book",
        "Shelf.json: [0].theme: value length must be at least 1 characters [string.min_len]",
        "Shelf.json: [1]: the record has no name",
    ] {
        assert!(error.contains(expected), "{expected:?} not in:\n{error}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_reports_the_contracts_fixture_and_scenario_problems_in_one_run() {
    let dir = std::env::temp_dir().join(format!("gpm-any-check-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::write(dir.join("Shelf.json"), r#"[{"theme": "x"}]"#).unwrap();
    let rule = "rules:\n  - match: {method: GetNothing}\n    error: unavailable\n";
    std::fs::write(dir.join("scenarios/bad.yaml"), rule).unwrap();
    let proto = format!("{LIBRARY}/proto");
    let (dir_arg, scenarios) = (dir.to_str().unwrap(), dir.join("scenarios"));
    let args = [
        "check",
        "--contract",
        &proto,
        dir_arg,
        "--scenario-dir",
        scenarios.to_str().unwrap(),
    ];
    let (ok, _, stderr) = crate::library::run_binary(&args);
    assert!(!ok);
    assert!(
        stderr.contains("bad.yaml: rule 1: match.method: \"GetNothing\" matches no method"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Shelf.json: [0]: the record has no name"),
        "{stderr}"
    );
    let fixtures = format!("{LIBRARY}/fixtures");
    let (ok, stdout, stderr) =
        crate::library::run_binary(&["check", "--contract", &proto, &fixtures]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.ends_with(&format!("{fixtures}: ok (5 records)\n")),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_fixture_answer_replaces_a_methods_generated_data() {
    let dir = std::env::temp_dir().join(format!("gpm-any-answer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let receipt = json!({"loanId": "0b6f3c1e-8a53-4c55-9a52-3f1f5f0d3a11", "borrowerEmail": "ada@example.com", "dueTime": "2027-01-01T00:00:00Z"});
    std::fs::write(dir.join("LendBook.json"), receipt.to_string()).unwrap();
    let server = InProcess::new(library().fixtures(&dir).build().unwrap());
    let lend = json!({"name": "shelves/x/books/y", "borrowerEmail": "bob@example.com"});
    assert_eq!(call(&server, "LendBook", lend, &[]), (200, receipt));
    std::fs::write(dir.join("LendBook.json"), r#"{"loanId": "not-a-uuid"}"#).unwrap();
    let error = library().fixtures(&dir).build().err().unwrap().to_string();
    assert!(
        error.contains("LendBook.json: loan_id: value must be a valid UUID [string.uuid]"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

mod aip;
