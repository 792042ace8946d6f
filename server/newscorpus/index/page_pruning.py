"""A page of articles from the passages that can reach it, not from every passage a query matches.

A common word (`KI` is in two of three passages of a large corpus) makes a query match most of the
index, yet only a few dozen passages decide the first page. Given an upper bound of every passage's
final score (cheap: from which query parts its document number is in, not from scoring), `prune`
scores exactly only

1. a pool of the passages with the highest bounds, whose articles' best scores give a threshold: the
   page's last article scores at least that much;
2. every other passage whose bound reaches the threshold: those are all the passages that can decide
   the page, so its last article's score is now known exactly;
3. the other passages of the articles that rank with the page (their scores are listed with them).

The result holds, for every article that `Matches.page` would choose, all its passages and nothing
that could change the choice: the page is the one a full evaluation gives, to the last digit. A bound
below the threshold by less than `Matches.margin` counts as reaching it, so rounding cannot reorder
what was left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from newscorpus.index.matches import Matches


class PruneWhen(NamedTuple):
    """Which searches prune: those whose words have at least `postings` postings and whose most common
    part (a query word with its alternatives) has at least `dominance` times the postings of the next.
    Then most of the matches are the common part's alone, below the page; with two common parts, most
    passages hold both and reach the threshold, and scoring them twice costs more than it saves
    (100 queries at 100 000 articles, docs/benchmarks.md)."""

    postings: int = 200_000
    dominance: float = 2.0

    def applies(self, part_postings: list[int]) -> bool:
        sizes = sorted(part_postings, reverse=True)
        return len(sizes) > 1 and sum(sizes) >= self.postings and sizes[0] >= self.dominance * sizes[1]


# Passages in the first pool, for a page ending at article `wanted`: a few per article of the page, so
# the pool usually holds `wanted` articles at once (it grows eightfold until it does).
POOL_PER_ARTICLE = 16
MIN_POOL = 512
SAMPLE_PER_POOL = 4  # sampled bounds per passage of the pool (`_about_largest`)


def prune(
    bound: np.ndarray, of_doc: np.ndarray, article_count: int, wanted: int, exact: Callable[[np.ndarray], Matches]
) -> tuple[int, Matches]:
    """How many articles match, and the matches that decide their first `wanted` by best passage.

    `bound`: per document number, at least the final score (before rounding) of its passage, -inf for
    passages the query does not match or that are filtered out; `of_doc`: each document's article
    ordinal (below `article_count`); `exact(within)`: the exact matches among the documents `within`
    (document numbers, ascending)."""
    live = np.flatnonzero(bound > -np.inf)
    live_articles = of_doc[live]
    seen = np.zeros(article_count, bool)
    seen[live_articles] = True
    total = int(np.count_nonzero(seen))
    end = min(wanted, total)
    if end == 0:
        return total, exact(live[:0])
    live_bounds = bound[live]
    size = max(MIN_POOL, POOL_PER_ARTICLE * end)
    while True:
        if size >= len(live):
            return total, exact(live)
        cut = _about_largest(live_bounds, size)
        in_pool = live_bounds > cut  # bounds tie often (few combinations of parts): the ties stay out
        if np.count_nonzero(in_pool) < end:
            in_pool = live_bounds >= cut
        pool = exact(live[in_pool])
        best = pool.bests(of_doc, article_count)
        found = best[best > -np.inf]
        if len(found) >= end:
            break
        size *= 8
    threshold = np.partition(found, len(found) - end)[len(found) - end] - pool.margin()
    candidates = live_bounds >= threshold
    matches = pool.where(bound[pool.ids] >= threshold)
    if np.any(candidates & ~in_pool):
        matches = matches.joined(exact(live[candidates & ~in_pool]))
    best = matches.bests(of_doc, article_count)
    found = best[best > -np.inf]
    last = np.partition(found, len(found) - end)[len(found) - end]
    ranking = best >= last - matches.margin()
    rest = live[ranking[live_articles] & ~candidates]
    if len(rest):
        matches = matches.joined(exact(rest))
    return total, matches

def _about_largest(values: np.ndarray, count: int) -> float:
    """A value about `count` of `values` are at least: the matching quantile of an evenly spaced sample
    (a full partition of a few hundred thousand bounds would cost more than the pool saves)."""
    step = max(1, len(values) // (SAMPLE_PER_POOL * count))
    sample = values[::step]
    rank = max(0, len(sample) - max(1, count // step))
    return float(np.partition(sample, rank)[rank])
