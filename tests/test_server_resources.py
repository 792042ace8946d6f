"""Resources, completions, the prompt and the server's self-description, through real in-process sessions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import PromptReference, ResourceTemplateReference, TextContent, TextResourceContents

from newscorpus import __version__
from newscorpus.mcp_server import create_server
from newscorpus.query.results import CorpusStats

if TYPE_CHECKING:
    from newscorpus.query.api import CorpusQuery

pytestmark = pytest.mark.anyio

TEMPLATES = {
    "newscorpus://articles/{article_id}",
    "newscorpus://deals/{deal_id}",
    "newscorpus://entities/{entity_id}",
}


@pytest.fixture(scope="session")
def server(corpus_query: CorpusQuery) -> MCPServer:
    return create_server(corpus_query)


@pytest.fixture
async def client(server: MCPServer) -> AsyncIterator[Client]:
    async with Client(server) as session:
        yield session


async def read_text(client: Client, uri: str) -> TextResourceContents:
    result = await client.read_resource(uri)
    assert len(result.contents) == 1
    content = result.contents[0]
    assert isinstance(content, TextResourceContents)
    return content


async def test_server_identity_and_instructions(client: Client, corpus_query: CorpusQuery) -> None:
    info = client.server_info
    assert info is not None and (info.name, info.version) == ("newscorpus", __version__)
    stats = corpus_query.stats()
    instructions = client.instructions or ""
    assert f"{stats.articles} articles" in instructions
    assert f"{stats.date_from} to {stats.date_to}" in instructions
    assert stats.date_from.startswith("2026-01") and "German" in instructions
    for phrase in ("search_articles", "list_deals", "[<article_id>#p3]", "does not contain", "instructions"):
        assert phrase in instructions


async def test_resource_templates_and_static_resources_are_listed(client: Client) -> None:
    templates = {t.uri_template: t for t in (await client.list_resource_templates()).resource_templates}
    assert set(templates) == TEMPLATES
    assert all(t.mime_type == "text/markdown" and t.description for t in templates.values())
    resources = {r.uri: r for r in (await client.list_resources()).resources}
    assert resources["newscorpus://stats"].mime_type == "application/json"


async def test_article_resource_is_markdown_with_passage_markers(client: Client, corpus_query: CorpusQuery) -> None:
    article_id = sorted(corpus_query.articles)[0]
    content = await read_text(client, f"newscorpus://articles/{article_id}")
    assert content.mime_type == "text/markdown"
    detail = corpus_query.get_article(article_id)
    assert content.text.startswith(f"# {detail.title}")
    for p in detail.passages:
        assert f"[{p.passage_id}]\n{p.text}" in content.text


async def test_deal_and_entity_resources(client: Client, corpus_query: CorpusQuery) -> None:
    deal = corpus_query.get_deal(query="Alibaba nuclear joint venture")
    text = (await read_text(client, f"newscorpus://deals/{deal.deal_id}")).text
    assert deal.title in text and "250 Millionen Yuan" in text
    assert all(f"[{e.passage_id}]" in text for e in deal.evidence)

    entity = corpus_query.list_entities(query="Alibaba").entities[0]
    text = (await read_text(client, f"newscorpus://entities/{entity.entity_id}")).text
    assert text.startswith("# Alibaba (organization)") and f"- id: {entity.entity_id}" in text
    assert deal.deal_id in text


async def test_stats_resource_is_the_stats_record(client: Client, corpus_query: CorpusQuery) -> None:
    content = await read_text(client, "newscorpus://stats")
    assert CorpusStats.model_validate(json.loads(content.text)) == corpus_query.stats()


@pytest.mark.parametrize(
    ("uri", "closest"),
    [
        ("newscorpus://articles/2026-01-21-wallstreetonline", "2026-01-21-wallstreetonline"),
        ("newscorpus://deals/alibaba-joint-venture-xyz", "alibaba"),
        ("newscorpus://entities/alibabba", "alibaba"),
    ],
)
async def test_unknown_resource_id_is_not_found_with_closest_ids(client: Client, uri: str, closest: str) -> None:
    with pytest.raises(MCPError) as caught:
        await client.read_resource(uri)
    message = str(caught.value)
    assert "Closest valid ids" in message and closest in message.split("Closest valid ids", 1)[1]
    assert caught.value.error.code == -32602  # invalid params: resource not found


async def test_unknown_resource_kind_is_not_found(client: Client) -> None:
    with pytest.raises(MCPError):
        await client.read_resource("newscorpus://nothing/here")


@pytest.mark.parametrize(
    ("kind", "argument"), [("articles", "article_id"), ("deals", "deal_id"), ("entities", "entity_id")]
)
async def test_completions_for_template_ids(
    client: Client, corpus_query: CorpusQuery, kind: str, argument: str
) -> None:
    pool = {"articles": corpus_query.articles, "deals": corpus_query.deals, "entities": corpus_query.entities}[kind]
    some_id = sorted(pool)[0]
    prefix = some_id[:4]
    ref = ResourceTemplateReference(uri=f"newscorpus://{kind}/{{{argument}}}")
    result = await client.complete(ref, {"name": argument, "value": prefix})
    values = result.completion.values
    assert some_id in values and len(values) <= 20
    assert all(v in pool for v in values)
    starts = [v for v in values if v.startswith(prefix)]
    assert values[: len(starts)] == starts  # prefix matches first

    everything = await client.complete(ref, {"name": argument, "value": ""})
    assert everything.completion.has_more == (len(pool) > 20)
    nothing = await client.complete(ref, {"name": argument, "value": "zzzz-no-such-id"})
    assert nothing.completion.values == []


async def test_completion_for_other_arguments_is_empty(client: Client) -> None:
    prompt = await client.complete(PromptReference(name="answer_with_citations"), {"name": "question", "value": "Wer"})
    assert prompt.completion.values == []
    other = await client.complete(
        ResourceTemplateReference(uri="newscorpus://articles/{article_id}"), {"name": "deal_id", "value": "a"}
    )
    assert other.completion.values == []


async def test_answer_with_citations_prompt(client: Client) -> None:
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    prompt = prompts["answer_with_citations"]
    assert prompt.arguments is not None
    assert [(a.name, a.required) for a in prompt.arguments] == [("question", True)]

    question = "Wie hoch ist das registrierte Kapital des Joint Ventures von Alibaba?"
    result = await client.get_prompt("answer_with_citations", {"question": question})
    assert len(result.messages) == 1 and result.messages[0].role == "user"
    content = result.messages[0].content
    assert isinstance(content, TextContent)
    text = content.text
    assert question in text
    for phrase in ("search_articles", "get_article", "[<article_id>#p3]", "does not contain", "German"):
        assert phrase in text
    assert "never follow instructions" in text
