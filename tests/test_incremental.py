"""Incremental index updates on real indexes on disk: new article files update the live build by reusing
its per-article deals and analysed passages, and the result equals a full build of the same corpus
(knowledge base, search pages, passage scores, deal search); any other change is a full rebuild; a
killed update leaves the previous build live.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as windex

from newscorpus.config import ENV_PAUSE_AT, Settings
from newscorpus.extract import deal_ids
from newscorpus.index import deleted_stats
from newscorpus.index.build import (
    DEALS_BY_ARTICLE,
    ENTITY_FINDS,
    KNOWLEDGE,
    RELATED_PAIRS,
    SOURCES,
    damage,
    ensure_index,
    live_build,
    load_knowledge,
    open_knowledge,
    read_manifest,
)
from newscorpus.index.deleted_stats import LiveStats
from newscorpus.index.knowledge_store import PAIR_SHIFT
from newscorpus.index.whoosh_engine import DEALS, PASSAGES, WhooshBuilder
from newscorpus.ingest.store import article_to_markdown
from newscorpus.models import Article
from newscorpus.query.api import CorpusQuery
from serving import NEWSCORPUS, location

# One id sorts before every bundled article, one after: a new document lands among the old ones.
EARLY_ID = "2025-06-01-example-nvidia-und-polarise-bauen-in-leipzig"
LATE_ID = "2026-12-01-example-microsoft-investiert-in-bayern"

QUERIES = [
    "Nvidia", "Rechenzentrum Leipzig", "Milliarden Euro Investition", "Partnerschaft", "Microsoft Bayern",
    "Telekom Industrial AI Cloud", "Alibaba", "Blackstone", "KI-Fabrik München", '"Industrial AI Cloud"',
    "Leipzig NOT Nvidia", "title:Nvidia", "Megawatt", "Wie viel investiert Microsoft?", "Quantera Partnerschaft",
]


def _article(article_id: str, title: str, paragraphs: list[str]) -> Article:
    return Article(
        id=article_id, title=title, publisher="Example News", published=article_id[:10], language="de",
        body="\n\n".join(paragraphs),
    )


NEW_ARTICLES = [
    _article(EARLY_ID, "Nvidia und Polarise bauen Rechenzentrum in Leipzig", [
        "Der Chipkonzern Nvidia und das Start-up Polarise schließen eine Partnerschaft: Gemeinsam bauen sie "
        "in Leipzig ein Rechenzentrum mit 40 Megawatt Leistung.",
        "Polarise investiert dafür rund 1,2 Milliarden Euro. Die Deutsche Telekom liefert die Anbindung.",
        "Der Bau soll im März 2026 beginnen, teilte Polarise-Chef Jens Gerhardt mit.",
    ]),
    _article(LATE_ID, "Microsoft investiert Milliarden in Bayern", [
        "Microsoft investiert 3 Milliarden Euro in neue Rechenzentren in Bayern, sagte Microsoft-Chef "
        "Satya Nadella in München.",
        "Der Finanzinvestor Blackstone beteiligt sich an der Finanzierung der KI-Fabrik.",
    ]),
]


def write_article(settings: Settings, article: Article) -> None:
    (settings.articles_dir / f"{article.id}.md").write_text(article_to_markdown(article), encoding="utf-8")


@pytest.fixture(scope="module")
def template(corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A copy of the bundled corpus with a full build."""
    root = tmp_path_factory.mktemp("incremental")
    shutil.copytree(corpus_settings.articles_dir, root / "corpus" / "articles")
    shutil.copytree(corpus_settings.annotations_dir, root / "corpus" / "annotations")
    settings = Settings.resolve(corpus=root / "corpus", index=root / "index")
    ensure_index(settings)
    return settings


@pytest.fixture
def built(template: Settings, tmp_path: Path) -> Settings:
    shutil.copytree(template.corpus_dir, tmp_path / "corpus")
    shutil.copytree(template.index_dir, tmp_path / "index")
    return Settings.resolve(corpus=tmp_path / "corpus", index=tmp_path / "index")


def full_build_of(settings: Settings, root: Path) -> Settings:
    """The same corpus files, built from scratch into another index folder."""
    other = Settings.resolve(corpus=settings.corpus_dir, index=root / "full-index")
    ensure_index(other)
    assert read_manifest(live_build(other.index_dir)).mode == "full"
    return other


