//! Compiles the API contract in `contract/` into a descriptor set, and lists the default
//! fixtures in `fixtures/`, both embedded in the binary so `serve` needs no files.

use std::path::{Path, PathBuf};

const PROTOS: &[&str] = &[
    "gitpod/v1/runner_configuration.proto",
    "mock/fixtures.proto",
];

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=contract");
    println!("cargo:rerun-if-changed=fixtures");
    let mut compiler = protox::Compiler::new(["contract"]).expect("contract/ include path");
    compiler.include_source_info(true).include_imports(true);
    if let Err(err) = compiler.open_files(PROTOS) {
        panic!("the contract in contract/ does not compile: {err}");
    }
    // encode_file_descriptor_set keeps the custom buf.validate options, which the
    // prost_types round trip of file_descriptor_set() would drop.
    std::fs::write(
        out.join("contract.bin"),
        compiler.encode_file_descriptor_set(),
    )
    .expect("write contract.bin");

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    collect_json(&root, &mut files);
    files.sort();
    let entries: Vec<String> = files
        .iter()
        .map(|f| {
            let rel = f
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            format!("({rel:?}, include_str!({:?}))", f.display().to_string())
        })
        .collect();
    std::fs::write(
        out.join("fixtures.rs"),
        format!("&[{}]", entries.join(",\n")),
    )
    .expect("write fixtures.rs");
}

fn collect_json(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_json(&path, into);
        } else if path.extension().is_some_and(|e| e == "json") {
            into.push(path);
        }
    }
}
