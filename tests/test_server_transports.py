"""The same agent session over every transport: in-process, stdio subprocess, Streamable HTTP subprocess.

The subprocesses run exactly what users run: `<venv>/bin/newscorpus serve --corpus <abs path>` (the
README's Claude Desktop entry, its arguments unchanged; the session's temporary index comes through the
NEWSCORPUS_INDEX environment variable) over stdio, and `newscorpus serve --transport http` on a free
loopback port with `--index` pointing at the session's temporary index.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, ResourceLink, ResourceTemplateReference, TextContent

from newscorpus.config import Settings
from newscorpus.http_process import http_server as started
from newscorpus.mcp_server import create_server
from newscorpus.query.results import ArticleDetail, DealDetail, SearchResults
from serving import http_request

if TYPE_CHECKING:
    from newscorpus.query.api import CorpusQuery

pytestmark = pytest.mark.anyio

NEWSCORPUS = Path(sys.executable).parent / "newscorpus"
TOOLS = {"search_articles", "get_article", "list_entities", "get_entity", "list_deals", "get_deal"}

Connect = Callable[[], Any]


def serve_args(settings: Settings, *extra: str) -> list[str]:
    return ["serve", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), *extra]


def text_of(result: CallToolResult) -> str:
    return "\n".join(b.text for b in result.content if isinstance(b, TextContent))


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def exercise(client: Client) -> None:
    """One agent's session: discover, search, follow a deal to its cited passage, hit errors, read resources."""
    assert client.server_info is not None and client.server_info.name == "newscorpus"
    assert "search_articles" in (client.instructions or "")
    assert {t.name for t in (await client.list_tools()).tools} == TOOLS

    result = await client.call_tool("search_articles", {"query": "Alibaba Joint Venture", "limit": 3})
    found = SearchResults.model_validate(ok(result))
    assert found.results and found.results[0].passages
    assert any(isinstance(b, ResourceLink) and b.uri.startswith("newscorpus://articles/") for b in result.content)
    assert "«" in text_of(result)

    deal = DealDetail.model_validate(ok(await client.call_tool("get_deal", {"query": "Alibaba nuclear joint venture"})))
    amount = next(a for a in deal.amounts if a.role == "registered_capital" and a.currency == "CNY")
    assert amount.value == 250_000_000
    article_id, _, local = amount.passage_id.partition("#")
    article = ArticleDetail.model_validate(
        ok(await client.call_tool("get_article", {"article_id": article_id, "passages": [int(local[1:])]}))
    )
    assert "250 Millionen Yuan" in article.passages[0].text

    missing = await client.call_tool("get_article", {"article_id": article_id[:-3]})
    assert missing.is_error and "Closest valid ids" in text_of(missing) and article_id in text_of(missing)
    too_many = await client.call_tool("list_deals", {"limit": 1000})
    assert too_many.is_error and "limit" in text_of(too_many)

    markdown = (await client.read_resource(f"newscorpus://articles/{article_id}")).contents[0]
    assert f"[{amount.passage_id}]" in getattr(markdown, "text", "")
    with pytest.raises(MCPError, match="Closest valid ids"):
        await client.read_resource(f"newscorpus://deals/{deal.deal_id}-nope")
    completion = await client.complete(
        ResourceTemplateReference(uri="newscorpus://deals/{deal_id}"), {"name": "deal_id", "value": deal.deal_id[:5]}
    )
    assert deal.deal_id in completion.completion.values
    prompt = await client.get_prompt("answer_with_citations", {"question": "Wer gründete was?"})
    assert "Wer gründete was?" in getattr(prompt.messages[0].content, "text", "")


@pytest.fixture(scope="session")
def http_server(
    corpus_query: CorpusQuery, corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`newscorpus serve --transport http` on a free loopback port; yields its base URL."""
    logs = tmp_path_factory.mktemp("http-server")
    stdout_log, stderr_log = logs / "stdout.log", logs / "stderr.log"
    command = [str(NEWSCORPUS), *serve_args(corpus_settings, "--transport", "http")]
    with (
        stdout_log.open("wb") as out,
        stderr_log.open("wb") as err,
        started(command, stdout=out, stderr=err, log=stderr_log) as base,
    ):
        yield base
    assert stdout_log.read_text() == "", "the HTTP server must log to stderr only"


@asynccontextmanager
async def stdio_session(settings: Settings, errlog: IO[str], mode: str) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=str(NEWSCORPUS),
        args=["serve", "--corpus", str(settings.corpus_dir)],
        env={**os.environ, "NEWSCORPUS_INDEX": str(settings.index_dir)},
    )
    async with Client(stdio_client(params, errlog=errlog), mode=mode) as session:  # type: ignore[arg-type]
        yield session


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_session_in_process(corpus_query: CorpusQuery, mode: str) -> None:
    async with Client(create_server(corpus_query), mode=mode) as session:  # type: ignore[arg-type]
        await exercise(session)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_session_over_stdio(
    corpus_query: CorpusQuery, corpus_settings: Settings, tmp_path: Path, mode: str
) -> None:
    with (tmp_path / "stderr.log").open("w+") as errlog:
        async with stdio_session(corpus_settings, errlog, mode) as session:
            await exercise(session)


async def test_stdio_first_start_builds_index_with_progress_on_stderr(
    corpus_settings: Settings, tmp_path: Path
) -> None:
    """A first start (empty index folder) builds the index before serving; stdout stays pure protocol."""
    fresh = Settings.resolve(corpus=corpus_settings.corpus_dir, index=tmp_path / "fresh-index")
    with (tmp_path / "stderr.log").open("w+") as errlog:
        async with stdio_session(fresh, errlog, "legacy") as session:
            await exercise(session)
        errlog.seek(0)
        progress = errlog.read()
    assert "newscorpus:" in progress, progress
    assert (tmp_path / "fresh-index").is_dir()


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_session_over_streamable_http(http_server: str, mode: str) -> None:
    async with Client(f"{http_server}/mcp", mode=mode) as session:  # type: ignore[arg-type]
        await exercise(session)


def test_health_endpoint_says_ok_only(http_server: str) -> None:
    status, body = http_request(f"{http_server}/health")
    assert status == 200 and json.loads(body) == {"status": "ok"}


@pytest.mark.parametrize(
    ("headers", "status"),
    [({"Host": "evil.example"}, 421), ({"Origin": "http://evil.example"}, 403)],
)
def test_dns_rebinding_protection_on_loopback(http_server: str, headers: dict[str, str], status: int) -> None:
    initialize = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "rebinding-test", "version": "0"},
            },
        }
    ).encode()
    base_headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    assert http_request(f"{http_server}/mcp", {**base_headers, **headers}, initialize)[0] == status
    assert http_request(f"{http_server}/mcp", base_headers, initialize)[0] == 200
