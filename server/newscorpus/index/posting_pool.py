"""Whoosh's segment writer with postings kept per term: the same segment, written with less work.

Whoosh's writer puts every posting, as a tuple `(field, term, docnum, weight, value)`, into one pool, sorts
the whole pool at commit (spilling sorted runs to disk, one pickle per posting, whenever its size estimate
passes `limitmb`, then merging them), and hands the sorted postings one at a time to the field writer,
which looks up each posting's field length in the lengths column on disk and adds it to a block.

Documents are added in document-number order, so a term's postings arrive already sorted: `TermPool` files
each posting under its term as it comes and sorts only the terms at commit (a term's own list is sorted
too, which costs one pass when it already is: copied postings may come out of order). A full pool spills
one sorted run of whole terms, and the merge joins a term's lists from every run. `write_terms` then writes
a term's postings a block at a time through the codec's own block writer, with every document's field
length read from the lengths column once. The postings, blocks, term infos and lengths are those Whoosh
writes (the tests compare every posting, length and stored field), in less time at any size and without
the pool's per-posting pickling once a build outgrows memory.
"""

from __future__ import annotations

import heapq
import pickle
from array import array
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

from whoosh.codec import whoosh3
from whoosh.columns import NumericColumn
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

Posting = tuple[str, bytes, int, float, bytes | None]  # (field, term bytes, docnum, weight, value)
TermKey = tuple[str, bytes]

# Postings held in memory before a sorted run is written to disk (~200 bytes each: about 400 MB).
MAX_POSTINGS = 2_000_000

_key = itemgetter(0)


class TermPool:
    """The postings of one segment being written, grouped by term; spills sorted runs of whole terms."""

    def __init__(self, tempstore: Any, max_postings: int = MAX_POSTINGS) -> None:
        self._tempstore = tempstore
        self._max = max_postings
        self._terms: dict[TermKey, list[Posting]] = {}
        self._count = 0
        self._runs: list[str] = []

    def add(self, item: Posting) -> None:
        key = (item[0], item[1])
        postings = self._terms.get(key)
        if postings is None:
            self._terms[key] = [item]
        else:
            postings.append(item)
        self._count += 1
        if self._count >= self._max:
            self._spill()

    def _spill(self) -> None:
        name = f"run{len(self._runs)}.terms"
        with self._tempstore.create_file(name).raw_file() as fh:
            for key in sorted(self._terms):
                pickle.dump((key, self._terms[key]), fh, pickle.HIGHEST_PROTOCOL)
        self._runs.append(name)
        self._terms, self._count = {}, 0

    def _read_run(self, name: str) -> Iterator[tuple[TermKey, list[Posting]]]:
        with self._tempstore.open_file(name).raw_file() as fh:
            while True:
                try:
                    yield pickle.load(fh)
                except EOFError:
                    return

    def terms(self) -> Iterator[tuple[TermKey, list[Posting]]]:
        """(term key, its postings sorted as Whoosh sorts them) for every term, in term order."""
        memory = ((key, self._terms[key]) for key in sorted(self._terms))
        if not self._runs:
            for key, postings in memory:
                postings.sort()
                yield key, postings
            return
        sources: list[Iterable[tuple[TermKey, list[Posting]]]] = [self._read_run(n) for n in self._runs]
        for key, group in groupby(heapq.merge(*sources, memory, key=_key), key=_key):
            postings = [p for _, part in group for p in part]
            postings.sort()
            yield key, postings

    def iter_postings(self) -> Iterator[Posting]:
        """Every posting in Whoosh's pool order (its `PostingPool` interface)."""
        for _, postings in self.terms():
            yield from postings

    def cleanup(self) -> None:
        for name in self._runs:
            if self._tempstore.file_exists(name):
                self._tempstore.delete_file(name)
        self._runs = []


class TermPoolWriter(SegmentWriter):
    """`SegmentWriter` with a `TermPool` and `write_terms` in place of its posting pool and flush."""

    def __init__(self, ix: Any, *, max_postings: int = MAX_POSTINGS, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool = TermPool(self._tempstorage, max_postings)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        try:
            write_terms(self.fieldwriter, self.schema, lengths, self.pool.terms(), self.docnum)
            self.fieldwriter.close()
        finally:
            if lengths is not None:
                lengths.close()


def write_terms(fieldwriter: Any, schema: Any, lengths: Any, terms: Iterable[tuple[TermKey, list[Posting]]],
                doccount: int) -> None:
    """What Whoosh's `FieldWriter.add_postings` writes for these postings, a term at a time."""
    field_lengths = _FieldLengths(lengths, doccount)
    fast = isinstance(fieldwriter, whoosh3.W3FieldWriter)
    current = None
    for (fieldname, btext), postings in terms:
        if postings[0][2] == -1:  # Whoosh's spelling-word entries (docnum -1, sorted first): no postings
            postings = [p for p in postings if p[2] != -1]
            if not postings:
                continue
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            current = fieldname
        lens = field_lengths[fieldname]
        fieldwriter.start_term(btext)
        writer = fieldwriter._postwriter if fast else None
        if isinstance(writer, whoosh3.W3PostingsWriter) and not writer._byteids:
            _add_blocks(writer, postings, lens)
        else:
            for _, _, docnum, weight, value in postings:
                fieldwriter.add(docnum, weight, value or b"", lens[docnum])
        fieldwriter.finish_term()
    if current is not None:
        fieldwriter.finish_field()


def _add_blocks(writer: whoosh3.W3PostingsWriter, postings: list[Posting], lens: list[int | None]) -> None:
    """The block state `add_posting` would build, a block at a time; full blocks are written as it writes
    them (when the next posting arrives), the last one is left for `finish_postings`."""
    limit = writer._blocklimit
    for start in range(0, len(postings), limit):
        if start:
            writer._write_block()
        block = postings[start:start + limit]
        docs = [p[2] for p in block]
        weights = [p[3] for p in block]
        writer._ids = array("I", docs)
        writer._weights = array("f", weights)
        writer._values = [p[4] for p in block if p[4]]
        top = max(weights)
        writer._maxweight = top if top > 0 else 0
        sizes = [n for n in map(lens.__getitem__, docs) if n]
        writer._minlength = min(sizes) if sizes else None
        writer._maxlength = max(sizes) if sizes else 0


class _FieldLengths(dict):
    """Per field, every document's length as `doc_field_length` gives it back (None for a zero length byte,
    0 when the field has no lengths column), read once for the whole segment instead of once per posting;
    the W3 codec's one-byte lengths column is read in one go."""

    def __init__(self, reader: Any, doccount: int) -> None:
        super().__init__()
        self._reader, self._doccount = reader, doccount

    def __missing__(self, fieldname: str) -> list[int | None]:
        reader, n = self._reader, self._doccount
        column = whoosh3._lenfield(fieldname)
        lens: list[int | None]
        if reader is None or (isinstance(reader, whoosh3.W3PerDocReader) and not reader.has_column(column)):
            lens = [0] * n
        elif isinstance(reader, whoosh3.W3PerDocReader) and (raw := _length_bytes(reader, column, n)) is not None:
            lens = [byte_to_length(b) if b else None for b in raw]
        else:
            lens = [reader.doc_field_length(d, fieldname) for d in range(n)]
        self[fieldname] = lens
        return lens


def _length_bytes(reader: whoosh3.W3PerDocReader, column: str, n: int) -> bytes | None:
    """The length byte of each of `n` documents (zero past the column's end, as its reader gives), or None
    when the column is not the W3 codec's one-byte lengths column."""
    col = reader._cached_reader(column, whoosh3.LENGTHS_COLUMN)
    if not isinstance(col, NumericColumn.Reader) or col._fixedlen != 1 or col._typecode != "B" or col._default:
        return None
    count = min(col._count, n)
    return col._dbfile.get(col._basepos, count) + bytes(n - count)
