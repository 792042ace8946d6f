"""Whoosh's W3 codec, with each block of postings stored for fast reading of ids and weights alone.

A block holds the ids, weights and values (encoded positions) of up to `BLOCK_POSTINGS` postings, pickled as
one tuple.
W3 pickles them at protocol 2 as tuples of Python objects and compresses the whole pickle: unpickling runs
`_codecs.encode` once per value, and a search that only scores decompresses every position anyway. Here a
block of at least `ARRAY_MIN_POSTINGS` postings is pickled at protocol 5, not compressed as a whole, with:

- the ids (delta-encoded as in W3) as an `array('H')` when every delta fits 16 bits, else `array('I')`, and
  the weights as the `array('f')` W3's writer keeps them in (it stores every weight as a float32):
  unpickled as byte copies and read by numpy without conversion (`fast_scoring.postings`);
- the values as `ZippedValues`, one zlib-compressed blob of every value and its end, decompressed and split
  into per-posting bytes only when something asks for a value (phrase queries, copying postings).

Smaller blocks keep W3's compressed tuples, which are smaller there. Whoosh's own reader reads every block
unchanged: it iterates and indexes the ids, weights and values, which arrays and `ZippedValues` support
(each block records whether it is compressed). The block layout, block statistics and term infos are W3's.
Blocks written before (weights as `array('d')`, `PackedValues`, compressed whole) still read.

Every term of at least `dense_postings.MIN_POSTINGS` postings is also written to the segment's
`dense_postings` file, from the blocks as they are written: searches read its ids and weights from there.
"""

from __future__ import annotations

import pickle
import sys
import zlib
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3PostingsWriter
from whoosh.system import emptybytes
from whoosh.util.numeric import length_to_byte

from newscorpus.index import dense_postings

BLOCK_PROTOCOL = 5
# Postings per block (W3's default is 128): a search reads every block of its terms whole, and each block
# costs a seek, a decompression and an unpickling however few postings it holds. Whoosh's block skipping
# (phrase queries) gets coarser, which matters less than reading common words' postings.
BLOCK_POSTINGS = 1024
# Blocks of fewer postings keep W3's tuples: an array's pickle carries ~60 bytes of class and type code,
# more than a few small ints (most terms have only a few postings).
ARRAY_MIN_POSTINGS = 16
if array("I").itemsize != 4:  # never seen on a supported platform; the blocks would not read back
    raise ImportError("FastBlockCodec stores document numbers as array('I'), which is not 4 bytes here")


class PackedValues(Sequence[bytes]):
    """A block's values as one blob and their end offsets; a value's bytes are cut out when asked for.
    Pickled into every block: this class must stay importable under this name."""

    __slots__ = ("_blob", "_ends")

    def __init__(self, blob: bytes, ends: array) -> None:
        self._blob, self._ends = blob, ends

    @classmethod
    def of(cls, values: Sequence[bytes]) -> PackedValues:
        ends = array("I")
        end = 0
        for value in values:
            end += len(value)
            ends.append(end)
        return cls(emptybytes.join(values), ends)

    def __reduce__(self):
        return PackedValues, (self._blob, self._ends)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i):  # Sequence's contract: an int or a slice
        if isinstance(i, slice):
            return [self[n] for n in range(*i.indices(len(self)))]
        ends = self._ends
        if i < 0:
            i += len(ends)
        start = ends[i - 1] if i > 0 else 0
        return self._blob[start : ends[i]]

    def __iter__(self) -> Iterator[bytes]:
        blob, start = self._blob, 0
        for end in self._ends:
            yield blob[start:end]
            start = end


class ZippedValues(Sequence[bytes]):
    """A block's values as one zlib-compressed blob: each value's end (4 bytes, little-endian) and then
    the values' bytes. Decompressed on the first access, so reading a block's ids and weights costs no
    decompression. Pickled into every block: this class must stay importable under this name."""

    __slots__ = ("_count", "_packed", "_zipped")

    def __init__(self, count: int, zipped: bytes) -> None:
        self._count, self._zipped = count, zipped
        self._packed: PackedValues | None = None

    @classmethod
    def of(cls, values: PackedValues, level: int) -> ZippedValues:
        ends = array("I", values._ends)
        if sys.byteorder == "big":
            ends.byteswap()
        return cls(len(ends), zlib.compress(ends.tobytes() + values._blob, level))

    def __reduce__(self):
        return ZippedValues, (self._count, self._zipped)

    def _values(self) -> PackedValues:
        if self._packed is None:
            raw = zlib.decompress(self._zipped)
            ends = array("I")
            ends.frombytes(raw[: 4 * self._count])
            if sys.byteorder == "big":
                ends.byteswap()
            self._packed = PackedValues(raw[4 * self._count :], ends)
        return self._packed

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i):  # Sequence's contract: an int or a slice
        return self._values()[i]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._values())


