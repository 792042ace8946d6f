"""A query's matching passages, their final scores, and the page of articles they rank.

A passage's final score is rounded to the 6 places callers see, and ties are broken by id, so the
rounding decides the order of near-equal passages. Python's `round` is exact (correctly rounded decimal);
numpy's is not. So the scores stay unrounded float64 arrays through the whole search, and only the
passages that can reach the page requested get their exact final score in Python: rounding moves a score
by at most half a millionth per rounding, so every article whose exact best score could reach the page
has an unrounded best within `margin` of the page's last one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from newscorpus.index.fast_scoring import DocScores, sparse, unique_ids

# With passage ranking, a title match lifts the article but does not pick its passages: a passage that
# matches only through the title ranks after every passage whose own text matches.
TITLE_WEIGHT = 0.5
TITLE_ONLY_WEIGHT = 0.01

# (article ordinal, its score, its matching passages as (document number, score) in document order)
RankedArticle = tuple[int, float, list[tuple[int, float]]]


class Matches(NamedTuple):
    """`ids`: matching document numbers, ascending; `base`: each one's score before rounding; `flags`:
    which scores are multiplied by `factor` after rounding (None: none are)."""

    ids: np.ndarray
    base: np.ndarray
    flags: np.ndarray | None = None
    factor: float = 1.0

    @classmethod
    def single(cls, found: DocScores) -> Matches:
        """Ranking by one field group's score."""
        return cls(found.ids, found.scores)

    @classmethod
    def combine(cls, text: DocScores, title: DocScores) -> Matches:
        """Passage ranking: a passage's own text decides, its article's title adds to it; a passage
        matching only through the title ranks after every passage whose text matches."""
        span = max(int(text.ids[-1]) + 1 if len(text.ids) else 0, int(title.ids[-1]) + 1 if len(title.ids) else 0)
        if sparse([text, title], span):  # merge the sorted ids instead of arrays over every document
            ids = unique_ids([text.ids, title.ids])[0]
            t = np.zeros(len(ids))
            t[np.searchsorted(ids, text.ids)] = text.scores
            ti = np.zeros(len(ids))
            ti[np.searchsorted(ids, title.ids)] = title.scores
            return cls(ids, np.where(t > 0, t + TITLE_WEIGHT * ti, TITLE_ONLY_WEIGHT * ti))
        # Arrays over the documents: a passage without a title match keeps its text score (plus 0.5 × 0.0,
        # the same float) unless that is below zero, which the formula makes 0.01 × 0.0; the formula proper
        # runs on the title's matches alone.
        scores = np.zeros(span)
        scores[text.ids] = text.scores
        below = text.scores < 0
        if below.any():
            scores[text.ids[below]] = 0.0
        t = scores[title.ids]
        scores[title.ids] = np.where(t > 0, t + TITLE_WEIGHT * title.scores, TITLE_ONLY_WEIGHT * title.scores)
        found = np.zeros(span, bool)
        found[text.ids] = True
        found[title.ids] = True
        ids = np.flatnonzero(found)
        return cls(ids, scores[ids])

    def where(self, keep: np.ndarray) -> Matches:
        """Only the passages where `keep` (a boolean per passage) is true."""
        flags = None if self.flags is None else self.flags[keep]
        return Matches(self.ids[keep], self.base[keep], flags, self.factor)

    def boosted(self, flags: np.ndarray, factor: float) -> Matches:
        """Scores of the passages flagged (a boolean per passage) multiplied by `factor`, after rounding."""
        return Matches(self.ids, self.base, flags, factor)

    def exact(self, select: np.ndarray | None = None) -> list[float]:
        """Final scores (of the passages at positions `select`, or all), rounded as callers see them."""
        base = (self.base if select is None else self.base[select]).tolist()
        if self.flags is None:
            return [round(b, 6) for b in base]
        factor = self.factor
        flags = (self.flags if select is None else self.flags[select]).tolist()
        return [round(round(b, 6) * factor, 6) if f else round(b, 6) for b, f in zip(base, flags, strict=True)]

    def joined(self, other: Matches) -> Matches:
        """These passages and `other`'s (none in both), in document order."""
        ids = np.concatenate([self.ids, other.ids])
        order = np.argsort(ids, kind="stable")
        flags = None if self.flags is None else np.concatenate([self.flags, other.flags])[order]
        return Matches(ids[order], np.concatenate([self.base, other.base])[order], flags, self.factor)

    def bests(self, of_doc: np.ndarray, article_count: int) -> np.ndarray:
        """Each article's best passage score before rounding (-inf: no matching passage), by ordinal."""
        approx = self.base if self.flags is None else self.base * np.where(self.flags, self.factor, 1.0)
        best = np.full(article_count, -np.inf)
        np.maximum.at(best, of_doc[self.ids], approx)
        return best

    def page(
        self, of_doc: np.ndarray, article_count: int, offset: int, limit: int, *, total: int | None = None
    ) -> tuple[int, list[RankedArticle]]:
        """How many articles match (`of_doc`: each document's article ordinal, below `article_count`), and
        the articles at `offset:offset + limit` of their ranking: by best passage score, ties by ordinal
        (by id). Best scores are kept per ordinal, so nothing is sorted but the page's candidates. With
        `total` given, these are some of the matches, holding every passage of the page's articles and of
        any article that could rank with them (`page_pruning`), and `total` counts all of them."""
        articles = of_doc[self.ids]
        best = self.bests(of_doc, article_count)
        matched = best[best > -np.inf]
        total = len(matched) if total is None else total
        if offset >= total:
            return total, []
        end = min(offset + limit, total)
        last = np.partition(matched, len(matched) - end)[len(matched) - end]
        chosen = np.flatnonzero((best >= last - self.margin())[articles])
        scores: dict[int, float] = {}
        passages: dict[int, list[tuple[int, float]]] = {}
        for article, docnum, score in zip(
            articles[chosen].tolist(), self.ids[chosen].tolist(), self.exact(chosen), strict=True
        ):
            if article in scores:
                passages[article].append((docnum, score))
                if score > scores[article]:
                    scores[article] = score
            else:
                passages[article] = [(docnum, score)]
                scores[article] = score
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[offset:end]
        return total, [(article, score, passages[article]) for article, score in ranked]

    def margin(self) -> float:
        """More than twice the most an exact final score can differ from its unrounded value (each
        rounding moves it by at most 0.5e-6, the boost's rounding by `factor` times that before it)."""
        return 4e-6 * (1 + max(self.factor, 1.0))
