"""The knowledge store on real builds of the bundled corpus: what a build writes reads back as the same
knowledge base, passages cut on read are `Article.passages`, a missing or damaged store is rebuilt at
open, and the query API answers the same from many threads at once."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import sqlite3
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from newscorpus.config import Settings
from newscorpus.extract.pipeline import extract_knowledge
from newscorpus.index import knowledge_store
from newscorpus.index.build import KNOWLEDGE, damage, live_build, load_knowledge, read_manifest
from newscorpus.index.knowledge_store import RELATED_KEPT, KnowledgeStore, StoreError, passage_texts, write_store
from newscorpus.ingest.store import load_articles
from newscorpus.models import Article, KnowledgeBase, Teaser
from newscorpus.query.api import CorpusQuery
from newscorpus.query.errors import NotFoundError


@pytest.fixture(scope="module")
def kb(corpus_settings: Settings) -> KnowledgeBase:
    """The bundled corpus's knowledge base as the build derives it, without going through any store."""
    articles = load_articles(corpus_settings.corpus_dir)
    extracted = extract_knowledge(articles, corpus_settings.annotations_dir)
    return KnowledgeBase(fingerprint="f" * 64, articles=articles, entities=extracted.entities, deals=extracted.deals)


def test_a_written_store_reads_back_as_the_same_knowledge_base(kb: KnowledgeBase, tmp_path: Path) -> None:
    write_store(kb, tmp_path / KNOWLEDGE)
    store = KnowledgeStore(tmp_path / KNOWLEDGE)
    try:
        assert store.knowledge_base().model_dump() == kb.model_dump()
        assert kb.entities and kb.deals and any(e.mentions for e in kb.entities)
        for e in kb.entities:
            assert store.entity(e.entity_id) == e
            assert store.entities[e.entity_id].entity.mentions == [], "open-time entities carry no mentions"
        for d in kb.deals:
            assert store.deal(d.deal_id) == d
        for a in kb.articles:
            assert store.article(a.id) == a
    finally:
        store.close()


def test_the_build_writes_the_store_and_checksums_it(corpus_query: CorpusQuery, corpus_settings: Settings,
                                                      kb: KnowledgeBase) -> None:
    folder = live_build(corpus_settings.index_dir)
    manifest = read_manifest(folder)
    assert KNOWLEDGE in manifest.files and not (folder / "knowledge.json").exists()
    built = load_knowledge(folder)
    assert built.model_dump() == kb.model_copy(update={"fingerprint": built.fingerprint}).model_dump()


def _article(body: str, teasers: tuple[str, ...] = ()) -> Article:
    return Article(id="2026-01-01-x-test", body=body, teasers=[Teaser(title=t) for t in teasers])


@pytest.mark.parametrize(
    "body",
    ["", "one", "one\n\ntwo", "\n\n\none\n\n\n\ntwo\n", "  \n\n a \n\n\n\n\t\n\nb\n\n", "x\n\n \n\ny", "\n",
     "a\nb\n\nc"],
)
def test_passages_cut_on_read_are_the_articles_passages(body: str, tmp_path: Path) -> None:
    article = _article(body, ("Teaser eins", "Teaser zwei"))
    assert passage_texts(body) == [p.text for p in article.passages() if p.kind == "body"]
    write_store(KnowledgeBase(fingerprint="f", articles=[article], entities=[], deals=[]), tmp_path / KNOWLEDGE)
    store = KnowledgeStore(tmp_path / KNOWLEDGE)
    try:
        expected = {p.passage_id: p for p in article.passages()}
        assert store.passages(expected) == expected
        assert list(store.passage_ids()) == list(expected)
        wrong = [f"{article.id}#{s}" for s in ("p0", "p01", "p99", "t3", "x1", "p", "p²", "p-1")] + ["nope#p1"]
        assert store.passages(wrong) == {}
    finally:
        store.close()


def test_store_passages_match_every_bundled_passage(corpus_query: CorpusQuery, kb: KnowledgeBase) -> None:
    expected = {p.passage_id: p for a in kb.articles for p in a.passages()}
    assert corpus_query.store.passages(expected) == expected
    assert len(corpus_query.passages) == len(expected) and set(corpus_query.passages) == set(expected)


def test_a_store_of_another_format_is_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    write_store(kb, tmp_path / KNOWLEDGE)
    con = sqlite3.connect(tmp_path / KNOWLEDGE)
    con.execute("UPDATE meta SET value = ? WHERE key = 'format'", (json.dumps(0),))
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="store format 0"):
        KnowledgeStore(tmp_path / KNOWLEDGE)
    with pytest.raises(StoreError, match="missing"):
        KnowledgeStore(tmp_path / "absent.sqlite")


def test_a_mention_outside_its_article_is_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    """Mention rows are streamed into SQLite: a bad one still stops the write with the entity named."""
    entity = next(e for e in kb.entities if e.mentions)
    other = next(a.id for a in kb.articles if a.id != entity.mentions[0].article_id)
    bad = entity.mentions[0].model_copy(update={"passage_id": f"{other}#p1"})
    broken = entity.model_copy(update={"mentions": [*entity.mentions, bad]})
    changed = kb.model_copy(update={"entities": [broken if e is entity else e for e in kb.entities]})
    with pytest.raises(ValueError, match=f"mention of {entity.entity_id} in {other}#p1 is not in article"):
        write_store(changed, tmp_path / KNOWLEDGE)


def test_a_failed_write_is_an_os_error(kb: KnowledgeBase, tmp_path: Path) -> None:
    (tmp_path / KNOWLEDGE).mkdir()
    with pytest.raises(OSError, match=KNOWLEDGE):
        write_store(kb, tmp_path / KNOWLEDGE)


