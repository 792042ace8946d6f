"""Query expansion: the glossary, entity aliases and German amount forms, on the bundled corpus."""

from __future__ import annotations

import pytest

from newscorpus.extract.money import parse_amount
from newscorpus.query.api import CorpusQuery
from newscorpus.query.expand import ExpansionConfig, Glossary, QueryExpander, german_amount

ALIBABA_JV = "#p2"


def alternatives(query: CorpusQuery, text: str) -> dict[str, list[str]]:
    expanded = query._expander.expand(text)
    return {p.text: [a.text for a in p.alternatives] for p in expanded.parts}


@pytest.mark.parametrize(
    ("english", "german"),
    [
        ("data centre", "Rechenzentrum"),
        ("data centers", "Rechenzentrum"),
        ("nuclear", "Kernenergie"),
        ("nuclear", "Atomkraft"),
        ("power plant", "Kraftwerk"),
        ("joint venture", "Gemeinschaftsunternehmen"),
        ("market value", "Börsenwert"),
        ("market value", "Marktkapitalisierung"),
        ("steps down", "tritt zurück"),
        ("billion", "Milliarde"),
        ("trillion", "Billion"),
    ],
)
def test_glossary_translates_english_terms(corpus_query: CorpusQuery, english: str, german: str) -> None:
    assert german in alternatives(corpus_query, english)[english]


def test_glossary_works_both_ways(corpus_query: CorpusQuery) -> None:
    assert "data centre" in alternatives(corpus_query, "Rechenzentren")["Rechenzentren"]


@pytest.mark.parametrize(
    ("text", "german"),
    [
        ("12.5 billion", "12,5 Milliarden"),
        ("$40bn", "40 Milliarden US-Dollar"),
        ("4 trillion dollars", "vier Billionen Dollar"),
    ],
)
def test_amounts_get_their_german_form(text: str, german: str) -> None:
    amount = parse_amount(text)
    assert amount is not None
    assert german in german_amount(amount)


def test_entities_expand_to_their_other_names(corpus_query: CorpusQuery) -> None:
    assert "Kuwait Investment Authority" in alternatives(corpus_query, "KIA")["KIA"]
    assert "Amazon Web Services" in alternatives(corpus_query, "AWS")["AWS"]


def test_search_syntax_is_not_expanded(corpus_query: CorpusQuery) -> None:
    assert corpus_query._expander.expand('"joint venture" AND Alibaba').parts == ()


def test_switched_off_expansions_add_nothing(corpus_query: CorpusQuery) -> None:
    off = QueryExpander(Glossary(), corpus_query.kb.entities, config=ExpansionConfig(
        glossary=False, entities=False, numbers=False, hyphens=False))
    assert all(not p.alternatives for p in off.expand("KIA 12.5 billion data centre KI-Rechenzentren").parts)


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("nuclear power joint venture", "Gemeinschaftsunternehmen zur Stromerzeugung"),
        ("12.5 billion", "12,5 Milliarden Dollar"),
        ("KIA", "Investment Authority"),  # written "Kuwait(s) Investment Authority"
        ("Alphabet market value", "Börsenwert von Alphabet"),
        ("data center power demand 2030 gigawatts", "75–100 GW"),
    ],
)
def test_english_queries_find_the_german_passage_first(corpus_query: CorpusQuery, query: str, needle: str) -> None:
    best = corpus_query.rank_passages(query)[0].key
    assert needle in corpus_query.passages[best].text


def test_passages_shown_for_an_article_are_the_answering_ones(corpus_query: CorpusQuery) -> None:
    # A title word ("KI-Server", "Deutschlands") must not pull the briefing's opening paragraphs in.
    res = corpus_query.search_articles("Aleph Alpha Gründer Deutschlands KI-Server")
    shown = res.results[0].passages
    assert "Jonas Andrulis" in shown[0].text
    assert all(p.passage_id.split("#")[1] not in {"p1", "p2"} for p in shown[:1])
