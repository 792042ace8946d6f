"""Exact scores for our expanded-query trees, computed term at a time instead of through Whoosh's matchers.

Whoosh scores a query by walking a tree of matcher objects document by document: every node answers
`is_active()`, `id()`, `next()` and `score()` per document, and the coordination bonus asks the whole tree
which terms match each document (`matching_terms`). On a few thousand matching passages that protocol,
not the arithmetic, is most of a search. Here each term's postings are read block by block (ids and
weights only), scored with the same BM25F scorer Whoosh would use, and the tree is evaluated bottom-up
over dictionaries of per-document scores, with the exact semantics of the matchers it replaces:

- `Term`: the BM25F score times the term's boost; absent from a segment, it matches nothing there.
- `Or` / `And`: the sum of the children present (all of them for `And`), times the node's boost.
- `_BestOf`: the best child present on the document.
- `_CoordOr`: the sum, then Whoosh's coordination formula with the query's terms counted index-wide
  and the document's matching terms counted as `matching_terms` does (terms under a node that matches
  the document).
- A compound query with one child is that child (Whoosh ignores the parent's boost then).

Scores equal Whoosh's up to the order of floating-point additions (tests compare them rounded to the 6
places callers see). Anything else in a tree (phrases, `Not`, parsed query syntax) is not handled:
`supports` says so and the caller searches with Whoosh.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import accumulate

from whoosh import matching
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.query import And, DisjunctionMax, Or, Query, Term
from whoosh.scoring import BM25FScorer
from whoosh.searching import Searcher

# Per document: score, and how many of the tree's terms match it (for the coordination bonus).
Scores = dict[int, float]
Counts = dict[int, int]
CoordFn = Callable[[Query, Searcher], int]


def supports(q: Query, coord_types: tuple[type, ...]) -> bool:
    """Whether every node of `q` is one this evaluator reproduces exactly."""
    if type(q) is Term:
        return True
    if isinstance(q, (DisjunctionMax, *coord_types)) or type(q) is And or (
        type(q) is Or and not q.scale  # Whoosh's own OR group counts terms per segment: left to Whoosh
    ):
        return all(supports(s, coord_types) for s in q.subqueries)
    return False


class TermAtATime:
    """Evaluates one query tree on one searcher. `coord_type` is the coordination OR class, whose nodes
    carry `scale` and whose term count `termcount(node, searcher)` gives (counted over the whole index).
    `norm_cache` keeps the per-document length parts of BM25 between searches (owned by the caller)."""

    def __init__(
        self, searcher: Searcher, coord_type: type, termcount: CoordFn, norm_cache: dict[tuple, Norms]
    ) -> None:
        self._searcher = searcher
        self._norm_cache = norm_cache
        self._coord_type = coord_type
        self._termcount = termcount

    def scores(self, q: Query) -> Scores:
        """Score per global document number, for every document `q` matches."""
        out: Scores = {}
        subs = self._searcher.subsearchers or [(self._searcher, 0)]
        for sub, offset in subs:
            scores, _counts = self._eval(q, sub)
            if offset:
                out.update((doc + offset, s) for doc, s in scores.items())
            else:
                out.update(scores)
        return out

    # -- nodes --------------------------------------------------------------------------------------

    def _eval(self, q: Query, sub: Searcher) -> tuple[Scores, Counts | None]:
        """Scores and matching-term counts (None: 1 for every document) of `q` in one segment."""
        if type(q) is Term:
            return self._term(q, sub), None
        subs = q.subqueries
        if len(subs) == 1:
            return self._eval(subs[0], sub)
        children = [self._eval(s, sub) for s in subs]
        if type(q) is And:
            scores, counts = _intersect(children)
        elif isinstance(q, DisjunctionMax):
            scores, counts = _best(children)
        else:
            scores, counts = _union(children)
        if q.boost != 1.0:
            boost = q.boost
            scores = {doc: s * boost for doc, s in scores.items()}
        if isinstance(q, self._coord_type) and q.scale and self._has_terms(q, sub):
            termcount = self._termcount(q, self._searcher)
            scores = _coordinate(scores, counts, termcount, q.scale)
        return scores, counts

    def _has_terms(self, q: Query, sub: Searcher) -> bool:
        """Whether any leaf of `q` has postings in this segment (Whoosh applies the bonus only then)."""
        reader = sub.reader()
        return any((field, _bytes(sub, field, text)) in reader for field, text in q.iter_all_terms())

    def _term(self, q: Term, sub: Searcher) -> Scores:
        field = q.fieldname
        text = _bytes(sub, field, q.text)
        reader = sub.reader()
        if (field, text) not in reader:
            return {}
        scorer = sub.weighting.scorer(sub, field, text)
        ids, weights = postings(reader.postings(field, text))
        if not isinstance(scorer, BM25FScorer):
            score, dfl, boost = scorer._score, scorer.dfl, q.boost
            return {doc: score(w, dfl(doc)) * boost for doc, w in zip(ids, weights, strict=True)}
        # Whoosh's `bm25(idf, tf, fl, avgfl, B, K1)` with the length part read per document from `_norms`:
        # the same operations in the same order, so the same floats.
        idf, k1_plus_1, boost = scorer.idf, scorer.K1 + 1, q.boost
        norms = self._norms(sub, field, scorer)
        pairs = zip(ids, weights, strict=True)
        if boost != 1.0:
            return {doc: idf * ((w * k1_plus_1) / (w + norms[doc])) * boost for doc, w in pairs}
        return {doc: idf * ((w * k1_plus_1) / (w + norms[doc])) for doc, w in pairs}

    def _norms(self, sub: Searcher, field: str, scorer: BM25FScorer) -> Norms:
        key = (id(sub.reader()), field, scorer.B, scorer.K1, scorer.avgfl)
        norms = self._norm_cache.get(key)
        if norms is None:
            norms = self._norm_cache[key] = Norms(sub.reader(), field, scorer.B, scorer.K1, scorer.avgfl)
        return norms


class Norms(dict):
    """`K1 * ((1 - B) + B * fl / avgfl)` per document of one segment and field, as Whoosh's `bm25` computes
    it from the document's stored field length; filled on first use (a search reads only the documents it
    matches). Keep one per opened index: it grows with the documents searched, up to one entry each."""

    def __init__(self, reader, field: str, b: float, k1: float, avgfl: float) -> None:
        super().__init__()
        self._length = reader.doc_field_length
        self._field, self._b, self._k1, self._avgfl = field, b, k1, avgfl

    def __missing__(self, doc: int) -> float:
        fl = self._length(doc, self._field, 1)
        norm = self[doc] = self._k1 * ((1 - self._b) + self._b * fl / self._avgfl)
        return norm


def _bytes(sub: Searcher, field: str, text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else sub.schema[field].to_bytes(text)


def postings(m: matching.Matcher) -> tuple[list[int], list[float]]:
    """A term's document numbers and weights, read a block at a time from Whoosh's postings file."""
    ids: list[int] = []
    weights: list[float] = []
    if isinstance(m, W3LeafMatcher) and not m._byteids:
        while m.is_active():
            if m._data is None:
                m._read_data()
            block_ids, block_weights = m._data[0], m._data[1]
            n = m._blocklength
            ids.extend(accumulate(block_ids))
            if block_weights is None:
                weights.extend([1.0] * n)
            elif isinstance(block_weights, float):
                weights.extend([block_weights] * n)
            else:
                weights.extend(block_weights)
            m._next_block()
        return ids, weights
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return ids, weights


def _union(children: list[tuple[Scores, Counts | None]]) -> tuple[Scores, Counts]:
    scores: Scores = {}
    counts: Counts = {}
    for child_scores, child_counts in children:
        get_s, get_c = scores.get, counts.get
        if child_counts is None:
            for doc, s in child_scores.items():
                scores[doc] = get_s(doc, 0.0) + s
                counts[doc] = get_c(doc, 0) + 1
        else:
            for doc, s in child_scores.items():
                scores[doc] = get_s(doc, 0.0) + s
                counts[doc] = get_c(doc, 0) + child_counts[doc]
    return scores, counts


def _intersect(children: list[tuple[Scores, Counts | None]]) -> tuple[Scores, Counts]:
    common = set(min(children, key=lambda c: len(c[0]))[0])
    for child_scores, _ in children:
        common.intersection_update(child_scores)
    scores: Scores = dict.fromkeys(common, 0.0)
    counts: Counts = dict.fromkeys(common, 0)
    for child_scores, child_counts in children:
        for doc in common:
            scores[doc] += child_scores[doc]
            counts[doc] += 1 if child_counts is None else child_counts[doc]
    return scores, counts


def _best(children: list[tuple[Scores, Counts | None]]) -> tuple[Scores, Counts]:
    scores: Scores = {}
    counts: Counts = {}
    for child_scores, child_counts in children:
        get_s, get_c = scores.get, counts.get
        for doc, s in child_scores.items():
            best = get_s(doc)
            if best is None or s > best:
                scores[doc] = s
            counts[doc] = get_c(doc, 0) + (1 if child_counts is None else child_counts[doc])
    return scores, counts


def _coordinate(scores: Scores, counts: Counts, termcount: int, scale: float) -> Scores:
    """Whoosh's `CoordMatcher._sqr` (the V-Twin short-query ranking) on every document."""
    if termcount == 0 or termcount == scale:
        return dict.fromkeys(scores, 0)
    squared = (termcount - scale) ** 2
    factor = (termcount - 1) / termcount
    return {doc: (s + (counts[doc] - 1) / squared) * factor for doc, s in scores.items()}