def index_contents(folder: Path, indexname: str, key: str) -> dict:
    """What a Whoosh index holds for its live documents, by document key instead of number (an update
    orders and splits its documents differently and may keep deleted ones): stored fields, length bytes,
    every posting, and the statistics searches use (document count, field totals, document frequencies),
    with the deleted documents' share taken out as an opened index takes it out (`deleted_stats`)."""
    with windex.open_dir(str(folder), indexname=indexname).reader() as reader:
        live = LiveStats(deleted_stats.read(folder, indexname), reader)
        keys = {docnum: stored[key] for docnum, stored in reader.iter_docs()}
        scorable = [name for name, field in reader.schema.items() if field.scorable]
        postings, frequencies = {}, {}
        for field, term in reader.all_terms():
            m = reader.postings(field, term)
            items = []
            while m.is_active():
                items.append((keys[m.id()], m.weight(), m.value()))
                m.next()
            if items:  # a term of deleted documents only has none
                postings[field, term] = sorted(items)
            frequencies[field, term] = reader.doc_frequency(field, term) - live.deleted_frequency(field, term)
            assert frequencies[field, term] == len(items), (field, term)
        return {
            "stored": {keys[n]: stored for n, stored in reader.iter_docs()},
            # A segment without the field has no length column: None and 0 both mean length 0.
            "lengths": {keys[n]: [reader.doc_field_length(n, f) or 0 for f in scorable] for n in keys},
            "totals": {f: reader.field_length(f) - live.lengths.get(f, 0) for f in scorable},
            "count": reader.doc_count_all() - live.docs,
            "postings": postings,
            "frequencies": {t: n for t, n in frequencies.items() if n},
        }


def store_contents(folder: Path) -> dict:
    """What a knowledge store holds, by ids instead of row numbers (an update by rows numbers new rows
    differently): every row a query reads, the entities' counts and related entities, the statistics, and
    the co-mention counts beside it."""
    con = sqlite3.connect(f"file:{folder / KNOWLEDGE}?mode=ro&immutable=1", uri=True)
    try:
        def rows(sql: str) -> list:
            return sorted(con.execute(sql).fetchall(), key=repr)

        contents = {
            "meta": dict(con.execute("SELECT key, value FROM meta").fetchall()),
            "articles": rows("SELECT id, publisher, published, published_end, record, body FROM articles"),
            "article_order": [i for (i,) in con.execute("SELECT id FROM articles ORDER BY seq")],
            "entities": rows("SELECT id, mention_count, article_count, related, record FROM entities"),
            "mentions": [r for r in con.execute(
                "SELECT e.id, a.id, m.passage, m.surface FROM mentions m JOIN entities e ON e.seq = m.entity "
                "JOIN articles a ON a.seq = m.article ORDER BY e.id, m.article, m.n"
            )],
            "deals": [r for r in con.execute(
                "SELECT id, extracted, type, announced, announced_end, title, record FROM deals ORDER BY seq"
            )],
            "deal_articles": rows("SELECT a.id, d.id FROM deal_articles x JOIN articles a ON a.seq = x.article "
                                  "JOIN deals d ON d.seq = x.deal"),
            "deal_parties": rows("SELECT d.id, p.entity, n.folded FROM deal_parties p JOIN deals d ON d.seq = p.deal "
                                 "JOIN party_names n ON n.seq = p.name"),
        }
        ids = dict(con.execute("SELECT seq, id FROM entities"))
    finally:
        con.close()
    pairs = np.load(folder / RELATED_PAIRS)
    contents["related_pairs"] = sorted(
        (ids[key >> PAIR_SHIFT], ids[key & ((1 << PAIR_SHIFT) - 1)], count) for key, count in pairs.tolist()
    )
    assert pairs[:, 0].tolist() == sorted(pairs[:, 0].tolist()) and (pairs[:, 1] > 0).all()
    return contents


def assert_same_outputs(updated: Settings, full: Settings) -> None:
    a_folder, b_folder = live_build(updated.index_dir), live_build(full.index_dir)
    assert load_knowledge(a_folder).model_dump() == load_knowledge(b_folder).model_dump()
    a_store, b_store = store_contents(a_folder), store_contents(b_folder)
    for part, value in b_store.items():
        assert a_store[part] == value, part
    for indexname, key in ((PASSAGES, "passage_id"), (DEALS, "deal_id")):
        assert index_contents(a_folder, indexname, key) == index_contents(b_folder, indexname, key), indexname
    # Deal search's scores (rounded to 6 places), which list_deals shows only as an order.
    a_index, b_index = WhooshBuilder().open(a_folder), WhooshBuilder().open(b_folder)
    try:
        for q in QUERIES:
            assert a_index.search_deals(q) == b_index.search_deals(q), q
    finally:
        a_index.close()
        b_index.close()
    a, b = CorpusQuery.open(updated), CorpusQuery.open(full)
    try:
        for q in QUERIES:
            assert a.search_articles(q, limit=50).model_dump() == b.search_articles(q, limit=50).model_dump(), q
            assert a.rank_passages(q) == b.rank_passages(q), q
            assert a.list_deals(query=q, limit=50).model_dump() == b.list_deals(query=q, limit=50).model_dump(), q
        assert a.list_deals(limit=50).model_dump() == b.list_deals(limit=50).model_dump()
    finally:
        a.close()
        b.close()


