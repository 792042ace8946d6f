"""Write a Whoosh index equal to a fresh build, copying the analysed documents of an older index.

Why not append a segment: Whoosh scores segment by segment. Its coordination bonus divides by the number
of the query's terms that have postings in the segment being searched (with one of two terms present,
every score in that segment is 0), so a document scores differently in a small new segment than in a
one-segment build of the same corpus: on 1 100 generated articles a second segment changed the scores of
47 of 100 queries searched as written. The search side's expanded queries count terms index-wide since
a8fae0e, but queries read as syntax still go through Whoosh's parser and its per-segment OR group (1 of
103 expanded queries still differs). So an update writes one
segment, with the documents in build order (the same postings, lengths and stored fields as a fresh
build). What it skips is analysis: documents whose indexed values are unchanged keep their postings and
lengths from the older index; only new or changed documents are analysed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.fields import Schema

from newscorpus.index.whoosh_codec import FastBlockCodec

Doc = dict[str, Any]


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
        writer = target.writer(codec=FastBlockCodec())
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
