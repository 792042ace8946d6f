"""Long posting lists written again as plain runs (`dense_postings`) read back exactly as Whoosh's blocks
give them, by every writer that makes segments, and searches through them score as Whoosh does."""

from __future__ import annotations

import logging
from array import array
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage

from newscorpus.index import dense_postings
from newscorpus.index.analysis import text_analyzer
from newscorpus.index.dense_postings import EXT, DenseReader, DenseWriter
from newscorpus.index.fast_scoring import TermCache, postings
from newscorpus.index.posting_pool import TermPoolWriter
from newscorpus.index.whoosh_codec import FastBlockCodec
from newscorpus.index.whoosh_engine import PASSAGES, WhooshBuilder, _passage_docs, _passage_schema
from newscorpus.query.api import CorpusQuery
from test_fast_scoring import _compare


def _index(folder: Path, kb, codec: FastBlockCodec, *, pooled: bool, compound: bool = False) -> windex.Index:
    folder.mkdir()
    ix = windex.create_in(str(folder), _passage_schema(text_analyzer()), indexname="p")
    writer = TermPoolWriter(ix, codec=codec, compound=compound) if pooled else ix.writer(codec=codec, compound=compound)
    for doc in _passage_docs(kb):
        writer.add_document(**doc)
    writer.commit()
    return ix


def _dense(sub) -> DenseReader:
    dense = DenseReader.open(sub.storage(), sub.segment().make_filename(EXT))
    assert dense is not None
    return dense


@pytest.mark.parametrize(
    ("pooled", "compound"), [(True, False), (False, False), (False, True)], ids=["pool", "whoosh", "compound"]
)
def test_every_long_term_reads_as_whooshs_blocks_give_it(
    corpus_query: CorpusQuery, tmp_path: Path, pooled: bool, compound: bool
) -> None:
    """Our build's writer and Whoosh's own (as merges use it) both write the file; with a threshold of 20
    it holds exactly the terms of 20 postings or more, and each reads as `fast_scoring.postings` reads
    Whoosh's blocks (blocks of 8, so that runs join several)."""
    ix = _index(tmp_path / "ix", corpus_query.kb, FastBlockCodec(blocklimit=8, dense_min=20), pooled=pooled,
                compound=compound)
    with ix.reader() as reader:
        dense = _dense(reader)
        held = 0
        for field, text in reader.all_terms():
            expected = postings(reader.postings(field, text))
            found = dense.postings(field, text)
            if len(expected[0]) < 20:
                assert found is None, (field, text)
                continue
            assert found is not None, (field, text)
            assert [a.dtype for a in found] == [np.dtype(np.int64), np.dtype(np.float64)]
            assert np.array_equal(found[0], expected[0]) and np.array_equal(found[1], expected[1]), (field, text)
            held += 1
        assert held > 10 and {"text", "title"} <= {f for f, _t in reader.all_terms() if dense.postings(f, _t)}


def test_runs_take_the_narrowest_exact_types(tmp_path: Path) -> None:
    storage = FileStorage(str(tmp_path))
    writer = DenseWriter(storage.create_file("t.dns"), min_postings=2)
    cases = {
        b"small": ([3, 4, 9], [1.0, 2.0, 255.0], "H", "B"),
        b"wide": ([5, 70_000, 70_001], [1.0, 1.0, 0.0], "I", "B"),
        b"boosted": ([0, 1, 2], [1.5, 3.0, 4.5], "H", "f"),
        b"heavy": ([1, 2], [256.0, 1.0], "H", "f"),
        "Gr\u00fc\u00dfe".encode(): ([0, 65_535], [2.0, 1.0], "H", "B"),
        b"bytes\xff": ([0, 1, 2], [1.0, 1.0, 1.0], None, None),  # no UTF-8: left to Whoosh
        "bytes\ufffd".encode(): ([4, 5], [1.0, 1.0], "H", "B"),  # what a lenient decoding would read it as
        b"short": ([7], [1.0], None, None),  # below the threshold
    }
    for btext, (ids, weights, _i, _w) in cases.items():
        half = len(ids) // 2  # as blocks: the arrays Whoosh's writer holds
        writer.add("text", btext, [(array("I", ids[:half]), array("f", weights[:half])),
                                   (array("I", ids[half:]), array("f", weights[half:]))])
    writer.close()
    dense = DenseReader.open(storage, "t.dns")
    assert dense is not None
    for btext, (ids, weights, id_type, weight_type) in cases.items():
        found = dense.postings("text", btext)
        if id_type is None:
            assert found is None, btext
            continue
        assert found is not None
        assert found[0].tolist() == ids and found[1].tolist() == weights, btext
        assert dense._table["text"][btext.decode()][2:] == [id_type, weight_type], btext
    assert dense.postings("title", b"small") is None


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_a_damaged_file_is_ignored_and_whooshs_postings_are_read(
    corpus_query: CorpusQuery, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    ix = _index(tmp_path / "ix", corpus_query.kb, FastBlockCodec(dense_min=1), pooled=True)
    (path,) = (tmp_path / "ix").glob(f"*{EXT}")
    path.write_bytes(path.read_bytes()[:-3] if damage == "truncated" else b"")
    with ix.reader() as reader, caplog.at_level(logging.WARNING):
        cache = TermCache()
        for field, text in list(reader.all_terms())[:50]:
            ids, weights = cache.postings(reader, field, text)
            expected = postings(reader.postings(field, text))
            assert np.array_equal(ids, expected[0]) and np.array_equal(weights, expected[1])
    assert any(path.name in r.getMessage() and "Whoosh's postings" in r.getMessage() for r in caplog.records)


def test_deleted_documents_are_left_out_as_whooshs_matchers_leave_them(
    corpus_query: CorpusQuery, tmp_path: Path
) -> None:
    ix = _index(tmp_path / "ix", corpus_query.kb, FastBlockCodec(dense_min=1), pooled=True)
    writer = ix.writer()
    for docnum in (0, 5, 6, 40):
        writer.delete_document(docnum)
    writer.commit(merge=False)
    with ix.reader() as reader:
        assert reader.has_deletions()
        cache, shorter = TermCache(), 0
        for field, text in reader.all_terms():
            ids, weights = cache.postings(reader, field, text)
            expected = postings(reader.postings(field, text))  # Whoosh's matcher skips the deleted
            assert np.array_equal(ids, expected[0]) and np.array_equal(weights, expected[1]), (field, text)
            shorter += len(ids) < len(_dense(reader).postings(field, text)[0])
        assert shorter > 0, "some terms lost postings to the deletions"


def test_searches_through_dense_postings_score_as_whooshs_matchers(
    corpus_query: CorpusQuery, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every term written dense (threshold 1), term-at-a-time scores read from the files equal
    Whoosh's matchers' for every relevance query, and the files were what the search read."""
    monkeypatch.setattr(dense_postings, "MIN_POSTINGS", 1)
    builder = WhooshBuilder(keep_models=True)
    builder.build(corpus_query.kb, tmp_path, lambda _m: None)
    index = builder.open(tmp_path)
    try:
        assert _compare(index, corpus_query) > 0
        reader = index._passage_searcher.reader()
        terms = [t for f, t in reader.all_terms() if f == "text"]
        cache = TermCache()
        cache.postings(reader, "text", terms[0])
        dense = cache._dense[id(reader)]
        assert dense is not None and all(dense.postings("text", t) is not None for t in terms)
    finally:
        index.close()
    with windex.open_dir(str(tmp_path), indexname=PASSAGES).reader() as reader:
        assert len(list(tmp_path.glob(f"{PASSAGES}_*{EXT}"))) == len(reader.leaf_readers())