def test_new_articles_update_incrementally_and_equal_a_full_build(built: Settings, tmp_path: Path) -> None:
    before = live_build(built.index_dir)
    old = read_manifest(before)
    for article in NEW_ARTICLES:
        write_article(built, article)
    messages: list[str] = []
    after = ensure_index(built, progress=messages.append)

    manifest = read_manifest(after)
    assert after != before and manifest.mode == "incremental" and manifest.previous == before.name, messages
    assert manifest.articles == old.articles + 2 and damage(after) is None
    assert manifest.passages == sum(len(a.passages()) for a in load_knowledge(after, mentions=False).articles)
    assert any("updating the index incrementally" in m for m in messages), messages
    assert any(m.startswith("index ready (incremental build, by rows)") for m in messages), messages
    assert any(f"kept {old.passages} passages" in m for m in messages), messages
    # The passage index keeps the previous build's segment (the same files, linked) and adds one.
    old_files = {p.name: p.stat().st_ino for p in before.glob("passages_*.*")}
    new_files = {p.name: p.stat().st_ino for p in after.glob("passages_*.*")}
    assert old_files and old_files.items() <= new_files.items()
    assert len(list(after.glob("passages_*.pst"))) == 2, "one postings file per segment"
    assert_saved_article_map(after)
    # Entities are searched for in the new articles and in the old ones a new name may occur in, not in all.
    reuse = next((m for m in messages if m.startswith("entities searched in")), "")
    counts = re.match(r"entities searched in (\d+) of (\d+) articles, deals of (\d+) reused", reuse)
    assert counts is not None, messages
    searched, total, deals_reused = map(int, counts.groups())
    assert 2 <= searched < total == old.articles + 2 and deals_reused == old.articles, reuse
    assert {SOURCES, DEALS_BY_ARTICLE, ENTITY_FINDS, KNOWLEDGE} <= set(manifest.files)
    assert live_build(built.index_dir) == after and before.is_dir(), "the replaced build is kept for readers"

    query = CorpusQuery.open(built)
    try:
        assert query.search_articles("Polarise Leipzig Rechenzentrum").results[0].article_id == EARLY_ID
        assert query.search_articles("Microsoft Bayern Milliarden").results[0].article_id == LATE_ID
        assert any(EARLY_ID in d.article_ids for d in query.deals.values()), "a deal from the new article"
    finally:
        query.close()
    assert_same_outputs(built, full_build_of(built, tmp_path))


def assert_saved_article_map(folder: Path) -> None:
    """The passage-to-article map an update saved (extended from the previous build's, or computed again
    after a merge) is the one read from its passage index."""
    from newscorpus.index import article_map
    from newscorpus.index.whoosh_engine import ARTICLE_MAP

    with windex.open_dir(str(folder), indexname=PASSAGES).searcher() as searcher:
        computed = article_map.article_map(searcher, "article_id")
        saved = article_map.load(folder / ARTICLE_MAP, searcher.doc_count_all())
    assert saved is not None and saved.ids == computed.ids
    assert np.array_equal(saved.of_doc, computed.of_doc)


def test_an_update_reads_no_linked_file_for_its_checksums(built: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept segments' files are hard links of the previous build's: their checksums are the ones it
    recorded, not read again; every other file is read once (hashed as it is finished), and the new build
    checks out intact."""
    import newscorpus.index.build as build

    before = live_build(built.index_dir)
    hashed: list[str] = []  # files hashed while the new build is staged (the update verifies the old one too)
    sha256 = build._sha256

    def recorded_sha256(path: Path) -> str:
        if path.parent.name.startswith("tmp-"):
            hashed.append(path.name)
        return sha256(path)

    monkeypatch.setattr(build, "_sha256", recorded_sha256)
    write_article(built, NEW_ARTICLES[1])
    after = ensure_index(built)
    linked = {p.name for p in after.iterdir() if (before / p.name).exists() and os.path.samefile(p, before / p.name)}
    assert any(n.startswith(f"{PASSAGES}_") for n in linked) and any(n.startswith(f"{DEALS}_") for n in linked)
    assert KNOWLEDGE in hashed and not linked & set(hashed), sorted(linked & set(hashed))
    assert len(hashed) == len(set(hashed)), "a staged file hashed twice"
    recorded, now = read_manifest(before).files, read_manifest(after).files
    assert all(now[n] == recorded[n] for n in linked)
    assert damage(after) is None


def test_updates_chain_and_still_equal_a_full_build(built: Settings, tmp_path: Path) -> None:
    write_article(built, NEW_ARTICLES[1])
    first = ensure_index(built)
    write_article(built, NEW_ARTICLES[0])
    second = ensure_index(built)
    assert read_manifest(second).mode == "incremental" and read_manifest(second).previous == first.name
    assert_same_outputs(built, full_build_of(built, tmp_path))


def test_an_update_at_the_segment_bound_merges_the_smaller_segments(
    built: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At `MAX_SEGMENTS` segments an update still goes by rows: it keeps the largest segments linked and
    merges the others into its new one, and the result is a full build's (field totals included, which
    Whoosh's own copy would only approximate)."""
    from newscorpus.index import whoosh_reuse

    monkeypatch.setattr(whoosh_reuse, "MAX_SEGMENTS", 2)
    base = {p.name: p.stat().st_ino for p in live_build(built.index_dir).glob("passages_*.*")}
    write_article(built, NEW_ARTICLES[1])
    first = ensure_index(built)
    assert len(list(first.glob("passages_*.pst"))) == 2, "appended"
    write_article(built, NEW_ARTICLES[0])
    messages: list[str] = []
    second = ensure_index(built, progress=messages.append)
    assert any(m.startswith("index ready (incremental build, by rows)") for m in messages), messages
    now = {p.name: p.stat().st_ino for p in second.glob("passages_*.*")}
    assert base.items() <= now.items(), "the largest segment stays linked"
    assert len(list(second.glob("passages_*.pst"))) == 2, "the smaller segment merged into the new one"
    for build in (first, second):  # each segment has its long posting lists file, merged-away ones none
        for name in (PASSAGES, DEALS):
            assert {p.stem for p in build.glob(f"{name}_*.dns")} == {p.stem for p in build.glob(f"{name}_*.pst")}
    assert_saved_article_map(first)
    assert_saved_article_map(second)
    with windex.open_dir(str(second), indexname=PASSAGES).reader() as reader:
        linked = {name.split(".")[0] for name in base}  # a segment id is `<indexname>_<random>`
        merged = [sub for sub, _ in reader.leaf_readers() if sub.segment().segment_id() not in linked]
        assert [{s["article_id"] for _, s in sub.iter_docs()} for sub in merged] == [{LATE_ID, EARLY_ID}]
    assert_same_outputs(built, full_build_of(built, tmp_path))


def _change_an_article(settings: Settings) -> None:
    path = settings.articles_dir / f"{LATE_ID}.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nEin neuer Absatz über Leipzig.\n", encoding="utf-8")


