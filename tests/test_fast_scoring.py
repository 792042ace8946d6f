"""Term-at-a-time scoring (`fast_scoring`) gives every passage the score Whoosh's own matchers give it, for
every query of the relevance benchmark and parsed query syntax, on both fields, on one segment and on two."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from whoosh import index as windex
from whoosh.query import Term

from newscorpus.config import BUNDLED_CORPUS
from newscorpus.index import fast_scoring
from newscorpus.index.fast_scoring import DocScores, TermAtATime, TermCache, supports
from newscorpus.index.whoosh_engine import (
    COORD,
    PASSAGES,
    WhooshBuilder,
    WhooshIndex,
    _BestOf,
    _build,
    _coord_termcount,
    _CoordOr,
)
from newscorpus.index.whoosh_engine import _passage_docs as passage_docs
from newscorpus.query.api import CorpusQuery

RELEVANCE = yaml.safe_load((BUNDLED_CORPUS / "eval" / "relevance.yaml").read_text(encoding="utf-8"))
QUERIES = [q["query"] for q in RELEVANCE["queries"]]


def _rounded(scores: DocScores) -> dict[int, float]:
    return {docnum: round(score, 6) for docnum, score in zip(scores.ids.tolist(), scores.scores.tolist(), strict=True)}


def _compare(index: WhooshIndex, query: CorpusQuery, cache: TermCache | None = None) -> int:
    """Compare both evaluations for every query (term-at-a-time with a fresh cache each, or with `cache`
    throughout); returns how many (query, field) trees were compared."""
    schema = index._passages.schema
    searcher = index._passage_searcher
    compared = 0
    for text in QUERIES:
        expanded = query._expander.expand(text)
        for fields, parser in index._passage_parsers.items():
            q = _build(parser, expanded, fields, schema)
            if q is None:
                continue
            assert supports(q, (_CoordOr,)), (text, q)
            whoosh = {docnum: round(score, 6) for score, docnum in searcher.search(q, limit=None).top_n}
            ours = TermAtATime(searcher, _CoordOr, _coord_termcount, cache or TermCache()).scores(q)
            assert _rounded(ours) == whoosh, (text, fields)
            compared += 1
    return compared


@pytest.mark.parametrize("sparse_ratio", [0, fast_scoring.SPARSE_RATIO, 10**9], ids=["sparse", "default", "dense"])
def test_term_at_a_time_equals_whoosh_matchers(
    corpus_query: CorpusQuery, sparse_ratio: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways of merging (arrays over the segment, sorted ids) give Whoosh's scores."""
    monkeypatch.setattr(fast_scoring, "SPARSE_RATIO", sparse_ratio)
    index = corpus_query._index
    assert isinstance(index, WhooshIndex)
    assert _compare(index, corpus_query) >= len(QUERIES)


def test_scores_kept_between_searches_are_whooshs(corpus_query: CorpusQuery) -> None:
    """One cache through every query, twice: the second pass scores from the kept scores of the first,
    under each query's own boosts."""
    index = corpus_query._index
    assert isinstance(index, WhooshIndex)
    cache = TermCache()
    assert _compare(index, corpus_query, cache) == _compare(index, corpus_query, cache) >= len(QUERIES)
    assert sum(scored is not None for _ids, _values, scored in cache._postings.values()) > 100


def test_term_at_a_time_equals_whoosh_matchers_on_two_segments(corpus_query: CorpusQuery, tmp_path: Path) -> None:
    kb = corpus_query.kb
    builder = WhooshBuilder(keep_models=True)
    builder.build(kb.model_copy(update={"articles": kb.articles[:2]}), tmp_path, lambda _m: None)
    writer = windex.open_dir(str(tmp_path), indexname=PASSAGES).writer()
    for doc in passage_docs(kb, {kb.articles[2].id}):
        writer.add_document(**doc)
    writer.commit(merge=False)
    index = builder.open(tmp_path)
    try:
        assert index._passage_searcher.subsearchers and len(index._passage_searcher.subsearchers) == 2
        assert _compare(index, corpus_query) >= len(QUERIES)
    finally:
        index.close()


