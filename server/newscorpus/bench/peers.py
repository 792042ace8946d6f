"""Peer engines indexing the same passages: SQLite FTS5 (stdlib), and tantivy and bm25s when installed.

Each peer indexes passage text and article title, and answers a query with its top `TOP_K` passages by
BM25 (plain words OR-ed). That is less work than our `search_articles`, which ranks every match and
groups by article; the report says so next to the ratios.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from newscorpus.bench.timing import Latency, folder_bytes
from newscorpus.models import Article

log = logging.getLogger(__name__)

TOP_K = 50
_WORD = re.compile(r"\w+")


class PeerResult(BaseModel):
    engine: str
    build_s: float
    passages_per_s: float
    index_bytes: int
    search: Latency


def _rows(articles: Iterable[Article]) -> Iterable[tuple[str, str, str]]:
    for article in articles:
        for p in article.passages():
            yield p.passage_id, article.title, p.text


def _words(query: str) -> list[str]:
    return _WORD.findall(query)


def _measure(name: str, build: Callable[[], tuple[int, Path]], search: Callable[[str], object],
             queries: list[str]) -> PeerResult:
    start = time.perf_counter()
    passages, folder = build()
    build_s = time.perf_counter() - start
    for q in queries[:5]:
        search(q)
    times = []
    for q in queries:
        t = time.perf_counter()
        search(q)
        times.append(time.perf_counter() - t)
    return PeerResult(engine=name, build_s=round(build_s, 2), passages_per_s=round(passages / build_s, 1),
                      index_bytes=folder_bytes(folder), search=Latency.of(times))


def sqlite_fts5(articles: list[Article], folder: Path, queries: list[str]) -> PeerResult:
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / "fts.db")

    def build() -> tuple[int, Path]:
        db.execute("CREATE VIRTUAL TABLE p USING fts5(pid UNINDEXED, title, text, "
                   "tokenize='unicode61 remove_diacritics 2')")
        db.executemany("INSERT INTO p VALUES (?, ?, ?)", _rows(articles))
        db.commit()
        return db.execute("SELECT count(*) FROM p").fetchone()[0], folder

    def search(query: str) -> object:
        match = " OR ".join(f'"{w}"' for w in _words(query))
        return db.execute("SELECT pid FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?", (match, TOP_K)).fetchall()

    try:
        return _measure("sqlite-fts5", build, search, queries)
    finally:
        db.close()


def tantivy_engine(articles: list[Article], folder: Path, queries: list[str]) -> PeerResult | None:
    try:
        import tantivy
    except ImportError:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    analyzer = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
                .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("german")).build())
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("pid", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="de_stem")
    builder.add_text_field("text", tokenizer_name="de_stem")
    index = tantivy.Index(builder.build(), path=str(folder))
    index.register_tokenizer("de_stem", analyzer)

    def build() -> tuple[int, Path]:
        writer = index.writer(heap_size=256_000_000)
        n = 0
        for pid, title, text in _rows(articles):
            writer.add_document(tantivy.Document(pid=pid, title=title, text=text))
            n += 1
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        return n, folder

    def search(query: str) -> object:
        q = index.parse_query(" ".join(_words(query)), ["title", "text"])
        return index.searcher().search(q, TOP_K).hits

    return _measure("tantivy", build, search, queries)


def bm25s_engine(articles: list[Article], folder: Path, queries: list[str]) -> PeerResult | None:
    try:
        import bm25s
        import Stemmer
    except ImportError:
        return None
    stemmer = Stemmer.Stemmer("german")
    state: dict[str, object] = {}

    def build() -> tuple[int, Path]:
        corpus = [f"{title}\n{text}" for _, title, text in _rows(articles)]
        tokens = bm25s.tokenize(corpus, stopwords="de", stemmer=stemmer, show_progress=False)
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        retriever.save(str(folder))
        state["r"], state["n"] = retriever, len(corpus)
        return len(corpus), folder

    def search(query: str) -> object:
        tokens = bm25s.tokenize([query], stopwords="de", stemmer=stemmer, show_progress=False)
        k = min(TOP_K, int(state["n"]))  # type: ignore[call-overload]
        return state["r"].retrieve(tokens, k=k, show_progress=False)  # type: ignore[attr-defined]

    return _measure("bm25s", build, search, queries)


def run_peers(articles: list[Article], folder: Path, queries: list[str],
              progress: Callable[[str], None]) -> list[PeerResult]:
    results = []
    for name, fn in (("sqlite-fts5", sqlite_fts5), ("tantivy", tantivy_engine), ("bm25s", bm25s_engine)):
        progress(f"peer {name}")
        try:
            result = fn(articles, folder / name, queries)
        except Exception as exc:  # a broken optional peer must not sink the whole benchmark
            log.warning("peer %s failed: %s", name, exc)
            continue
        if result is None:
            progress(f"peer {name} not installed (pip install 'newscorpus-mcp[bench]')")
        else:
            results.append(result)
    return results
