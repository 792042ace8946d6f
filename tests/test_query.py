"""The query API on the bundled corpus: search syntax, filters, paging, name resolution, errors."""

from __future__ import annotations

import pytest

from newscorpus.query.api import CorpusQuery
from newscorpus.query.errors import NotFoundError, QueryError

ALIBABA = "250 Millionen Yuan"


def _passage_texts(res) -> list[str]:
    return [p.text for hit in res.results for p in hit.passages]


def test_plain_words_find_the_answering_passage_first(corpus_query: CorpusQuery) -> None:
    res = corpus_query.search_articles("registriertes Kapital Alibaba Joint Venture")
    assert res.total >= 1
    assert ALIBABA in res.results[0].passages[0].text


def test_passages_are_whole_and_verbatim(corpus_query: CorpusQuery) -> None:
    res = corpus_query.search_articles("Rechenzentrum", limit=50)
    for hit in res.results:
        article = corpus_query.articles[hit.article_id]
        texts = {p.passage_id: p.text for p in article.passages()}
        for p in hit.passages:
            assert texts[p.passage_id] == p.text
        assert len(hit.passages) <= 3


def test_phrase_and_boolean_syntax(corpus_query: CorpusQuery) -> None:
    phrase = corpus_query.search_articles('"European Sovereign Cloud"')
    assert phrase.total == 1
    assert any("European Sovereign Cloud" in t for t in _passage_texts(phrase))

    both = corpus_query.search_articles("Alibaba AND Potsdam")
    assert both.total == 0
    either = corpus_query.search_articles("Alibaba OR Potsdam")
    assert either.total == 2
    # Operators apply within a passage: no returned passage may mention Alibaba.
    without = corpus_query.search_articles("Rechenzentren NOT Alibaba", limit=50)
    assert without.total >= 1
    assert all("Alibaba" not in t for t in _passage_texts(without))


def test_field_query(corpus_query: CorpusQuery) -> None:
    res = corpus_query.search_articles("title:Briefing")
    assert [h.publisher for h in res.results] == ["Handelsblatt"]


@pytest.mark.parametrize("query", ['"unclosed phrase', "(Alibaba", "AND", "title:", "Nvidia)))", "^^^ ~~~"])
def test_malformed_syntax_never_errors(corpus_query: CorpusQuery, query: str) -> None:
    res = corpus_query.search_articles(query)
    assert res.total >= 0


def test_filters(corpus_query: CorpusQuery) -> None:
    assert corpus_query.search_articles("KI", date_from="2026-01-20").total == 1
    assert corpus_query.search_articles("KI", date_to="2026-01-16").total == 2
    assert corpus_query.search_articles("KI", publisher="handelsblatt").total == 1
    only_kia = corpus_query.search_articles("Partnerschaft", entity="KIA")
    kia_articles = {m.article_id for m in corpus_query.entities["kuwait-investment-authority"].mentions}
    assert only_kia.total == 1 and only_kia.results[0].article_id in kia_articles
    with pytest.raises(NotFoundError, match="Known publishers"):
        corpus_query.search_articles("KI", publisher="Spiegel")
    with pytest.raises(QueryError, match="YYYY-MM-DD"):
        corpus_query.search_articles("KI", date_from="16.01.2026")


def test_cursor_pages_without_overlap(corpus_query: CorpusQuery) -> None:
    full = corpus_query.search_articles("KI", limit=50)
    assert full.total == 3 and full.next_cursor is None
    seen: list[str] = []
    cursor = None
    while True:
        page = corpus_query.search_articles("KI", limit=1, cursor=cursor)
        seen += [h.article_id for h in page.results]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [h.article_id for h in full.results]


def test_cursor_is_bound_to_its_query(corpus_query: CorpusQuery) -> None:
    cursor = corpus_query.search_articles("KI", limit=1).next_cursor
    assert cursor
    with pytest.raises(QueryError, match="does not belong"):
        corpus_query.search_articles("Nvidia", limit=1, cursor=cursor)
    with pytest.raises(QueryError, match="Invalid cursor"):
        corpus_query.search_articles("KI", limit=1, cursor="not-a-cursor!")


@pytest.mark.parametrize("limit", [0, 51, -1])
def test_search_limit_bounds(corpus_query: CorpusQuery, limit: int) -> None:
    with pytest.raises(QueryError, match="from 1 to 50"):
        corpus_query.search_articles("KI", limit=limit)


def test_unknown_article_names_closest_ids(corpus_query: CorpusQuery) -> None:
    real = next(iter(corpus_query.articles))
    with pytest.raises(NotFoundError) as err:
        corpus_query.get_article(real[:-3])
    assert real in str(err.value)


def test_get_article_selected_passages(corpus_query: CorpusQuery) -> None:
    article_id = next(a for a in corpus_query.articles if "wallstreetonline" in a)
    detail = corpus_query.get_article(article_id, passages=[2])
    assert [p.passage_id for p in detail.passages] == [f"{article_id}#p2"]
    assert ALIBABA in detail.passages[0].text
    assert any(e.name == "Alibaba" for e in detail.entities)
    with pytest.raises(QueryError, match="passages 1 to"):
        corpus_query.get_article(article_id, passages=[999])


@pytest.mark.parametrize("spelling", ["nvidia", "NVIDIA", "Nvidi", "nvdia"])
def test_entity_query_case_prefix_fuzzy(corpus_query: CorpusQuery, spelling: str) -> None:
    names = [e.name for e in corpus_query.list_entities(query=spelling).entities]
    assert any(n.casefold() == "nvidia" for n in names), names


def test_entity_query_is_accent_insensitive(corpus_query: CorpusQuery) -> None:
    names = [e.name for e in corpus_query.list_entities(query="munchen").entities]
    assert "München" in names


def test_get_entity_by_alias(corpus_query: CorpusQuery) -> None:
    kia = corpus_query.get_entity("KIA")
    assert kia.name == "Kuwait Investment Authority"
    assert kia.mentions and all(m.passage_id in corpus_query.passages for m in kia.mentions)
    for m in kia.mentions:
        assert m.text in corpus_query.passages[m.passage_id].text
    with pytest.raises(NotFoundError):
        corpus_query.get_entity("Zalando")


def test_list_deals_by_party_alias_and_part_of_name(corpus_query: CorpusQuery) -> None:
    aws = corpus_query.list_deals(party="AWS")
    amazon = corpus_query.list_deals(party="Amazon")
    assert aws.total >= 1 and [d.deal_id for d in aws.deals] == [d.deal_id for d in amazon.deals]
    kuwait = corpus_query.list_deals(party="kuwait")
    assert kuwait.total >= 1
    with pytest.raises(QueryError, match="type must be one of"):
        corpus_query.list_deals(type="merger")


def test_get_deal_by_query_has_alternatives(corpus_query: CorpusQuery) -> None:
    deal = corpus_query.get_deal(query="Alibaba Kernenergie Gemeinschaftsunternehmen")
    amounts = {(a.value, a.currency, a.role) for a in deal.amounts}
    assert (250_000_000, "CNY", "registered_capital") in amounts
    assert all(alt in corpus_query.deals for alt in deal.alternatives)
    with pytest.raises(QueryError, match="exactly one"):
        corpus_query.get_deal()
    with pytest.raises(QueryError, match="exactly one"):
        corpus_query.get_deal(deal_id=deal.deal_id, query="x")


def test_completion_prefers_prefix(corpus_query: CorpusQuery) -> None:
    ids = corpus_query.complete_ids("article", "2026-01-2")
    assert ids and all(i.startswith("2026-01-2") for i in ids)
