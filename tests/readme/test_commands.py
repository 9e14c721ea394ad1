"""The README's shell commands, run exactly as the README has them.

Every command of every ```sh block of README.md runs here, against `gitpod-mock serve` on
127.0.0.1:4010, or is listed in NOT_RUN with the reason. `gitpod-mock` is the binary under test,
on PATH under that name. A `gitpod-mock serve …` line is started as the server of the commands
after it (in place of the default one); any other `gitpod-mock …` line must exit 0, in a
directory where `my-fixtures/` is a copy of the default fixtures, as the README's
"copy the directory" has it. A curl line must exit 0 and answer 2xx, unless a comment line right
after it says what it prints instead: `# STATUS BODY`, where `...` in BODY stands for anything
and a JSON body is compared in its compact form.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional

import pytest

from conftest import REPO, TIMEOUT_S, binary, blocks, serving

# Commands the README shows that are not run here, with the reason.
NOT_RUN = {
    "cargo run --release -- serve": "the default server itself: every test here serves the "
    "binary under test the same way (`gitpod-mock serve`), without a release build",
    "scripts/test.sh": "the test run that runs this file",
    "GITPOD_MOCK_FUZZ_CASES=1000000": "the long fuzz run (minutes); cargo test runs a short one",
    "GITPOD_MOCK_PROPERTY_CASES=5000": "the long property run; cargo test runs a short one",
    "scripts/python-venv.sh target/py-protobuf": "a venv for the descriptor script, which "
    "scripts/test.sh runs itself (in its grpcio venv) before the whole-API test",
    "target/py-protobuf/bin/python scripts/gitpod-api-descriptors.py": "scripts/test.sh runs "
    "the script itself, then the test that loads the whole API from what it wrote",
}
CI_SESSION = "ci-42"
SERVICE = "http://127.0.0.1:4010/gitpod.v1.RunnerConfigurationService"


class Command(NamedTuple):
    text: str
    # What the README says it prints: `STATUS BODY`, from the comment line after it.
    prints: Optional[str]


def commands(block: str) -> List[Command]:
    """A block's commands, continuation lines joined, each with its `# …` output comment."""
    out: List[Command] = []
    for line in block.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line.startswith("# ") and out and out[-1].prints is None:
            out[-1] = out[-1]._replace(prints=line[2:])
        elif line and not line.startswith("#"):
            out.append(Command(re.sub(r"\s+", " ", line), None))
    return out


def sh_blocks() -> List[List[Command]]:
    return [commands(text) for _, text in blocks("sh")]


def not_run(command: Command) -> bool:
    return any(command.text.startswith(prefix) for prefix in NOT_RUN)


def test_every_command_is_run_or_says_why_not() -> None:
    """A new command in the README is run here unless NOT_RUN says why not."""
    for block in sh_blocks():
        for command in block:
            runnable = command.text.startswith(("curl ", "gitpod-mock "))
            assert runnable or not_run(command), f"neither run nor in NOT_RUN: {command.text}"
    listed = [c.text for block in sh_blocks() for c in block if not_run(c)]
    assert len(listed) == len(NOT_RUN), f"NOT_RUN names a command the README no longer has: {listed}"


