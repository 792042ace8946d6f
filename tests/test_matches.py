"""The page of articles computed from unrounded arrays equals the ranking of every passage's exactly
rounded score, also where rounding decides ties; the article map equals the stored article ids."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.index import fast_scoring
from newscorpus.index.article_map import article_map, load, save
from newscorpus.index.fast_scoring import DocScores
from newscorpus.index.matches import TITLE_ONLY_WEIGHT, TITLE_WEIGHT, Matches
from newscorpus.index.whoosh_engine import ARTICLE_MAP, WhooshIndex
from newscorpus.query.api import CorpusQuery

# Scores on and next to the rounding boundary of the 6th place, so that rounding makes and breaks ties.
_NEAR_TIES = st.sampled_from([1.0000005, 1.0000004999, 1.0000015, 1.000001, 1.0000009, 0.0, 2.5, 2.4999995])
_SCORES = st.one_of(_NEAR_TIES, st.floats(min_value=0.0, max_value=50.0, allow_nan=False))


def _brute_force(
    base: list[float], flags: list[bool] | None, factor: float, of_doc: list[int], offset: int, limit: int
) -> tuple[int, list[tuple[int, float, list[tuple[int, float]]]]]:
    """Every passage's final score rounded in Python, grouped by article, sorted by (-best, ordinal)."""
    passages: dict[int, list[tuple[int, float]]] = {}
    for doc, b in enumerate(base):
        score = round(round(b, 6) * factor, 6) if flags is not None and flags[doc] else round(b, 6)
        passages.setdefault(of_doc[doc], []).append((doc, score))
    ranked = sorted(passages, key=lambda a: (-max(s for _, s in passages[a]), a))
    return len(ranked), [(a, max(s for _, s in passages[a]), passages[a]) for a in ranked[offset : offset + limit]]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_SCORES, st.booleans(), st.integers(0, 6)), min_size=1, max_size=40),
    st.sampled_from([None, 1.5, 0.8]),
    st.integers(0, 8),
    st.integers(1, 5),
)
def test_page_equals_the_exactly_rounded_ranking(
    rows: list[tuple[float, bool, int]], factor: float | None, offset: int, limit: int
) -> None:
    base = [b for b, _, _ in rows]
    flags = [f for _, f, _ in rows] if factor is not None else None
    of_doc = [a for _, _, a in rows]
    matches = Matches(np.arange(len(rows)), np.array(base, np.float64))
    if flags is not None:
        matches = matches.boosted(np.array(flags), factor)
    expected = _brute_force(base, flags, factor or 1.0, of_doc, offset, limit)
    assert matches.page(np.array(of_doc, np.int32), 7, offset, limit) == expected


@pytest.mark.parametrize("sparse_ratio", [0, 10**9], ids=["sparse", "dense"])
def test_combine_is_the_passage_ranking_formula(sparse_ratio: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_scoring, "SPARSE_RATIO", sparse_ratio)
    """Text scores of 0 or below (a negative boost) count as no text match, with or without a title."""
    text = DocScores(np.array([1, 2, 5, 7, 8]), np.array([2.0, 0.0, 1.25, -0.5, -1.0]))
    title = DocScores(np.array([2, 3, 5, 8]), np.array([4.0, 3.0, 2.0, 2.0]))
    matches = Matches.combine(text, title)
    assert matches.ids.tolist() == [1, 2, 3, 5, 7, 8]
    assert matches.exact() == [
        2.0,
        round(TITLE_ONLY_WEIGHT * 4.0, 6),
        round(TITLE_ONLY_WEIGHT * 3.0, 6),
        round(1.25 + TITLE_WEIGHT * 2.0, 6),
        0.0,
        round(TITLE_ONLY_WEIGHT * 2.0, 6),
    ]


def test_article_map_equals_the_stored_article_ids(corpus_query: CorpusQuery) -> None:
    index = corpus_query._index
    assert isinstance(index, WhooshIndex)
    searcher = index._passage_searcher
    articles = article_map(searcher, "article_id")
    stored = [fields["article_id"] for _docnum, fields in searcher.reader().iter_docs()]
    assert len(stored) == len(articles.of_doc) > 10
    assert [articles.ids[n] for n in articles.of_doc.tolist()] == stored
    assert articles.ids == sorted(set(stored)) and len(articles.ids) >= 3


def test_the_saved_article_map_is_the_one_read_from_the_index(corpus_query: CorpusQuery, tmp_path) -> None:
    """A build saves the map; an opened index reads it, equal to the lexicon pass (a stale file, for an
    index of another size, is ignored)."""
    index = corpus_query._index
    assert isinstance(index, WhooshIndex)
    computed = article_map(index._passage_searcher, "article_id")
    saved = index._folder / ARTICLE_MAP
    assert saved.is_file()
    loaded = load(saved, len(computed.of_doc))
    assert loaded is not None
    assert loaded.ids == computed.ids and loaded.ordinal == computed.ordinal
    assert loaded.of_doc.tolist() == computed.of_doc.tolist() and loaded.of_doc.dtype == computed.of_doc.dtype
    assert load(saved, len(computed.of_doc) + 1) is None
    scattered = computed._replace(of_doc=computed.of_doc[::-1].copy())
    save(scattered, tmp_path / "map.json")
    again = load(tmp_path / "map.json", len(computed.of_doc))
    assert again is not None and again.of_doc.tolist() == scattered.of_doc.tolist()