@pytest.fixture
def built(corpus_settings: Settings, tmp_path: Path) -> Settings:
    """A private copy of the session's built index over the bundled corpus."""
    shutil.copytree(corpus_settings.index_dir, tmp_path / "index")
    return Settings.resolve(corpus=corpus_settings.corpus_dir, index=tmp_path / "index")


def _reopen(settings: Settings) -> tuple[list[str], Path, Path]:
    before = live_build(settings.index_dir)
    messages: list[str] = []
    query = CorpusQuery.open(settings, progress=messages.append)
    try:
        assert query.get_deal(query="Alibaba nuclear power joint venture").deal_id
    finally:
        query.close()
    after = live_build(settings.index_dir)
    assert after is not None and after != before and damage(after) is None
    return messages, before, after


def test_a_missing_store_is_rebuilt(corpus_query: CorpusQuery, built: Settings) -> None:
    (live_build(built.index_dir) / KNOWLEDGE).unlink()
    messages, _, _ = _reopen(built)
    assert any("names no complete build" in m for m in messages), messages


def test_a_damaged_store_is_rebuilt(corpus_query: CorpusQuery, built: Settings) -> None:
    path = live_build(built.index_dir) / KNOWLEDGE
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    messages, _, _ = _reopen(built)
    assert any(f"damaged ({KNOWLEDGE} does not match its checksum)" in m for m in messages), messages


def test_a_store_that_passes_its_checksum_but_cannot_be_read_is_rebuilt(corpus_query: CorpusQuery,
                                                                         built: Settings) -> None:
    """Not a SQLite file at all, with a matching checksum: opening fails and the build is redone."""
    folder = live_build(built.index_dir)
    (folder / KNOWLEDGE).write_bytes(b"not a database" * 100)
    manifest = read_manifest(folder)
    files = {**manifest.files, KNOWLEDGE: hashlib.sha256((folder / KNOWLEDGE).read_bytes()).hexdigest()}
    (folder / "manifest.json").write_text(manifest.model_copy(update={"files": files}).model_dump_json())
    messages, _, _ = _reopen(built)
    assert any("cannot be opened" in m and "DatabaseError" in m for m in messages), messages


def _calls(query: CorpusQuery) -> list[str]:
    article_id = query.complete_ids("article", "2026-01-21")[0]
    deal_id = query.complete_ids("deal", "")[0]
    out = [
        query.search_articles("Alibaba Joint Venture", limit=5),
        query.search_articles("Rechenzentrum", date_from="2026-01-16", publisher="handelsblatt", limit=3),
        query.get_article(article_id),
        query.list_entities(query="Micro"),
        query.list_entities(article_id=article_id),
        query.get_entity("Alibaba"),
        query.list_deals(party="Microsoft"),
        query.list_deals(query="Partnerschaft", type="partnership"),
        query.get_deal(deal_id=deal_id),
        query.stats(),
    ]
    try:
        query.get_deal(deal_id=deal_id + "x")
    except NotFoundError as exc:
        out.append(str(exc))
    return [x if isinstance(x, str) else x.model_dump_json() for x in out]


def test_calls_from_many_threads_answer_as_one_thread_does(corpus_query: CorpusQuery) -> None:
    expected = _calls(corpus_query)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: _calls(corpus_query), range(32)))
    assert all(r == expected for r in results)


def _related_by_counting(kb: KnowledgeBase) -> list[str]:
    """Related entities counted mention by mention, as the definition reads (`_related_and_pairs`)."""
    in_passage: dict[str, Counter[int]] = {}
    for n, e in enumerate(kb.entities):
        for m in e.mentions:
            in_passage.setdefault(m.passage_id, Counter())[n] += 1
    together: list[Counter[int]] = [Counter() for _ in kb.entities]
    for counts in in_passage.values():
        for n, k in counts.items():
            for other in counts:
                if other != n:
                    together[n][other] += k
    ids = [e.entity_id for e in kb.entities]
    return [
        json.dumps(sorted(((ids[o], k) for o, k in c.items()), key=lambda ik: (-ik[1], ik[0]))[:RELATED_KEPT])
        for c in together
    ]


@pytest.mark.parametrize("pairs_per_chunk", [knowledge_store._PAIRS_PER_CHUNK, 1, 50])
def test_related_entities_are_counted_as_defined(
    kb: KnowledgeBase, generated_kb: KnowledgeBase, pairs_per_chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The array count gives the count mention by mention, in one chunk and in many (a chunk of one
    passage at least), with ties in count ordered by id."""
    monkeypatch.setattr(knowledge_store, "_PAIRS_PER_CHUNK", pairs_per_chunk)
    for base in (kb, generated_kb):
        expected = _related_by_counting(base)
        assert knowledge_store._related_and_pairs(base)[0] == expected
        listed = [json.loads(r) for r in expected]
        assert any(len(r) == RELATED_KEPT for r in listed) and any(
            a[1] == b[1] for r in listed for a, b in itertools.pairwise(r)
        ), "entities with more related ones than kept, and ties"


@pytest.fixture(scope="module")
def generated_kb(corpus_settings: Settings) -> KnowledgeBase:
    """The knowledge base of the bundled articles and 300 generated ones (the benchmark's generator)."""
    from newscorpus.bench.scale_corpus import generate_article, load_material

    material = load_material(corpus_settings.corpus_dir)
    generated = [generate_article(material, i) for i in range(300)]
    articles = sorted([*load_articles(corpus_settings.corpus_dir), *generated], key=lambda a: a.id)
    extracted = extract_knowledge(articles, corpus_settings.annotations_dir)
    return KnowledgeBase(fingerprint="f" * 64, articles=articles, entities=extracted.entities, deals=extracted.deals)