@pytest.fixture
def shell(tmp_path: Path) -> Dict[str, str]:
    """The environment the commands run in: `gitpod-mock` on PATH, and a `curl` that also
    writes the HTTP status to stderr, so the status of a `curl -s` is known as well."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gitpod-mock").symlink_to(binary())
    curl = bin_dir / "curl"
    curl.write_text(f"#!/bin/sh\nexec {shutil.which('curl')} -w '%{{stderr}}%{{http_code}}' \"$@\"\n")
    curl.chmod(0o755)
    shutil.copytree(REPO / "fixtures", tmp_path / "my-fixtures")
    # "Any Connect API" serves examples/library and target/gitpod-api.binpb by these paths.
    (tmp_path / "examples").symlink_to(REPO / "examples")
    (tmp_path / "target").mkdir()
    (tmp_path / "target/gitpod-api.binpb").symlink_to(REPO / "target/gitpod-api.binpb")
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path)}


class Ran(NamedTuple):
    code: int
    status: int
    body: str


def run(command: Command, env: Dict[str, str]) -> Ran:
    done = subprocess.run(
        ["bash", "-c", command.text], env=env, cwd=Path(env["HOME"]), capture_output=True,
        text=True, timeout=TIMEOUT_S,
    )
    status = re.search(r"(\d{3})$", done.stderr)
    return Ran(done.returncode, int(status.group(1)) if status else 0, done.stdout)


def compact(body: str) -> str:
    """A JSON body in its compact form, keys in the order the server wrote them."""
    try:
        return json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        return body.strip()


def assert_prints(command: Command, ran: Ran) -> None:
    said = f"{command.text}\nexit {ran.code}, status {ran.status}: {ran.body}"
    if command.prints is None:
        assert ran.code == 0 and 200 <= ran.status < 300, said
        return
    status, _, body = command.prints.partition(" ")
    assert ran.status == int(status), said
    pattern = ".*".join(re.escape(part) for part in body.split("..."))
    assert re.fullmatch(pattern, compact(ran.body), re.S), f"not as the README shows:\n{said}"


def blocks_to_run() -> List[List[Command]]:
    """The blocks with a command to run, but for the CI commands, which have their own test."""
    return [
        block for block in sh_blocks()
        if not all(not_run(c) for c in block) and not any(CI_SESSION in c.text for c in block)
    ]


@pytest.mark.parametrize("block", blocks_to_run(), ids=lambda block: block[0].text[:48])
def test_a_readme_block_runs_as_written(block: List[Command], shell: Dict[str, str]) -> None:
    with contextlib.ExitStack() as servers:
        if not any(c.text.startswith("gitpod-mock serve") for c in block):
            servers.enter_context(serving([str(binary()), "serve", "--seed", "42"]))
        for command in block:
            if not_run(command):
                continue
            if command.text.startswith("gitpod-mock serve"):
                line = ["bash", "-c", f"exec {command.text}"]
                servers.enter_context(serving(line, cwd=Path(shell["HOME"]), env=shell))
            elif command.text.startswith("gitpod-mock "):
                ran = run(command, shell)
                assert ran.code == 0, f"{command.text}: exit {ran.code}: {ran.body}"
            else:
                assert_prints(command, run(command, shell))


def call(method: str, body: dict, headers: Dict[str, str]) -> int:
    """POSTs JSON to a method of the service; the HTTP status."""
    data = json.dumps(body).encode()
    headers = {"content-type": "application/json", **headers}
    request = urllib.request.Request(f"{SERVICE}/{method}", data, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_ci_commands_fail_until_the_session_made_its_calls(
    mock: None, shell: Dict[str, str],
) -> None:
    """The README: `verify` and `coverage?require=methods` answer 412, which makes `curl -f`
    exit 22, until the job's calls happened; then they pass."""
    ci = [c for block in sh_blocks() for c in block if CI_SESSION in c.text]
    assert [c.text.split("/__mock/")[1][:8] for c in ci] == ["verify -", "coverage"], ci
    for command in ci:
        ran = run(command, shell)
        assert (ran.code, ran.status) == (22, 412), f"{command.text}: {ran}"
    session = {"x-mock-session": "ci-42"}
    retried = {"id": "d2c94c27-3b76-4a42-b88c-95a85e392c68"}
    assert call("GetSCMIntegration", retried, {**session, "x-mock-scenario": "flaky"}) == 503
    coverage = urllib.request.urlopen(
        f"http://127.0.0.1:4010/__mock/coverage?session={CI_SESSION}", timeout=TIMEOUT_S
    )
    for method in json.load(coverage)["methodsNotCalled"]:
        call(method, {}, session)
    for command in ci:
        ran = run(command, shell)
        assert (ran.code, ran.status) == (0, 200), f"{command.text}: {ran}"
