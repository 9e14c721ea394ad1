"""The README's SDK snippets, run exactly as the README has them.

Every ```python and ```js block of README.md starts with the line that installs what it needs
(`# pip install gitpod-sdk==1.2.0`, `// npm install @gitpod/sdk@0.6.0`). Each runs, as written,
in the environment scripts/test.sh installs for that line, against a fresh `gitpod-mock serve`
on 127.0.0.1:4010, the address the snippets (and the README's set-up command) use. A snippet
passes when it exits 0 and prints the default fixtures' example environment class.
"""

from __future__ import annotations

import subprocess
from typing import List, NamedTuple

import pytest

from conftest import REPO, TIMEOUT_S, blocks

EXAMPLE_CLASS = "d2c94c27-3b76-4a42-b88c-95a85e392c68"

# The command that runs a snippet (from stdin) for each install line; scripts/test.sh makes
# these venvs and tests/node's node_modules with the same pins.
RUNNERS = {
    "pip install gitpod-sdk==1.2.0": ([str(REPO / "target/py-sdk-1.2/bin/python"), "-"], REPO),
    "pip install gitpod-sdk==0.11.0": ([str(REPO / "target/py-sdk-0.11/bin/python"), "-"], REPO),
    "npm install @gitpod/sdk@0.6.0": (["node", "--input-type=module", "-"], REPO / "tests/node"),
}
COMMENT = {"python": "#", "js": "//"}


class Snippet(NamedTuple):
    language: str
    install: str
    text: str


def snippets() -> List[Snippet]:
    out = []
    for language, text in blocks("python", "js"):
        first = text.splitlines()[0]
        install = first.removeprefix(COMMENT[language]).strip()
        out.append(Snippet(language, install, text))
    return out


def test_the_readme_shows_both_python_sdks_and_node() -> None:
    installs = [s.install for s in snippets()]
    assert sorted(installs) == sorted(RUNNERS), installs


@pytest.mark.parametrize("snippet", snippets(), ids=lambda s: s.install)
def test_a_readme_snippet_runs_as_written(snippet: Snippet, mock: None) -> None:
    assert snippet.install in RUNNERS, f"no environment for {snippet.install!r}: add it to RUNNERS"
    command, cwd = RUNNERS[snippet.install]
    run = subprocess.run(
        command, input=snippet.text, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S,
    )
    assert run.returncode == 0, f"{snippet.install}\n{run.stderr}"
    assert EXAMPLE_CLASS in run.stdout, run.stdout
