"""Postings written with protocol-5 blocks (`FastBlockCodec`) read back exactly as Whoosh's W3 codec's."""

from __future__ import annotations

import pickle
import zlib
from pathlib import Path

from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher

from newscorpus.index.analysis import text_analyzer
from newscorpus.index.whoosh_codec import BLOCK_PROTOCOL, FastBlockCodec
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
