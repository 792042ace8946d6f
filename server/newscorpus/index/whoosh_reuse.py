"""Write a Whoosh index equal to a fresh build, reusing the analysed documents of an older index.

Scores do not depend on how an index is split into segments or in which order its documents lie: BM25's
statistics are index-wide in Whoosh, and our coordination bonus counts the query's terms in the whole
index (`_CoordOr`, also for parsed query syntax), in Whoosh's matchers and term at a time alike (tests).
So an update (`append_index`) hard-links the older index's segments into the new build and writes the
new documents as one more segment; documents that changed or are gone (deals of an old article a new
entity name occurs in) are marked deleted in their segments and counted out of the statistics
(`deleted_stats`). Once an index has `MAX_SEGMENTS` segments, the update merges its smaller ones into
the new segment (`_merge_smaller`), so updates never stop appending and a search reads a bounded number
of segments. Where an update would leave too many deleted documents, `rewrite_index` writes one new
segment, copying the postings and lengths of unchanged documents instead of analysing them again.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.fields import Schema
from whoosh.reading import SegmentReader

from newscorpus.index import deleted_stats
from newscorpus.index.posting_pool import TermPoolWriter
from newscorpus.index.whoosh_codec import writer_options

Doc = dict[str, Any]

# Each update adds a segment and a search reads every segment's postings of its terms. An update that
# would go past this many merges the smaller ones into its new segment, keeping the largest
# `MAX_SEGMENTS // 2 - 1`: each merge halves the count, and a document is copied again only while it
# lies in the smaller half of the segments, a few times over the life of the index, not once per update.
MAX_SEGMENTS = 8
# Deleted documents stay in their segments (skipped by every search) until the index is rewritten; an
# update that would leave more than this share of them rewrites it as one segment instead.
MAX_DELETED = 0.1


def append_index(
    indexname: str,
    new_docs: Iterable[Doc],
    previous: Path,
    folder: Path,
    writer: Callable[[Any], Any],
    deleted: Deleted | None = None,
) -> tuple[int, int] | None:
    """Index `indexname` in `folder` as the one in `previous` plus `new_docs` as a new segment
    (`writer(index)` makes the writer), less the documents `deleted` names, which are marked deleted in
    their segments and counted out of the statistics (`deleted_stats`). The caller guarantees that every
    other document of the previous index is one of the new build, unchanged. None, writing nothing, when
    the previous index would hold more than `MAX_DELETED` of deleted documents (the caller then rewrites
    it as one). From `MAX_SEGMENTS` segments on, the smaller ones are merged into the new segment
    (`_merge_smaller`). Returns (kept, added): the previous documents kept and the new ones."""
    deletions = deleted_stats.read(previous, indexname)
    removing = len(deleted.docs) if deleted else 0
    with windex.open_dir(str(previous), indexname=indexname).reader() as reader:
        merging = len(reader.leaf_readers()) >= MAX_SEGMENTS
        if reader.doc_count_all() - reader.doc_count() + removing > MAX_DELETED * reader.doc_count_all():
            return None
        kept = reader.doc_count() - removing
    for path in sorted(previous.iterdir()):
        if path.name.startswith(f"_{indexname}_") and path.suffix == ".toc":
            shutil.copyfile(path, folder / path.name)
        elif path.name.startswith(f"{indexname}_") and not path.name.endswith("_WRITELOCK"):
            _link(path, folder / path.name)  # a segment's files
    added = 0
    w = None
    try:
        if (deleted and removing) or merging:
            w = writer(windex.open_dir(str(folder), indexname=indexname))
        if deleted and removing:
            _delete(w, deleted, deletions)
        for doc in new_docs:
            if w is None:
                w = writer(windex.open_dir(str(folder), indexname=indexname))
            w.add_document(**doc)
            added += 1
    except BaseException:
        if w is not None:
            w.cancel()
        raise
    if w is not None:
        w.commit(mergetype=functools.partial(_merge_smaller, deletions=deletions))
    deleted_stats.write(folder, indexname, deletions)
    return kept, added


def _merge_smaller(writer, segments: list[Any], *, deletions: deleted_stats.Deletions) -> list[Any]:
    """Whoosh merge policy: below `MAX_SEGMENTS` segments (the one being written not counted) keep them
    all; from there copy the live documents of all but the largest `MAX_SEGMENTS // 2 - 1` into the
    segment being written, and keep those. Whoosh's copy adds up each document's lossy length byte, so
    each field's total, which BM25's average length is computed from, is set to the merged segments'
    exact live total: their own exact totals less their deleted documents' (`deletions`)."""
    if len(segments) < MAX_SEGMENTS:
        return list(segments)
    keep = max(1, MAX_SEGMENTS // 2 - 1)
    order = sorted(range(len(segments)), key=lambda i: (-segments[i].doc_count_all(), i))
    lengths = writer.perdocwriter._fieldlengths
    for i in sorted(order[keep:]):
        gone = deletions.segments.get(segments[i].segment_id(), deleted_stats.SegmentDeletions())
        before = dict(lengths)
        with SegmentReader(writer.storage, writer.schema, segments[i]) as reader:
            writer.add_reader(reader)
            for name, field in writer.schema.items():
                if field.scorable:
                    exact = reader.field_length(name) - gone.lengths.get(name, 0)
                    lengths[name] += exact - (lengths[name] - before.get(name, 0))
    return [segments[i] for i in sorted(order[:keep])]


@dataclass
class Deleted:
    """Documents to delete: their previous documents (as `add_document` got them) by `key`, and the
    schema that analysed them."""

    key: str
    docs: Mapping[str, Doc]
    schema: Schema


def _delete(writer, deleted: Deleted, deletions: deleted_stats.Deletions) -> None:
    """Mark each of `deleted.docs` deleted in its segment and add its share to that segment's entry."""
    with writer.searcher() as searcher:
        numbers = {k: searcher.document_number(**{deleted.key: k}) for k in deleted.docs}
        leaves = [(offset, sub.segment()) for sub, offset in searcher.reader().leaf_readers()]
    missing = sorted(k for k, n in numbers.items() if n is None)
    if missing:
        raise ValueError(f"{missing[:3]} not in the previous index")
    for k, docnum in sorted(numbers.items(), key=lambda item: item[1]):
        segment = next(seg for offset, seg in reversed(leaves) if offset <= docnum)
        entry = deletions.segments.setdefault(segment.segment_id(), deleted_stats.SegmentDeletions())
        entry.add(deleted.schema, deleted.docs[k])
        writer.delete_document(docnum)


def _link(source: Path, target: Path) -> None:
    """A hard link (segment files are never written again once committed), or a copy where links fail."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def rewrite_index(
    schema: Schema,
    indexname: str,
    key: str,
    docs: Iterable[Doc],
    previous: Path,
    sources: Mapping[str, str],
    folder: Path,
) -> tuple[int, int]:
    """Write `docs` (in this order) as index `indexname` into `folder`, exactly as `add_document` for
    each would: a document whose key is in `sources` is copied from the previous index's document with
    key `sources[key]` (the caller guarantees they are equal but for the key, which is indexed anew).

    Returns (copied, analysed). The schema must store `key`, have no columns or vectors, and index with
    the same analysis as the previous index (the caller guarantees the same code built it)."""
    for name, field in schema.items():
        if field.column_type is not None or field.vector:
            raise ValueError(f"field {name!r} has a column or vectors, which rewrite_index does not copy")
    old = windex.open_dir(str(previous), indexname=indexname)
    with old.reader() as reader:
        old_docnum = {stored[key]: docnum for docnum, stored in reader.iter_docs()}
        target = windex.create_in(str(folder), schema, indexname=indexname)
        writer = TermPoolWriter(target, **writer_options())  # as a build writes: Whoosh's own pool is slow
        try:
            docmap: dict[int, list[int]] = {}  # previous document -> the new documents copied from it
            approx: dict[str, int] = {}
            for doc in docs:
                source = sources.get(doc[key])
                if source is None:
                    writer.add_document(**doc)
                    continue
                old_doc = old_docnum.get(source)
                if old_doc is None:
                    raise ValueError(f"{source!r} is not in the previous {indexname} index")
                docmap.setdefault(old_doc, []).append(writer.docnum)
                _copy_per_doc(writer, schema, key, doc, reader, old_doc, approx)
            exact = _copy_postings(writer, reader, docmap, schema, key)
            # The per-document lengths are one lossy byte each; the totals (BM25's average length) must be
            # the exact sums a fresh build adds up, which the copied postings give.
            lengths = writer.perdocwriter._fieldlengths
            for name in set(exact) | set(approx):
                lengths[name] += exact.get(name, 0) - approx.get(name, 0)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
    copied = sum(len(new) for new in docmap.values())
    return copied, writer.docnum - copied


def _copy_per_doc(writer, schema: Schema, key: str, doc: Doc, reader, old_doc: int, approx: dict[str, int]) -> None:
    """What `add_document` writes per document (stored values, length bytes, the key's postings), without
    analysing its text."""
    pdw = writer.perdocwriter
    pdw.start_doc(writer.docnum)
    for name in sorted(n for n in doc if not n.startswith("_")):
        value = doc[name]
        if value is None:
            continue
        field = schema[name]
        if name == key and field.indexed:  # as add_document indexes it (an ID field: one term)
            boost = writer._field_boost(doc, name, writer._doc_boost(doc))
            for tbytes, _freq, weight, vbytes in field.index(value):
                writer.pool.add((name, tbytes, writer.docnum, weight * boost, vbytes))
        length = (reader.doc_field_length(old_doc, name) or 0) if field.indexed and field.scorable else 0
        approx[name] = approx.get(name, 0) + length
        pdw.add_field(name, field, value if field.stored else None, length)
    pdw.finish_doc()
    writer.docnum += 1
    writer._added = True


def _copy_postings(writer, reader, docmap: dict[int, list[int]], schema: Schema, key: str) -> dict[str, int]:
    """Add the copied documents' postings (but the key's, which `_copy_per_doc` adds) under their new
    numbers; returns each scorable field's exact total length over them (the sum of term frequencies,
    which is what a build adds up)."""
    add = writer.pool.add
    every_doc = len(docmap) == reader.doc_count_all() and all(len(new) == 1 for new in docmap.values())
    totals: dict[str, int] = {}
    for fieldname, btext in reader.all_terms():
        if fieldname == key:
            continue
        field = schema[fieldname]
        count_lengths = field.scorable and not every_doc
        for docnum, weight, value in _postings(reader.postings(fieldname, btext)):
            for new in docmap.get(docnum, ()):
                add((fieldname, btext, new, weight, value))
                if count_lengths:
                    totals[fieldname] = totals.get(fieldname, 0) + field.format.decode_frequency(value)
    if every_doc:  # then the old totals are the exact sums, without decoding every posting
        totals = {name: reader.field_length(name) for name, field in schema.items() if field.scorable}
    return totals


def _postings(m) -> Iterator[tuple[int, float, Any]]:
    """(docnum, weight, value) of every posting of a matcher: a block at a time with the pinned Whoosh's
    W3 codec (its block lists, about three times faster than a call per posting), else one by one."""
    blockwise = all(hasattr(m, a) for a in ("_i", "_read_ids", "_read_weights", "_read_values", "_next_block"))
    while m.is_active():
        if blockwise and m._i == 0:
            m._read_ids()
            m._read_weights()
            m._read_values()
            yield from zip(m._ids, m._weights, m._values, strict=True)
            m._next_block()
        else:
            yield m.id(), m.weight(), m.value()
            m.next()
