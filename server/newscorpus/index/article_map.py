"""Which article each passage document belongs to, as one array over the index's document numbers.

Ranking articles groups every matching passage by its article. Reading the article id from each
passage's stored fields costs a disk read and a dict entry per passage, which on a large result set is
most of a search and keeps growing in memory. The index already knows the grouping: each article id is a
term of the `article_id` field whose postings are the article's passages, and since an article's passages
are indexed one after the other, the term's first and last document number bound them. One pass over that
field's lexicon (no postings read unless an article's passages are not contiguous) gives the array.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from whoosh.searching import Searcher

from newscorpus.index.fast_scoring import postings


class ArticleMap(NamedTuple):
    """`ids`: the article ids, sorted (an article's ordinal is its position, so ordinals sort as ids do);
    `of_doc`: each document's article ordinal (-1 for none); `ordinal`: id → ordinal."""

    ids: list[str]
    of_doc: np.ndarray
    ordinal: dict[str, int]

    def mask(self, article_ids: frozenset[str]) -> np.ndarray:
        """A boolean per article ordinal: whether it is one of `article_ids` (unknown ids are ignored)."""
        mask = np.zeros(len(self.ids), bool)
        known = [self.ordinal[a] for a in article_ids if a in self.ordinal]
        mask[np.array(known, np.int64)] = True
        return mask


def article_map(searcher: Searcher, field: str) -> ArticleMap:
    """The map of the index `searcher` reads, from `field` (an ID field holding the article id)."""
    runs: list[tuple[str, int, object, object]] = []
    segments = searcher.subsearchers or [(searcher, 0)]
    for sub, offset in segments:
        reader = sub.reader()
        for text, info in reader.iter_field(field):
            runs.append((text.decode("utf-8"), offset, reader, info))
    ids = sorted({run[0] for run in runs})
    ordinal = {article_id: n for n, article_id in enumerate(ids)}
    of_doc = np.full(searcher.doc_count_all(), -1, np.int32)
    for article_id, offset, reader, info in runs:
        first, last = info.min_id(), info.max_id()
        if info.doc_frequency() == last - first + 1:
            of_doc[offset + first : offset + last + 1] = ordinal[article_id]
        else:
            docs, _weights = postings(reader.postings(field, article_id.encode("utf-8")))
            of_doc[docs + offset] = ordinal[article_id]
    return ArticleMap(ids, of_doc, ordinal)