@pytest.mark.parametrize("text", ['"Rechenzentren Milliarden"', "Nvidia NOT OpenAI"])
def test_phrases_and_not_are_left_to_whoosh(corpus_query: CorpusQuery, text: str) -> None:
    index = corpus_query._index
    assert isinstance(index, WhooshIndex)
    q = _build(index._passage_parsers[("text",)], corpus_query._expander.expand(text), ("text",),
               index._passages.schema)
    assert q is not None and not supports(q, (_CoordOr,))


@pytest.mark.parametrize("text", ["title:Briefing KI", "Kurzfassung: Die KI-Infrastruktur der Zukunft"])
def test_parsed_words_are_scored_term_at_a_time_with_whooshs_scores(corpus_query: CorpusQuery, text: str) -> None:
    """Query syntax's default group is our coordination OR, so plain parsed words take the fast path."""
    index = corpus_query._index
    assert isinstance(index, WhooshIndex)
    expanded = corpus_query._expander.expand(text)
    assert not expanded.parts, "read as query syntax"
    for fields, parser in index._passage_parsers.items():
        q = _build(parser, expanded, fields, index._passages.schema)
        assert q is not None and supports(q, (_CoordOr,))
        searcher = index._passage_searcher
        whoosh = {docnum: round(score, 6) for score, docnum in searcher.search(q, limit=None).top_n}
        ours = TermAtATime(searcher, _CoordOr, _coord_termcount, TermCache()).scores(q)
        assert _rounded(ours) == whoosh


def test_unique_ids_are_numpys_unique_with_inverse() -> None:
    rng = np.random.default_rng(7)
    for sizes in ([0], [5], [3, 0, 7], [50, 50], [1, 400, 30, 2]):
        arrays = [np.sort(rng.choice(1000, n, replace=False)).astype(np.int64) for n in sizes]
        ids, where = fast_scoring.unique_ids(arrays)
        expected_ids, expected_where = np.unique(np.concatenate(arrays), return_inverse=True)
        assert ids.tolist() == expected_ids.tolist() and where.tolist() == expected_where.tolist()


def test_an_and_keeps_the_documents_of_every_child_with_their_summed_scores() -> None:
    def part(ids: list[int], scores: list[float]) -> fast_scoring._Part:
        return fast_scoring._Part(np.array(ids, np.int64), np.array(scores), None)

    common = part([1, 2, 3, 5, 8, 9], [1.0, 2.0, 3.0, 5.0, 8.0, 9.0])
    rare = part([2, 8, 12], [0.5, 0.25, 4.0])  # 12: beyond the common word's last document
    both = fast_scoring._intersect([common, rare])
    assert both.ids.tolist() == [2, 8] and both.scores.tolist() == [2.5, 8.25] and both.counts.tolist() == [2, 2]
    assert len(fast_scoring._intersect([common, part([], [])]).ids) == 0
    assert fast_scoring._intersect([rare, rare]).ids.tolist() == [2, 8, 12]


def test_a_term_twice_among_alternatives_scores_as_whoosh_scores_it(corpus_query: CorpusQuery) -> None:
    """Two spellings with one stem give the same term twice in a best-of: it is scored once, and still
    counts twice as a matching term for the coordination bonus, as Whoosh's matchers count it."""
    index = corpus_query._index
    assert isinstance(index, WhooshIndex)
    searcher = index._passage_searcher
    analyzer = searcher.schema["text"].analyzer
    word, other, ki = (
        Term("text", next(iter(analyzer(w, mode="query"))).text) for w in ("Rechenzentren", "Milliarden", "KI")
    )
    assert all(searcher.doc_frequency("text", t.text) for t in (word, other, ki))
    for alternatives in ([word, word], [word, word.with_boost(0.8), word], [word, other, word]):
        q = _CoordOr([_BestOf(alternatives), ki], scale=COORD)
        whoosh = {docnum: round(score, 6) for score, docnum in searcher.search(q, limit=None).top_n}
        assert _rounded(TermAtATime(searcher, _CoordOr, _coord_termcount, TermCache()).scores(q)) == whoosh
