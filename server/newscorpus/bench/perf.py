"""`newscorpus bench perf`: build, update, start and query a generated corpus of N articles, and compare.

For each size: full build (articles/s, passages/s, phases, index size); latency of `search_articles`,
`get_deal` and `list_entities` through the Python query API and through a real `newscorpus serve`
subprocess over MCP stdio (the difference is the protocol's cost); the no-op floor over the same session;
cold start to the first answered tool call; the server's peak RSS; peers on the same passages; and last
the update after 100 new articles land in the corpus. Figures go to the report; nothing here asserts.
"""

from __future__ import annotations

import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from pydantic import BaseModel

from newscorpus.bench.peers import PeerResult, run_peers
from newscorpus.bench.scale_corpus import SEED, Material, make_scale_corpus, write_articles
from newscorpus.bench.timing import Latency, child_pids, folder_bytes, peak_rss_mb
from newscorpus.config import BUNDLED_CORPUS, Settings
from newscorpus.index.build import build_index, ensure_index, live_build, read_manifest
from newscorpus.index.engine import EngineBuilder, Progress
from newscorpus.index.whoosh_engine import WhooshBuilder
from newscorpus.ingest.store import load_articles
from newscorpus.models import KnowledgeBase

NEW_ARTICLES = 100
FLOOR_CALL = ("get_deal", {"deal_id": ""})
FLOOR_NAME = "get_deal(deal_id='') rejected by the query API: a full tools/call round trip with no corpus work"


class UpdateResult(BaseModel):
    """An incremental update's time, mode ("incremental" or "full"), phases, and whether its last article
    is then found."""

    seconds: float
    mode: str
    phases_s: dict[str, float]
    searchable: bool


class SizeResult(BaseModel):
    articles: int
    passages: int
    entities: int
    deals: int
    build_s: float
    articles_per_s: float
    passages_per_s: float
    phases_s: dict[str, float]
    index_bytes: int
    open_s: float
    cold_start_s: list[float]
    rebuilt_on_start: bool
    server_peak_rss_mb: float | None
    api: dict[str, Latency]
    mcp: dict[str, Latency]
    floor: Latency
    peers: list[PeerResult]
    update_articles: int
    update_s: float
    update_searchable: bool
    # "incremental" or "full" (from the new build's manifest), and where the update's time went.
    update_mode: str = ""
    update_phases_s: dict[str, float] = {}
    # A second update: 100 more articles, dated after every other (news arriving in date order; the
    # first update's are dated among the corpus's articles).
    newer_update: UpdateResult | None = None


class PerfReport(BaseModel):
    date: str
    command: str
    machine: dict[str, str]
    queries: int
    floor_call: str
    sizes: list[SizeResult]


class _TimedEngine:
    """The Whoosh builder, noting when the engine's part of a build starts and ends."""

    def __init__(self, inner: EngineBuilder) -> None:
        self.inner, self.name, self.marks = inner, inner.name, {}

    def build(self, kb: KnowledgeBase, folder: Path, progress: Progress) -> None:
        self.marks["index_start"] = time.perf_counter()
        self.inner.build(kb, folder, progress)
        self.marks["index_end"] = time.perf_counter()

    def add(self, kb: KnowledgeBase, article_ids: Sequence[str], folder: Path) -> None:
        self.inner.add(kb, article_ids, folder)

    def open(self, folder: Path) -> Any:
        return self.inner.open(folder)


def machine() -> dict[str, str]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in _read("/proc/cpuinfo").splitlines()
                if ln.startswith("model name")), platform.processor() or "?")
    mem = next((ln.split(":", 1)[1].strip() for ln in _read("/proc/meminfo").splitlines()
                if ln.startswith("MemTotal")), "?")
    return {"cpus": str(os.cpu_count()), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "os": platform.platform()}


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def make_queries(m: Material, n: int, seed: int = SEED) -> list[str]:
    """Plain-word queries as people type them: noun pairs, entity + noun, five words of a sentence, one noun."""
    rng = random.Random(f"{seed}:queries")
    names = sorted(name for names in m.entities.values() for name in names)
    queries = []
    for i in range(n):
        kind = i % 10
        if kind < 4:
            queries.append(f"{rng.choice(m.nouns)} {rng.choice(m.nouns)}")
        elif kind < 6:
            queries.append(f"{rng.choice(names)} {rng.choice(m.nouns)}")
        elif kind < 8:
            words = rng.choice(m.sentences).rstrip(" .?!").split()
            at = rng.randrange(max(1, len(words) - 5))
            queries.append(" ".join(words[at : at + 5]))
        else:
            queries.append(rng.choice(m.nouns + m.compounds[:200]))
    return queries


