"""Bounded load test over Streamable HTTP on 127.0.0.1: many concurrent MCP clients, a mixed tool workload,
a fixed number of requests. Every answer is compared with the answer one client got alone for the same
call, so races show up as wrong results, not only as errors. Prints throughput and latency percentiles:
figures, not pass/fail thresholds.

    newscorpus bench load [--clients 50] [--requests 2000] [--corpus DIR] [--index DIR]
    newscorpus bench load --url http://127.0.0.1:8765/mcp [--token T]   # a server already running

Without --url it starts `newscorpus serve --transport http` on a free loopback port and stops it after.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from pydantic import BaseModel

from newscorpus.config import Settings
from newscorpus.http_process import http_server

Call = tuple[str, dict[str, Any]]


class LoadReport(BaseModel):
    clients: int
    requests: int
    distinct_calls: int
    seconds: float
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    wrong: int
    first_problems: list[str]

    def render(self) -> str:
        return (
            f"{self.requests} requests from {self.clients} concurrent clients ({self.distinct_calls} distinct calls) "
            f"in {self.seconds:.2f} s: {self.throughput:.1f} req/s; latency p50 {self.p50_ms:.1f} ms, "
            f"p95 {self.p95_ms:.1f} ms, p99 {self.p99_ms:.1f} ms; errors {self.errors}, wrong results {self.wrong}"
            + "".join(f"\n  {p}" for p in self.first_problems)
        )


def _client(url: str, token: str | None) -> Client:
    if token is None:
        return Client(url)
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    return Client(streamable_http_client(url, http_client=http))  # type: ignore[arg-type]


async def _structured(client: Client, call: Call) -> Any:
    result = await client.call_tool(*call)
    if result.is_error:
        text = " ".join(getattr(b, "text", "") for b in result.content)
        raise RuntimeError(f"{call[0]} returned an error: {text[:200]}")
    return result.structured_content


async def workload(client: Client) -> list[Call]:
    """A mixed workload drawn from the served corpus itself: searches with and without filters and paging,
    articles (whole and by passage), entities, deals, lookups by id and by words."""
    calls: list[Call] = [
        ("search_articles", {"query": q, "limit": n})
        for q, n in [("Alibaba Kernenergie", 3), ("KI Rechenzentrum", 5), ('"Sovereign Cloud"', 2),
                     ("Microsoft NOT BlackRock", 5), ("Milliarden Investition", 10), ("Nvidia", 1)]
    ]
    calls.append(("search_articles", {"query": "KI", "limit": 2, "date_from": "2026-01-01", "date_to": "2026-01-31"}))
    first = await _structured(client, ("search_articles", {"query": "KI", "limit": 1}))
    if first["next_cursor"]:
        calls.append(("search_articles", {"query": "KI", "limit": 1, "cursor": first["next_cursor"]}))
    for hit in (await _structured(client, ("search_articles", {"query": "KI", "limit": 10})))["results"]:
        calls.append(("get_article", {"article_id": hit["article_id"]}))
        calls.append(("get_article", {"article_id": hit["article_id"], "passages": [1, 2]}))
    entities = (await _structured(client, ("list_entities", {"limit": 8})))["entities"]
    calls += [("list_entities", {"limit": 8}), ("list_entities", {"query": "Micro"})]
    calls += [("list_entities", {"type": "person"})]
    calls += [("get_entity", {"entity": e["entity_id"]}) for e in entities]
    deals = (await _structured(client, ("list_deals", {"limit": 6})))["deals"]
    calls += [("list_deals", {"limit": 6}), ("list_deals", {"query": "Rechenzentrum"})]
    calls += [("list_deals", {"party": "Microsoft"})]
    calls += [("get_deal", {"deal_id": d["deal_id"]}) for d in deals]
    calls += [("get_deal", {"query": "Alibaba nuclear joint venture"})]
    return calls


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


async def run_load(url: str, *, clients: int = 50, requests: int = 2000, token: str | None = None) -> LoadReport:
    """Reference answers from one client first, then `requests` calls spread over `clients` sessions."""
    async with _client(url, token) as single:
        calls = await workload(single)
        expected = [await _structured(single, call) for call in calls]

    latencies: list[float] = []
    problems: list[str] = []
    counts = {"errors": 0, "wrong": 0}

    async def one_client(n: int) -> None:
        mine = range(n, requests, clients)
        try:
            async with _client(url, token) as client:
                for i in mine:
                    call = calls[i % len(calls)]
                    start = time.perf_counter()
                    try:
                        got = await _structured(client, call)
                    except Exception as exc:
                        counts["errors"] += 1
                        problems.append(f"request {i} {call}: {type(exc).__name__}: {exc}"[:300])
                        continue
                    latencies.append(time.perf_counter() - start)
                    if got != expected[i % len(calls)]:
                        counts["wrong"] += 1
                        problems.append(f"request {i} {call}: answer differs from the single-client answer")
        except Exception as exc:  # the session itself failed: every request it owned is an error
            counts["errors"] += len(mine)
            problems.append(f"client {n}: {type(exc).__name__}: {exc}"[:300])

    began = time.perf_counter()
    async with anyio.create_task_group() as group:
        for n in range(clients):
            group.start_soon(one_client, n)
    seconds = time.perf_counter() - began
    ms = [s * 1000 for s in latencies] or [0.0]
    return LoadReport(
        clients=clients,
        requests=requests,
        distinct_calls=len(calls),
        seconds=round(seconds, 3),
        throughput=round(requests / seconds, 1),
        p50_ms=round(statistics.median(ms), 1),
        p95_ms=round(_percentile(ms, 95), 1),
        p99_ms=round(_percentile(ms, 99), 1),
        errors=counts["errors"],
        wrong=counts["wrong"],
        first_problems=problems[:5],
    )


@contextlib.contextmanager
def local_server(settings: Settings, token: str | None = None, startup_seconds: float = 120) -> Iterator[str]:
    """`newscorpus serve --transport http` on a free loopback port; yields the /mcp URL."""
    command = [str(Path(sys.executable).parent / "newscorpus"), "serve", "--transport", "http",
               "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]  # fmt: skip
    env = {**os.environ, **({"NEWSCORPUS_TOKEN": token} if token else {})}
    with http_server(command, env=env, startup_seconds=startup_seconds) as base:
        yield f"{base}/mcp"
