"""Concurrency correctness (no timing asserted): the load script at a small count over Streamable HTTP, and
many pipelined calls over one stdio session, each answer equal to the answer of a lone client."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from newscorpus.bench.load import run_load, workload
from newscorpus.config import Settings
from newscorpus.mcp_server import create_server
from serving import NEWSCORPUS, http_server, location

if TYPE_CHECKING:
    from newscorpus.query.api import CorpusQuery

pytestmark = pytest.mark.anyio


async def test_concurrent_http_clients_get_the_single_client_answers(
    corpus_query: CorpusQuery, corpus_settings: Settings, tmp_path: Path
) -> None:
    with http_server(corpus_settings, tmp_path / "server") as base:
        report = await run_load(f"{base}/mcp", clients=25, requests=75)
    assert report.errors == 0 and report.wrong == 0, report.render()
    assert report.requests == 75 and report.distinct_calls > 20


async def test_pipelined_stdio_calls_are_answered_correctly(
    corpus_query: CorpusQuery, corpus_settings: Settings, tmp_path: Path
) -> None:
    async with Client(create_server(corpus_query)) as alone:
        calls = await workload(alone)
        expected = [(await alone.call_tool(*call)).structured_content for call in calls]

    got: dict[int, object] = {}
    params = StdioServerParameters(command=str(NEWSCORPUS), args=["serve", *location(corpus_settings)])
    with (tmp_path / "stderr.log").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as session:  # type: ignore[arg-type]

            async def one(i: int) -> None:
                got[i] = (await session.call_tool(*calls[i % len(calls)])).structured_content

            async with anyio.create_task_group() as group:  # all in flight at once on one stdin/stdout pair
                for i in range(3 * len(calls)):
                    group.start_soon(one, i)
    assert all(got[i] == expected[i % len(calls)] for i in range(3 * len(calls)))
