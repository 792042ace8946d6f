"""Shared fixtures: the bundled corpus, indexed once per session into a temporary folder.

Tests never touch the user's index cache: every fixture (and every server subprocess a test starts)
gets an explicit index folder under pytest's tmp dir.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from newscorpus.config import Settings

if TYPE_CHECKING:
    from newscorpus.query.api import CorpusQuery

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_CORPUS = REPO_ROOT / "corpus"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests (`pytest.mark.anyio`) run on asyncio only."""
    return "asyncio"


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The bundled corpus with an index folder private to this test session."""
    return Settings.resolve(corpus=BUNDLED_CORPUS, index=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def corpus_query(corpus_settings: Settings) -> Iterator[CorpusQuery]:
    """The query API over the bundled corpus; the index is built on first use and shared by all tests."""
    from newscorpus.query.api import CorpusQuery  # imported late: collecting other tests must not need it

    query = CorpusQuery.open(corpus_settings)
    yield query
    query.close()


CLIENTS_DIR = REPO_ROOT / "clients"


@pytest.fixture(scope="session")
def node_clients() -> Path:
    """`clients/` with its pinned Node packages (MCP Inspector, TypeScript SDK, mcpb) installed by `npm ci`.

    `npm ci` runs when the lockfile changed since the last install (a stamp in node_modules), under a file
    lock so parallel test sessions do not install over each other. Missing Node/npm fails, never skips.
    """
    import fcntl
    import hashlib
    import shutil
    import subprocess

    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("Node.js 20+ and npm are needed for the third-party client tests (clients/): install them")
    lock_hash = hashlib.sha256((CLIENTS_DIR / "package-lock.json").read_bytes()).hexdigest()
    stamp = CLIENTS_DIR / "node_modules" / ".newscorpus-lock-sha256"
    with (CLIENTS_DIR / ".npm-ci.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text() != lock_hash:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENTS_DIR, capture_output=True, text=True, timeout=900
            )
            if done.returncode != 0:
                pytest.fail(f"`npm ci` in {CLIENTS_DIR} failed:\n{done.stdout}\n{done.stderr}")
            stamp.write_text(lock_hash)
    return CLIENTS_DIR