def _percentiles(calls: list[Callable[[], object]]) -> Latency:
    for call in calls[:5]:
        call()
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return Latency.of(times)


def _api_calls(query: Any, queries: list[str], deal_ids: list[str], names: list[str]) -> dict[str, list]:
    return {
        "search_articles": [lambda q=q: query.search_articles(q, limit=10) for q in queries],
        "get_deal": [lambda d=d: query.get_deal(deal_id=d) for d in deal_ids],
        "list_entities": [lambda n=n: query.list_entities(query=n, limit=10) for n in names],
    }


def _mcp_args(queries: list[str], deal_ids: list[str], names: list[str]) -> dict[str, list[dict[str, Any]]]:
    return {
        "search_articles": [{"query": q, "limit": 10} for q in queries],
        "get_deal": [{"deal_id": d} for d in deal_ids],
        "list_entities": [{"query": n, "limit": 10} for n in names],
    }


def _server_params(settings: Settings) -> Any:
    from mcp import StdioServerParameters

    env = {k: v for k in ("PYTHONPATH", "HOME", "LANG") if (v := os.environ.get(k))}
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "newscorpus.cli", "serve", "--corpus", str(settings.corpus_dir),
              "--index", str(settings.index_dir)],
        env=env,
    )


async def _timed_calls(client: Any, tool: str, args: list[dict[str, Any]]) -> Latency:
    for a in args[:5]:
        await client.call_tool(tool, a)
    times = []
    for a in args:
        start = time.perf_counter()
        await client.call_tool(tool, a)
        times.append(time.perf_counter() - start)
    return Latency.of(times)


async def _cold_start(settings: Settings, first_query: str) -> float:
    # The SDK client validates a tool's structured result with jsonschema, imported at its first use in
    # this (the benchmark's) process: 0.11-0.15 s of the first cold start that is no part of the server's.
    import jsonschema.validators  # noqa: F401
    import referencing  # noqa: F401
    from mcp import Client

    start = time.perf_counter()
    async with Client(_server_params(settings)) as client:
        result = await client.call_tool("search_articles", {"query": first_query, "limit": 10})
        elapsed = time.perf_counter() - start
        if result.is_error:
            raise RuntimeError(f"first call failed: {result.content}")
    return elapsed


async def _mcp_session(settings: Settings, args: dict[str, list[dict[str, Any]]], n: int) -> dict[str, Any]:
    from mcp import Client

    out: dict[str, Any] = {}
    async with Client(_server_params(settings)) as client:
        for tool, tool_args in args.items():
            out[tool] = await _timed_calls(client, tool, tool_args)
        out["floor"] = await _timed_calls(client, FLOOR_CALL[0], [FLOOR_CALL[1]] * n)
        pids = child_pids("newscorpus.cli")
        out["rss"] = peak_rss_mb(pids[0]) if len(pids) == 1 else None
    return out


def _findable(query: Any, article_id: str) -> bool:
    """Whether a search for the article's title, on its day and publisher, finds it."""
    a = query.articles[article_id]
    hits = query.search_articles(a.title, limit=50, date_from=a.published, date_to=a.published,
                                 publisher=a.publisher).results
    return any(h.article_id == article_id for h in hits)