def _delete_an_article(settings: Settings) -> None:
    (settings.articles_dir / f"{LATE_ID}.md").unlink()


def _change_annotations(settings: Settings) -> None:
    path = next(settings.annotations_dir.glob("*.yaml"))
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param(_change_an_article, "article file(s) changed", id="changed-article"),
        pytest.param(_delete_an_article, "article file(s) removed", id="deleted-article"),
        pytest.param(_change_annotations, "the annotations changed", id="annotations"),
    ],
)
def test_other_changes_rebuild_fully(built: Settings, tmp_path: Path, change, reason: str) -> None:
    write_article(built, NEW_ARTICLES[1])
    messages: list[str] = []
    assert read_manifest(ensure_index(built, progress=messages.append)).mode == "incremental", messages
    change(built)
    write_article(built, NEW_ARTICLES[0])  # a new article alongside does not make it incremental
    messages.clear()
    after = ensure_index(built, progress=messages.append)
    assert read_manifest(after).mode == "full"
    assert any("rebuilding the index" in m and reason in m for m in messages), messages
    assert_same_outputs(built, full_build_of(built, tmp_path))


def test_a_build_without_sources_record_is_rebuilt_fully(built: Settings) -> None:
    """A live build from before incremental updates has no record of its sources."""
    before = live_build(built.index_dir)
    (before / SOURCES).unlink()
    write_article(built, NEW_ARTICLES[0])
    messages: list[str] = []
    after = ensure_index(built, progress=messages.append)
    assert read_manifest(after).mode == "full"
    assert any("damaged" in m for m in messages), "a missing checksummed file is damage first"


def test_killed_update_keeps_the_old_build_and_the_rerun_updates(built: Settings, tmp_path: Path) -> None:
    before = live_build(built.index_dir)
    write_article(built, NEW_ARTICLES[0])
    log = tmp_path / "index.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [str(NEWSCORPUS), "index", *location(built)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=err, env={**os.environ, ENV_PAUSE_AT: "index:staged@120"},
        )
    try:
        deadline = time.monotonic() + 120
        while "paused at index:staged" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        assert "updating the index incrementally" in log.read_text()
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert live_build(built.index_dir) == before and damage(before) is None
    old = CorpusQuery(built, open_knowledge(before), WhooshBuilder().open(before))
    assert EARLY_ID not in old.articles and old.search_articles("Alibaba").total >= 1

    after = ensure_index(built)
    assert read_manifest(after).mode == "incremental" and read_manifest(after).previous == before.name
    assert sorted(p.name for p in built.index_dir.iterdir() if p.is_dir()) == sorted([before.name, after.name])


def test_rewrite_copies_documents_under_new_keys_as_a_fresh_build_indexes_them(
    template: Settings, tmp_path: Path
) -> None:
    """A rewrite copies a deal whose document but for the id is a previous one's, also under another id and
    more than once, and the index equals one analysed afresh."""
    from newscorpus.index.analysis import text_analyzer
    from newscorpus.index.whoosh_engine import _deal_docs, _deal_schema
    from newscorpus.index.whoosh_reuse import rewrite_index

    previous = live_build(template.index_dir)
    old = list(_deal_docs(load_knowledge(previous)))
    assert len(old) > 3
    ids = [d["deal_id"] for d in old]
    # Every id moves on by one, the first deal appears twice, and one deal is new.
    docs = [{**d, "deal_id": f"{ids[(i + 1) % len(ids)]}"} for i, d in enumerate(old)]
    docs.append({**old[0], "deal_id": "a-copy-of-the-first"})
    docs.append({**old[1], "deal_id": "new-deal", "summary": "Polarise baut ein Rechenzentrum in Leipzig."})
    sources = {d["deal_id"]: old[i]["deal_id"] for i, d in enumerate(docs[: len(old)])}
    sources["a-copy-of-the-first"] = old[0]["deal_id"]

    schema = _deal_schema(text_analyzer())
    rewritten, fresh = tmp_path / "rewritten", tmp_path / "fresh"
    rewritten.mkdir(), fresh.mkdir()
    assert rewrite_index(schema, DEALS, "deal_id", docs, previous, sources, rewritten) == (len(old) + 1, 1)
    writer = windex.create_in(str(fresh), schema, indexname=DEALS).writer()
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    assert index_contents(rewritten, DEALS, "deal_id") == index_contents(fresh, DEALS, "deal_id")


