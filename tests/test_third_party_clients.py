"""Our server against clients other people wrote: the official MCP Inspector CLI and a script on the
official TypeScript SDK (clients/ts_client.mjs), over stdio and Streamable HTTP.

Both run from `clients/node_modules` (pinned by clients/package-lock.json, installed by the `node_clients`
fixture). The stdio server is the README's Claude Desktop command; the HTTP server is `newscorpus serve
--transport http` on a free loopback port. What the clients print is compared with the query API's own
answers, so a client that silently mangled results would fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from newscorpus.config import Settings
from newscorpus.http_process import http_server
from newscorpus.query.api import CorpusQuery

NEWSCORPUS = Path(sys.executable).parent / "newscorpus"
TOOLS = {"search_articles", "get_article", "list_entities", "get_entity", "list_deals", "get_deal"}
TEMPLATES = ["newscorpus://articles/{article_id}", "newscorpus://deals/{deal_id}", "newscorpus://entities/{entity_id}"]
TIMEOUT = 180


def server_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCORPUS_")}
    env["NEWSCORPUS_INDEX"] = str(settings.index_dir)
    return env


def stdio_command(settings: Settings) -> list[str]:
    return [str(NEWSCORPUS), "serve", "--corpus", str(settings.corpus_dir)]


@pytest.fixture(scope="module")
def http_url(
    corpus_query: CorpusQuery, corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log = tmp_path_factory.mktemp("clients-http") / "stderr.log"
    command = [*stdio_command(corpus_settings), "--transport", "http"]
    with log.open("wb") as err, http_server(command, env=server_env(corpus_settings), stderr=err, log=log) as base:
        yield f"{base}/mcp"


def target(transport: str, settings: Settings, url: str | None) -> list[str]:
    return stdio_command(settings) if transport == "stdio" else [url or ""]


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server_target(
    transport: str, corpus_query: CorpusQuery, corpus_settings: Settings, request: pytest.FixtureRequest
) -> list[str]:
    url = request.getfixturevalue("http_url") if transport == "http" else None
    return target(transport, corpus_settings, url)


# --- the TypeScript SDK -------------------------------------------------------------------------


def test_typescript_sdk_client(
    node_clients: Path, transport: str, server_target: list[str], corpus_query: CorpusQuery, corpus_settings: Settings
) -> None:
    done = subprocess.run(
        ["node", str(node_clients / "ts_client.mjs"), transport, *server_target],
        cwd=node_clients, env=server_env(corpus_settings), capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    out = json.loads(done.stdout)
    assert done.returncode == 0 and out["ok"], out.get("error") or done.stderr[-3000:]

    assert out["server"]["name"] == "newscorpus" and "search_articles" in out["server"]["instructions"]
    assert {t["name"] for t in out["tools"]} == TOOLS
    assert all(t["readOnly"] is True and t["hasOutputSchema"] for t in out["tools"])
    assert sorted(out["templates"]) == TEMPLATES and "newscorpus://stats" in out["resources"]
    assert out["prompts"] == [{"name": "answer_with_citations", "arguments": ["question"]}]

    calls = out["calls"]
    assert {c["tool"] for c in calls.values()} == TOOLS
    for key in TOOLS:
        assert calls[key]["isError"] is False, calls[key]["text"]
    # what the TypeScript client received is exactly what the query API answers
    search = calls["search_articles"]
    expected = corpus_query.search_articles("Alibaba Joint Venture", limit=3).model_dump(mode="json")
    assert search["structuredContent"] == expected
    hit = expected["results"][0]
    assert search["resourceLinks"] == [f"newscorpus://articles/{r['article_id']}" for r in expected["results"]]
    passage_id = hit["passages"][0]["passage_id"]
    assert f"[{passage_id}]" in search["text"]
    article = calls["get_article"]["structuredContent"]
    assert [p["passage_id"] for p in article["passages"]] == [passage_id]
    deal_id = calls["get_deal"]["arguments"]["deal_id"]
    assert calls["get_deal"]["structuredContent"] == corpus_query.get_deal(deal_id=deal_id).model_dump(mode="json")
    entity_id = calls["get_entity"]["arguments"]["entity"]
    assert calls["get_entity"]["structuredContent"]["entity_id"] == entity_id

    unknown = calls["get_article_unknown_id"]
    assert unknown["isError"] and "Closest valid ids" in unknown["text"] and hit["article_id"] in unknown["text"]
    assert calls["list_deals_bad_limit"]["isError"] and "limit" in calls["list_deals_bad_limit"]["text"]

    assert out["article_resource"]["mimeType"] == "text/markdown"
    assert f"[{passage_id}]" in out["article_resource"]["text"]
    assert out["stats_resource"]["articles"] == corpus_query.stats().articles
    assert "Closest valid ids" in out["missing_resource_error"]
    assert deal_id in out["completion"]["values"]
    assert "Wer gründete was?" in out["prompt"][0]["text"]


# --- the MCP Inspector CLI ----------------------------------------------------------------------


def inspector(node_clients: Path, server: list[str], settings: Settings, *args: str) -> dict[str, Any]:
    cli = node_clients / "node_modules" / ".bin" / "mcp-inspector"
    transport = ["--transport", "http"] if server[0].startswith("http") else []
    done = subprocess.run(
        [str(cli), "--cli", *server, *transport, *args],
        cwd=node_clients, env=server_env(settings), capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 0, f"inspector {' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-3000:]}"
    return json.loads(done.stdout)


def text_of(result: dict[str, Any]) -> str:
    return "\n".join(b["text"] for b in result["content"] if b["type"] == "text")


def test_mcp_inspector_cli(
    node_clients: Path, server_target: list[str], corpus_query: CorpusQuery, corpus_settings: Settings
) -> None:
    """Each Inspector CLI call is its own client process (and, over stdio, its own server): independent
    calls run concurrently, in two rounds because the second needs ids from the first."""

    def run(*args: str) -> dict[str, Any]:
        return inspector(node_clients, server_target, corpus_settings, *args)

    def call(tool: str, **arguments: str) -> list[str]:
        pairs = [f"{k}={v}" for k, v in arguments.items()]
        return ["--method", "tools/call", "--tool-name", tool, *(["--tool-arg", *pairs] if pairs else [])]

    def together(**calls: list[str]) -> dict[str, dict[str, Any]]:
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            futures = {key: pool.submit(run, *args) for key, args in calls.items()}
            return {key: f.result() for key, f in futures.items()}

    expected = corpus_query.search_articles("Alibaba Joint Venture", limit=2)
    article_id = expected.results[0].article_id
    passage_id = expected.results[0].passages[0].passage_id
    first = together(
        tools=["--method", "tools/list"],
        search=call("search_articles", query="Alibaba Joint Venture", limit="2"),
        entities=call("list_entities", query="Alibaba"),
        deals=call("list_deals", party="Alibaba"),
        templates=["--method", "resources/templates/list"],
    )
    tools = first["tools"]["tools"]
    assert {t["name"] for t in tools} == TOOLS
    assert all(t["annotations"]["readOnlyHint"] for t in tools)
    assert not first["search"].get("isError")
    assert first["search"]["structuredContent"] == expected.model_dump(mode="json")
    assert f"[{passage_id}]" in text_of(first["search"])
    assert sorted(t["uriTemplate"] for t in first["templates"]["resourceTemplates"]) == TEMPLATES
    entity_id = first["entities"]["structuredContent"]["entities"][0]["entity_id"]
    deal_id = first["deals"]["structuredContent"]["deals"][0]["deal_id"]

    second = together(
        article=call("get_article", article_id=article_id),
        entity=call("get_entity", entity=entity_id),
        deal=call("get_deal", deal_id=deal_id),
        wrong=call("get_deal", deal_id=deal_id + "-nope"),
        markdown=["--method", "resources/read", "--uri", f"newscorpus://articles/{article_id}"],
        stats=["--method", "resources/read", "--uri", "newscorpus://stats"],
        prompt=["--method", "prompts/get", "--prompt-name", "answer_with_citations",
                "--prompt-args", "question=Wer gründete was?"],
    )  # fmt: skip
    assert not second["article"].get("isError")
    assert passage_id in [p["passage_id"] for p in second["article"]["structuredContent"]["passages"]]
    assert second["entity"]["structuredContent"]["entity_id"] == entity_id
    assert second["deal"]["structuredContent"] == corpus_query.get_deal(deal_id=deal_id).model_dump(mode="json")
    wrong = second["wrong"]
    assert wrong["isError"] and "Closest valid ids" in text_of(wrong) and deal_id in text_of(wrong)
    assert f"[{passage_id}]" in second["markdown"]["contents"][0]["text"]
    assert json.loads(second["stats"]["contents"][0]["text"])["articles"] == corpus_query.stats().articles
    assert "Wer gründete was?" in second["prompt"]["messages"][0]["content"]["text"]
