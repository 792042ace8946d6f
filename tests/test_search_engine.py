"""The engine's speed-ups change no score: its search equals a plain Whoosh BM25F search that reads
every field length and stored id from the index, also on an index of several segments."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import scoring

from newscorpus.index.build import live_build, load_knowledge
from newscorpus.index.matches import TITLE_ONLY_WEIGHT, TITLE_WEIGHT
from newscorpus.index.whoosh_engine import WhooshBuilder, WhooshIndex, _build
from newscorpus.query.api import CorpusQuery

QUERIES = ["Rechenzentren Milliarden", "data centre investment", "KI-Rechenzentren", "Nvidia OpenAI Partnerschaft",
           "title:Briefing", '"Rechenzentren" NOT Nvidia']


def _plain_scores(index: WhooshIndex, query: CorpusQuery, text: str) -> list[tuple[str, float]]:
    expanded = query._expander.expand(text)
    schema = index._passages.schema
    scores: dict[str, list[float]] = {}
    with index._passages.searcher(weighting=scoring.BM25F()) as searcher:
        for n, (fields, parser) in enumerate(index._passage_parsers.items()):
            q = _build(parser, expanded, fields, schema)
            if q is None:
                continue
            for hit in searcher.search(q, limit=None):
                scores.setdefault(hit["passage_id"], [0.0, 0.0])[n] = hit.score
    combined = [(key, round(t + TITLE_WEIGHT * ti if t > 0 else TITLE_ONLY_WEIGHT * ti, 6))
                for key, (t, ti) in scores.items()]
    return sorted(combined, key=lambda ks: (-ks[1], ks[0]))


@pytest.fixture(scope="module")
def two_segments(corpus_query: CorpusQuery, tmp_path_factory: pytest.TempPathFactory) -> WhooshIndex:
    """The bundled corpus indexed without its last article, which is then added as a second segment."""
    folder = live_build(corpus_query.settings.index_dir)
    assert folder is not None
    kb = load_knowledge(folder)
    last = kb.articles[-1].id
    target = Path(tmp_path_factory.mktemp("segments"))
    builder = WhooshBuilder()
    builder.build(kb.model_copy(update={"articles": kb.articles[:-1]}), target, lambda _m: None)
    builder.add(kb, [last], target)
    index = builder.open(target)
    assert len(index._passage_searcher.reader().leaf_readers()) == 2
    return index


@pytest.mark.parametrize("text", QUERIES)
def test_scores_equal_plain_bm25f(corpus_query: CorpusQuery, text: str) -> None:
    index = corpus_query._index
    assert isinstance(index, WhooshIndex)
    expected = _plain_scores(index, corpus_query, text)
    assert expected, f"{text!r} should match something in the bundled corpus"
    assert index.passage_scores(corpus_query._expander.expand(text)) == expected


@pytest.mark.parametrize("text", QUERIES)
def test_scores_equal_plain_bm25f_over_two_segments(
    two_segments: WhooshIndex, corpus_query: CorpusQuery, text: str
) -> None:
    expected = _plain_scores(two_segments, corpus_query, text)
    assert two_segments.passage_scores(corpus_query._expander.expand(text)) == expected
    assert [(h.key, h.score) for h in two_segments.search_passages(corpus_query._expander.expand(text))] == expected


def test_scores_do_not_depend_on_where_a_passage_lies_in_the_index(corpus_query: CorpusQuery, tmp_path: Path) -> None:
    """Whoosh's DisjunctionMax and coordination matchers scored a document with values of other documents
    or of the walk so far; ours give a passage the same score whatever the documents' order."""
    kb = corpus_query.kb
    reordered = kb.model_copy(update={"articles": list(reversed(kb.articles))})
    scores = []
    for n, base in enumerate((kb, reordered)):
        folder = tmp_path / f"i{n}"
        folder.mkdir()
        builder = WhooshBuilder(keep_models=True)
        builder.build(base, folder, lambda _m: None)
        index = builder.open(folder)
        expander = corpus_query._expander
        scores.append([dict(index.passage_scores(expander.expand(q))) for q in ORDER_QUERIES])
        index.close()
    assert scores[0] == scores[1]
    assert all(len(s) > 5 for s in scores[0])


ORDER_QUERIES = [
    "How much has the AI Infrastructure Partnership raised so far?",
    "Wie viel Geld hat die KI-Infrastruktur-Partnerschaft bisher eingesammelt?",
    "nuclear power joint venture data centre electricity",
    "KIA investor AI infrastructure",
]


