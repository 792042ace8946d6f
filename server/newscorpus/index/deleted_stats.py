"""What the deleted documents of an index still count for in Whoosh's statistics, so that searches count
live documents only, as a fresh build of the same documents does.

An update that changes a few documents marks the old ones deleted in their segment (Whoosh keeps the mark
in the table of contents; the segment's files stay hard-linked) and appends the new ones. Whoosh's
matchers skip deleted documents, but its statistics do not: the document count, a term's document
frequency and a field's total length still include them, and BM25's idf and average length, and our
coordination bonus, are computed from those. So the update writes, per segment, the deleted documents'
share of each statistic (`<indexname>-deleted.json`, from their analysis, which is exact where the
per-document length bytes are not), and an opened index subtracts it (`LiveStats`). A segment that a
later commit merges away takes its deleted documents and its share with it.

Only the deal index has deleted documents: passages are scored term at a time from their raw postings
(`fast_scoring`), which would not skip them, and an update never changes an old passage (a changed or
removed article file makes a full build).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from whoosh import index as windex
from whoosh.fields import Schema


class SegmentDeletions(BaseModel):
    """The deleted documents of one segment: how many, their total length per field, and per field and
    term how many of them hold it."""

    docs: int = 0
    lengths: dict[str, int] = {}
    terms: dict[str, dict[str, int]] = {}

    def add(self, schema: Schema, doc: Mapping[str, Any]) -> None:
        """Count one deleted document, analysed as `add_document` analysed it."""
        self.docs += 1
        for name in sorted(n for n in doc if not n.startswith("_")):
            value, field = doc[name], schema[name]
            if value is None or not field.indexed:
                continue
            length = 0
            terms = self.terms.setdefault(name, {})
            for tbytes, freq, _weight, _value in field.index(value):
                text = tbytes.decode("utf-8")
                terms[text] = terms.get(text, 0) + 1
                length += freq
            if field.scorable:
                self.lengths[name] = self.lengths.get(name, 0) + length


class Deletions(BaseModel):
    """`<indexname>-deleted.json`: `SegmentDeletions` by Whoosh segment id."""

    segments: dict[str, SegmentDeletions] = {}


def path(folder: Path, indexname: str) -> Path:
    return folder / f"{indexname}-deleted.json"


def read(folder: Path, indexname: str) -> Deletions:
    file = path(folder, indexname)
    return Deletions.model_validate_json(file.read_bytes()) if file.exists() else Deletions()


def write(folder: Path, indexname: str, deletions: Deletions) -> None:
    """Save the entries of `deletions` whose segment the committed index in `folder` still has; nothing
    when none is left. Raises ValueError when a segment's deleted count disagrees with its entry."""
    with windex.open_dir(str(folder), indexname=indexname).reader() as reader:
        kept = Deletions(segments=_present(deletions, segments(reader)))
    if kept.segments:
        path(folder, indexname).write_text(kept.model_dump_json(), encoding="utf-8")


def segments(reader: Any) -> list[Any]:
    """The segments of an open reader, in order."""
    return [sub.segment() for sub, _offset in reader.leaf_readers()]


def _present(deletions: Deletions, segments: Iterable[Any]) -> dict[str, SegmentDeletions]:
    out = {}
    for seg in segments:
        deleted = seg.deleted_count()
        entry = deletions.segments.get(seg.segment_id())
        if (entry.docs if entry else 0) != deleted:
            raise ValueError(
                f"segment {seg.segment_id()} has {deleted} deleted documents, its statistics "
                f"{entry.docs if entry else 0}: rebuild the index (`newscorpus index --rebuild`)"
            )
        if entry is not None:
            out[seg.segment_id()] = entry
    return out


class LiveStats:
    """The deleted documents' share of the statistics of an opened index, summed over its segments."""

    def __init__(self, deletions: Deletions, reader: Any) -> None:
        present = _present(deletions, segments(reader)).values()
        self.docs = sum(s.docs for s in present)
        self.lengths: dict[str, int] = {}
        self.terms: dict[tuple[str, bytes], int] = {}
        for s in present:
            for name, n in s.lengths.items():
                self.lengths[name] = self.lengths.get(name, 0) + n
            for name, terms in s.terms.items():
                for text, n in terms.items():
                    key = (name, text.encode("utf-8"))
                    self.terms[key] = self.terms.get(key, 0) + n

    def __bool__(self) -> bool:
        return self.docs > 0

    def deleted_frequency(self, fieldname: str, text: str | bytes) -> int:
        return self.terms.get((fieldname, text.encode("utf-8") if isinstance(text, str) else text), 0)
