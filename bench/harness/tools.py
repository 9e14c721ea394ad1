"""What bench/run needs besides Python: the workspace's binaries, wrk and h2load (Debian
packages, installed with apt-get when missing) and Prism (npm, pinned in bench/.prism/)."""

import json
import os
import shutil
import subprocess
import time

from .servers import BENCH, RESULTS, ROOT, Server, first_ok, free_port, raw_post
from .wire import GET_JSON, GET_PATH

PRISM_DIR = os.path.join(BENCH, ".prism")
PRISM_JS = os.path.join(PRISM_DIR, "node_modules", "@stoplight", "prism-cli", "dist", "index.js")
# Load generators: the command each is found by, and the Debian package that has it.
PACKAGES = {"wrk": "wrk", "h2load": "nghttp2-client"}


def run(argv, **kw):
    print("+ " + " ".join(argv), flush=True)
    subprocess.run(argv, check=True, cwd=ROOT, **kw)


def build(profile):
    if profile == "release":
        run(["cargo", "build", "--workspace", "--bins", "--release"])
    else:
        # The build scripts/test.sh's `cargo test --workspace` makes, so after it nothing
        # compiles. `cargo build` would resolve features without the dev-dependencies and
        # compile about 15 crates and both binaries again (1m44s on 2 cores).
        run(["cargo", "test", "--workspace", "--no-run"])
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, profile, "gitpod-mock"), os.path.join(
        target, profile, "gitpod-mock-floor"
    )


def ensure_load_generators():
    """Installs the missing ones in one apt-get call (with `apt-get update` only when the
    package lists are too old to have them); returns the seconds it took."""
    missing = [package for tool, package in PACKAGES.items() if not shutil.which(tool)]
    if not missing:
        return 0.0
    began = time.monotonic()
    apt = ["apt-get", "install", "-y", "-qq", *missing]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("+ " + " ".join(apt), flush=True)
    if subprocess.run(apt, cwd=ROOT, env=env).returncode != 0:
        run(["apt-get", "update", "-qq"])
        run(apt, env=env)
    return time.monotonic() - began


def ensure_prism():
    with open(os.path.join(PRISM_DIR, "package.json")) as f:
        wanted = json.load(f)["dependencies"]["@stoplight/prism-cli"]
    installed = os.path.join(PRISM_DIR, "node_modules", "@stoplight", "prism-cli", "package.json")
    if os.path.exists(installed):
        with open(installed) as f:
            if json.load(f)["version"] == wanted:
                return wanted
    run(["npm", "ci", "--prefix", PRISM_DIR, "--no-audit", "--no-fund", "--loglevel=error"])
    return wanted


def version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def prism_spec(mock_bin):
    """`gitpod-mock openapi` when it exists and Prism serves GetEnvironmentClass from it with
    200; otherwise the hand-kept three-method file."""
    out = subprocess.run([mock_bin, "openapi"], capture_output=True, cwd=ROOT)
    if out.returncode == 0 and out.stdout.strip():
        path = os.path.join(RESULTS, "openapi-export.yaml")  # JSON is YAML too
        with open(path, "wb") as f:
            f.write(out.stdout)
        port = free_port()
        probe = Server("prism-probe", prism_argv(path)(port), port)
        try:
            first_ok(port, raw_post(GET_PATH, GET_JSON), probe.started + 20)
            return path, "`gitpod-mock openapi`"
        except SystemExit:
            print("bench: Prism does not answer GetEnvironmentClass from `gitpod-mock openapi`;"
                  " using bench/prism-openapi.yaml", flush=True)
        finally:
            probe.stop()
    return os.path.join(BENCH, "prism-openapi.yaml"), "bench/prism-openapi.yaml"


def prism_argv(spec):
    return lambda port: ["node", PRISM_JS, "mock", "-h", "127.0.0.1", "-p", str(port), spec]


def start_prism(name, spec):
    port = free_port()
    server = Server(name, prism_argv(spec)(port), port)
    first_ok(port, raw_post(GET_PATH, GET_JSON), server.started + 60)
    return server
