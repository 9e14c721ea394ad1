//! The AIP rules the library's resources keep: chosen ids (AIP-122, AIP-133), update masks
//! (AIP-134), parents that must exist, and Delete with children (AIP-135).

use super::{call, server};
use serde_json::{json, Value};

#[test]
fn a_chosen_id_must_be_an_aip_122_id_and_unique() {
    let server = server();
    for bad in ["Poetry", "2nd", "sci_fi", "trailing-"] {
        let (status, error) = call(
            &server,
            "CreateShelf",
            json!({"shelf": {"theme": "Poems"}, "shelfId": bad}),
            &[],
        );
        assert_eq!(
            (status, error["code"].as_str()),
            (400, Some("invalid_argument")),
            "{bad}: {error}"
        );
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("shelf_id") && message.contains(bad),
            "{message}"
        );
    }
    let poetry = json!({"shelf": {"theme": "Poems"}, "shelfId": "poetry"});
    assert_eq!(call(&server, "CreateShelf", poetry.clone(), &[]).0, 200);
    let (status, again) = call(&server, "CreateShelf", poetry, &[]);
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("already_exists")),
        "{again}"
    );
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("shelves/poetry"),
        "{again}"
    );
}

#[test]
fn an_update_mask_path_naming_no_field_is_invalid_and_changes_nothing() {
    let server = server();
    let book = json!({"name": "shelves/fiction/books/dune", "title": "Changed"});
    let (status, error) = call(
        &server,
        "UpdateBook",
        json!({"book": book, "updateMask": "title,no_such_field"}),
        &[],
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("invalid_argument")),
        "{error}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("no_such_field"),
        "{error}"
    );
    let (_, unchanged) = call(
        &server,
        "GetBook",
        json!({"name": "shelves/fiction/books/dune"}),
        &[],
    );
    assert_eq!(unchanged["title"], "Dune");
}

#[test]
fn a_create_under_a_parent_that_does_not_exist_is_not_found_naming_it() {
    let server = server();
    let (status, error) = call(
        &server,
        "CreateBook",
        json!({"parent": "shelves/nope", "book": {"title": "Lost"}, "bookId": "lost"}),
        &[],
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("not_found")),
        "{error}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("shelves/nope"),
        "{error}"
    );
    let (status, _) = call(
        &server,
        "GetBook",
        json!({"name": "shelves/nope/books/lost"}),
        &[],
    );
    assert_eq!(status, 404, "nothing was created");
}

#[test]
fn a_shelf_with_books_is_deleted_only_with_force_which_deletes_its_books() {
    let server = server();
    let (status, error) = call(
        &server,
        "DeleteShelf",
        json!({"name": "shelves/fiction"}),
        &[],
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("failed_precondition")),
        "{error}"
    );
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("shelves/fiction/books/dune") && message.contains("force"),
        "{message}"
    );
    assert_eq!(
        call(&server, "GetShelf", json!({"name": "shelves/fiction"}), &[]).0,
        200
    );

    let forced = json!({"name": "shelves/fiction", "force": true});
    assert_eq!(call(&server, "DeleteShelf", forced, &[]).0, 200);
    let (_, left) = call(&server, "ListBooks", json!({"parent": "shelves/-"}), &[]);
    let names: Vec<&Value> = left["books"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["name"])
        .collect();
    assert_eq!(names, [&json!("shelves/science/books/cosmos")]);
    assert_eq!(
        call(&server, "GetShelf", json!({"name": "shelves/fiction"}), &[]).0,
        404
    );
}