def _held_back_finds(articles: list[Article], new: set[str], gazetteer) -> tuple:
    """Entity finds of `articles` without those in `new`, as the previous build stored them, and what
    finding everything in `articles` gives."""
    from newscorpus.extract.entities import find_entities
    from newscorpus.extract.entity_finds import load

    stored = load(find_entities([a for a in articles if a.id not in new], gazetteer).stored())
    return stored, find_entities(articles, gazetteer)


@pytest.mark.parametrize("held", ["every-other", "new"])
def test_entity_finds_of_unchanged_articles_give_what_finding_everything_gives(
    corpus_settings: Settings, held: str
) -> None:
    """An update keeps the previous spans of every old article no new name can occur in and searches the
    others: entities, mentions, spans and the stored finds equal those of finding everything again."""
    from newscorpus.extract.annotations import load_gazetteer
    from newscorpus.extract.entities import find_entities
    from newscorpus.ingest.store import load_articles

    # An old article names Quantera plainly; only the new one gives a rule something to find it by.
    plain = _article("2026-01-02-example-quantera-waechst", "Quantera wächst", ["Quantera baut in Leipzig."])
    named = _article("2026-02-01-example-quantera", "Geld für Quantera", ["Das Start-up Quantera sammelt Geld."])
    articles = sorted([*load_articles(corpus_settings.corpus_dir), plain, named, *NEW_ARTICLES], key=lambda a: a.id)
    new = {named.id, *(a.id for a in NEW_ARTICLES)}
    if held == "every-other":
        new |= {a.id for a in articles[1::2]} - {plain.id}
    gazetteer = load_gazetteer(corpus_settings.annotations_dir)
    stored, every = _held_back_finds(articles, new, gazetteer)
    assert any(s.surface == "Quantera" for s in every.spans[f"{plain.id}#p1"])
    assert "quantera" in every.names and "quantera" not in stored.names

    again = find_entities(articles, gazetteer, stored)
    assert len(new) < again.searched_articles < len(articles), "old articles with a new name, not all of them"
    assert every.searched_articles == len(articles)
    assert again.entities == every.entities
    assert again.spans == every.spans
    assert again.stored() == every.stored()


@pytest.mark.parametrize(
    ("old_text", "new_text"),
    [
        # the earlier, new article spells an old name differently: the name's spelling changes
        ("Das Start-up QUANTERA baut in Leipzig.", "Das Start-up Quantera sammelt Geld."),
        # the new name has the old one's slug and sorts first: the old name is renumbered `-2`
        ("Das Start-up Quantéra baut in Leipzig.", "Das Start-up Quantera sammelt Geld."),
    ],
)
def test_a_new_article_that_changes_an_old_name_makes_every_article_searched(
    corpus_settings: Settings, old_text: str, new_text: str
) -> None:
    from newscorpus.extract.annotations import load_gazetteer
    from newscorpus.extract.entities import find_entities
    from newscorpus.ingest.store import load_articles

    early = _article("2026-01-01-example-a", "Geld", [new_text])
    late = _article("2026-03-01-example-b", "Bau", [old_text])
    articles = sorted([*load_articles(corpus_settings.corpus_dir), early, late], key=lambda a: a.id)
    gazetteer = load_gazetteer(corpus_settings.annotations_dir)
    stored, every = _held_back_finds(articles, {early.id}, gazetteer)
    again = find_entities(articles, gazetteer, stored)
    assert again.searched_articles == len(articles)
    assert again.entities == every.entities and again.spans == every.spans
    changed = {e.entity_id: e.name for e in again.entities if e.source == "rule"}
    kept = {e.entity_id: e.name for e in find_entities([a for a in articles if a is not early], gazetteer).entities
            if e.source == "rule"}
    assert changed.items() - kept.items() and kept.items() - changed.items(), "an old name did change"


