"""The agent's side of the wire: a recording tool session over a real MCP transport, and the transports.

`serve_client` starts `newscorpus serve` as a subprocess and connects over stdio or Streamable HTTP (or
connects to a URL someone else serves), always with an explicit `--index` so a run never depends on the
user's cache. The server's log goes to a file, not into the evaluation's output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, ConfigDict

from newscorpus.config import Settings
from newscorpus.evaluation.matching import passage_ids_in
from newscorpus.evaluation.records import ToolCall
from newscorpus.http_process import ServerStartError, http_server

Transport = Literal["stdio", "http"]
STARTUP_SECONDS = 120
ERROR_CHARS = 300


class ServerError(RuntimeError):
    """The server could not be started or reached; the message says why and where its log is."""


class ToolOutcome(BaseModel):
    """One tool result as the agent sees it."""

    model_config = ConfigDict(frozen=True)

    text: str
    data: dict[str, Any] | None
    is_error: bool


def _text(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


class ToolSession:
    """Calls tools for an agent and records each call (arguments, error, wall time, passage ids seen)."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self.calls: list[ToolCall] = []

    async def call(self, tool: str, arguments: dict[str, Any] | None = None) -> ToolOutcome:
        arguments = dict(arguments or {})
        started = time.perf_counter()
        try:
            result = await self._client.call_tool(tool, arguments)
        except Exception as exc:  # a protocol error is still one failed call the agent has to cope with
            outcome = ToolOutcome(text=f"{type(exc).__name__}: {exc}", data=None, is_error=True)
        else:
            outcome = ToolOutcome(text=_text(result), data=result.structured_content, is_error=bool(result.is_error))
        seconds = time.perf_counter() - started
        seen = passage_ids_in(outcome.text) | passage_ids_in(json.dumps(outcome.data or {}, ensure_ascii=False))
        self.calls.append(
            ToolCall(
                tool=tool,
                arguments=arguments,
                is_error=outcome.is_error,
                error=outcome.text[:ERROR_CHARS] if outcome.is_error else None,
                seconds=round(seconds, 4),
                passage_ids=sorted(seen),
            )
        )
        return outcome

    def take_calls(self) -> list[ToolCall]:
        """The calls recorded since the last take (one question's worth)."""
        calls, self.calls = self.calls, []
        return calls


class PassageLookup:
    """Passage texts for the scorer, fetched with `get_article` over the same session but never recorded
    as agent calls. An id whose article or passage does not exist is simply absent."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._articles: dict[str, dict[str, str]] = {}

    async def _article(self, article_id: str) -> dict[str, str]:
        if article_id not in self._articles:
            result = await self._client.call_tool("get_article", {"article_id": article_id})
            data = result.structured_content if not result.is_error else None
            passages = (data or {}).get("passages", [])
            self._articles[article_id] = {p["passage_id"]: p["text"] for p in passages}
        return self._articles[article_id]

    async def texts(self, passage_ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for pid in passage_ids:
            article = await self._article(pid.partition("#")[0])
            if pid in article:
                found[pid] = article[pid]
        return found


async def corpus_fingerprint(client: Client) -> str:
    resource = await client.read_resource("newscorpus://stats")
    text = getattr(resource.contents[0], "text", "{}")
    return str(json.loads(text).get("fingerprint", ""))


def newscorpus_command() -> list[str]:
    """The `newscorpus` console script of this Python environment (or `python -m newscorpus.cli`)."""
    script = Path(sys.executable).parent / ("newscorpus.exe" if os.name == "nt" else "newscorpus")
    if script.exists():
        return [str(script)]
    found = shutil.which("newscorpus")
    return [found] if found else [sys.executable, "-m", "newscorpus.cli"]


def serve_args(settings: Settings, *extra: str) -> list[str]:
    return ["serve", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), *extra]


@asynccontextmanager
async def serve_client(
    transport: Transport, settings: Settings, log: Path, url: str | None = None
) -> AsyncIterator[tuple[Client, str]]:
    """A connected client and a description of the server: `newscorpus serve` over stdio or HTTP, or `url`."""
    if url:
        async with Client(url, cache=None) as client:
            yield client, url
        return
    command = newscorpus_command()
    log.parent.mkdir(parents=True, exist_ok=True)
    if transport == "stdio":
        params = StdioServerParameters(command=command[0], args=[*command[1:], *serve_args(settings)])
        with log.open("w", encoding="utf-8") as errlog:
            async with Client(stdio_client(params, errlog=errlog), cache=None) as client:
                yield client, " ".join([*command, *serve_args(settings)])
        return
    if transport != "http":
        raise ServerError(f"transport must be 'stdio' or 'http', not {transport!r}")
    argv = [*command, *serve_args(settings, "--transport", "http")]
    with ExitStack() as stack:
        out = stack.enter_context(log.open("wb"))
        try:
            base = stack.enter_context(
                http_server(argv, stdout=out, stderr=subprocess.STDOUT, startup_seconds=STARTUP_SECONDS)
            )
        except ServerStartError as exc:
            raise ServerError(f"{exc}; its log: {log}") from exc
        async with Client(f"{base}/mcp", cache=None) as client:
            yield client, " ".join(argv)
