//! How a contract that cannot load says so: the file, line and column of a compile error, the
//! import a descriptor set lacks, and a path that is missing, empty or declares no service.

use super::*;

#[test]
fn a_descriptor_set_without_its_imports_names_the_file_and_the_import() {
    let dir = shop("set-no-imports");
    let set = dir.join("shop.pb");
    std::fs::write(&set, shop_descriptor_set(&dir, false)).unwrap();
    let err = compile(&set).unwrap_err();
    assert!(
        matches!(&err, SourceError::MissingImport { file, import, .. }
            if file == "shop/v1/model.proto" && import == "buf/validate/validate.proto"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}: shop/v1/model.proto imports buf/validate/validate.proto, which the descriptor \
             set does not hold; build the set with its imports (buf build, or protoc \
             --include_imports)",
            set.display()
        )
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_that_is_no_descriptor_set_says_so() {
    let dir = dir_with("garbage", &[("contract.desc", "this is not protobuf")]);
    let err = compile(&dir.join("contract.desc")).unwrap_err();
    assert!(
        matches!(err, SourceError::NotDescriptorSet { .. }),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .contains("is not a serialized FileDescriptorSet"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let broken = "syntax = \"proto3\";\npackage broken;\nmessage Broken { int32 = 1; }\n";
    let dir = dir_with("syntax", &[("broken.proto", broken)]);
    let err = compile(&dir).unwrap_err();
    let file = dir.join("broken.proto");
    assert!(
        matches!(&err, SourceError::Compile { file: Some(f), position: Some((3, 24)), .. }
            if *f == file),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3:24: expected an identifier, but found '='",
            file.display()
        )
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_import_names_the_importing_file_and_the_line() {
    let importing = "syntax = \"proto3\";\npackage a;\nimport \"nowhere/missing.proto\";\n";
    let dir = dir_with("import", &[("a.proto", importing)]);
    let err = compile(&dir).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3:1: import 'nowhere/missing.proto' not found",
            dir.join("a.proto").display()
        )
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unknown_type_names_where_it_is_used() {
    let unknown =
        "syntax = \"proto3\";\npackage a;\nmessage A {\n  Missing m = 1;\n}\nservice S {}\n";
    let dir = dir_with("unknown", &[("a.proto", unknown)]);
    let err = compile(&dir).unwrap_err().to_string();
    let at = format!("{}:4:3: ", dir.join("a.proto").display());
    assert!(err.starts_with(&at) && err.contains("Missing"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_path_an_empty_directory_and_a_serviceless_contract_are_errors() {
    let missing = std::env::temp_dir().join(format!("gpm-source-none-{}", std::process::id()));
    let err = compile(&missing).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("contract path not found: {}", missing.display())
    );

    let empty = dir_with("empty", &[("README.md", "no protos here")]);
    let err = compile(&empty).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "contract directory {} holds no .proto files",
            empty.display()
        )
    );
    std::fs::remove_dir_all(empty).unwrap();

    let models = dir_with(
        "no-service",
        &[("m.proto", "syntax = \"proto3\";\nmessage M {}\n")],
    );
    let err = compile(&models).unwrap_err();
    assert!(matches!(err, SourceError::NoService { .. }), "{err:?}");
    assert!(err.to_string().contains("declares no service"));
    std::fs::remove_dir_all(models).unwrap();
}
