"""The six MCP tools through real in-process MCP sessions, against the bundled corpus.

Each test opens a client session on a server built by `create_server` over the real query API and
asserts on what an agent gets back: structured content (validated by the result records), the compact
text rendering, resource links, and clean `is_error` results for every kind of bad input.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, ResourceLink, TextContent

from newscorpus.mcp_server import create_server
from newscorpus.mcp_server.schemas import inline_refs
from newscorpus.models import DEAL_TYPES, ENTITY_TYPES
from newscorpus.query.results import (
    ArticleDetail,
    DealDetail,
    DealList,
    EntityDetail,
    EntityList,
    SearchResults,
)

if TYPE_CHECKING:
    from newscorpus.query.api import CorpusQuery

pytestmark = pytest.mark.anyio

TOOLS = {"search_articles", "get_article", "list_entities", "get_entity", "list_deals", "get_deal"}
ALIBABA_JV_QUERY = "Alibaba nuclear joint venture"


@pytest.fixture(scope="session")
def server(corpus_query: CorpusQuery) -> MCPServer:
    return create_server(corpus_query)


@pytest.fixture
async def client(server: MCPServer) -> AsyncIterator[Client]:
    async with Client(server) as session:
        yield session


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


def failed(result: CallToolResult) -> str:
    """The error text of an `is_error` result, which must read as a message, never as a traceback."""
    assert result.is_error, f"expected an error, got: {text_of(result)[:300]}"
    message = text_of(result)
    assert message
    assert "Traceback" not in message and 'File "' not in message
    return message


def passage_number(passage_id: str) -> int:
    """`<article_id>#p7` → 7."""
    article_id, _, local = passage_id.partition("#")
    assert article_id and local.startswith("p"), passage_id
    return int(local[1:])


async def alibaba_jv(client: Client) -> DealDetail:
    return DealDetail.model_validate(ok(await client.call_tool("get_deal", {"query": ALIBABA_JV_QUERY})))


async def test_tools_are_listed_read_only_with_documented_schemas(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        ann = tool.annotations
        assert ann is not None and ann.title
        assert (ann.read_only_hint, ann.idempotent_hint, ann.open_world_hint) == (True, True, False)
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
        assert '"$ref"' not in json.dumps(tool.output_schema) and "$defs" not in tool.output_schema
        assert tool.description and len(tool.description) > 200
    search = tools["search_articles"]
    props = search.input_schema["properties"]
    assert set(props) == {"query", "limit", "date_from", "date_to", "publisher", "entity", "cursor"}
    assert (props["limit"]["minimum"], props["limit"]["maximum"], props["limit"]["default"]) == (1, 50, 10)
    assert search.input_schema["required"] == ["query"]
    for phrase in ('"', "AND", "field:value", "plain words", "[passage_id]", "cursor"):
        assert phrase in search.description
    assert "next_cursor" in search.output_schema["properties"]
    assert tools["list_entities"].input_schema["properties"]["limit"]["maximum"] == 200
    assert tools["list_deals"].input_schema["properties"]["limit"]["maximum"] == 100
    entity_type = tools["list_entities"].input_schema["properties"]["type"]["anyOf"][0]
    assert entity_type["enum"] == list(ENTITY_TYPES)
    deal_type = tools["list_deals"].input_schema["properties"]["type"]["anyOf"][0]
    assert deal_type["enum"] == list(DEAL_TYPES)
    passages = tools["get_article"].input_schema["properties"]["passages"]["anyOf"][0]
    assert passages == {"items": {"type": "integer"}, "type": "array"}
    assert set(tools["get_deal"].input_schema["properties"]) == {"deal_id", "query"}


def test_output_schemas_are_inlined_unless_a_definition_refers_to_itself() -> None:
    nested = {
        "$defs": {
            "Hit": {"type": "object", "properties": {"passages": {"type": "array", "items": {"$ref": "#/$defs/P"}}}},
            "P": {"type": "object", "title": "P", "properties": {"text": {"type": "string"}}},
        },
        "type": "object",
        "properties": {"results": {"type": "array", "items": {"$ref": "#/$defs/Hit"}},
                       "best": {"$ref": "#/$defs/P", "title": "Best"}},
    }
    passage = {"type": "object", "title": "P", "properties": {"text": {"type": "string"}}}
    assert inline_refs(nested) == {
        "type": "object",
        "properties": {
            "results": {"type": "array", "items": {"type": "object", "properties": {
                "passages": {"type": "array", "items": passage}}}},
            "best": {**passage, "title": "Best"},  # keywords beside a $ref win
        },
    }
    recursive = {"$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
                 "type": "object", "properties": {"root": {"$ref": "#/$defs/Node"}}}
    assert inline_refs(recursive) is recursive
    dangling = {"$defs": {"A": {"type": "string"}}, "type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}}
    assert inline_refs(dangling) is dangling


async def test_search_returns_whole_passages_links_and_compact_text(client: Client, corpus_query: CorpusQuery) -> None:
    result = await client.call_tool("search_articles", {"query": "Alibaba Joint Venture", "limit": 5})
    found = SearchResults.model_validate(ok(result))
    assert found.total >= 1 and 1 <= len(found.results) <= 5
    for hit in found.results:
        assert hit.passages
        for p in hit.passages:
            assert p.passage_id.startswith(hit.article_id + "#")
            assert p.text == corpus_query.passages[p.passage_id].text  # whole passage, verbatim
    links = [b for b in result.content if isinstance(b, ResourceLink)]
    assert [link.uri for link in links] == [f"newscorpus://articles/{h.article_id}" for h in found.results]
    assert all(link.mime_type == "text/markdown" for link in links)

    rendered = text_of(result)
    assert not rendered.lstrip().startswith("{")  # a rendering, not a JSON dump
    first = found.results[0]
    assert first.article_id in rendered
    assert f"[{first.passages[0].passage_id}] «{first.passages[0].text}»" in rendered
    assert "next_cursor" in rendered
    assert any("250 Millionen Yuan" in p.text for h in found.results for p in h.passages)


@pytest.mark.parametrize(
    "query", ['"Joint Venture" AND Alibaba', "text:Yuan OR Kernkraft", 'Alibaba "Joint Venture', "Alibaba AND (OR"]
)
async def test_search_syntax_and_malformed_syntax_find_the_joint_venture(client: Client, query: str) -> None:
    found = SearchResults.model_validate(ok(await client.call_tool("search_articles", {"query": query})))
    assert any("250 Millionen Yuan" in p.text for h in found.results for p in h.passages), query


async def test_search_cursor_pages_without_overlap(client: Client) -> None:
    args: dict[str, Any] = {"query": "KI Rechenzentren Milliarden", "limit": 2}
    seen: list[str] = []
    total = None
    for _ in range(100):
        page = SearchResults.model_validate(ok(await client.call_tool("search_articles", args)))
        total = page.total if total is None else total
        assert page.total == total
        seen += [h.article_id for h in page.results]
        if page.next_cursor is None:
            break
        assert f'next_cursor: "{page.next_cursor}"' in text_of(await client.call_tool("search_articles", args))
        args = {**args, "cursor": page.next_cursor}
    assert total is not None and total >= 3
    assert len(seen) == len(set(seen)) == total


async def test_search_filters(client: Client, corpus_query: CorpusQuery) -> None:
    stats = corpus_query.stats()
    publisher = stats.publishers[0].publisher
    by_publisher = SearchResults.model_validate(
        ok(await client.call_tool("search_articles", {"query": "KI", "publisher": publisher, "limit": 50}))
    )
    assert by_publisher.results and all(h.publisher == publisher for h in by_publisher.results)

    day = stats.date_to
    dated = SearchResults.model_validate(
        ok(await client.call_tool("search_articles", {"query": "KI", "date_from": day, "date_to": day}))
    )
    assert all(h.published == day for h in dated.results)

    with_entity = SearchResults.model_validate(
        ok(await client.call_tool("search_articles", {"query": "Kapital", "entity": "Alibaba"}))
    )
    assert with_entity.results
    for hit in with_entity.results:
        detail = ArticleDetail.model_validate(ok(await client.call_tool("get_article", {"article_id": hit.article_id})))
        assert any(e.name == "Alibaba" for e in detail.entities)


async def test_alibaba_joint_venture_amount_is_cited_verbatim(client: Client) -> None:
    deal = await alibaba_jv(client)
    assert deal.type == "joint_venture"
    assert any("Alibaba" in p.name for p in deal.parties)
    capital = [a for a in deal.amounts if a.role == "registered_capital" and a.currency == "CNY"]
    assert len(capital) == 1
    amount = capital[0]
    assert (amount.value, amount.qualifier, amount.text) == (250_000_000, "exact", "250 Millionen Yuan")
    assert amount.passage_id

    article_id = amount.passage_id.split("#")[0]
    n = passage_number(amount.passage_id)
    article = ArticleDetail.model_validate(
        ok(await client.call_tool("get_article", {"article_id": article_id, "passages": [n]}))
    )
    assert [p.passage_id for p in article.passages] == [amount.passage_id]
    assert "250 Millionen Yuan" in article.passages[0].text
    assert amount.text in article.passages[0].text
    assert any(d.deal_id == deal.deal_id for d in article.deals)

    by_id = DealDetail.model_validate(ok(await client.call_tool("get_deal", {"deal_id": deal.deal_id})))
    assert by_id.model_dump(exclude={"alternatives"}) == deal.model_dump(exclude={"alternatives"})
    rendered = text_of(await client.call_tool("get_deal", {"deal_id": deal.deal_id}))
    assert "250000000 CNY" in rendered and f"[{amount.passage_id}]" in rendered

    listed = DealList.model_validate(ok(await client.call_tool("list_deals", {"party": "Alibaba"})))
    summary = next(d for d in listed.deals if d.deal_id == deal.deal_id)
    assert any(a.value == 250_000_000 and a.currency == "CNY" for a in summary.amounts)
    assert article_id in summary.article_ids


async def test_list_deals_filters_and_pages(client: Client) -> None:
    everything = DealList.model_validate(ok(await client.call_tool("list_deals", {"limit": 100})))
    assert everything.total == len(everything.deals) >= 1
    joint = DealList.model_validate(ok(await client.call_tool("list_deals", {"type": "joint_venture"})))
    assert joint.deals and all(d.type == "joint_venture" for d in joint.deals)

    seen: list[str] = []
    args: dict[str, Any] = {"limit": 1}
    while True:
        page = DealList.model_validate(ok(await client.call_tool("list_deals", args)))
        seen += [d.deal_id for d in page.deals]
        if page.next_cursor is None:
            break
        args = {"limit": 1, "cursor": page.next_cursor}
    assert len(seen) == len(set(seen)) == everything.total


async def test_get_article_whole_and_selected(client: Client, corpus_query: CorpusQuery) -> None:
    deal = await alibaba_jv(client)
    article_id = deal.evidence[0].article_id
    whole = ArticleDetail.model_validate(ok(await client.call_tool("get_article", {"article_id": article_id})))
    body = [p for p in whole.passages if p.kind == "body"]
    assert whole.passage_count == len(body) >= 2
    assert [passage_number(p.passage_id) for p in body] == list(range(1, len(body) + 1))
    assert whole.language == "de" and whole.published.startswith("2026-01")
    some = ArticleDetail.model_validate(
        ok(await client.call_tool("get_article", {"article_id": article_id, "passages": [2, 1]}))
    )
    assert [p.passage_id for p in some.passages] == [f"{article_id}#p2", f"{article_id}#p1"]
    rendered = text_of(await client.call_tool("get_article", {"article_id": article_id, "passages": [1]}))
    assert f"[{article_id}#p1] «{body[0].text}»" in rendered


async def test_entities_list_detail_and_paging(client: Client) -> None:
    found = EntityList.model_validate(ok(await client.call_tool("list_entities", {"query": "Alibaba"})))
    alibaba = found.entities[0]
    assert alibaba.name == "Alibaba" and alibaba.type == "organization" and alibaba.mention_count >= 1

    detail = EntityDetail.model_validate(ok(await client.call_tool("get_entity", {"entity": alibaba.entity_id})))
    assert detail.entity_id == alibaba.entity_id and detail.mentions
    for m in detail.mentions:
        article = ArticleDetail.model_validate(
            ok(
                await client.call_tool(
                    "get_article", {"article_id": m.article_id, "passages": [passage_number(m.passage_id)]}
                )
            )
        )
        assert m.text in article.passages[0].text
    deal = await alibaba_jv(client)
    assert deal.deal_id in {d.deal_id for d in detail.deals}
    by_name = EntityDetail.model_validate(ok(await client.call_tool("get_entity", {"entity": "alibaba"})))
    assert by_name.entity_id == alibaba.entity_id

    orgs = EntityList.model_validate(ok(await client.call_tool("list_entities", {"type": "organization"})))
    assert orgs.entities and all(e.type == "organization" for e in orgs.entities)

    in_article = EntityList.model_validate(
        ok(await client.call_tool("list_entities", {"article_id": deal.evidence[0].article_id, "limit": 200}))
    )
    assert alibaba.entity_id in {e.entity_id for e in in_article.entities}

    everything = EntityList.model_validate(ok(await client.call_tool("list_entities", {"limit": 200})))
    seen: list[str] = []
    args: dict[str, Any] = {"limit": 3}
    while True:
        page = EntityList.model_validate(ok(await client.call_tool("list_entities", args)))
        seen += [e.entity_id for e in page.entities]
        if page.next_cursor is None:
            break
        args = {"limit": 3, "cursor": page.next_cursor}
    assert len(seen) == len(set(seen)) == everything.total


@pytest.mark.parametrize(
    ("tool", "args", "must_say"),
    [
        (
            "get_article",
            {"article_id": "2026-01-21-wallstreetonline"},
            ["article_id", "Closest valid ids", "2026-01-21"],
        ),
        ("get_entity", {"entity": "Alibabba Group"}, ["entity", "Closest valid ids"]),
        ("get_deal", {"deal_id": "alibaba-joint-venture-xyz"}, ["deal_id", "Closest valid ids"]),
        ("search_articles", {"query": "KI", "limit": 0}, ["limit", "1"]),
        ("search_articles", {"query": "KI", "limit": 51}, ["limit", "50"]),
        ("list_entities", {"limit": 201}, ["limit", "200"]),
        ("list_deals", {"limit": 101}, ["limit", "100"]),
        ("list_entities", {"type": "company"}, ["type", "organization", "person", "location", "product"]),
        ("list_deals", {"type": "merger"}, ["type", "joint_venture", "acquisition", "funding_round"]),
        ("search_articles", {"query": "KI", "date_from": "16.01.2026"}, ["date_from", "YYYY-MM-DD"]),
        ("list_deals", {"date_to": "January 2026"}, ["date_to", "YYYY-MM-DD"]),
        ("search_articles", {"query": "KI", "cursor": "not-a-cursor"}, ["cursor"]),
        ("list_deals", {"cursor": "not-a-cursor"}, ["cursor"]),
        ("get_deal", {}, ["exactly one", "deal_id", "query"]),
        ("get_deal", {"deal_id": "x", "query": "Alibaba"}, ["exactly one"]),
        ("search_articles", {"query": "   "}, ["query"]),
        ("search_articles", {}, ["query", "required"]),
        ("search_articles", {"query": "KI", "publisher": "Nonexistent Gazette"}, ["publisher", "Known publishers"]),
        ("list_deals", {"party": "Nonexistent Holdings"}, ["party"]),
    ],
)
async def test_bad_input_is_a_clean_error_result(
    client: Client, tool: str, args: dict[str, Any], must_say: list[str]
) -> None:
    message = failed(await client.call_tool(tool, args))
    for phrase in must_say:
        assert phrase in message, message


async def test_passage_out_of_range_names_the_valid_range(client: Client) -> None:
    deal = await alibaba_jv(client)
    article_id = deal.evidence[0].article_id
    count = ArticleDetail.model_validate(ok(await client.call_tool("get_article", {"article_id": article_id})))
    message = failed(
        await client.call_tool("get_article", {"article_id": article_id, "passages": [count.passage_count + 1]})
    )
    assert "passages" in message and f"1 to {count.passage_count}" in message


async def test_cursor_of_another_query_is_refused(client: Client) -> None:
    first = SearchResults.model_validate(ok(await client.call_tool("search_articles", {"query": "KI", "limit": 1})))
    assert first.next_cursor
    message = failed(
        await client.call_tool("search_articles", {"query": "Alibaba", "limit": 1, "cursor": first.next_cursor})
    )
    assert "cursor" in message.lower()


class _FailingQuery:
    """The real query API, except that `get_entity` crashes like an unforeseen bug would."""

    def __init__(self, real: CorpusQuery) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def get_entity(self, entity: str) -> Any:
        raise RuntimeError("simulated bug with /secret/path in its message")


async def test_unexpected_exception_is_logged_and_server_keeps_serving(
    corpus_query: CorpusQuery, caplog: pytest.LogCaptureFixture
) -> None:
    server = create_server(_FailingQuery(corpus_query))  # type: ignore[arg-type]
    async with Client(server) as session:
        with caplog.at_level(logging.ERROR):
            message = failed(await session.call_tool("get_entity", {"entity": "Alibaba"}))
        assert "get_entity" in message and "/secret/path" not in message
        assert any(r.exc_info and "simulated bug" in str(r.exc_info[1]) for r in caplog.records)
        ok(await session.call_tool("list_entities", {"query": "Alibaba"}))
