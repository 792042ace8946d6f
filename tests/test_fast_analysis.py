"""The indexing shortcuts give exactly what the slow paths give: split-words' best split, Whoosh's postings."""

from __future__ import annotations

import re

import pytest
from split_words import Splitter
from split_words.splitter import get_ngram_probs
from whoosh.formats import Positions

from newscorpus.index.analysis import AnalysisConfig, text_analyzer
from newscorpus.index.compound_split import best_split
from newscorpus.index.fast_positions import FastPositions
from newscorpus.query.api import CorpusQuery

EXTRA_WORDS = ["Rechenzentrumsstandorte", "Energieinfrastruktur", "Milliarden", "Abcdefgh", "Abc",
               "Gemeinschaftsunternehmen"]


def _texts(corpus_query: CorpusQuery) -> list[str]:
    return [p.text for p in corpus_query.passages.values()] + [a.title for a in corpus_query.articles.values()]


def test_best_split_is_split_words_first_choice(corpus_query: CorpusQuery) -> None:
    words = sorted({w for t in _texts(corpus_query) for w in re.findall(r"[^\W\d_]+", t) if len(w) >= 4})
    splitter, probs = Splitter(), get_ngram_probs()
    assert len(words) > 1000
    for word in [*words, *EXTRA_WORDS]:
        assert best_split(word, probs) == tuple(splitter.split_compound(word)[0]), word


@pytest.mark.parametrize(
    "config",
    [AnalysisConfig(), AnalysisConfig.plain(), AnalysisConfig(stopwords=False),
     AnalysisConfig(hyphens=False, lemmas=False)],
    ids=["default", "plain", "no-stopwords", "no-hyphens-no-lemmas"],
)
def test_fast_positions_give_whooshs_postings(corpus_query: CorpusQuery, config: AnalysisConfig) -> None:
    slow, fast = Positions(field_boost=1.5), FastPositions(field_boost=1.5)
    slow_analyzer, fast_analyzer = text_analyzer(config), text_analyzer(config)
    for text in [*_texts(corpus_query), "", "der die das", "KI-Rechenzentren 12,5 Milliarden Dollar"]:
        expected = list(slow.word_values(text, slow_analyzer, mode="index"))
        assert list(fast.word_values(text, fast_analyzer, mode="index")) == expected, text[:60]
        # a second pass reads the per-word cache and must still agree
        assert list(fast.word_values(text, fast_analyzer, mode="index")) == expected


def test_query_mode_takes_whooshs_path() -> None:
    analyzer = text_analyzer()
    query = list(FastPositions().word_values("Energieinfrastruktur", analyzer, mode="query"))
    assert [term for term, *_ in query] == ["energieinfrastruktur"]


def test_ngram_table_from_the_marshal_copy_is_split_words_own(tmp_path, monkeypatch) -> None:
    from newscorpus.index import compound_split

    monkeypatch.setattr(compound_split, "user_cache_dir", lambda: tmp_path)
    first = compound_split.ngram_probs()  # from JSON, writes the copy
    assert list(tmp_path.glob("ngram-probs-*.marshal"))
    second = compound_split.ngram_probs()  # from the copy
    assert second is not first
    assert second == first == get_ngram_probs()