def measure_size(articles: int, workdir: Path, *, queries: int, cold_starts: int, peers: bool,
                 progress: Progress) -> SizeResult:
    from newscorpus.query.api import CorpusQuery

    settings = Settings.resolve(corpus=workdir / "corpus", index=workdir / "index")
    progress(f"[{articles}] generating the corpus in {settings.corpus_dir}")
    material = make_scale_corpus(BUNDLED_CORPUS, settings.corpus_dir, articles)

    progress(f"[{articles}] full build")
    marks: dict[str, float] = {}
    engine = _TimedEngine(WhooshBuilder())

    def note(message: str) -> None:
        if message.startswith("extracting") and "extract_start" not in marks:
            marks["extract_start"] = time.perf_counter()
        progress(f"[{articles}]   {message}")

    start = time.perf_counter()
    folder = build_index(settings, progress=note, engine=engine)
    build_s = time.perf_counter() - start
    marks |= engine.marks
    end = start + build_s
    phases = {
        "load": marks["extract_start"] - start,
        "extract": marks["index_start"] - marks["extract_start"],
        "index": marks["index_end"] - marks["index_start"],
        "write": end - marks["index_end"],
    }
    manifest = read_manifest(folder)
    assert manifest is not None
    index_bytes = folder_bytes(folder)

    progress(f"[{articles}] query API latency")
    t = time.perf_counter()
    query = CorpusQuery.open(settings)
    open_s = time.perf_counter() - t
    qs = make_queries(material, queries)
    rng = random.Random(f"{SEED}:lookups")
    deal_ids = [rng.choice(sorted(query.deals)) for _ in range(queries)]
    entity_names = sorted(info.entity.name for info in query.store.entities.values())  # no mentions read
    names = [rng.choice(entity_names)[:6] for _ in range(queries)]
    api = {tool: _percentiles(calls) for tool, calls in _api_calls(query, qs, deal_ids, names).items()}
    counts = (len(query.entities), len(query.deals))
    query.close()
    del query

    progress(f"[{articles}] cold starts over stdio")
    colds = [anyio.run(_cold_start, settings, qs[i]) for i in range(cold_starts)]
    rebuilt = live_build(settings.index_dir) != folder
    progress(f"[{articles}] MCP stdio latency")
    session = anyio.run(_mcp_session, settings, _mcp_args(qs, deal_ids, names), queries)

    peer_results: list[PeerResult] = []
    if peers:
        peer_results = run_peers(load_articles(settings.corpus_dir), workdir / "peers", qs,
                                 lambda m: progress(f"[{articles}] {m}"))

    progress(f"[{articles}] update with {NEW_ARTICLES} new articles")
    update = _update(settings, write_articles(settings.corpus_dir, material, articles, NEW_ARTICLES),
                     lambda m: progress(f"[{articles}]   {m}"))
    progress(f"[{articles}] update with {NEW_ARTICLES} newer articles")
    newer_ids = write_articles(settings.corpus_dir, material, articles + NEW_ARTICLES, NEW_ARTICLES, newer=True)
    newer = _update(settings, newer_ids, lambda m: progress(f"[{articles}]   {m}"))

    return SizeResult(
        articles=manifest.articles, passages=manifest.passages, entities=counts[0], deals=counts[1],
        build_s=round(build_s, 2), articles_per_s=round(manifest.articles / build_s, 1),
        passages_per_s=round(manifest.passages / build_s, 1),
        phases_s={k: round(v, 2) for k, v in phases.items()}, index_bytes=index_bytes,
        open_s=round(open_s, 3), cold_start_s=[round(c, 3) for c in colds], rebuilt_on_start=rebuilt,
        server_peak_rss_mb=session["rss"], api=api,
        mcp={k: session[k] for k in ("search_articles", "get_deal", "list_entities")},
        floor=session["floor"], peers=peer_results,
        update_articles=update.articles - manifest.articles, update_s=update.seconds,
        update_searchable=update.searchable, update_mode=update.mode, update_phases_s=update.phases_s,
        newer_update=newer,
    )


class _Update(UpdateResult):
    articles: int


def _update(settings: Settings, new_ids: list[str], progress: Progress) -> _Update:
    """`ensure_index` after `new_ids` were written: its time and phases, and whether the last new article
    is then found."""
    from newscorpus.query.api import CorpusQuery

    marks: dict[str, float] = {}

    def note(message: str) -> None:
        for key, start in (("extract", "extracting"), ("index", "entities searched in"), ("write", "indexed")):
            if message.startswith(start):
                marks.setdefault(key, time.perf_counter())
        progress(message)

    t = time.perf_counter()
    updated = ensure_index(settings, progress=note)
    seconds = time.perf_counter() - t
    bounds = [("prepare", t), *sorted(marks.items(), key=lambda kv: kv[1]), ("", t + seconds)]
    check = CorpusQuery.open(settings)
    searchable = all(i in check.articles for i in new_ids) and _findable(check, new_ids[-1])
    check.close()
    built = read_manifest(updated)
    return _Update(
        seconds=round(seconds, 2), mode=built.mode if built else "", searchable=searchable,
        phases_s={name: round(bounds[i + 1][1] - at, 2) for i, (name, at) in enumerate(bounds[:-1])},
        articles=built.articles if built else 0,
    )


def run(sizes: Sequence[int], workdir: Path, *, queries: int = 200, cold_starts: int = 3, peers: bool = True,
        progress: Progress = lambda _m: None, command: str = "") -> PerfReport:
    results = []
    for n in sizes:
        results.append(measure_size(n, workdir / f"n{n}", queries=queries, cold_starts=cold_starts,
                                    peers=peers, progress=progress))
    return PerfReport(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), command=command, machine=machine(),
        queries=queries, floor_call=FLOOR_NAME, sizes=results,
    )


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).parent, timeout=5)
    except OSError:
        return ""
    return out.stdout.strip()
