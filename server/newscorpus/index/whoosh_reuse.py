"""Write a Whoosh index equal to a fresh build, reusing the analysed documents of an older index.

Scores do not depend on how an index is split into segments or in which order its documents lie: BM25's
statistics are index-wide in Whoosh, and our coordination bonus counts the query's terms in the whole
index (`_CoordOr`, also for parsed query syntax), in Whoosh's matchers and term at a time alike (tests).
So when an update only adds documents (`append_index`), the older index's segments are hard-linked into
the new build and the new documents written as one more segment, with Whoosh's merge policy folding
small segments together. When documents change (the deal index: deal ids are numbered across the
corpus), `rewrite_index` writes one new segment, copying the postings and lengths of unchanged documents
instead of analysing them again.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.fields import Schema

from newscorpus.index.whoosh_codec import writer_options

Doc = dict[str, Any]

# Each update adds a segment and a search reads every segment's postings of its terms; Whoosh's merge
# policy only folds tiny segments. An update that would go past this many rewrites the index as one.
MAX_SEGMENTS = 8


def append_index(
    indexname: str,
    key: str,
    docs: Iterable[Doc],
    previous: Path,
    previous_docs: Mapping[str, Doc],
    folder: Path,
    writer: Callable[[Any], Any],
) -> tuple[int, int] | None:
    """Index `indexname` in `folder` as the one in `previous` plus the documents of `docs` it lacks, as a
    new segment (`writer(index)` makes the writer). None, writing nothing, unless every document of
    `previous_docs` is in `docs` unchanged and the previous index has fewer than `MAX_SEGMENTS` segments
    (otherwise the caller rewrites it as one). Returns (kept, added)."""
    new: list[Doc] = []
    seen = 0
    for doc in docs:
        old = previous_docs.get(doc[key])
        if old is None:
            new.append(doc)
        elif old != doc:
            return None
        else:
            seen += 1
    if seen != len(previous_docs):
        return None
    with windex.open_dir(str(previous), indexname=indexname).reader() as reader:
        if len(reader.leaf_readers()) >= MAX_SEGMENTS:
            return None
    for path in sorted(previous.iterdir()):
        if path.name.startswith(f"_{indexname}_") and path.suffix == ".toc":
            shutil.copyfile(path, folder / path.name)
        elif path.name.startswith(f"{indexname}_") and not path.name.endswith("_WRITELOCK"):
            _link(path, folder / path.name)  # a segment's files
    if new:
        w = writer(windex.open_dir(str(folder), indexname=indexname))
        try:
            for doc in new:
                w.add_document(**doc)
        except BaseException:
            w.cancel()
            raise
        w.commit()
    return seen, len(new)


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
    previous_docs: Mapping[str, Doc],
    folder: Path,
) -> tuple[int, int]:
    """Write `docs` (in this order) as index `indexname` into `folder`, exactly as `add_document` for
    each would: documents equal to `previous_docs[doc[key]]` are copied from the index in `previous`.

    Returns (copied, analysed). The schema must store `key`, have no columns or vectors, and index with
    the same analysis as the previous index (the caller guarantees the same code built it)."""
    for name, field in schema.items():
        if field.column_type is not None or field.vector:
            raise ValueError(f"field {name!r} has a column or vectors, which rewrite_index does not copy")
    old = windex.open_dir(str(previous), indexname=indexname)
    with old.reader() as reader:
        old_docnum = {stored[key]: docnum for docnum, stored in reader.iter_docs()}
        target = windex.create_in(str(folder), schema, indexname=indexname)
        writer = target.writer(**writer_options())
        try:
            docmap: dict[int, int] = {}
            approx: dict[str, int] = {}
            for doc in docs:
                old_doc = old_docnum.get(doc[key])
                if old_doc is not None and previous_docs.get(doc[key]) == doc:
                    docmap[old_doc] = writer.docnum
                    _copy_per_doc(writer, schema, doc, reader, old_doc, approx)
                else:
                    writer.add_document(**doc)
            exact = _copy_postings(writer, reader, docmap, schema)
            # The per-document lengths are one lossy byte each; the totals (BM25's average length) must be
            # the exact sums a fresh build adds up, which the copied postings give.
            lengths = writer.perdocwriter._fieldlengths
            for name in set(exact) | set(approx):
                lengths[name] += exact.get(name, 0) - approx.get(name, 0)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
    return len(docmap), writer.docnum - len(docmap)


def _copy_per_doc(writer, schema: Schema, doc: Doc, reader, old_doc: int, approx: dict[str, int]) -> None:
    """What `add_document` writes per document (stored values, length bytes), without analysing."""
    pdw = writer.perdocwriter
    pdw.start_doc(writer.docnum)
    for name in sorted(n for n in doc if not n.startswith("_")):
        value = doc[name]
        if value is None:
            continue
        field = schema[name]
        length = (reader.doc_field_length(old_doc, name) or 0) if field.indexed and field.scorable else 0
        approx[name] = approx.get(name, 0) + length
        pdw.add_field(name, field, value if field.stored else None, length)
    pdw.finish_doc()
    writer.docnum += 1
    writer._added = True


def _copy_postings(writer, reader, docmap: dict[int, int], schema: Schema) -> dict[str, int]:
    """Add the copied documents' postings under their new numbers; returns each scorable field's exact
    total length over them (the sum of term frequencies, which is what a build adds up)."""
    add = writer.pool.add
    every_doc = len(docmap) == reader.doc_count_all()
    totals: dict[str, int] = {}
    for fieldname, btext in reader.all_terms():
        field = schema[fieldname]
        count_lengths = field.scorable and not every_doc
        for docnum, weight, value in _postings(reader.postings(fieldname, btext)):
            new = docmap.get(docnum)
            if new is not None:
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
