"""Postings written as array blocks (`FastBlockCodec`) read back exactly as Whoosh's W3 codec's, by Whoosh's
matchers and by the array reader the search uses."""

from __future__ import annotations

import io
import pickle
import zlib
from array import array
from pathlib import Path

import numpy as np
from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher, W3TermInfo
from whoosh.filedb.structfile import StructFile
from whoosh.formats import Positions

from newscorpus.index.analysis import text_analyzer
from newscorpus.index.fast_scoring import postings
from newscorpus.index.whoosh_codec import BLOCK_PROTOCOL, FastBlockCodec, PackedValues, ZippedValues
from newscorpus.index.whoosh_engine import _passage_docs, _passage_schema
from newscorpus.query.api import CorpusQuery


def _index(tmp: Path, name: str, codec: W3Codec, kb) -> windex.Index:
    folder = tmp / name
    folder.mkdir()
    ix = windex.create_in(str(folder), _passage_schema(text_analyzer()), indexname="p")
    writer = ix.writer(codec=codec)
    for doc in _passage_docs(kb):
        writer.add_document(**doc)
    writer.commit()
    return ix


def _postings(ix: windex.Index) -> dict[tuple[str, bytes], list[tuple[int, float, bytes]]]:
    out = {}
    with ix.reader() as reader:
        for field, text in reader.all_terms():
            m = reader.postings(field, text)
            rows = []
            while m.is_active():
                rows.append((m.id(), m.weight(), m.value()))
                m.next()
            out[field, text] = rows
    return out


def test_fast_blocks_hold_the_same_postings_as_whooshs(corpus_query: CorpusQuery, tmp_path: Path) -> None:
    kb = corpus_query.kb  # blocks of 8 postings, so that many terms span several blocks
    ours = _index(tmp_path, "ours", FastBlockCodec(blocklimit=8), kb)
    whooshs = _index(tmp_path, "w3", W3Codec(blocklimit=8), kb)
    expected = _postings(whooshs)
    assert sum(len(rows) > 8 for rows in expected.values()) > 0, "some term should span several blocks"
    assert _postings(ours) == expected
    with ours.reader() as reader:
        m = reader.postings("text", max(expected, key=lambda ft: len(expected[ft]) if ft[0] == "text" else 0)[1])
        assert isinstance(m, W3LeafMatcher)
        data = m._postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
        raw = zlib.decompress(data) if m._compression else data
        assert raw[:2] == pickle.PROTO + bytes([BLOCK_PROTOCOL])


def test_block_arrays_read_as_whooshs_postings(corpus_query: CorpusQuery, tmp_path: Path) -> None:
    """`fast_scoring.postings` reads the array blocks and W3's tuple blocks as Whoosh's matchers do."""
    kb = corpus_query.kb
    codecs = (
        ("ours8", FastBlockCodec(blocklimit=8)),
        ("ours64", FastBlockCodec(blocklimit=64)),
        ("w3", W3Codec(blocklimit=8)),
    )
    array_blocks = 0
    for name, codec in codecs:
        ix = _index(tmp_path, name, codec, kb)
        expected = _postings(ix)
        with ix.reader() as reader:
            for (field, text), rows in expected.items():
                ids, weights = postings(reader.postings(field, text))
                assert ids.dtype == np.int64 and weights.dtype == np.float64
                assert list(zip(ids.tolist(), weights.tolist(), strict=True)) == [(d, w) for d, w, _ in rows], name
                m = reader.postings(field, text)
                if isinstance(m, W3LeafMatcher):
                    m._read_data()
                    array_blocks += isinstance(m._data[0], array)
    assert array_blocks > 0, "some blocks (of 16 postings or more) should hold arrays"


def test_packed_values_behave_as_the_tuple_they_replace() -> None:
    values = (b"ab", b"", b"\x00\x01\x02", b"z")
    packed = PackedValues.of(values)
    assert tuple(pickle.loads(pickle.dumps(packed, BLOCK_PROTOCOL))) == values == tuple(packed)
    assert len(packed) == 4 and packed[2] == values[2] and packed[-1] == b"z" and packed[1:3] == list(values[1:3])


def test_zipped_values_are_decompressed_only_when_a_value_is_asked_for() -> None:
    values = (b"ab", b"", b"\x00\x01\x02", b"z")
    zipped = pickle.loads(pickle.dumps(ZippedValues.of(PackedValues.of(values), 3), BLOCK_PROTOCOL))
    assert len(zipped) == 4 and zipped._packed is None
    assert zipped[2] == values[2] and zipped._packed is not None
    assert tuple(zipped) == values and zipped[-1] == b"z" and zipped[1:3] == list(values[1:3])


def _write_and_read(rows: list[tuple[int, float, bytes]]) -> tuple[list, list, list]:
    """One term's postings written by `FastBlockCodec` (blocks of 32) and read back: the blocks' data
    tuples, Whoosh's matcher's postings, and `fast_scoring.postings`' arrays."""
    postfile = StructFile(io.BytesIO())
    writer = FastBlockCodec(blocklimit=32).postings_writer(postfile)
    fmt = Positions()
    writer.start_postings(fmt, W3TermInfo())
    for doc, weight, value in rows:
        writer.add_posting(doc, weight, value, length=10)
    offset, length = writer.finish_postings().extent()
    blocks, read = [], []
    m = W3LeafMatcher(postfile, offset, length, fmt)
    while m.is_active():
        if m._data is None:
            m._read_data()
            blocks.append((m._compression, m._data))
        read.append((m.id(), m.weight(), m.value()))
        m.next()
    ids, weights = postings(W3LeafMatcher(postfile, offset, length, fmt))
    return blocks, read, list(zip(ids.tolist(), weights.tolist(), strict=True))


def test_array_blocks_use_the_narrowest_exact_types_and_compress_only_their_values() -> None:
    """Ids take 16 bits a delta unless one needs 32; weights are float32s, as W3's writer keeps them."""
    small_gaps = [(3 * n, float(1 + n % 4), bytes([n % 7, 1])) for n in range(32)]
    wide_gaps = [(200 + 70_000 * n, 1.5 if n == 3 else 1.0, bytes([n + 1])) for n in range(32)]
    short = [(200_000_000 + n, 2.0, b"\x05") for n in range(5)]
    rows = small_gaps + wide_gaps + short
    blocks, read, arrays = _write_and_read(rows)
    assert read == [(d, w, v) for d, w, v in rows]
    assert arrays == [(d, w) for d, w, _ in rows]
    (c1, (ids1, w1, v1)), (c2, (ids2, w2, v2)), (c3, (ids3, _w3, v3)) = blocks
    assert (ids1.typecode, w1.typecode, ids2.typecode, w2.typecode) == ("H", "f", "I", "f")
    assert c1 == c2 == 0 and isinstance(v1, ZippedValues) and isinstance(v2, ZippedValues)
    assert c3 and isinstance(ids3, tuple) and isinstance(v3, tuple), "blocks under 16 postings stay W3's"


def test_opened_indexes_read_their_postings_from_files_not_from_copies_in_memory(corpus_query: CorpusQuery) -> None:
    """Segments are written as separate files (`writer_options`): Whoosh would read a compound segment
    through a `BytesIO` copy of each of its parts, every posting held in memory."""
    index = corpus_query._index
    for searcher in (index._passage_searcher, index._deal_searcher):
        for reader, _offset in searcher.reader().leaf_readers():
            assert not reader._segment.is_compound()
            assert isinstance(reader._terms._dbfile.file, io.BufferedReader)
