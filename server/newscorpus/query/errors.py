"""Errors the query API raises for bad input: each says what was wrong, what is allowed, and what is close."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class QueryError(ValueError):
    """Bad input to the query API. The message is written for the agent that sent it."""

    def __init__(self, message: str, *, argument: str | None = None, suggestions: Iterable[str] = ()) -> None:
        self.argument = argument
        self.suggestions = list(suggestions)
        if self.suggestions:
            message = f"{message} Closest valid ids: {', '.join(self.suggestions)}."
        super().__init__(message)


class NotFoundError(QueryError):
    """An id (article, passage, entity, deal) that the corpus does not have."""


def closest(needle: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates nearest to `needle`: substring matches first, then by similarity."""
    pool = sorted(set(candidates))
    low = needle.lower()
    contains = [c for c in pool if low and low in c.lower()]
    similar = difflib.get_close_matches(needle, pool, n=n, cutoff=0.3)
    out: list[str] = []
    for c in contains + similar:
        if c not in out:
            out.append(c)
    return out[:n]