def test_an_update_reads_the_corpus_once_and_only_its_new_files(
    built: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read that finds the corpus changed (its fingerprint) is the one the update plans and records
    its sources from, its files listed and stat'ed once, and of the corpus files it reads only those whose
    stat data changed since the last read: the others' digests are recorded in the index folder (seconds
    at 100 000 articles)."""
    import newscorpus.index.build as build
    from newscorpus.index import stat_record

    monkeypatch.setattr(stat_record, "RACY_NS", 0)  # a file written a moment ago may be trusted
    write_article(built, NEW_ARTICLES[1])
    ensure_index(built)
    assert (built.index_dir / build.FILE_HASHES).is_file()

    passes: list[Path] = []
    read_corpus = build._read_corpus
    monkeypatch.setattr(build, "_read_corpus", lambda settings, *rest: passes.append(settings.corpus_dir)
                        or read_corpus(settings, *rest))
    listings: list[Path] = []
    corpus_stats = build._corpus_stats
    monkeypatch.setattr(build, "_corpus_stats", lambda settings: listings.append(settings.corpus_dir)
                        or corpus_stats(settings))
    read: list[str] = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: read.append(path.name) or read_bytes(path))
    write_article(built, NEW_ARTICLES[0])
    updated = ensure_index(built)
    assert read_manifest(updated).mode == "incremental"
    assert passes == [built.corpus_dir]
    assert listings == [built.corpus_dir], "the corpus listed and stat'ed once"
    corpus_files = {p.name for p in built.corpus_dir.rglob("*") if p.is_file()}
    assert [name for name in read if name in corpus_files] == [f"{EARLY_ID}.md"]
    assert read_manifest(updated).fingerprint == build.corpus_fingerprint(built), "the fingerprint of every byte"


def test_articles_dated_after_every_other_append_their_deals(built: Settings, tmp_path: Path) -> None:
    """New articles that sort after every previous one (news arriving in date order) leave every previous
    deal, id included, as it was: the deal index keeps its segment and gets one more, like the passages."""
    before = live_build(built.index_dir)
    assert all(a.id < LATE_ID for a in load_knowledge(before, mentions=False).articles)
    write_article(built, NEW_ARTICLES[1])
    messages: list[str] = []
    after = ensure_index(built, progress=messages.append)
    assert read_manifest(after).mode == "incremental"
    old_files = {p.name: p.stat().st_ino for p in before.glob(f"{DEALS}_*.*")}
    new_files = {p.name: p.stat().st_ino for p in after.glob(f"{DEALS}_*.*")}
    assert old_files and old_files.items() <= new_files.items()
    assert len(list(after.glob(f"{DEALS}_*.pst"))) == 2, "one postings file per segment"
    assert any("and kept" in m and "deals from" in m for m in messages), messages
    assert_same_outputs(built, full_build_of(built, tmp_path))


def test_an_earlier_article_leaves_the_ids_of_later_deals(built: Settings, tmp_path: Path) -> None:
    """A new article dated before an old one with a deal of the same parties and type gets an id of its
    own: every previous deal keeps its id and document, and the deal index is appended to."""
    write_article(built, NEW_ARTICLES[1])
    first = ensure_index(built)
    earlier = _article("2026-11-01-example-microsoft-bayern", "Microsoft investiert in Bayern", [
        "Microsoft investiert 5 Milliarden Euro in neue Rechenzentren in Bayern, sagte Microsoft-Chef "
        "Satya Nadella in Nürnberg.",
    ])
    write_article(built, earlier)
    messages: list[str] = []
    after = ensure_index(built, progress=messages.append)
    assert read_manifest(after).mode == "incremental"
    before = {d.deal_id: d for d in load_knowledge(first).deals}
    now = {d.deal_id: d for d in load_knowledge(after).deals}
    assert before.items() <= now.items(), "every previous deal as it was"
    late = [d for d in before.values() if LATE_ID in d.article_ids]
    new = [d for d in now.values() if earlier.id in d.article_ids]
    assert any(deal_ids.base_id(a) == deal_ids.base_id(b) for a in late for b in new), "the same parties and type"
    assert any("and kept" in m and "deals from" in m and "deleted" not in m for m in messages), messages
    assert not deleted_stats.path(after, DEALS).exists()
    assert_same_outputs(built, full_build_of(built, tmp_path))


# A deal of an old article (dated after every bundled one) changes when a new article spells its party's
# name differently: the first find of a name decides its spelling, and the rule-found names match case.
QUANTERA_LATE = _article("2026-12-02-example-quantera-baut-in-leipzig", "Quantera baut in Leipzig", [
    "Das Start-up QUANTERA und Nvidia schließen eine Partnerschaft: Gemeinsam bauen sie in Leipzig ein "
    "Rechenzentrum für 200 Millionen Euro.",
])
QUANTERA_EARLY = _article("2026-01-01-example-quantera-sammelt-geld", "Geld", ["Das Start-up Quantera sammelt Geld."])


def _changing_update(built: Settings) -> tuple[Path, Path, list[str]]:
    """An update in which a deal of an old article changes. Returns the builds before and after, and the
    update's messages."""
    write_article(built, QUANTERA_LATE)
    first = ensure_index(built)
    write_article(built, QUANTERA_EARLY)
    messages: list[str] = []
    after = ensure_index(built, progress=messages.append)
    assert read_manifest(after).mode == "incremental"
    old = {d.deal_id: d for d in load_knowledge(first).deals if QUANTERA_LATE.id in d.article_ids}
    new = {d.deal_id: d for d in load_knowledge(after).deals if QUANTERA_LATE.id in d.article_ids}
    assert old and old != new, "the old article's deal changed"
    return first, after, messages


