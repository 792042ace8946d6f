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

from newscorpus.models import Article, Deal, KnowledgeBase

Progress = Callable[[str], None]


class Hit(BaseModel):
    """One matching document: a passage (`key` = passage id) or a deal (`key` = deal id)."""

    model_config = ConfigDict(frozen=True)

    key: str
    score: float


class Alternative(BaseModel):
    """Other words for one part of a query (a translation, an entity's other name, an amount's German
    form); all its words must match, and its score counts `weight` times."""

    model_config = ConfigDict(frozen=True)

    text: str
    weight: float = 1.0
    source: str = ""


class QueryPart(BaseModel):
    """Some words of the query as the user wrote them, with their alternatives; the best one counts."""

    model_config = ConfigDict(frozen=True)

    text: str
    alternatives: tuple[Alternative, ...] = ()


class ExpandedQuery(BaseModel):
    """A query with its expansions, built on the query side so every engine receives the same thing.

    Without `parts` the engine searches `text` as written (with its syntax); with them, it scores each
    part by its best alternative and ranks passages matching more parts higher. `amount_boost` multiplies
    the score of every passage that states an amount (a question for one sets it)."""

    model_config = ConfigDict(frozen=True)

    text: str
    parts: tuple[QueryPart, ...] = ()
    amount_boost: float = 1.0


class ArticleMatch(BaseModel):
    """One article of a ranking: its best passage's score and the scores of all its matching passages."""

    article_id: str
    score: float
    passages: list[tuple[str, float]]


class SearchIndex(Protocol):
    """An opened index. Safe to share between concurrent callers."""

    def search_passages(
        self, query: str | ExpandedQuery, *, article_ids: frozenset[str] | None = None
    ) -> list[Hit]:
        """Every passage matching `query`, best first; `article_ids` restricts to those articles."""
        ...

    def passage_scores(
        self, query: str | ExpandedQuery, *, article_ids: frozenset[str] | None = None
    ) -> list[tuple[str, float]]:
        """`search_passages` as plain (passage id, score) pairs: no record per hit on the hot path."""
        ...

    def rank_articles(
        self, query: str | ExpandedQuery, *, article_ids: frozenset[str] | None = None, offset: int = 0,
        limit: int = 10,
    ) -> tuple[int, list[ArticleMatch]]:
        """How many articles match, and articles `offset` to `offset + limit` ranked by their best passage
        (ties by article id), each with every matching passage's (id, score), in no particular order."""
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
        """Add the passages of these (new) articles to an existing index in `folder`. With Whoosh this
        appends a segment, whose scores differ from a one-segment build's: builds use `update`."""
        ...

    def update(
        self, kb: KnowledgeBase, folder: Path, previous: Path, previous_kb: KnowledgeBase, progress: Progress
    ) -> None:
        """Write into the empty `folder` exactly what `build(kb, folder)` writes, reusing what it can of the
        index in `previous`, which this code built for `previous_kb` (an incremental update)."""
        ...

    def append(
        self, folder: Path, previous: Path, articles: list[Article], deals: list[Deal], replaced: list[Deal],
        progress: Progress,
    ) -> bool:
        """Like `update`, for an update by rows: the new `articles` and the new or changed `deals` given, and
        `replaced`, every previous deal of the articles whose deals were extracted again. False, leaving
        `folder` to be discarded, when that is not enough (the caller then uses `update`)."""
        ...

    def open(self, folder: Path) -> SearchIndex: ...
