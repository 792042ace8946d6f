"""Exact scores for our expanded-query trees, computed term at a time with numpy instead of through
Whoosh's matchers.

Whoosh scores a query by walking a tree of matcher objects document by document: every node answers
`is_active()`, `id()`, `next()` and `score()` per document, and the coordination bonus asks the whole tree
which terms match each document (`matching_terms`). On a few thousand matching passages that protocol,
not the arithmetic, is most of a search. Here each term's postings are read block by block (ids and
weights only), scored with the formula of the BM25F scorer Whoosh would use as one array operation, and
the tree is evaluated bottom-up over sorted arrays of document numbers, with the exact semantics of the
matchers it replaces:

- `Term`: the BM25F score times the term's boost; absent from a segment, it matches nothing there.
- `Or` / `And`: the sum of the children present (all of them for `And`), times the node's boost.
- `_BestOf`: the best child present on the document.
- `_CoordOr`: the sum, then Whoosh's coordination formula with the query's terms counted index-wide
  and the document's matching terms counted as `matching_terms` does (terms under a node that matches
  the document).
- A compound query with one child is that child (Whoosh ignores the parent's boost then).

Every floating-point operation is the one Whoosh does, in the same order (sums run over the children in
the tree's order, starting from 0.0), so the scores are Whoosh's to the last bit up to the order of
additions inside its matchers (tests compare them rounded to the 6 places callers see). Anything else in
a tree (phrases, `Not`, parsed query syntax) is not handled: `supports` says so and the caller searches
with Whoosh.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from whoosh import matching
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, W3PerDocReader, _lenfield
from whoosh.query import And, DisjunctionMax, Or, Query, Term
from whoosh.reading import SegmentReader
from whoosh.scoring import BM25FScorer
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from newscorpus.index import dense_postings
from newscorpus.index.dense_postings import DenseReader

CoordFn = Callable[[Query, Searcher], int]
# A merge sorts its children's ids when they hold fewer than 1/SPARSE_RATIO of the documents they span.
SPARSE_RATIO = 16
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


class DocScores(NamedTuple):
    """Scores of the documents a query matches: `ids` ascending (int64), `scores` (float64) aligned."""

    ids: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls) -> DocScores:
        return cls(np.empty(0, np.int64), np.empty(0, np.float64))

    @classmethod
    def from_dict(cls, scores: dict[int, float]) -> DocScores:
        ids = np.fromiter(sorted(scores), np.int64, len(scores))
        return cls(ids, np.fromiter((scores[d] for d in ids.tolist()), np.float64, len(scores)))


class _Part(NamedTuple):
    """One node's result in one segment; `counts` None means 1 matching term on every document."""

    ids: np.ndarray
    scores: np.ndarray
    counts: np.ndarray | None


_NOTHING = _Part(np.empty(0, np.int64), np.empty(0, np.float64), None)


def supports(q: Query, coord_types: tuple[type, ...]) -> bool:
    """Whether every node of `q` is one this evaluator reproduces exactly."""
    if type(q) is Term:
        return True
    if isinstance(q, (DisjunctionMax, *coord_types)) or type(q) is And or (
        type(q) is Or and not q.scale  # Whoosh's own OR group counts terms per segment: left to Whoosh
    ):
        return all(supports(s, coord_types) for s in q.subqueries)
    return False


# Bits of the part combinations `TermAtATime.bounds` tells apart (a table of 2**BOUND_BITS bounds).
BOUND_BITS = 12

# A restricted evaluation looks documents up in a posting list this many times longer (`_Within`).
FEW_DOCS = 32

# Postings kept between searches by `TermCache`: 16 bytes each (id and weight or score), so at most ~64 MB.
CACHED_POSTINGS = 4_000_000

Scored = tuple  # how a term's kept scores were computed (`TermCache.scores`); None: they are weights


