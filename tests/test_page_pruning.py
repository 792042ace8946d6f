"""A pruned search (`page_pruning`) ranks the page a full evaluation ranks: same total, same articles,
same scores, same passages, for every query of the relevance benchmark and queries asking for amounts,
with and without an article filter, on one segment and on two. The pieces it stands on are checked on
their own: bounds are at least every score, and a restricted evaluation scores as a full one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml
from whoosh import index as windex
from whoosh.query import Term

from newscorpus.config import BUNDLED_CORPUS
from newscorpus.index import fast_scoring, page_pruning
from newscorpus.index.build import live_build
from newscorpus.index.fast_scoring import TermAtATime, TermCache
from newscorpus.index.page_pruning import PruneWhen
from newscorpus.index.whoosh_engine import (
    COORD,
    PASSAGES,
    WhooshBuilder,
    WhooshIndex,
    _coord_termcount,
    _CoordOr,
)
from newscorpus.index.whoosh_engine import _passage_docs as passage_docs
from newscorpus.query.api import CorpusQuery

RELEVANCE = yaml.safe_load((BUNDLED_CORPUS / "eval" / "relevance.yaml").read_text(encoding="utf-8"))
QUERIES = [q["query"] for q in RELEVANCE["queries"]] + [
    "Wie viel investiert BlackRock in Rechenzentren?",
    "Wie hoch ist die Finanzierung von Alibaba für Kernenergie?",
    "KI Rechenzentrum Milliarden Strom",
]
ALWAYS = PruneWhen(postings=0, dominance=0)
PAGES = [(0, 10), (0, 1), (2, 3), (10**4, 10)]


def _two_segments(kb, folder: Path) -> None:
    """The bundled corpus as two segments: the first half of its articles, then the rest appended."""
    half = len(kb.articles) // 2
    builder = WhooshBuilder(keep_models=True)
    builder.build(kb.model_copy(update={"articles": kb.articles[:half]}), folder, lambda _m: None)
    writer = windex.open_dir(str(folder), indexname=PASSAGES).writer()
    for doc in passage_docs(kb, {a.id for a in kb.articles[half:]}):
        writer.add_document(**doc)
    writer.commit(merge=False)


@pytest.fixture(scope="module", params=["one segment", "two segments"])
def folder(request: pytest.FixtureRequest, corpus_query: CorpusQuery, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if request.param == "one segment":
        return live_build(corpus_query.settings.index_dir)
    folder = tmp_path_factory.mktemp("two-segments")
    _two_segments(corpus_query.kb, folder)
    return folder


@pytest.fixture(scope="module")
def pruned_and_full(folder: Path) -> Iterator[tuple[WhooshIndex, WhooshIndex]]:
    pruned, full = WhooshIndex(folder, prune=ALWAYS), WhooshIndex(folder, prune=None)
    if folder.name.startswith("two-segments"):
        assert len(pruned._passage_searcher.subsearchers) == 2
    yield pruned, full
    pruned.close()
    full.close()


@pytest.mark.parametrize(
    ("pool", "per_article"), [(1, 1), (8, 2), (page_pruning.MIN_POOL, page_pruning.POOL_PER_ARTICLE)],
    ids=["tiny pool", "small pool", "default pool"],
)
def test_pruned_pages_equal_full_evaluation(
    corpus_query: CorpusQuery, pruned_and_full: tuple[WhooshIndex, WhooshIndex], pool: int, per_article: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Small pools make the bundled corpus go through every step: a pool too small for the page that
    grows, passages added past the threshold, and the other passages of the articles ranked."""
    monkeypatch.setattr(page_pruning, "MIN_POOL", pool)
    monkeypatch.setattr(page_pruning, "POOL_PER_ARTICLE", per_article)
    steps: list[int] = []
    prune = page_pruning.prune

    def counted(bound, of_doc, article_count, wanted, exact):
        calls = []
        result = prune(bound, of_doc, article_count, wanted, lambda within: calls.append(len(within)) or exact(within))
        steps.append(len(calls))
        return result

    monkeypatch.setattr(page_pruning, "prune", counted)
    pruned, full = pruned_and_full
    every_other = frozenset(sorted(pruned._articles().ids)[::2])
    assert any(corpus_query._expanded(text).amount_boost != 1.0 for text in QUERIES), "boosted amounts included"
    for text in QUERIES:
        expanded = corpus_query._expanded(text)
        for article_ids in (None, every_other):
            for offset, limit in PAGES:
                got = pruned.rank_articles(expanded, article_ids=article_ids, offset=offset, limit=limit)
                assert got == full.rank_articles(expanded, article_ids=article_ids, offset=offset, limit=limit), (
                    text, article_ids is not None, offset, limit,
                )
    assert len(steps) > len(QUERIES), "most queries are an OR of several words and go through pruning"
    if pool == 1:
        assert max(steps) >= 3, "some page needed the pool, the passages past the threshold and the rest"


