//! Compiles the API contract in `contract/` into a descriptor set, and lists the default
//! fixtures in `fixtures/`, both embedded in the binary so `serve` needs no files.
#![allow(
    clippy::unwrap_used,
    reason = "a build script that cannot go on fails the build, and cargo shows its panic"
)]

use std::path::{Path, PathBuf};

const PROTOS: &[&str] = &[
    "gitpod/v1/runner_configuration.proto",
    "mock/fixtures.proto",
    // Served beside the API so gRPC tools can discover it and probes can check it
    // (src/grpc_services).
    "grpc/reflection/v1/reflection.proto",
    "grpc/reflection/v1alpha/reflection.proto",
    "grpc/health/v1/health.proto",
];

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=contract");
    println!("cargo:rerun-if-changed=fixtures");
    println!("cargo:rerun-if-changed=scenarios");
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

    embed_files(&out.join("fixtures.rs"), "fixtures", &["json"]);
    embed_files(
        &out.join("scenarios.rs"),
        "scenarios",
        &["yaml", "yml", "json"],
    );
}

/// Writes `&[(relative path, include_str!(file)), …]` for the files in `dir` with these extensions.
fn embed_files(out: &Path, dir: &str, extensions: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files = Vec::new();
    collect(&root, extensions, &mut files);
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
    std::fs::write(out, format!("&[{}]", entries.join(",\n")))
        .expect("write the embedded file list");
}

fn collect(dir: &Path, extensions: &[&str], into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, extensions, into);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            into.push(path);
        }
    }
}
