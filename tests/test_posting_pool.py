"""The term-grouped posting pool writes the segment Whoosh's own writer writes: same postings, positions,
weights, field lengths and stored fields, whether it keeps everything in memory or spills runs to disk."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage

from newscorpus.bench.scale_corpus import generate_article, load_material
from newscorpus.config import BUNDLED_CORPUS
from newscorpus.extract.pipeline import extract_knowledge
from newscorpus.index.analysis import AnalysisConfig, text_analyzer
from newscorpus.index.posting_pool import TermPool, TermPoolWriter, _FieldLengths
from newscorpus.index.whoosh_engine import _deal_docs, _deal_schema, _passage_docs, _passage_schema
from newscorpus.ingest.store import load_articles
from newscorpus.models import KnowledgeBase

GENERATED = 60  # enough passages for terms with several 128-posting blocks


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    material = load_material(BUNDLED_CORPUS)
    articles = load_articles(BUNDLED_CORPUS) + [generate_article(material, i) for i in range(GENERATED)]
    articles.sort(key=lambda a: a.id)
    found = extract_knowledge(articles, BUNDLED_CORPUS / "annotations")
    return KnowledgeBase(fingerprint="test", articles=articles, entities=found.entities, deals=found.deals)


def _write(folder: Path, name: str, schema: Any, docs: list[dict], make_writer) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(folder), schema, indexname=name)
    writer = make_writer(ix)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()


def _dump(folder: Path, name: str) -> list:
    """Everything a search reads from the index: every posting's number, weight and encoded positions,
    each term's statistics, every document's stored fields and field lengths, the length totals."""
    ix = windex.open_dir(str(folder), indexname=name)
    out: list = [len(ix._segments())]
    with ix.reader() as r:
        fields = sorted(n for n in ix.schema.names() if ix.schema[n].scorable)
        for fieldname, text in r.all_terms():
            info = r.term_info(fieldname, text)
            out.append((fieldname, text, info.weight(), info.doc_frequency(), info.min_length(),
                        info.max_length(), info.max_weight(), info.min_id(), info.max_id()))
            m = r.postings(fieldname, text)
            while m.is_active():
                out.append((m.id(), m.weight(), m.value(), m.block_max_weight(), m.block_max_length()))
                m.next()
        for d in range(r.doc_count_all()):
            out.append(sorted(r.stored_fields(d).items()))
            out.append([r.doc_field_length(d, f) for f in fields])
        out.append([(f, r.field_length(f), r.min_field_length(f), r.max_field_length(f)) for f in fields])
    return out


@pytest.mark.parametrize("max_postings", [None, 1_000], ids=["in-memory", "spilling"])
def test_term_pool_writes_whooshs_segment(kb: KnowledgeBase, tmp_path: Path, max_postings: int | None) -> None:
    analyzer = text_analyzer(AnalysisConfig(decompound=False))
    passages, deals = list(_passage_docs(kb)), list(_deal_docs(kb))
    assert len(passages) > 500
    kwargs = {} if max_postings is None else {"max_postings": max_postings}
    for sub, make in (("whoosh", lambda ix: ix.writer()), ("pool", lambda ix: TermPoolWriter(ix, **kwargs))):
        _write(tmp_path / sub, "p", _passage_schema(analyzer), passages, make)
        _write(tmp_path / sub, "d", _deal_schema(analyzer), deals, make)
    for name in ("p", "d"):
        expected = _dump(tmp_path / "whoosh", name)
        if name == "p":  # terms with several 128-posting blocks
            assert any(isinstance(row, tuple) and len(row) == 9 and row[3] > 128 for row in expected)
        assert _dump(tmp_path / "pool", name) == expected
    assert not list((tmp_path / "pool").glob("*.terms"))  # spilled runs are removed


@pytest.mark.parametrize("max_postings", [10**9, 7], ids=["in-memory", "spilling"])
def test_term_pool_sorts_postings_that_come_out_of_order(max_postings: int, tmp_path: Path) -> None:
    """Copied postings (incremental updates) are added after new ones, so not in document order."""
    rng = random.Random(7)
    items = [(f, t, d, float(rng.randint(1, 3)), bytes([d % 256]))
             for f in ("text", "title") for t in (b"a", b"b", b"kirche") for d in rng.sample(range(500), 40)]
    rng.shuffle(items)
    pool = TermPool(FileStorage(str(tmp_path)), max_postings)
    for item in items:
        pool.add(item)
    assert list(pool.iter_postings()) == sorted(items)


def test_field_lengths_read_at_once_are_doc_field_length(kb: KnowledgeBase, tmp_path: Path) -> None:
    """Every field (scorable ones with a lengths column, ids without) and every document."""
    analyzer = text_analyzer(AnalysisConfig(decompound=False))
    _write(tmp_path, "p", _passage_schema(analyzer), list(_passage_docs(kb)), lambda ix: TermPoolWriter(ix))
    ix = windex.open_dir(str(tmp_path), indexname="p")
    with ix.reader() as r:
        perdoc, n = r._perdoc, r.doc_count_all()
        lengths = _FieldLengths(perdoc, n)
        for field in ix.schema.names():
            assert lengths[field] == [perdoc.doc_field_length(d, field) for d in range(n)], field
        assert any(x is not None and x > 1 for x in lengths["text"]) and set(lengths["passage_id"]) == {0}