def test_bounds_are_at_least_every_score_and_mark_the_matches(
    corpus_query: CorpusQuery, pruned_and_full: tuple[WhooshIndex, WhooshIndex], monkeypatch: pytest.MonkeyPatch
) -> None:
    index = pruned_and_full[1]
    searcher = index._passage_searcher
    for bits in (fast_scoring.BOUND_BITS, 1, 2):  # 1 and 2: parts share bits (any counts as all)
        monkeypatch.setattr(fast_scoring, "BOUND_BITS", bits)
        checked = 0
        for text in QUERIES:
            for q in index._queries(corpus_query._expanded(text)):
                if not isinstance(q, _CoordOr):
                    continue
                evaluator = TermAtATime(searcher, _CoordOr, _coord_termcount, TermCache())
                bounds = evaluator.bounds(q)
                scores = evaluator.scores(q)
                assert np.flatnonzero(bounds > -np.inf).tolist() == scores.ids.tolist(), text
                assert (bounds[scores.ids] >= scores.scores).all(), text
                checked += 1
        assert checked > len(QUERIES)


@pytest.mark.parametrize("few_docs", [0, fast_scoring.FEW_DOCS, 10**9], ids=["table", "default", "lookup"])
def test_a_restricted_evaluation_scores_as_a_full_one(
    corpus_query: CorpusQuery, pruned_and_full: tuple[WhooshIndex, WhooshIndex], few_docs: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Restricted to some documents, every one of them gets the very float the full evaluation gives it,
    whether its place is looked up in the posting list or read from a table over the segment."""
    monkeypatch.setattr(fast_scoring, "FEW_DOCS", few_docs)
    index = pruned_and_full[1]
    searcher = index._passage_searcher
    rng = np.random.default_rng(11)
    documents = searcher.doc_count_all()
    for text in QUERIES[:40]:
        for q in index._queries(corpus_query._expanded(text)):
            if q is None:
                continue
            evaluator = TermAtATime(searcher, _CoordOr, _coord_termcount, TermCache())
            full = evaluator.scores(q)
            for size in (1, 7, documents // 3, documents):
                within = np.sort(rng.choice(documents, size, replace=False)).astype(np.int64)
                part = evaluator.scores(q, within)
                keep = np.isin(full.ids, within)
                assert part.ids.tolist() == full.ids[keep].tolist(), text
                assert part.scores.tolist() == full.scores[keep].tolist(), text


def test_prune_when_picks_queries_with_one_dominant_part() -> None:
    rule = PruneWhen(postings=1000, dominance=2.0)
    assert rule.applies([900, 100, 50])
    assert not rule.applies([600, 400]), "two common parts"
    assert not rule.applies([500, 100]), "too few postings"
    assert not rule.applies([5000]), "a single part"


def test_the_engine_prunes_only_what_the_rule_picks(corpus_query: CorpusQuery, folder: Path) -> None:
    never = WhooshIndex(folder, prune=PruneWhen(postings=10**12))
    try:
        expanded = corpus_query._expanded("KI Rechenzentrum Milliarden Strom")
        queries = never._queries(expanded)
        assert never._pruned(expanded, queries, None, 10) is None
    finally:
        never.close()


def test_a_negative_boost_leaves_its_passages_unbounded_not_lost(
    pruned_and_full: tuple[WhooshIndex, WhooshIndex],
) -> None:
    """A part or query with a negative boost has no bound (inf); when the coordination factor is 0 (one of
    the query's terms in the index), inf × 0 must still read as unbounded, not as "matches nothing"."""
    searcher = pruned_and_full[1]._passage_searcher
    analyzer = searcher.schema["text"].analyzer
    ki, billions = (Term("text", next(iter(analyzer(w, mode="query"))).text) for w in ("KI", "Milliarden"))
    for q in (
        _CoordOr([ki.with_boost(-1.0), Term("text", "zzzznichtimindex")], scale=COORD),
        _CoordOr([ki.with_boost(-1.0), ki], scale=COORD),
        _CoordOr([ki, billions], scale=COORD, boost=-1.0),
    ):
        evaluator = TermAtATime(searcher, _CoordOr, _coord_termcount, TermCache())
        bounds, scores = evaluator.bounds(q), evaluator.scores(q)
        assert len(scores.ids) and np.flatnonzero(bounds > -np.inf).tolist() == scores.ids.tolist()
        assert (bounds[scores.ids] >= scores.scores).all()
