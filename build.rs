//! Compiles the API contract in `contract/` into a descriptor set embedded in the binary.


const PROTOS: &[&str] = &["gitpod/v1/runner_configuration.proto", "mock/fixtures.proto"];

fn main() {
    println!("cargo:rerun-if-changed=contract");
    let mut compiler = protox::Compiler::new(["contract"]).expect("contract/ include path");
    compiler.include_source_info(true).include_imports(true);
    if let Err(err) = compiler.open_files(PROTOS) {
        panic!("the contract in contract/ does not compile: {err}");
    }
    let bytes = compiler.encode_file_descriptor_set();
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("contract.bin");
    std::fs::write(out, bytes).expect("write contract.bin");
}
