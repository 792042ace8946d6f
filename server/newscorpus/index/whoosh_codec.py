"""Whoosh's W3 codec, with each block of postings pickled at protocol 5 instead of 2.

A block holds the ids, weights and values (encoded positions) of up to 128 postings. Protocol 2 stores each
value, a `bytes` object, as a call to `_codecs.encode(str, "latin1")`, which unpickling runs once per
posting: reading a block of `text` postings cost ~240 µs, nine tenths of it those calls, and reading blocks
is most of a search once the scoring is done term at a time (`fast_scoring`). Protocol 5 stores bytes as
bytes (~25 µs a block). The postings, block layout, block statistics and term infos are those of W3Codec;
Whoosh's readers read either protocol, so indexes written before still open.
"""

from __future__ import annotations

import pickle
import zlib

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3PostingsWriter
from whoosh.util.numeric import length_to_byte

BLOCK_PROTOCOL = 5


class FastBlockPostingsWriter(W3PostingsWriter):
    """`W3PostingsWriter` whose block data is pickled at `BLOCK_PROTOCOL` (the rest is Whoosh's method)."""

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, BLOCK_PROTOCOL)
        comp = self._compression
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        infobytes = pickle.dumps(
            (len(ids), ids[-1], self._maxweight, comp, length_to_byte(self._minlength),
             length_to_byte(self._maxlength)),
            2,
        )
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class FastBlockCodec(W3Codec):
    """W3Codec writing postings with `FastBlockPostingsWriter`. Pickled into every segment it writes, so
    this class must stay importable under this name."""

    def postings_writer(self, dbfile, byteids: bool = False) -> W3PostingsWriter:
        return FastBlockPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )
