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