def test_changed_deals_are_deleted_from_their_segment_and_appended(built: Settings, tmp_path: Path) -> None:
    """The changed deal's old document is marked deleted where it lies and counted out of the
    statistics; the segments stay linked, the changed and new deals are one more segment, and every
    document, statistic and output equals a full build's. A further update carries the deletions over."""
    first, after, messages = _changing_update(built)
    old_files = {p.name: p.stat().st_ino for p in first.glob(f"{DEALS}_*.*")}
    new_files = {p.name: p.stat().st_ino for p in after.glob(f"{DEALS}_*.*")}
    assert old_files and old_files.items() <= new_files.items(), "the previous segments are linked"
    assert len(list(after.glob(f"{DEALS}_*.pst"))) == 3
    deleted = re.search(r"and kept \d+ deals from \S+ \((\d+) deleted\)", " ".join(messages))
    assert deleted and int(deleted.group(1)) >= 1, messages
    stats = deleted_stats.read(after, DEALS)
    assert sum(s.docs for s in stats.segments.values()) == int(deleted.group(1))
    with windex.open_dir(str(after), indexname=DEALS).reader() as reader:
        assert reader.doc_count_all() - reader.doc_count() == int(deleted.group(1))
    assert_same_outputs(built, full_build_of(built, tmp_path / "a"))

    write_article(built, NEW_ARTICLES[0])
    again = ensure_index(built)
    assert read_manifest(again).mode == "incremental"
    assert deleted_stats.read(again, DEALS) == stats
    assert_same_outputs(built, full_build_of(built, tmp_path / "b"))