class TermCache:
    """What term-at-a-time scoring keeps between searches of one opened index (the caller owns it; the
    index's segments never change while it is open): BM25's length part per document, one array per
    segment and field, and the postings of recently searched terms, least recently used dropped first
    once they hold more than `max_postings` postings. Queries share words (a company, "Milliarden"), and
    reading and scoring a common word's postings is most of a search: once a term is scored, its scores
    before a query's boost (which depend on the index alone) are kept in place of its weights. The arrays
    handed out are read-only."""

    def __init__(self, max_postings: int = CACHED_POSTINGS) -> None:
        self.norms: dict[tuple, np.ndarray] = {}
        self._postings: OrderedDict[tuple, tuple[np.ndarray, np.ndarray, Scored | None]] = OrderedDict()
        self._dense: dict[int, DenseReader | None] = {}
        self._deleted: dict[int, np.ndarray] = {}  # a segment's deleted documents, sorted
        self._held = 0
        self._max = max_postings

    def postings(self, reader, field: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The term's document numbers (int64, ascending) and weights (float64)."""
        ids, values, scored = self._entry(reader, field, text)
        return (ids, values) if scored is None else self._read(reader, field, text)

    def ids(self, reader, field: str, text: bytes) -> np.ndarray:
        """The term's document numbers (int64, ascending)."""
        return self._entry(reader, field, text)[0]

    def scores(
        self, reader, field: str, text: bytes, how: Scored, score: Callable[[np.ndarray, np.ndarray], np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The term's document numbers and `score(ids, weights)`, computed once and kept in place of the
        weights while the term is kept; `how` tells scores computed one way from another's."""
        ids, values, scored = self._entry(reader, field, text)
        if scored == how:
            return ids, values
        if scored is not None:
            ids, values = self._read(reader, field, text)
        scores = score(ids, values)
        scores.flags.writeable = False
        key = (id(reader), field, text)
        if key in self._postings:
            self._postings[key] = (ids, scores, how)
        return ids, scores

    def kept_scores(self, reader, field: str, text: bytes, how: Scored) -> tuple[np.ndarray, np.ndarray] | None:
        """The term's document numbers and scores if they are kept, computed as `how` says."""
        found = self._postings.get((id(reader), field, text))
        return found[:2] if found is not None and found[2] == how else None

    def _entry(self, reader, field: str, text: bytes) -> tuple[np.ndarray, np.ndarray, Scored | None]:
        key = (id(reader), field, text)
        found = self._postings.get(key)
        if found is not None:
            self._postings.move_to_end(key)
            return found
        ids, weights = self._read(reader, field, text)
        if len(ids) <= self._max:
            self._postings[key] = (ids, weights, None)
            self._held += len(ids)
            while self._held > self._max:
                _key, (dropped, _values, _scored) = self._postings.popitem(last=False)
                self._held -= len(dropped)
        return ids, weights, None

    def _read(self, reader, field: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        found = self._dense_postings(reader, field, text) or postings(reader.postings(field, text))
        for array_ in found:
            array_.flags.writeable = False
        return found

    def _dense_postings(self, reader, field: str, text: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """The term's postings from its segment's `dense_postings` file, less the segment's deleted
        documents (as Whoosh's matcher skips them); None where the file does not hold the term."""
        if id(reader) not in self._dense:
            self._dense[id(reader)] = (
                DenseReader.open(reader.storage(), reader.segment().make_filename(dense_postings.EXT))
                if isinstance(reader, SegmentReader) else None
            )
        dense = self._dense[id(reader)]
        found = dense.postings(field, text) if dense is not None else None
        if found is not None and reader.has_deletions():
            deleted = self._deleted.get(id(reader))
            if deleted is None:
                deleted = self._deleted[id(reader)] = np.sort(np.fromiter(reader.deleted_docs_set, np.int64))
            ids, weights = found
            live = ~np.isin(ids, deleted, assume_unique=True)
            found = ids[live], weights[live]
        return found


class TermAtATime:
    """Evaluates one query tree on one searcher. `coord_type` is the coordination OR class, whose nodes
    carry `scale` and whose term count `termcount(node, searcher)` gives (counted over the whole index).
    `cache` keeps postings and BM25 length parts between searches (owned by the caller)."""

    def __init__(self, searcher: Searcher, coord_type: type, termcount: CoordFn, cache: TermCache) -> None:
        self._searcher = searcher
        self._cache = cache
        self._coord_type = coord_type
        self._termcount = termcount

    def scores(self, q: Query, within: np.ndarray | None = None) -> DocScores:
        """Scores by global document number, for every document `q` matches; only for those `within` (global
        document numbers, ascending), if given. A document's score comes from its own postings and
        index-wide statistics alone, so it is the same either way."""
        ids: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        for sub, offset in self._segments():
            if within is None:
                part = self._eval(q, sub, None)
                ids.append(part.ids + offset if offset else part.ids)
            else:
                start, end = np.searchsorted(within, [offset, offset + sub.doc_count_all()])
                kept = _Within(within[start:end] - offset, sub.doc_count_all())
                part = self._eval(q, sub, kept)
                ids.append(kept.docs[part.ids] + offset)
            scores.append(part.scores)
        if len(ids) == 1:
            return DocScores(ids[0], scores[0])
        return DocScores(np.concatenate(ids), np.concatenate(scores))

    def bounds(self, q: Query) -> np.ndarray:
        """For every document of the index, at least the score `q` gives it (-inf where it matches
        nothing), decided from document numbers alone, without scoring. `q` is an OR (plain or the
        coordination OR) whose children, its parts, `supports` accepts.

        Which parts a document matches is one bit each (the parts matching most documents get a bit of
        their own, the rest share one: matching any of them counts as matching all), and each
        combination's bound is computed once: the node's rule on the bounds of the parts it holds, added
        in the parts' order as scoring adds their scores (`upper_bound`)."""
        parts = q.subqueries
        bounds = np.empty(self._searcher.doc_count_all())
        for sub, offset in self._segments():
            found = {n: f for n, part in enumerate(parts) if (f := self._matching(part, sub)) is not None}
            widest = sorted(found, key=lambda n: (-int(np.count_nonzero(found[n])), n))
            bit = {n: min(rank, BOUND_BITS - 1) for rank, n in enumerate(widest)}
            codes = np.zeros(sub.doc_count_all(), np.uint16)
            for n, matched in found.items():
                np.bitwise_or(codes, matched * np.uint16(1 << bit[n]), out=codes)
            combos = np.arange(1 << min(len(found), BOUND_BITS))
            sums = np.zeros(len(combos))
            counts = np.zeros(len(combos), np.int64)
            for n in found:
                held = (combos >> bit[n]) & 1 == 1
                bound, terms = self.upper_bound(parts[n], sub)
                sums += np.where(held, bound, 0.0)
                counts += np.where(held, terms, 0)
            if len(parts) > 1:  # a node of one child is that child (`_eval`)
                # Unbounded stays so, whatever the boost or the formula's factor (0 × inf is no number).
                unbounded = (sums == np.inf) | (q.boost < 0)
                sums = np.where(unbounded, 0.0, sums * q.boost)
                if isinstance(q, self._coord_type) and q.scale and found:
                    sums = coordinate(sums, counts, self._termcount(q, self._searcher), q.scale)
                sums[unbounded] = np.inf
            sums[0] = -np.inf
            bounds[offset : offset + sub.doc_count_all()] = sums[codes]
        return bounds

    def upper_bound(self, q: Query, sub: Searcher) -> tuple[float, int]:
        """At least the score `q` gives any document of one segment, and the most matching terms it counts
        for one: each term's score at its largest stored weight and the length part of its shortest
        document (the operations of `_term`, whose result grows with the weight and shrinks with the
        length part), combined by the node's own rule. Only called for nodes `supports` accepts.
        Scores are never below 0 (BM25 with Whoosh's idf, which stays above 0, and the coordination
        formula are not), unless a boost is: a negative boost has no bound (inf)."""
        if q.boost < 0:
            return np.inf, _leaves(q)
        if type(q) is Term:
            field = q.fieldname
            text = _bytes(sub, field, q.text)
            reader = sub.reader()
            if (field, text) not in reader:
                return 0.0, 0
            scorer = sub.weighting.scorer(sub, field, text)
            if not isinstance(scorer, BM25FScorer):
                return np.inf, 1
            # A term's stored maximum weight and shortest document: the weight is float32 on disk and the
            # length is rounded as the lengths column rounds it, so both are nudged to the safe side.
            info = reader.term_info(field, text)
            weight = info.max_weight() * (1 + 2**-20)
            norm = scorer.K1 * ((1 - scorer.B) + scorer.B * info.min_length() / scorer.avgfl) * (1 - 2**-20)
            score = weight * (scorer.K1 + 1) / (norm + weight) * scorer.idf
            return score * q.boost, 1
        subs = q.subqueries
        if len(subs) == 1:
            return self.upper_bound(subs[0], sub)
        children = [self.upper_bound(s, sub) for s in subs]
        terms = sum(t for _b, t in children)
        bound = max(b for b, _t in children) if isinstance(q, DisjunctionMax) else sum(b for b, _t in children)
        if bound == np.inf:
            return bound, terms
        bound *= q.boost
        if isinstance(q, self._coord_type) and q.scale and self._has_terms(q, sub):
            bound = _coordinate_one(bound, terms, self._termcount(q, self._searcher), q.scale)
        return bound, terms

    def _segments(self) -> list[tuple[Searcher, int]]:
        return self._searcher.subsearchers or [(self._searcher, 0)]

    def _matching(self, q: Query, sub: Searcher) -> np.ndarray | None:
        """Which documents of one segment `q` matches (a boolean each), from document numbers alone; None
        for none."""
        if type(q) is Term:
            field = q.fieldname
            text = _bytes(sub, field, q.text)
            reader = sub.reader()
            if (field, text) not in reader:
                return None
            found = np.zeros(sub.doc_count_all(), bool)
            found[self._cache.ids(reader, field, text)] = True
            return found
        subs = q.subqueries
        children = [self._matching(s, sub) for s in (subs if type(q) is And else dict.fromkeys(subs))]
        if type(q) is And and len(subs) > 1:
            if any(c is None for c in children):
                return None
            found = children[0]
            for child in children[1:]:
                found &= child
            return found
        present = [c for c in children if c is not None]
        if not present:
            return None
        found = present[0]
        for child in present[1:]:
            found |= child
        return found

    # -- nodes --------------------------------------------------------------------------------------

    def _eval(self, q: Query, sub: Searcher, within: _Within | None) -> _Part:
        """Scores and matching-term counts of `q` in one segment; given `within`, of those documents only,
        numbered by their place among them."""
        if type(q) is Term:
            return self._term(q, sub, within)
        subs = q.subqueries
        if len(subs) == 1:
            return self._eval(subs[0], sub, within)
        if isinstance(q, DisjunctionMax):
            part = _best(self._alternatives(subs, sub, within))
        else:
            children = [self._eval(s, sub, within) for s in subs]
            part = _intersect(children) if type(q) is And else _union(children)
        if q.boost != 1.0:
            part = part._replace(scores=part.scores * q.boost)
        if isinstance(q, self._coord_type) and q.scale and self._has_terms(q, sub):
            termcount = self._termcount(q, self._searcher)
            part = part._replace(scores=_coordinate(part, termcount, q.scale))
        return part

    def _alternatives(self, subs: Sequence[Query], sub: Searcher, within: _Within | None) -> list[_Part]:
        """The children of a best-of, a term that is among them more than once (two spellings of a word
        with one stem) scored once: the best of equal scores is that score, and every copy still counts
        as a matching term."""
        copies: dict[Query, int] = {}
        for s in subs:
            if type(s) is Term:
                copies[s] = copies.get(s, 0) + 1
        children = []
        for s in subs:
            if type(s) is not Term:
                children.append(self._eval(s, sub, within))
            elif s in copies:
                part = self._eval(s, sub, within)
                times = copies.pop(s)
                children.append(part if times == 1 else part._replace(counts=np.full(len(part.ids), times, np.int64)))
        return children

    def _has_terms(self, q: Query, sub: Searcher) -> bool:
        """Whether any leaf of `q` has postings in this segment (Whoosh applies the bonus only then)."""
        reader = sub.reader()
        return any((field, _bytes(sub, field, text)) in reader for field, text in q.iter_all_terms())

    def _term(self, q: Term, sub: Searcher, within: _Within | None) -> _Part:
        field = q.fieldname
        text = _bytes(sub, field, q.text)
        reader = sub.reader()
        if (field, text) not in reader:
            return _NOTHING
        scorer = sub.weighting.scorer(sub, field, text)
        if not isinstance(scorer, BM25FScorer):
            ids, w = self._cache.postings(reader, field, text)
            places = ids
            if within is not None:
                ids, places, w = within.cut(ids, w)
            score, dfl, boost = scorer._score, scorer.dfl, q.boost
            values = [score(weight, dfl(doc)) * boost for doc, weight in zip(ids.tolist(), w.tolist(), strict=True)]
            return _Part(places, np.array(values, np.float64), None)
        norms = self._norms(sub, field, scorer)
        how = (id(norms), scorer.K1, scorer.idf)

        def bm25(ids: np.ndarray, w: np.ndarray) -> np.ndarray:
            # Whoosh's `idf * ((tf * (K1 + 1)) / (tf + norm))` with the length part `norm` read per document
            # from `_norms`: the same operations on the same operands (in place; + and * commute exactly),
            # so the same floats.
            denominator = norms[ids]
            denominator += w
            scores = w * (scorer.K1 + 1)
            scores /= denominator
            scores *= scorer.idf
            return scores

        if within is None:
            ids, scores = self._cache.scores(reader, field, text, how, bm25)
            places = ids
        elif (kept := self._cache.kept_scores(reader, field, text, how)) is not None:
            ids, places, scores = within.cut(*kept)
        else:  # a few documents of a term not scored yet: scored alone
            ids, places, w = within.cut(*self._cache.postings(reader, field, text))
            scores = bm25(ids, w)
        if q.boost != 1.0:
            scores = scores * q.boost
        return _Part(places, scores, None)

    def _norms(self, sub: Searcher, field: str, scorer: BM25FScorer) -> np.ndarray:
        key = (id(sub.reader()), field, scorer.B, scorer.K1, scorer.avgfl)
        norms = self._cache.norms.get(key)
        if norms is None:
            norms = self._cache.norms[key] = bm25_norms(sub.reader(), field, scorer.B, scorer.K1, scorer.avgfl)
        return norms


class _Within:
    """The documents of one segment an evaluation is restricted to (ascending). A posting list is cut to
    them and its documents are renumbered by their place among them, so the merges above work on arrays
    as long as the documents kept, not as the segment."""

    def __init__(self, docs: np.ndarray, size: int) -> None:
        self.docs = docs
        self._size = size
        self._places: np.ndarray | None = None

    def cut(self, ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The postings (`ids` ascending, `values`) of the documents kept: their ids, places, values."""
        docs = self.docs
        if not len(ids) or not len(docs):
            return ids[:0], ids[:0], values[:0]
        if len(docs) * FEW_DOCS < len(ids):  # a few documents: each looked up in the long list
            at = np.minimum(np.searchsorted(ids, docs), len(ids) - 1)
            found = ids[at] == docs
            at = at[found]
            return ids[at], np.flatnonzero(found), values[at]
        if self._places is None:  # else each posting's place, from a table over the segment
            self._places = np.full(self._size, -1, np.int64)
            self._places[docs] = np.arange(len(docs))
        places = self._places[ids]
        keep = np.flatnonzero(places >= 0)
        return ids[keep], places[keep], values[keep]


def bm25_norms(reader, field: str, b: float, k1: float, avgfl: float) -> np.ndarray:
    """`K1 * ((1 - B) + B * fl / avgfl)` for every document of one segment, from the field lengths Whoosh
    stores (one byte per document): the value Whoosh's `bm25` computes, as one float64 array (8 bytes a
    document, read once per opened segment)."""
    return k1 * ((1 - b) + b * field_lengths(reader, field) / avgfl)


def field_lengths(reader, field: str) -> np.ndarray:
    """Each document's length in `field`, as Whoosh's `doc_field_length` decodes it (float64)."""
    count = reader.doc_count_all()
    perdoc = getattr(reader, "_perdoc", None)
    if isinstance(perdoc, W3PerDocReader):
        column = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
        if column is None:  # no lengths stored: Whoosh's default
            return np.ones(count, np.float64)
        raw = np.frombuffer(column._dbfile.get(column._basepos, column._count), np.uint8)
        lengths = np.zeros(count, np.float64)
        lengths[: len(raw)] = _LENGTH_OF_BYTE[raw]
        return lengths
    return np.array([reader.doc_field_length(d, field, 1) or 0 for d in range(count)], np.float64)


def _bytes(sub: Searcher, field: str, text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else sub.schema[field].to_bytes(text)


def postings(m: matching.Matcher) -> tuple[np.ndarray, np.ndarray]:
    """A term's document numbers (int64) and weights (float64), read a block at a time from Whoosh's
    postings file: straight from the arrays of `FastBlockCodec` blocks, else from Python sequences."""
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    if isinstance(m, W3LeafMatcher) and not m._byteids:
        # Each block's ids are deltas from 0, so the first is absolute. One cumulative sum over all blocks
        # is right once each block's first delta is taken relative to the previous block's last id.
        last_ids: list[int] = []
        while m.is_active():
            if m._data is None:
                m._read_data()
            block_ids, block_weights = m._data[0], m._data[1]
            n = m._blocklength
            if isinstance(block_ids, array):
                ids.append(np.frombuffer(block_ids, block_ids.typecode))
            else:
                ids.append(np.fromiter(block_ids, np.int64, n))
            last_ids.append(m._maxid)
            if block_weights is None:
                weights.append(np.ones(n))
            elif isinstance(block_weights, float):
                weights.append(np.full(n, block_weights))
            elif isinstance(block_weights, array) and block_weights.typecode in "fd":
                weights.append(np.frombuffer(block_weights, block_weights.typecode))
            else:
                weights.append(np.array(block_weights, np.float64))
            m._next_block()
        if not ids:
            return np.empty(0, np.int64), np.empty(0)
        deltas = np.concatenate(ids, dtype=np.int64)
        if len(ids) > 1:
            starts = np.cumsum([len(block) for block in ids[:-1]])
            deltas[starts] -= np.array(last_ids[:-1], np.int64)
        return np.cumsum(deltas), np.concatenate(weights, dtype=np.float64)
    docs: list[int] = []
    values: list[float] = []
    while m.is_active():
        docs.append(m.id())
        values.append(m.weight())
        m.next()
    return np.array(docs, np.int64), np.array(values, np.float64)


def _leaves(q: Query) -> int:
    return 1 if type(q) is Term else sum(_leaves(s) for s in q.subqueries)


def restrict(ids: np.ndarray, values: np.ndarray, within: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The `ids` (ascending) that are `within` (ascending) and their `values` (`_Within.cut`)."""
    size = max(int(ids[-1]) if len(ids) else -1, int(within[-1]) if len(within) else -1) + 1
    kept, _places, kept_values = _Within(within, size).cut(ids, values)
    return kept, kept_values


def _counts(part: _Part) -> np.ndarray:
    return np.ones(len(part.ids), np.int64) if part.counts is None else part.counts


def _span(children: list[_Part]) -> int:
    """One more than the largest document number among the children (their ids are ascending)."""
    return max((int(c.ids[-1]) + 1 for c in children if len(c.ids)), default=0)


def _union(children: list[_Part]) -> _Part:
    """Every document of any child; its scores summed in the children's order, starting from 0.0."""
    span = _span(children)
    if sparse(children, span):
        # `bincount` adds its weights one after the other, in the order of the concatenated children.
        ids, where = unique_ids([c.ids for c in children])
        scores = np.bincount(where, np.concatenate([c.scores for c in children]), len(ids))
        counts = np.bincount(where, np.concatenate([_counts(c) for c in children]), len(ids)).astype(np.int64)
        return _Part(ids, scores, counts)
    # Sums in arrays indexed by document number (a child's ids are distinct, so `+=` adds each once; the
    # first child is assigned, which is the same float as 0.0 plus it). Every matching document counts at
    # least one term, so the counts also say which documents match.
    scores = np.zeros(span)
    counts = np.zeros(span, np.int32)
    for n, child in enumerate(children):
        if n == 0:
            scores[child.ids] = child.scores
            counts[child.ids] = 1 if child.counts is None else child.counts
        else:
            scores[child.ids] += child.scores
            counts[child.ids] += 1 if child.counts is None else child.counts
    ids = np.flatnonzero(counts != 0)  # several times faster on booleans than on ints
    return _Part(ids, scores[ids], counts[ids])


def _intersect(children: list[_Part]) -> _Part:
    """The documents of every child, their scores summed in the children's order from 0.0. The smallest
    child's ids are looked up in the others (binary search), not merged with them: a phrase of a rare
    and a common word costs the rare word's matches, not the common one's."""
    ids = min((c.ids for c in children), key=len)
    for child in children:
        if len(ids) and child.ids is not ids:
            at = np.minimum(np.searchsorted(child.ids, ids), len(child.ids) - 1)  # past the end: compared with the last
            ids = ids[child.ids[at] == ids]
    scores = np.zeros(len(ids), np.float64)
    counts = np.zeros(len(ids), np.int64)
    for child in children:
        at = np.searchsorted(child.ids, ids)
        scores += child.scores[at]
        counts += 1 if child.counts is None else child.counts[at]
    return _Part(ids, scores, counts)


def _best(children: list[_Part]) -> _Part:
    """Every document of any child, with the best of its children's scores."""
    span = _span(children)
    if sparse(children, span):
        ids, where = unique_ids([c.ids for c in children])
        scores = np.full(len(ids), -np.inf)
        np.maximum.at(scores, where, np.concatenate([c.scores for c in children]))
        counts = np.bincount(where, np.concatenate([_counts(c) for c in children]), len(ids)).astype(np.int64)
        return _Part(ids, scores, counts)
    # The largest child is assigned first (the best of several scores does not depend on their order).
    scores = np.full(span, -np.inf)
    counts = np.zeros(span, np.int32)
    for n, child in enumerate(sorted(children, key=lambda c: -len(c.ids))):
        if n == 0:
            scores[child.ids] = child.scores
            counts[child.ids] = 1 if child.counts is None else child.counts
        else:
            scores[child.ids] = np.maximum(scores[child.ids], child.scores)
            counts[child.ids] += 1 if child.counts is None else child.counts
    ids = np.flatnonzero(counts != 0)  # several times faster on booleans than on ints
    return _Part(ids, scores[ids], counts[ids])


def unique_ids(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ids of several ascending arrays, ascending, and where each id of their concatenation
    is among them (`np.unique(…, return_inverse=True)`). A stable sort of the concatenation only merges
    its ascending runs (timsort), a few times faster than `np.unique`'s general sort."""
    joined = np.concatenate(arrays)
    order = np.argsort(joined, kind="stable")
    ordered = joined[order]
    first = np.empty(len(ordered), bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    where = np.empty(len(ordered), np.intp)
    where[order] = np.cumsum(first) - 1
    return ordered[first], where


def sparse(children: Sequence[_Part | DocScores], span: int) -> bool:
    """Whether the children's documents are few for the documents they span: then sorting their ids
    costs less than arrays over the whole span (which grow with the index, not with the match)."""
    return sum(len(c.ids) for c in children) * SPARSE_RATIO < span


def _coordinate(part: _Part, termcount: int, scale: float) -> np.ndarray:
    """Whoosh's `CoordMatcher._sqr` (the V-Twin short-query ranking) on every document."""
    return coordinate(part.scores, _counts(part), termcount, scale)


def coordinate(scores: np.ndarray, counts: np.ndarray, termcount: int, scale: float) -> np.ndarray:
    """The coordination formula on sums of scores and their matching-term counts (arrays alike). It
    grows with both, so bounds of the inputs give a bound of the result."""
    if termcount == 0 or termcount == scale:
        return np.zeros(len(scores), np.float64)
    squared = (termcount - scale) ** 2
    factor = (termcount - 1) / termcount
    return (scores + (counts - 1) / squared) * factor


def _coordinate_one(score: float, count: int, termcount: int, scale: float) -> float:
    return float(coordinate(np.array([score]), np.array([count]), termcount, scale)[0])
