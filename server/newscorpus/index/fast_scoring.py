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
from whoosh.scoring import BM25FScorer
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

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


# Postings kept between searches by `TermCache`: 16 bytes each (id and weight), so at most ~64 MB.
CACHED_POSTINGS = 4_000_000


class TermCache:
    """What term-at-a-time scoring keeps between searches of one opened index (the caller owns it; the
    index's segments never change while it is open): BM25's length part per document, one array per
    segment and field, and the postings of recently searched terms, least recently used dropped first
    once they hold more than `max_postings` postings. Queries share words (a company, "Milliarden"), and
    reading a common word's postings is most of a search; the arrays handed out are read-only."""

    def __init__(self, max_postings: int = CACHED_POSTINGS) -> None:
        self.norms: dict[tuple, np.ndarray] = {}
        self._postings: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._held = 0
        self._max = max_postings

    def postings(self, reader, field: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        key = (id(reader), field, text)
        found = self._postings.get(key)
        if found is not None:
            self._postings.move_to_end(key)
            return found
        found = postings(reader.postings(field, text))
        for array_ in found:
            array_.flags.writeable = False
        if len(found[0]) <= self._max:
            self._postings[key] = found
            self._held += len(found[0])
            while self._held > self._max:
                _key, (ids, _weights) = self._postings.popitem(last=False)
                self._held -= len(ids)
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

    def scores(self, q: Query) -> DocScores:
        """Scores by global document number, for every document `q` matches."""
        ids: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        for sub, offset in self._searcher.subsearchers or [(self._searcher, 0)]:
            part = self._eval(q, sub)
            ids.append(part.ids + offset if offset else part.ids)
            scores.append(part.scores)
        if len(ids) == 1:
            return DocScores(ids[0], scores[0])
        return DocScores(np.concatenate(ids), np.concatenate(scores))

    # -- nodes --------------------------------------------------------------------------------------

    def _eval(self, q: Query, sub: Searcher) -> _Part:
        """Scores and matching-term counts of `q` in one segment."""
        if type(q) is Term:
            return self._term(q, sub)
        subs = q.subqueries
        if len(subs) == 1:
            return self._eval(subs[0], sub)
        if isinstance(q, DisjunctionMax):
            part = _best(self._alternatives(subs, sub))
        else:
            children = [self._eval(s, sub) for s in subs]
            part = _intersect(children) if type(q) is And else _union(children)
        if q.boost != 1.0:
            part = part._replace(scores=part.scores * q.boost)
        if isinstance(q, self._coord_type) and q.scale and self._has_terms(q, sub):
            termcount = self._termcount(q, self._searcher)
            part = part._replace(scores=_coordinate(part, termcount, q.scale))
        return part

    def _alternatives(self, subs: Sequence[Query], sub: Searcher) -> list[_Part]:
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
                children.append(self._eval(s, sub))
            elif s in copies:
                part = self._eval(s, sub)
                times = copies.pop(s)
                children.append(part if times == 1 else part._replace(counts=np.full(len(part.ids), times, np.int64)))
        return children

    def _has_terms(self, q: Query, sub: Searcher) -> bool:
        """Whether any leaf of `q` has postings in this segment (Whoosh applies the bonus only then)."""
        reader = sub.reader()
        return any((field, _bytes(sub, field, text)) in reader for field, text in q.iter_all_terms())

    def _term(self, q: Term, sub: Searcher) -> _Part:
        field = q.fieldname
        text = _bytes(sub, field, q.text)
        reader = sub.reader()
        if (field, text) not in reader:
            return _NOTHING
        scorer = sub.weighting.scorer(sub, field, text)
        ids, w = self._cache.postings(reader, field, text)
        if not isinstance(scorer, BM25FScorer):
            score, dfl, boost = scorer._score, scorer.dfl, q.boost
            values = [score(weight, dfl(doc)) * boost for doc, weight in zip(ids.tolist(), w.tolist(), strict=True)]
            return _Part(ids, np.array(values, np.float64), None)
        # Whoosh's `idf * ((tf * (K1 + 1)) / (tf + norm))` with the length part `norm` read per document
        # from `_norms`: the same operations on the same operands (in place; + and * commute exactly), so
        # the same floats.
        denominator = self._norms(sub, field, scorer)[ids]
        denominator += w
        scores = w * (scorer.K1 + 1)
        scores /= denominator
        scores *= scorer.idf
        if q.boost != 1.0:
            scores *= q.boost
        return _Part(ids, scores, None)

    def _norms(self, sub: Searcher, field: str, scorer: BM25FScorer) -> np.ndarray:
        key = (id(sub.reader()), field, scorer.B, scorer.K1, scorer.avgfl)
        norms = self._cache.norms.get(key)
        if norms is None:
            norms = self._cache.norms[key] = bm25_norms(sub.reader(), field, scorer.B, scorer.K1, scorer.avgfl)
        return norms


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
    if termcount == 0 or termcount == scale:
        return np.zeros(len(part.ids), np.float64)
    squared = (termcount - scale) ** 2
    factor = (termcount - 1) / termcount
    return (part.scores + (_counts(part) - 1) / squared) * factor