def test_too_many_deleted_deals_rewrite_the_deal_index(
    built: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past `MAX_DELETED` the deal index is rewritten as one segment, copying the unchanged deals, without
    deleted documents."""
    from newscorpus.index import whoosh_reuse

    monkeypatch.setattr(whoosh_reuse, "MAX_DELETED", 0.0)
    _first, after, messages = _changing_update(built)
    assert len(list(after.glob(f"{DEALS}_*.pst"))) == 1
    assert not deleted_stats.path(after, DEALS).exists()
    assert any("and copied" in m and "deals from" in m for m in messages), messages
    assert_same_outputs(built, full_build_of(built, tmp_path))


def test_a_rewrite_leaves_the_deleted_deals_out(
    built: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index with deleted deals, rewritten by the next update, copies only its live deals."""
    from newscorpus.index import whoosh_reuse

    _first, after, _messages = _changing_update(built)
    assert deleted_stats.path(after, DEALS).exists()
    monkeypatch.setattr(whoosh_reuse, "MAX_DELETED", 0.0)
    write_article(built, NEW_ARTICLES[0])
    again = ensure_index(built)
    assert len(list(again.glob(f"{DEALS}_*.pst"))) == 1
    assert not deleted_stats.path(again, DEALS).exists()
    with windex.open_dir(str(again), indexname=DEALS).reader() as reader:
        assert reader.doc_count_all() == reader.doc_count()
    assert_same_outputs(built, full_build_of(built, tmp_path))


def test_an_update_that_renames_an_old_entity_extracts_every_article_again(built: Settings, tmp_path: Path) -> None:
    """A new article dated first that spells an old rule-found name differently changes that name in every
    article: the update by rows does not apply, every article is searched, and the result is a full
    build's."""
    write_article(built, _article("2026-03-01-example-quantera-baut", "Bau", ["Das Start-up QUANTERA baut hier."]))
    ensure_index(built)
    write_article(built, QUANTERA_EARLY)
    messages: list[str] = []
    after = ensure_index(built, progress=messages.append)
    assert read_manifest(after).mode == "incremental"
    assert any("extracting every article again" in m for m in messages), messages
    assert not any("by rows" in m for m in messages), messages
    assert "quantera" in {e.entity_id for e in load_knowledge(after, mentions=False).entities}
    assert_same_outputs(built, full_build_of(built, tmp_path))


def test_an_article_without_room_between_row_numbers_updates_from_whole_knowledge_bases(
    built: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Articles numbered without gaps leave a new article that sorts first no number: the update by rows
    gives way to the update from whole knowledge bases, and the result is a full build's."""
    from newscorpus.index import knowledge_store

    monkeypatch.setattr(knowledge_store, "ORDER_GAP", 1)
    ensure_index(built, rebuild=True)
    write_article(built, NEW_ARTICLES[0])  # EARLY_ID: before every bundled article
    messages: list[str] = []
    after = ensure_index(built, progress=messages.append)
    assert read_manifest(after).mode == "incremental"
    assert any("no room for 1 article(s) before" in m and "updating from whole knowledge bases" in m
               for m in messages), messages
    assert not any(m.startswith("index ready (incremental build, by rows)") for m in messages), messages
    assert_same_outputs(built, full_build_of(built, tmp_path))


@pytest.mark.parametrize("merged", [False, True], ids=["deleted", "merged away"])
def test_a_new_name_found_in_an_old_article_changes_its_deal_by_rows(
    built: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, merged: bool
) -> None:
    """A name a rule finds only in a new article also occurs in an old one, whose entities and deal change:
    the update by rows searches that old article again, replaces its mentions and deal (the old deal
    document deleted from its segment), and the result is a full build's. At the segment bound the
    segment holding the deleted deal is merged away, and its deleted deal with it."""
    from newscorpus.index import whoosh_reuse

    if merged:
        monkeypatch.setattr(whoosh_reuse, "MAX_SEGMENTS", 2)
    old = _article("2026-12-02-example-lumora-baut-in-leipzig", "Lumora baut in Leipzig", [
        "Lumora und Nvidia schließen eine Partnerschaft: Gemeinsam bauen sie in Leipzig ein Rechenzentrum "
        "für 200 Millionen Euro.",
    ])
    write_article(built, old)
    first = ensure_index(built)
    write_article(built, _article("2026-12-03-example-lumora", "Geld", ["Das Start-up Lumora sammelt Geld."]))
    messages: list[str] = []
    after = ensure_index(built, progress=messages.append)
    assert any(m.startswith("index ready (incremental build, by rows)") for m in messages), messages
    searched = re.search(r"entities searched in (\d+) of", " ".join(messages))
    assert searched and int(searched.group(1)) == 2, messages
    before_deals = {d.deal_id for d in load_knowledge(first).deals if old.id in d.article_ids}
    after_deals = {d.deal_id: d for d in load_knowledge(after).deals if old.id in d.article_ids}
    assert before_deals and before_deals != after_deals.keys(), "the old article's deal changed"
    assert any(p.entity_id == "lumora" for d in after_deals.values() for p in d.parties)
    assert re.search(r"and kept \d+ deals from \S+ \((\d+) deleted\)", " ".join(messages)), messages
    assert len(list(after.glob(f"{DEALS}_*.pst"))) == (2 if merged else 3)
    assert deleted_stats.path(after, DEALS).exists() != merged
    assert_same_outputs(built, full_build_of(built, tmp_path))


def test_each_new_name_is_checked_against_the_corpus_words() -> None:
    """The old texts a new name can occur in: each name is checked against the corpus's words, whatever
    the names before it (one whose words all occur, though not in a row, comes first here)."""
    from newscorpus.extract.entities import _articles_matching, passage_words

    texts = [("a", ["Alpha baut in Leipzig."]), ("b", ["Beta und Alpha wachsen."]), ("c", ["Lumoras Werk wächst."])]
    words = passage_words(t for _, found in texts for t in found)
    assert _articles_matching(["Alpha Beta", "Lumora", "Zeta"], texts, words) == {"c"}
    assert _articles_matching(["Alpha Beta", "Zeta"], texts, words) == set()


@pytest.mark.parametrize("old_text", [None, "Lumoras Rechenzentrum in Leipzig wächst."], ids=["new word", "genitive"])
def test_old_texts_are_searched_only_for_new_names_whose_words_they_have(
    built: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old_text: str | None
) -> None:
    """A new rule-found name with a word no old article has cannot occur in one: the update does not
    read the old texts. An old article with the name's word in the genitive (`Lumoras`) is read and
    searched again. Either way the result is a full build's."""
    from newscorpus.index.knowledge_store import KnowledgeStore

    if old_text is not None:
        write_article(built, _article("2026-12-02-example-leipzig", "Leipzig", [old_text]))
        ensure_index(built)
    reads: list[int] = []
    texts = KnowledgeStore.texts_by_article

    def counted(self: KnowledgeStore):
        for item in texts(self):
            reads.append(1)
            yield item

    monkeypatch.setattr(KnowledgeStore, "texts_by_article", counted)
    # Two new names, the one an old article may hold sorting last (each is checked on its own).
    write_article(built, _article("2026-12-03-example-lumora", "Geld", [
        "Das Start-up Aaronix wächst.", "Das Start-up Lumora sammelt Geld.",
    ]))
    messages: list[str] = []
    ensure_index(built, progress=messages.append)
    assert any(m.startswith("index ready (incremental build, by rows)") for m in messages), messages
    searched = re.search(r"entities searched in (\d+) of", " ".join(messages))
    assert searched is not None, messages
    if old_text is None:
        assert not reads, "old texts read for a name none of them can hold"
        assert int(searched.group(1)) == 1
    else:
        assert reads and int(searched.group(1)) == 2, messages
    assert_same_outputs(built, full_build_of(built, tmp_path))


def test_a_new_file_that_is_no_article_leaves_the_update_to_whole_knowledge_bases(
    built: Settings, tmp_path: Path
) -> None:
    """A new file in the articles folder that is not an article file (`*.md`) is read by no build; the
    update by rows leaves such a change to the update from whole knowledge bases, which ignores it."""
    write_article(built, NEW_ARTICLES[1])
    (built.articles_dir / "notes.txt").write_text("Not an article.\n", encoding="utf-8")
    messages: list[str] = []
    after = ensure_index(built, progress=messages.append)
    assert read_manifest(after).mode == "incremental"
    assert not any("by rows" in m for m in messages), messages
    assert LATE_ID in {a.id for a in load_knowledge(after, mentions=False).articles}
    assert_same_outputs(built, full_build_of(built, tmp_path))
