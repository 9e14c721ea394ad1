#!/usr/bin/env bash
# The one test command (README, CI): formatting, lints, licences and duplicate dependencies, the
# Rust tests, the real-client tests, Schemathesis against the OpenAPI export, and a smoke run of
# the benchmark.
#
# It needs network access to the package registries, and root for apt-get. It installs:
# - from crates.io: cargo-deny 0.20.2, unless installed;
# - from PyPI, into venvs under target/: the official Python SDKs (gitpod-sdk 0.11.0 and
#   1.2.0) with pytest, grpcio with grpcio-tools, connectrpc with pyqwest, protovalidate (the
#   reference the validation agreement test compares with), openapi-spec-validator
#   and Schemathesis; the gitpod-sdk 1.2.0 wheel under target/wheels, for its descriptors; and
#   the gitpod-sdk 0.11.0 sdist under target/sdist, whose generated tests run in target/py-sdk-gen
#   with its requirements-dev.lock's pins;
# - from npm: @gitpod/sdk under tests/node/node_modules, @bufbuild/buf, protoc-gen-es and
#   connect-node under tests/buf/node_modules, typescript and esbuild under ui/node_modules (the
#   dashboard's build, checked against the committed ui/dist), playwright-core under
#   tests/browser/node_modules (driving Debian's Chromium), Prism under bench/.prism;
# - with apt-get: Chromium, unless found as `chromium`, `chromium-browser` or $CHROMIUM, and
#   wrk and nghttp2-client (h2load, nghttp) for the benchmark, unless on PATH.
# The project compiles twice: once for clippy (a check build) and once for `cargo test`, whose
# binaries the SDK tests, the --contract demonstrations, Schemathesis and the benchmark smoke
# run all use.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

# Licences, duplicate versions and wildcards of the dependency tree (deny.toml). cargo-deny is
# pinned (0.20 has no optional features to leave out) and built as a debug build without debug
# info: on an idle 2-core machine that took 1.4 min (1.8 min of CPU) against 4.3 min (5.6) for
# a release build, and the check still takes 2 s. cargo install skips an installed version.
step "cargo deny check licenses bans"
CARGO_PROFILE_DEV_DEBUG=false cargo install cargo-deny --version 0.20.2 --locked --debug --quiet
cargo deny check licenses bans

# --workspace also builds bench/floor's binary, with the same features as the mock's, so that
# `bench/run --smoke` below compiles nothing. INSTA_UPDATE=no: a changed or new snapshot fails
# the run and writes nothing (insta's default does so only when CI is set), and
# .config/insta.yaml makes a snapshot with stale metadata fail too.
step "cargo test"
INSTA_UPDATE=no INSTA_FORCE_PASS=0 cargo test --workspace

step "Python SDK gitpod-sdk==0.11.0 (JSON)"
scripts/python-venv.sh target/py-sdk-0.11 gitpod-sdk==0.11.0 pytest
GITPOD_MOCK_BIN=target/debug/gitpod-mock target/py-sdk-0.11/bin/pytest -q tests/python/sdk_0_11

step "Python SDK gitpod-sdk==1.2.0 (Connect: binary by default, JSON codec, gzip)"
scripts/python-venv.sh target/py-sdk-1.2 gitpod-sdk==1.2.0 pytest
GITPOD_MOCK_BIN=target/debug/gitpod-mock target/py-sdk-1.2/bin/pytest -q tests/python/sdk_1_2

step "Python grpcio (gRPC) and connectrpc (Connect, gRPC, gRPC-Web; HTTP/1.1, h2c, TLS): stubs generated from contract/, every method, errors, gzip, deadlines, sessions"
scripts/python-venv.sh target/py-grpc grpcio==1.85.3 grpcio-tools==1.85.1 protobuf==7.36.2 connectrpc==0.13.0 pyqwest==0.12.0 protovalidate==2.1.0 pytest
GITPOD_MOCK_BIN=target/debug/gitpod-mock target/py-grpc/bin/pytest -q tests/grpc_python

