"""The search-engine seam: what the query API needs from a full-text engine, and nothing more.

Whoosh is the engine we ship (`whoosh_engine.py`). Another engine (for example a distributed one for
corpora that outgrow one machine) implements these two protocols; the query API and the tools stay as
they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from newscorpus.models import KnowledgeBase

Progress = Callable[[str], None]


class Hit(BaseModel):
    """One matching document: a passage (`key` = passage id) or a deal (`key` = deal id)."""

    model_config = ConfigDict(frozen=True)

    key: str
    score: float


class SearchIndex(Protocol):
    """An opened index. Safe to share between concurrent callers."""

    def search_passages(self, query: str, *, article_ids: frozenset[str] | None = None) -> list[Hit]:
        """Every passage matching `query`, best first; `article_ids` restricts to those articles."""
        ...

    def search_deals(self, query: str) -> list[Hit]:
        """Every deal whose title, summary, parties or evidence match `query`, best first."""
        ...

    def close(self) -> None: ...


class EngineBuilder(Protocol):
    """Writes an index for a knowledge base into a fresh, empty folder and opens one."""

    name: str

    def build(self, kb: KnowledgeBase, folder: Path, progress: Progress) -> None: ...

    def add(self, kb: KnowledgeBase, article_ids: Sequence[str], folder: Path) -> None:
        """Add the passages of these (new) articles to an existing index in `folder`."""
        ...

    def open(self, folder: Path) -> SearchIndex: ...
