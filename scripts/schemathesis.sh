#!/usr/bin/env bash
# Schemathesis, an independent judge of whether the OpenAPI export tells the truth: it starts
# the mock on a free port and runs Schemathesis (installed from PyPI into target/) against the
# document that server serves, with schema-valid and schema-invalid requests: no 5xx but 501
# and 504, every status, content type, body and header as documented, and every
# schema-invalid request refused. Settings (deterministic) are in
# tests/schemathesis/schemathesis.toml.
#
#   scripts/schemathesis.sh [SERVE-FLAG...]    e.g. scripts/schemathesis.sh --strict
#
# GITPOD_MOCK_BIN picks the binary (default target/debug/gitpod-mock, which `cargo test`
# builds); SCHEMATHESIS_ARGS adds arguments to `schemathesis run`.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${GITPOD_MOCK_BIN:-target/debug/gitpod-mock}
venv=target/py-schemathesis
scripts/python-venv.sh "$venv" schemathesis==4.32.5

log=$(mktemp)
"$bin" serve --port 0 --seed 1 "$@" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT

port=
for _ in $(seq 200); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.05
done
if [ -z "$port" ]; then
    echo "gitpod-mock did not start:" >&2
    cat "$log" >&2
    exit 1
fi

# shellcheck disable=SC2086 # SCHEMATHESIS_ARGS is a list of words
"$venv/bin/schemathesis" --config-file tests/schemathesis/schemathesis.toml run \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection,missing_required_header,unsupported_method,allow_header_conformance \
    ${SCHEMATHESIS_ARGS:-} \
    "http://127.0.0.1:$port/__mock/openapi.json"
