"""Helpers for tests that run the project as a newcomer would: the README's own shell blocks,
in subprocesses with a plain environment (no DEBUG, SECRET_KEY or DATABASE_URL)."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PYTHON = str(REPO / ".venv" / "bin" / "python")


def readme_shell_block(heading: str) -> str:
    """The first ```sh block of the README section whose heading starts with ``heading``."""
    text = README.read_text()
    start = text.index(f"\n{heading}")
    section_end = text.find("\n## ", start + 1)
    block_start = text.index("```sh\n", start) + len("```sh\n")
    assert section_end == -1 or block_start < section_end, f"no shell block under {heading!r}"
    return text[block_start : text.index("\n```", block_start)]


def plain_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """What a fresh shell has: a PATH, a HOME, a locale; plus a data dir of the test's own, so
    nothing lands in the work tree's ``var/``."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(data_dir.parent),
        "LANG": "C.UTF-8",
        "GROUNDWORK_DATA_DIR": str(data_dir),
        **extra,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, *, process, timeout_seconds: float) -> None:
    """Poll ``url`` until it answers (any status), failing early if ``process`` ended."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode} before answering")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout_seconds} s")