def test_scores_do_not_depend_on_how_the_index_is_split_into_segments(
    corpus_query: CorpusQuery, tmp_path: Path
) -> None:
    """An index written in two commits (two segments) scores every passage as a one-segment build does:
    the coordination bonus counts the query's terms in the whole index, not in the segment searched."""
    from whoosh import index as windex

    from newscorpus.index.whoosh_engine import PASSAGES, _passage_docs

    kb = corpus_query.kb
    builder = WhooshBuilder(keep_models=True)
    whole, split = tmp_path / "whole", tmp_path / "split"
    whole.mkdir()
    split.mkdir()
    builder.build(kb, whole, lambda _m: None)
    builder.build(kb.model_copy(update={"articles": kb.articles[:2]}), split, lambda _m: None)
    writer = windex.open_dir(str(split), indexname=PASSAGES).writer()
    for doc in _passage_docs(kb, {kb.articles[2].id}):
        writer.add_document(**doc)
    writer.commit(merge=False)
    with windex.open_dir(str(split), indexname=PASSAGES).reader() as reader:
        assert len(reader.leaf_readers()) == 2
    indexes = [builder.open(whole), builder.open(split)]
    try:
        for q in [*ORDER_QUERIES, "Wie viel Geld hat die Partnerschaft eingesammelt?"]:
            expanded = corpus_query._expander.expand(q)
            assert dict(indexes[0].passage_scores(expanded)) == dict(indexes[1].passage_scores(expanded)), q
    finally:
        for index in indexes:
            index.close()


@pytest.mark.parametrize("text", [*QUERIES, "Wie viel Geld hat die Partnerschaft eingesammelt?"])
def test_rank_articles_groups_the_passage_ranking(corpus_query: CorpusQuery, text: str) -> None:
    """rank_articles gives what grouping passage_scores by article gives: the count, the order by best
    passage (ties by id), every page, and each article's matching passages."""
    index = corpus_query._index
    expanded = corpus_query._expanded(text)
    by_article: dict[str, list[tuple[str, float]]] = {}
    for pid, score in index.passage_scores(expanded):
        by_article.setdefault(pid.rpartition("#")[0], []).append((pid, score))
    order = sorted(by_article, key=lambda a: (-by_article[a][0][1], a))
    assert order, f"{text!r} should match something"
    for offset, limit in ((0, 10), (0, 1), (1, 1), (2, 5), (len(order), 3)):
        total, page = index.rank_articles(expanded, offset=offset, limit=limit)
        assert total == len(order)
        assert [m.article_id for m in page] == order[offset : offset + limit]
        for m in page:
            assert m.score == by_article[m.article_id][0][1]
            assert sorted(m.passages) == sorted(by_article[m.article_id])
    some = frozenset(order[:1])
    total, page = index.rank_articles(expanded, article_ids=some)
    assert total == 1 and [m.article_id for m in page] == order[:1]


def test_not_excludes_a_document_whatever_lies_before_it_in_the_index() -> None:
    """Whoosh's AndNotMatcher returned the first document of `a` when `b`'s postings began before it, so
    `leipzig NOT nvidia` found a document holding nvidia, depending on the documents' order (an update and
    a full build of the same corpus disagreed)."""
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.filedb.filestore import RamStorage

    from newscorpus.index.whoosh_engine import _parse, _parser

    schema = Schema(key=ID(stored=True), text=TEXT)
    ix = RamStorage().create_index(schema)
    writer = ix.writer()
    for key, text in (("a", "nvidia"), ("b", "leipzig nvidia"), ("c", "leipzig"), ("d", "leipzig nvidia")):
        writer.add_document(key=key, text=text)
    writer.commit()
    with ix.searcher() as searcher:
        for query in ("leipzig NOT nvidia", "leipzig ANDNOT nvidia", "(leipzig ANDNOT nvidia) OR leipzig"):
            found = searcher.search(_parse(_parser(["text"], schema), query), limit=None)
            assert sorted(searcher.stored_fields(d)["key"] for d in found.docs()) == (
                ["b", "c", "d"] if query.endswith("OR leipzig") else ["c"]
            ), query


def test_scores_through_whoosh_do_not_depend_on_how_the_index_is_split() -> None:
    """Queries Whoosh scores (query syntax, the deal index) give every document the score it gets in one
    segment when the index has a small second segment (an update appends one): Whoosh preloads an OR of
    three or more clauses over a segment of at most 5 000 documents, and the preloaded matcher does not
    tell the coordination bonus which terms a document matches."""
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.filedb.filestore import RamStorage

    from newscorpus.index.whoosh_engine import _parse, _parser, _whoosh_scores

    schema = Schema(key=ID(stored=True), a=TEXT, b=TEXT, c=TEXT)
    words = ["alpha beta", "alpha gamma", "beta delta", "gamma", "alpha beta gamma"]
    docs = [{"key": f"d{i}", "a": words[i % 5], "b": words[i % 3], "c": words[i % 7 % 5]} for i in range(5200)]

    def index(parts: list[list[dict]]):
        ix = RamStorage().create_index(schema)
        for part in parts:
            writer = ix.writer()
            for doc in part:
                writer.add_document(**doc)
            writer.commit(merge=False)
        return ix

    def scores(ix) -> dict[str, float]:
        with ix.searcher() as searcher:
            q = _parse(_parser(["a", "b", "c"], schema), "alpha beta gamma")
            return {searcher.stored_fields(d)["key"]: round(s, 6) for d, s in _whoosh_scores(searcher, q)}

    one, two = index([docs]), index([docs[:5100], docs[5100:]])
    assert len(two.reader().leaf_readers()) == 2
    assert scores(one) == scores(two)
