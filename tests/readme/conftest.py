"""What the README tests share: the README's fenced blocks, and `gitpod-mock serve` on
127.0.0.1:4010, the address the README's snippets and commands use."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
from pathlib import Path
from typing import Iterator, List, Sequence, Tuple

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
READY = "gitpod-mock listening on http://127.0.0.1:4010"
TIMEOUT_S = 60


def binary() -> Path:
    """The gitpod-mock binary under test: $GITPOD_MOCK_BIN, or the debug build."""
    path = Path(os.environ.get("GITPOD_MOCK_BIN") or "target/debug/gitpod-mock")
    return path if path.is_absolute() else REPO / path


def blocks(*languages: str) -> List[Tuple[str, str]]:
    """The README's fenced blocks in these languages, as (language, text), in order."""
    pattern = r"^```(" + "|".join(languages) + r")\n(.*?)^```"
    return re.findall(pattern, README.read_text(), re.M | re.S)


@contextlib.contextmanager
def serving(command: Sequence[str], cwd: Path = REPO, env: dict | None = None) -> Iterator[None]:
    """Runs a `serve` command until the block ends; fails unless it prints the ready line for
    127.0.0.1:4010 first."""
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line: List[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(TIMEOUT_S)
    try:
        if not line or line[0].strip() != READY:
            proc.kill()
            _, stderr = proc.communicate(timeout=TIMEOUT_S)
            pytest.fail(f"{command}: no ready line for 127.0.0.1:4010: {line} {stderr}", pytrace=False)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=TIMEOUT_S)


@pytest.fixture
def mock() -> Iterator[None]:
    """A fresh `gitpod-mock serve --seed 42` on 127.0.0.1:4010."""
    with serving([str(binary()), "serve", "--seed", "42"]):
        yield