step "The whole Gitpod API from gitpod-sdk 1.2.0's descriptors: a behaviour for every method, a sample answer that passes its rules, every method served"
target/py-grpc/bin/python scripts/gitpod-api-descriptors.py --out target/gitpod-api.binpb
# The test binaries cargo test built above; --ignored runs the tests that need the file: a
# behaviour for every method (lib), and every method served with --contract answering random
# schema-valid requests with no 5xx but 501, in the debug build that cross-checks the fast
# codecs against the reference ones (it).
GITPOD_API_DESCRIPTORS=target/gitpod-api.binpb cargo test --workspace --quiet -- --ignored the_whole_gitpod_api

step "OpenAPI export checked by an independent validator (openapi-spec-validator)"
scripts/python-venv.sh target/py-openapi openapi-spec-validator==0.9.0
target/debug/gitpod-mock openapi > target/openapi.json
target/py-openapi/bin/openapi-spec-validator target/openapi.json
target/debug/gitpod-mock openapi --strict > target/openapi-strict.json
target/py-openapi/bin/openapi-spec-validator target/openapi-strict.json
# The whole Gitpod API's document (300 methods), from the descriptor set written above.
target/debug/gitpod-mock openapi --contract target/gitpod-api.binpb > target/openapi-gitpod-api.json
target/py-openapi/bin/openapi-spec-validator target/openapi-gitpod-api.json

step "Any Connect API: examples/library served by serve --contract, driven by connectrpc (both codecs)"
GITPOD_MOCK_BIN=target/debug/gitpod-mock target/py-grpc/bin/pytest -q tests/examples

step "The whole Gitpod API served by serve --contract target/gitpod-api.binpb, driven by gitpod-sdk 1.2.0's service clients"
GITPOD_MOCK_BIN=target/debug/gitpod-mock GITPOD_API_DESCRIPTORS=target/gitpod-api.binpb \
    target/py-sdk-1.2/bin/pytest -q tests/python/whole_api

step "Schemathesis against the served OpenAPI document: the default server, then --strict"
scripts/schemathesis.sh
scripts/schemathesis.sh --strict

step "Node @gitpod/sdk 0.6.0 (JSON): round trips through the SDK's resource API"
(cd tests/node && npm ci --no-audit --no-fund --loglevel=error && GITPOD_MOCK_BIN=target/debug/gitpod-mock node --test)

step "buf curl (connect, grpc, grpcweb; h2c and TLS; reflection) and connect-es in Node (the three transports over HTTP/2)"
(cd tests/buf && npm ci --no-audit --no-fund --loglevel=error && GITPOD_MOCK_BIN=target/debug/gitpod-mock node --test)

step "README: the SDK snippets (both Python venvs above, Node) and shell commands run exactly as written, on 127.0.0.1:4010"
GITPOD_MOCK_BIN=target/debug/gitpod-mock target/py-sdk-1.2/bin/pytest -q tests/readme

step "Browser: headless Chromium calls the mock from another origin (connect-web and gRPC-Web styles, CORS), and drives the dashboard (playwright-core)"
# The committed ui/dist must be what ui/src builds (the binary embeds it, and needs no Node). Two
# commands rather than `a && b`, since set -e does not stop at a failure left of an &&.
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build)
git diff --exit-code -- ui/dist
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    chromium=$(command -v chromium)
fi
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
CHROMIUM=$chromium GITPOD_MOCK_BIN=target/debug/gitpod-mock node --test tests/browser/

step "bench/run --smoke (every part of the benchmark harness, briefly; numbers are not judged)"
bench/run --smoke

step "gitpod-sdk 0.11.0's generated runner-configuration tests (written for Prism): all 320 against serve --lenient; against the strict default only 4xx refusals, counted by cause"
scripts/sdk-generated-tests.sh lenient
scripts/sdk-generated-tests.sh strict
