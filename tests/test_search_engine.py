"""The engine's speed-ups change no score: its search equals a plain Whoosh BM25F search that reads
every field length and stored id from the index, also on an index of several segments."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import scoring

from newscorpus.index.build import live_build, load_knowledge
from newscorpus.index.whoosh_engine import TITLE_ONLY_WEIGHT, TITLE_WEIGHT, WhooshBuilder, WhooshIndex, _build
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