class FastBlockPostingsWriter(W3PostingsWriter):
    """`W3PostingsWriter` whose array blocks hold arrays and `ZippedValues`, pickled at `BLOCK_PROTOCOL` and
    not compressed as a whole. `blocks` holds the current term's (ids, weights) of each block written (the
    writer starts each block with new arrays, so keeping them copies nothing)."""

    blocks: list[tuple[Any, Any]]

    def start_postings(self, format_, terminfo) -> None:
        super().start_postings(format_, terminfo)
        self.blocks = []

    def _mini_ids(self):
        if self._byteids or len(self._ids) < ARRAY_MIN_POSTINGS:
            return super()._mini_ids()
        ids = self._ids
        deltas = [b - a for a, b in zip([0, *ids[:-1]], ids, strict=True)]
        return array("H" if max(deltas) < 1 << 16 else "I", deltas)

    def _mini_weights(self):
        weights = self._weights
        if all(w == 1.0 for w in weights):
            return None
        if all(w == weights[0] for w in weights):
            return weights[0]
        return weights if len(weights) >= ARRAY_MIN_POSTINGS else tuple(weights)  # W3 keeps an array('f')

    def _mini_values(self):
        fixedsize = self._format.fixed_value_size()
        if (fixedsize is None or fixedsize < 0) and len(self._values) >= ARRAY_MIN_POSTINGS:
            return PackedValues.of(self._values)
        return super()._mini_values()

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        if not self._byteids:
            self.blocks.append((self._ids, self._weights))
        self._terminfo.add_block(self)
        ids, weights, values = self._mini_ids(), self._mini_weights(), self._mini_values()
        comp = self._compression
        if isinstance(ids, array):  # an array block: only its values are compressed
            if comp and isinstance(values, PackedValues):
                values = ZippedValues.of(values, comp)
            comp = 0
        databytes = pickle.dumps((ids, weights, values), BLOCK_PROTOCOL)
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


def writer_options() -> dict[str, Any]:
    """How every writer of our indexes writes segments: with `FastBlockCodec`, and each segment as its own
    files instead of one compound file. Whoosh reads a compound file through a memory map, but hands each
    part to its readers as a `BytesIO` of it: a copy of every posting in memory (97 MiB at 10 000
    articles, growing with the corpus). Separate files are read with plain buffered reads and cost no
    memory beyond the OS's page cache."""
    return {"codec": FastBlockCodec(blocklimit=BLOCK_POSTINGS), "compound": False}


class FastBlockCodec(W3Codec):
    """W3Codec writing postings with `FastBlockPostingsWriter`, and the terms of at least `dense_min`
    postings to `dense_postings` files too. Pickled into every segment it writes, so this class must stay
    importable under this name."""

    def __init__(self, *, dense_min: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dense_min = dense_postings.MIN_POSTINGS if dense_min is None else dense_min

    def field_writer(self, storage, segment) -> W3FieldWriter:
        return DenseFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids: bool = False) -> W3PostingsWriter:
        return FastBlockPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class DenseFieldWriter(W3FieldWriter):
    """`W3FieldWriter` that also writes each long term's ids and weights to the segment's
    `dense_postings` file."""

    def __init__(self, codec, storage, segment) -> None:
        super().__init__(codec, storage, segment)
        minimum = getattr(codec, "dense_min", dense_postings.MIN_POSTINGS)  # codecs pickled before had none
        self._dense = dense_postings.DenseWriter(self._create_file(dense_postings.EXT), minimum)

    def finish_term(self) -> None:
        super().finish_term()
        writer = self._postwriter
        if isinstance(writer, FastBlockPostingsWriter) and not writer._byteids:
            self._dense.add(self._fieldname, self._btext, writer.blocks)

    def close(self) -> None:
        super().close()
        self._dense.close()
