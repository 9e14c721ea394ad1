#!/usr/bin/env bash
# Runs the Stainless-generated runner-configuration tests of the gitpod-sdk 0.11.0 sdist
# against gitpod-mock, as they were written to run against Prism (issue 12).
#
#   scripts/sdk-generated-tests.sh [MODE] [BINARY]
#
# MODE is `lenient` (default: `serve --lenient`, where all 320 must pass) or `strict` (the
# default server, which may fail them only where production would, with a 4xx Connect error).
# The closing note counts the failures by code and by cause. BINARY defaults to
# target/debug/gitpod-mock. The sdist's tests are all skipped ("Mock server tests are
# disabled"); this removes the skips from a copy.
set -euo pipefail

cd "$(dirname "$0")/.."
mode=${1:-lenient}
binary=${2:-target/debug/gitpod-mock}
version=0.11.0
sdist_dir=target/sdist
source_dir=$sdist_dir/gitpod_sdk-$version
venv=target/py-sdk-gen

case "$mode" in
lenient) flags=(--lenient) ;;
strict) flags=() ;;
*)
    echo "usage: $0 [lenient|strict] [BINARY]" >&2
    exit 2
    ;;
esac

# The versions the sdist's requirements-dev.lock pins for what its tests import.
scripts/python-venv.sh "$venv" "gitpod-sdk[aiohttp]==$version" pytest==8.4.2 \
    pytest-asyncio==1.2.0 respx==0.22.0 dirty-equals==0.11 time-machine==2.19.0

if [ ! -d "$source_dir" ]; then
    mkdir -p "$sdist_dir"
    # --no-binary for this package only: its build backend (hatchling) comes as a wheel.
    "$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps \
        --no-binary gitpod-sdk "gitpod-sdk==$version" -d "$sdist_dir"
    tar -xzf "$sdist_dir/gitpod_sdk-$version.tar.gz" -C "$sdist_dir"
fi

# A copy of the tests with the skips removed, so the unpacked sdist stays as published.
tests=target/sdk-gen-tests
rm -rf "$tests"
mkdir -p "$tests"
cp -r "$source_dir/tests" "$tests/tests"
cp "$source_dir/pyproject.toml" "$tests/"
grep -rl 'pytest.mark.skip(reason="Mock server tests are disabled")' "$tests/tests" |
    xargs sed -i '/@pytest.mark.skip(reason="Mock server tests are disabled")/d'

log=$PWD/target/sdk-gen-log
rm -rf "$log" && mkdir -p "$log"
"$binary" serve --port 0 --seed 1 "${flags[@]}" >"$log/stdout" 2>"$log/stderr" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$log/stdout" "$log/stderr" | head -1 | cut -d: -f3 || true)
    [ -n "$port" ] && break
    sleep 0.1
done
if [ -z "${port:-}" ]; then
    echo "gitpod-mock did not start:" >&2
    cat "$log/stderr" >&2
    exit 1
fi
base="http://127.0.0.1:$port"

# The installed gitpod package, not the sdist's src/, is what the tests import. Failures are
# judged below, from the JUnit report.
(cd "$tests" && TEST_API_BASE_URL=$base "../../$venv/bin/python" -m pytest -q -p no:cacheprovider \
    -o addopts="" tests/api_resources/runners/configurations tests/api_resources/runners/test_configurations.py \
    --junitxml="$log/junit.xml" --tb=line) >"$log/pytest" 2>&1 || true

# Failures by cause: the error the SDK raised, the Connect code and the message with its
# quoted values taken out, so one rule broken by many tests counts once. A lenient run must
# pass every test; a strict one may fail only with a refusal production would make (a 4xx
# Connect error), never with an answer the SDK cannot read or a server error.
"$venv/bin/python" - "$mode" "$log/junit.xml" <<'PY'
import collections, re, sys, xml.etree.ElementTree as ET

mode, junit = sys.argv[1], sys.argv[2]
REFUSALS = {"BadRequestError", "NotFoundError", "ConflictError", "UnprocessableEntityError"}
causes, by_code = collections.Counter(), collections.Counter()
total = unexpected = 0
for case in ET.parse(junit).iter("testcase"):
    if case.find("skipped") is not None:
        continue
    total += 1
    for failure in case.findall("failure") + case.findall("error"):
        text = failure.get("message") or ""
        code = re.search(r"'code': '([a-z_]+)'", text)
        message = re.search(r"'message': ['\"](.*?)['\"]}", text)
        kind = text.split(":", 1)[0].split(".")[-1]
        detail = message.group(1) if message else text.split(":", 1)[-1]
        detail = detail.split("', 'details'")[0].replace("\\n - ", " ")
        detail = re.sub(r'\\?"[^"]*\\?"|[0-9a-f-]{36}|\d+', "_", detail)[:160]
        head = f"{kind} {code.group(1) if code else ''}".strip()
        causes[f"{head}: {detail.strip()}"] += 1
        by_code[head] += 1
        unexpected += kind not in REFUSALS or code is None
failed = sum(by_code.values())
print(f"{mode}: {total - failed} of {total} passed")
if causes:
    print("failures by code:")
    for head, n in by_code.most_common():
        print(f"{n:5d}  {head}")
    print("failures by cause:")
    for cause, n in causes.most_common():
        print(f"{n:5d}  {cause}")
if mode == "lenient" and (failed or total == 0):
    sys.exit(f"lenient: {failed} of {total} failed")
if mode == "strict" and unexpected:
    sys.exit(f"strict: {unexpected} failures are not refusals production would make")
PY
