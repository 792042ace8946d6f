"""The Whoosh implementation of the engine seam: one index of passages, one of deals, BM25F ranking.

Whoosh pickles its schema and segments: open only indexes this program built itself, never one from an
untrusted source.
"""

from __future__ import annotations

import copy
import logging
import math
import re
import threading
from collections.abc import Iterable, Iterator, Sequence, Set
from operator import itemgetter
from pathlib import Path

import numpy as np
from whoosh import index as windex
from whoosh import matching, qparser, scoring
from whoosh.analysis import Analyzer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.query import And, AndNot, BinaryQuery, CompoundQuery, DisjunctionMax, Not, NullQuery, Or, Query, Term
from whoosh.searching import Searcher

from newscorpus.extract.quantities import states_amount
from newscorpus.index import article_map, deleted_stats, page_pruning
from newscorpus.index.analysis import AnalysisConfig, release_models, text_analyzer
from newscorpus.index.article_map import ArticleMap
from newscorpus.index.deleted_stats import LiveStats
from newscorpus.index.engine import ArticleMatch, ExpandedQuery, Hit, Progress
from newscorpus.index.fast_positions import FastPositions
from newscorpus.index.fast_scoring import DocScores, TermAtATime, TermCache, postings, restrict, supports
from newscorpus.index.matches import TITLE_ONLY_WEIGHT, TITLE_WEIGHT, Matches
from newscorpus.index.posting_pool import TermPoolWriter
from newscorpus.index.whoosh_codec import writer_options
from newscorpus.index.whoosh_reuse import Deleted, append_index, rewrite_index
from newscorpus.models import Article, Deal, KnowledgeBase

log = logging.getLogger(__name__)

PASSAGES = "passages"
DEALS = "deals"
ARTICLE_MAP = "passage-articles.json"  # each passage document's article (`article_map`), saved by builds

# Fields a user may name in a query (`title:nvidia`); the default fields are searched otherwise.
PASSAGE_FIELDS = ("text", "title")
DEAL_FIELDS = ("title", "summary", "parties", "evidence")


PRUNE = page_pruning.PruneWhen()  # the searches that score only what can reach their page

COORD = 0.9  # bonus for matching more of the query's words (Whoosh's OrGroup factor)


def _text(analyzer: Analyzer, field_boost: float = 1.0) -> TEXT:
    """A text field whose index-time analysis runs once per distinct word (`fast_positions`)."""
    field = TEXT(analyzer=analyzer, field_boost=field_boost)
    field.format = FastPositions(field_boost=field_boost)
    return field


def _passage_schema(analyzer: Analyzer) -> Schema:
    return Schema(
        passage_id=ID(stored=True, unique=True),
        article_id=ID(stored=True),
        kind=ID,
        text=_text(analyzer),
        title=_text(analyzer, field_boost=1.5),
        publisher=_text(analyzer),
        author=_text(analyzer),
        published=ID,
        ordinal=STORED,
        amount=ID,  # "1" when the passage states an amount (`ExpandedQuery.amount_boost`)
    )


def _deal_schema(analyzer: Analyzer) -> Schema:
    return Schema(
        deal_id=ID(stored=True, unique=True),
        title=_text(analyzer, field_boost=2.0),
        summary=_text(analyzer),
        parties=_text(analyzer, field_boost=1.5),
        evidence=_text(analyzer),
        type=ID,
    )


def _passage_docs(kb: KnowledgeBase, article_ids: Set[str] | None = None, *, copied: Set[str] = frozenset()):
    """The passage documents of `kb`'s articles (of those in `article_ids`), in build order. Documents of the
    articles in `copied` lack the `amount` flag: `rewrite_index` copies them from the previous index, whose
    postings carry it, and the field is neither stored nor scored, so nothing else it writes depends on it
    (money parsing is the costliest part of a document)."""
    yield from _article_docs(
        (a for a in kb.articles if article_ids is None or a.id in article_ids), copied=copied
    )


def _article_docs(articles: Iterable[Article], *, copied: Set[str] = frozenset()):
    """`_passage_docs` of these articles."""
    for article in articles:
        amounts = article.id not in copied
        for passage in article.passages():
            yield {
                "passage_id": passage.passage_id,
                "article_id": article.id,
                "kind": passage.kind,
                "text": passage.text,
                "title": article.title,
                "publisher": article.publisher,
                "author": article.author,
                "published": article.published,
                "ordinal": passage.n,
                **({"amount": "1"} if amounts and states_amount(passage.text) else {}),
            }


def _content(doc: dict, key: str) -> tuple:
    """A document's fields and values but its key, comparable and hashable."""
    return tuple(sorted((k, v) for k, v in doc.items() if k != key))


def _deal_docs(kb: KnowledgeBase):
    return map(_deal_doc, kb.deals)


def _deal_doc(deal: Deal) -> dict:
    return {
        "deal_id": deal.deal_id,
        "title": deal.title,
        "summary": deal.summary,
        "parties": " ".join(p.name for p in deal.parties),
        "evidence": " ".join(e.quote for e in deal.evidence),
        "type": deal.type,
    }


class WhooshBuilder:
    """Builds and opens Whoosh indexes. `analysis` decides how text is indexed; `passage_ranking` how the
    opened index ranks passages; `keep_models` keeps the decompounding model loaded between builds."""

    name = "whoosh"

    def __init__(
        self, analysis: AnalysisConfig | None = None, *, passage_ranking: bool = True, keep_models: bool = False
    ) -> None:
        self.analysis = analysis or AnalysisConfig()
        self.passage_ranking = passage_ranking
        self.keep_models = keep_models

    def build(self, kb: KnowledgeBase, folder: Path, progress: Progress) -> None:
        # One analyzer for both indexes, so its word caches (compound splits, stems) serve the deals too.
        schema = _passage_schema(text_analyzer(self.analysis))
        try:
            self._build(kb, folder, progress, schema)
            _save_article_map(folder)
        finally:
            if not self.keep_models:
                release_models(schema["text"].analyzer)

    def _build(self, kb: KnowledgeBase, folder: Path, progress: Progress, schema: Schema) -> None:
        passages = windex.create_in(str(folder), schema, indexname=PASSAGES)
        writer = TermPoolWriter(passages, **writer_options())
        total = sum(len(a.passages()) for a in kb.articles)  # not a pass over the documents: each parses money
        for n, doc in enumerate(_passage_docs(kb), start=1):
            writer.add_document(**doc)
            if n % 2000 == 0:
                progress(f"indexed {n}/{total} passages")
        writer.commit()
        deals = windex.create_in(str(folder), _deal_schema(schema["text"].analyzer), indexname=DEALS)
        writer = TermPoolWriter(deals, **writer_options())
        for doc in _deal_docs(kb):
            writer.add_document(**doc)
        writer.commit()
        progress(f"indexed {total} passages and {len(kb.deals)} deals")

    def add(self, kb: KnowledgeBase, article_ids: Sequence[str], folder: Path) -> None:
        passages = windex.open_dir(str(folder), indexname=PASSAGES)
        writer = passages.writer(**writer_options())
        try:
            for doc in _passage_docs(kb, set(article_ids)):
                writer.add_document(**doc)
            writer.commit()
            _save_article_map(folder)
        finally:
            if not self.keep_models:
                release_models(passages.schema["text"].analyzer)

    def update(
        self, kb: KnowledgeBase, folder: Path, previous: Path, previous_kb: KnowledgeBase, progress: Progress
    ) -> None:
        """Write what `build` writes from the build in `previous` (of `previous_kb`, by this code): the
        passage index keeps the previous build's segments (hard links) and gets the new articles' passages
        as a new segment (the smaller segments merged into it once there are many); so does the deal
        index, its changed and removed deals marked deleted (counted out of the statistics:
        `deleted_stats`), unless that would leave too many deleted, when it is rewritten, copying deals
        whose document but for the id is a previous one's instead of analysing them (`whoosh_reuse`).
        Scores do not depend on segments.

        A passage document is a function of its article alone, so the documents of an article that is in
        both knowledge bases unchanged are the previous index's: only the new articles' are derived."""
        schema = _passage_schema(text_analyzer(self.analysis))
        try:
            before = {a.id: a for a in previous_kb.articles}
            kept = {a.id for a in kb.articles if (old := before.get(a.id)) is not None and (old is a or old == a)}
            passages = None
            if len(kept) == len(before):  # every previous article is still there, unchanged
                passages = append_index(
                    PASSAGES,
                    _passage_docs(kb, {a.id for a in kb.articles if a.id not in kept}),
                    previous,
                    folder,
                    lambda ix: TermPoolWriter(ix, **writer_options()),
                )
            if passages is None:
                same = {p.passage_id: p.passage_id for a in previous_kb.articles if a.id in kept for p in a.passages()}
                passages = rewrite_index(
                    schema, PASSAGES, "passage_id", _passage_docs(kb, copied=kept), previous, same, folder
                )
            # A deal's id depends on its article alone, but an old article a new entity name occurs in
            # may change its deals. A previous deal whose document changed or is gone is deleted from
            # its segment, new and changed ones appended; when too many would be deleted, the index is
            # rewritten, copying a deal from any previous one with the same document but for the id.
            deal_schema = _deal_schema(schema["text"].analyzer)
            old_docs = list(_deal_docs(previous_kb))
            deal_docs = list(_deal_docs(kb))
            by_id = {d["deal_id"]: d for d in deal_docs}
            gone = {d["deal_id"]: d for d in old_docs if by_id.get(d["deal_id"]) != d}
            old_ids = {d["deal_id"] for d in old_docs}
            deals = append_index(
                DEALS,
                (d for d in deal_docs if d["deal_id"] not in old_ids or d["deal_id"] in gone),
                previous,
                folder,
                lambda ix: TermPoolWriter(ix, **writer_options()),
                Deleted("deal_id", gone, deal_schema),
            )
            kept_deals = deals is not None
            if deals is None:
                old_deals: dict[tuple, str] = {}
                for doc in old_docs:
                    old_deals.setdefault(_content(doc, "deal_id"), doc["deal_id"])
                sources = {d["deal_id"]: old for d in deal_docs if (old := old_deals.get(_content(d, "deal_id")))}
                deals = rewrite_index(deal_schema, DEALS, "deal_id", deal_docs, previous, sources, folder)
            _save_article_map(folder, previous)
        finally:
            if not self.keep_models:
                release_models(schema["text"].analyzer)
        progress(_update_message(passages, deals, kept_deals, len(gone) if kept_deals else 0, previous))

    def append(
        self, folder: Path, previous: Path, articles: list[Article], deals: list[Deal], replaced: list[Deal],
        progress: Progress,
    ) -> bool:
        """An update by rows: the indexes of the build in `previous` (by this code) with the new `articles`'
        passages and the new or changed `deals` appended as new segments, and the `replaced` deals (all
        the previous deals of the articles whose deals were extracted again) that changed or are gone
        marked deleted (`append_index`, which merges the smaller segments once there are many). False when
        an index must be rewritten instead (too many deleted documents): `update` does that from whole
        knowledge bases."""
        schema = _passage_schema(text_analyzer(self.analysis))
        try:
            passages = append_index(
                PASSAGES, _article_docs(articles), previous, folder, lambda ix: TermPoolWriter(ix, **writer_options())
            )
            if passages is None:
                return False
            docs = {d.deal_id: _deal_doc(d) for d in deals}
            old = {d.deal_id: _deal_doc(d) for d in replaced}
            gone = {did: doc for did, doc in old.items() if docs.get(did) != doc}
            added = append_index(
                DEALS,
                (doc for did, doc in docs.items() if old.get(did) != doc),
                previous,
                folder,
                lambda ix: TermPoolWriter(ix, **writer_options()),
                Deleted("deal_id", gone, _deal_schema(schema["text"].analyzer)),
            )
            if added is None:
                return False
            _save_article_map(folder, previous)
        finally:
            if not self.keep_models:
                release_models(schema["text"].analyzer)
        progress(_update_message(passages, added, True, len(gone), previous))
        return True

    def open(self, folder: Path) -> WhooshIndex:
        return WhooshIndex(folder, passage_ranking=self.passage_ranking)


def _update_message(
    passages: tuple[int, int], deals: tuple[int, int], kept_deals: bool, deleted: int, previous: Path
) -> str:
    """What an update did to the indexes: (kept, added) passages and deals, deals deleted."""
    return (f"indexed {passages[1]} new passages and {deals[1]} new or changed deals, kept {passages[0]} passages "
            f"and {'kept' if kept_deals else 'copied'} {deals[0]} deals from {previous.name}"
            + (f" ({deleted} deleted)" if deleted else ""))


def _save_article_map(folder: Path, previous: Path | None = None) -> None:
    """Save the passage index's article map; with `previous`, the build this one appended segments to, by
    extending that build's map when its segments are still the first ones (none was merged away)."""
    with windex.open_dir(str(folder), indexname=PASSAGES).searcher() as searcher:
        before = _appended_to(previous, searcher) if previous is not None else None
        article_map.save(
            article_map.extend(before, searcher, "article_id") if before is not None
            else article_map.article_map(searcher, "article_id"),
            folder / ARTICLE_MAP,
        )


def _appended_to(previous: Path, searcher: Searcher) -> article_map.ArticleMap | None:
    """`previous`'s saved article map when the index `searcher` reads starts with its segments, else None."""
    with windex.open_dir(str(previous), indexname=PASSAGES).reader() as reader:
        kept = [sub.segment().segment_id() for sub, _ in reader.leaf_readers()]
        documents = reader.doc_count_all()
    now = [sub.segment().segment_id() for sub, _ in searcher.reader().leaf_readers()]
    return article_map.load(previous / ARTICLE_MAP, documents) if now[:len(kept)] == kept else None


class WhooshIndex:
    """An opened pair of Whoosh indexes; one searcher each, shared under a lock (searchers are not
    thread-safe while reading postings). A page of articles is ranked by scoring only the passages that
    can reach it (`page_pruning`) for the searches `prune` picks (None: never); the page is the same
    either way."""

    def __init__(
        self, folder: Path, *, passage_ranking: bool = True, prune: page_pruning.PruneWhen | None = PRUNE
    ) -> None:
        self._folder = folder
        self._prune = prune
        self._passages = windex.open_dir(str(folder), indexname=PASSAGES)
        self._deals = windex.open_dir(str(folder), indexname=DEALS)
        self._passage_searcher: Searcher = self._passages.searcher(weighting=_LengthCachedBM25F())
        self._deal_searcher = _live_searcher(self._deals, folder, DEALS)
        self._passage_keys = _DocKeys(self._passage_searcher, ("passage_id", "article_id"))
        self._deal_keys = _DocKeys(self._deal_searcher, ("deal_id",))
        self._passage_ranking = passage_ranking
        # The opened reader's schema, read once (`Index.schema` reads the table of contents from disk on
        # every access, and each copy brings an analyzer with empty word caches).
        self._schema = schema = self._passage_searcher.schema
        self._passage_parsers = (
            {("text",): _parser(("text",), schema), ("title",): _parser(("title",), schema)}
            if passage_ranking
            else {PASSAGE_FIELDS: _parser(PASSAGE_FIELDS, schema)}
        )
        self._deal_parser = _parser(DEAL_FIELDS, self._deal_searcher.schema)
        self._term_cache = TermCache()
        self._amounts: np.ndarray | None = None
        self._article_map: ArticleMap | None = None
        self._lock = threading.Lock()

    def search_passages(
        self, query: str | ExpandedQuery, *, article_ids: frozenset[str] | None = None
    ) -> list[Hit]:
        return [Hit(key=key, score=score) for key, score in self.passage_scores(query, article_ids=article_ids)]

    def passage_scores(
        self, query: str | ExpandedQuery, *, article_ids: frozenset[str] | None = None
    ) -> list[tuple[str, float]]:
        expanded = query if isinstance(query, ExpandedQuery) else ExpandedQuery(text=query)
        with self._lock:
            matches = self._matches(expanded, self._queries(expanded), article_ids)
            keys = self._passage_keys
            ranked = [
                (keys[docnum][0], score) for docnum, score in zip(matches.ids.tolist(), matches.exact(), strict=True)
            ]
        # By score, best first, then by passage id: two stable sorts with C-level keys.
        ranked.sort(key=itemgetter(0))
        ranked.sort(key=itemgetter(1), reverse=True)
        return ranked

    def rank_articles(
        self, query: str | ExpandedQuery, *, article_ids: frozenset[str] | None = None, offset: int = 0,
        limit: int = 10,
    ) -> tuple[int, list[ArticleMatch]]:
        expanded = query if isinstance(query, ExpandedQuery) else ExpandedQuery(text=query)
        with self._lock:
            articles = self._articles()
            queries = self._queries(expanded)
            pruned = self._pruned(expanded, queries, article_ids, offset + limit)
            if pruned is None:
                matches, total = self._matches(expanded, queries, article_ids), None
            else:
                total, matches = pruned
            total, page = matches.page(articles.of_doc, len(articles.ids), offset, limit, total=total)
            keys = self._passage_keys
            return total, [
                ArticleMatch(
                    article_id=articles.ids[ordinal],
                    score=score,
                    passages=[(keys[docnum][0], s) for docnum, s in passages],
                )
                for ordinal, score, passages in page
            ]

    def _queries(self, expanded: ExpandedQuery) -> list[Query | None]:
        """The Whoosh queries of a search: on the text, then on the title (or one on both fields)."""
        return [_build(parser, expanded, fields, self._schema) for fields, parser in self._passage_parsers.items()]

    def _matches(
        self, expanded: ExpandedQuery, queries: list[Query | None], article_ids: frozenset[str] | None,
        within: np.ndarray | None = None, title: DocScores | None = None,
    ) -> Matches:
        """The passages the queries match (only those `within`, document numbers ascending, if given), with
        what their final scores are computed from. `title`: the title query's scores, if already known."""
        found = []
        for n, q in enumerate(queries):
            if q is None:
                found.append(DocScores.empty())
            elif n == 1 and title is not None:
                found.append(title if within is None else DocScores(*restrict(*title, within)))
            else:
                found.append(self._doc_scores(q, within))
        matches = Matches.combine(*found) if self._passage_ranking else Matches.single(found[0])
        if article_ids is not None:
            articles = self._articles()
            matches = matches.where(articles.mask(article_ids)[articles.of_doc[matches.ids]])
        if expanded.amount_boost != 1.0:
            matches = matches.boosted(self._amount_docs()[matches.ids], expanded.amount_boost)
        return matches

    def _pruned(
        self, expanded: ExpandedQuery, queries: list[Query | None], article_ids: frozenset[str] | None, wanted: int
    ) -> tuple[int, Matches] | None:
        """How many articles match and the passages that decide the first `wanted` of them
        (`page_pruning`), or None when the query is left to a full evaluation: its text query is not an
        OR of parts that term-at-a-time scoring handles, or `prune` does not pick it.

        The bound of a passage's final score: its text score is at most the coordination formula on the
        bounds of the parts it matches (`TermAtATime.bounds`); with its title's exact score, `combine`'s
        formula is bounded the same way; the amount boost multiplies it at most by its factor."""
        text = queries[0]
        if (
            self._prune is None
            or not isinstance(text, _CoordOr)
            or not all(q is None or supports(q, (_CoordOr,)) for q in queries)
        ):
            return None
        searcher = self._passage_searcher
        sizes = [sum(searcher.doc_frequency(f, t) for f, t in part.iter_all_terms()) for part in text.subqueries]
        if not self._prune.applies(sizes):
            return None
        evaluator = self._evaluator()
        bound = evaluator.bounds(text)  # scores are never below 0 (`upper_bound`): max(text, 0) is text
        title = None
        if self._passage_ranking and queries[1] is not None:
            title = evaluator.scores(queries[1])
            with_text = bound[title.ids]
            bound[title.ids] = np.where(
                with_text > -np.inf,
                np.maximum(with_text + TITLE_WEIGHT * title.scores, TITLE_ONLY_WEIGHT * title.scores),
                TITLE_ONLY_WEIGHT * title.scores,
            )
        articles = self._articles()
        if article_ids is not None:
            np.copyto(bound, -np.inf, where=~articles.mask(article_ids)[articles.of_doc])
        if expanded.amount_boost > 1.0:
            np.multiply(bound, expanded.amount_boost, out=bound, where=self._amount_docs())

        def exact(within: np.ndarray) -> Matches:
            return self._matches(expanded, queries, article_ids, within, title)

        return page_pruning.prune(bound, articles.of_doc, len(articles.ids), wanted, exact)

    def _articles(self) -> ArticleMap:
        """Each passage document's article: as the build saved it, else read from the index."""
        if self._article_map is None:
            searcher = self._passage_searcher
            self._article_map = article_map.load(
                self._folder / ARTICLE_MAP, searcher.doc_count_all()
            ) or article_map.article_map(searcher, "article_id")
        return self._article_map

    def _doc_scores(self, q: Query, within: np.ndarray | None = None) -> DocScores:
        """Score by document number of every passage `q` matches (of those `within`, ascending, if given):
        term at a time where the tree allows (`fast_scoring`, same scores), else through Whoosh's matchers."""
        if supports(q, (_CoordOr,)):
            return self._evaluator().scores(q, within)
        found = DocScores.from_dict(dict(_whoosh_scores(self._passage_searcher, q)))
        return found if within is None else DocScores(*restrict(*found, within))

    def _evaluator(self) -> TermAtATime:
        return TermAtATime(self._passage_searcher, _CoordOr, _coord_termcount, self._term_cache)

    def _amount_docs(self) -> np.ndarray:
        """Per document number, whether the passage states an amount; read from the index on first use."""
        if self._amounts is None:
            amounts = np.zeros(self._passage_searcher.doc_count_all(), bool)
            for sub, offset in self._passage_searcher.subsearchers or [(self._passage_searcher, 0)]:
                reader = sub.reader()
                if reader.doc_frequency("amount", "1"):
                    ids, _weights = postings(reader.postings("amount", b"1"))
                    amounts[ids + offset] = True
            self._amounts = amounts
        return self._amounts

    def search_deals(self, query: str) -> list[Hit]:
        q = _parse(self._deal_parser, query)
        if q is None:
            return []
        with self._lock:
            hits = [
                Hit.model_construct(key=self._deal_keys[docnum][0], score=round(score, 6))
                for docnum, score in _whoosh_scores(self._deal_searcher, q)
            ]
        return sorted(hits, key=lambda h: (-h.score, h.key))

    def close(self) -> None:
        self._passage_searcher.close()
        self._deal_searcher.close()


def _whoosh_scores(searcher: Searcher, q: Query) -> Iterator[tuple[int, float]]:
    """(document number, score) of every document `q` matches, through Whoosh's matchers, each segment's
    matcher walked to its end. `Searcher.search` lets an OR of three or more clauses over a segment of
    at most 5 000 documents preload its matches (`PreloadedOr`), which does not tell the coordination
    bonus which terms a document matches: scores then depended on how the index is split into segments
    (an update that appends a small segment ranked deals differently from a full build). Asking for the
    current match (`needs_current`) keeps Whoosh's tree of unions in every segment."""
    context = searcher.context(needs_current=True)
    for sub, offset in searcher.leaf_searchers():
        m = q.matcher(sub, context)
        while m.is_active():
            yield offset + m.id(), m.score()
            m.next()


class _FieldLengths(dict):
    """One field's length per document of one segment, read from the lengths column on first use only
    (a first search does not read the lengths of documents it does not match)."""

    def __init__(self, reader, fieldname: str) -> None:
        super().__init__()
        self._reader, self._fieldname = reader, fieldname

    def __missing__(self, docnum: int) -> int:
        length = self[docnum] = self._reader.doc_field_length(docnum, self._fieldname, 1)
        return length


class _LengthCachedBM25F(scoring.BM25F):
    """Whoosh's BM25F, reading each document's field length once per (segment, field) instead of from the
    lengths column on every scored posting. Same formula, same inputs: same scores. One instance per
    searcher; the lengths live as long as it.

    With `live` (the index has deleted documents), the document count and each field's average length
    are those of the live documents, as in a fresh build of them; `_live_searcher` does the same for
    document frequencies."""

    def __init__(self, live: LiveStats | None = None) -> None:
        super().__init__()
        self._lengths: dict[tuple[int, str], _FieldLengths] = {}
        self._live = live

    def idf(self, searcher, fieldname, text):
        if not self._live:
            return super().idf(searcher, fieldname, text)
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        dc = parent.doc_count_all() - self._live.docs
        return math.log(dc / (n + 1)) + 1

    def scorer(self, searcher, fieldname, text, qf=1):
        s = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(s, scoring.BM25FScorer):
            if self._live:
                parent = searcher.get_parent()
                total = parent.field_length(fieldname) - self._live.lengths.get(fieldname, 0)
                s.avgfl = total / ((parent.doc_count_all() - self._live.docs) or 1) or 1
            reader = searcher.reader()
            key = (id(reader), fieldname)
            lengths = self._lengths.get(key)
            if lengths is None:
                lengths = self._lengths[key] = _FieldLengths(reader, fieldname)
            s.dfl = lengths.__getitem__
        return s


class _DocKeys(dict):
    """Stored ids by document number, read from the index once per document and then kept: the passages
    of the articles on a page (grouping by article uses `article_map`, not these)."""

    def __init__(self, searcher: Searcher, fields: tuple[str, ...]) -> None:
        super().__init__()
        self._searcher, self._fields = searcher, fields

    def __missing__(self, docnum: int) -> tuple[str, ...]:
        stored = self._searcher.stored_fields(docnum)
        keys = self[docnum] = tuple(stored[f] for f in self._fields)
        return keys


def _build(
    parser: qparser.QueryParser, expanded: ExpandedQuery, fields: Sequence[str], schema: Schema
) -> Query | None:
    """The Whoosh query for an expanded query on `fields`: each part scores by its best alternative."""
    if not expanded.parts:
        return _parse(parser, expanded.text)
    parts = []
    for part in expanded.parts:
        options = [q for q in [_words(part.text, fields, schema, all_words=False)] if q is not None]
        for alt in part.alternatives:
            q = _words(alt.text, fields, schema, all_words=True)
            if q is not None:
                options.append(q.with_boost(alt.weight))
        if options:
            parts.append(options[0] if len(options) == 1 else _BestOf(options))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else _CoordOr(parts, scale=COORD)


def _words(text: str, fields: Sequence[str], schema: Schema, *, all_words: bool) -> Query | None:
    """`text` analyzed as the index analyzes it, as terms on each field: all of them, or any of them."""
    per_field = []
    for field in fields:
        words: dict[int, list[str]] = {}
        for t in schema[field].analyzer(text, mode="query", positions=True):
            words.setdefault(t.pos, []).append(t.text)
        if not words:
            continue
        leaves = list(dict.fromkeys(_word_query(field, forms) for forms in words.values()))
        if len(leaves) == 1:
            per_field.append(leaves[0])
        else:
            per_field.append(And(leaves) if all_words else _CoordOr(leaves, scale=COORD))
    if not per_field:
        return None
    return per_field[0] if len(per_field) == 1 else Or(per_field)


class _BestOfMatcher(matching.DisjunctionMaxMatcher):
    """Whoosh's DisjunctionMaxMatcher scores `max(a, b)` even when only one of them is on the current
    document, so a document's score took the other's score for a later document. This one takes the
    best of the sub-matchers that are on the current document."""

    def score(self) -> float:
        a, b = self.a, self.b
        if not a.is_active():
            return b.score()
        if not b.is_active():
            return a.score()
        a_id, b_id = a.id(), b.id()
        if a_id != b_id:
            return a.score() if a_id < b_id else b.score()
        return max(a.score(), b.score())


class _BestOf(DisjunctionMax):
    """A document's score is its best alternative's (`_BestOfMatcher`)."""

    def _matcher(self, subs, searcher, context):
        reader = searcher.reader()
        return self._tree_matcher(subs, _BestOfMatcher, searcher, context, lambda q: q.estimate_size(reader))


class _FixedCoordMatcher(matching.CoordMatcher):
    """Whoosh's coordination bonus with the query's term count fixed: Whoosh counts the terms present in
    the segment being searched and recounts them when it prunes exhausted sub-matchers during a search,
    so the same document scored differently depending on where in the index it lies."""

    def __init__(self, child, scale: float = 1.0, termcount: int | None = None) -> None:
        super().__init__(child, scale=scale)
        if termcount is not None:
            self._termcount = termcount

    def _replacement(self, newchild):
        return self.__class__(newchild, scale=self._scale, termcount=self._termcount)


class _CoordOr(Or):
    """OR with a coordination bonus for matching more of the query's terms (`_FixedCoordMatcher`)."""

    def _matcher(self, subs, searcher, context):
        reader = searcher.reader()
        m = self._tree_matcher(subs, matching.UnionMatcher, searcher, context, lambda q: q.estimate_size(reader))
        if self.scale and any(m.term_matchers()):
            m = _FixedCoordMatcher(m, scale=self.scale, termcount=_coord_termcount(self, searcher))
        return m


def _coord_termcount(q: Query, searcher: Searcher) -> int:
    """How many of `q`'s terms occur anywhere in the index (not only in the segment searched), in live
    documents (`_live_searcher`)."""
    top = searcher.get_parent()
    return sum(1 for field, text in q.iter_all_terms() if top.doc_frequency(field, text) > 0)


def _live_searcher(ix: windex.Index, folder: Path, indexname: str) -> Searcher:
    """A searcher of `ix` whose statistics count live documents only (`deleted_stats`): the weighting's
    document count and lengths, and the top searcher's document frequencies, which Whoosh's idf and our
    coordination bonus read (Whoosh copies the reader's method onto the searcher; this replaces it)."""
    reader = ix.reader()
    live = deleted_stats.LiveStats(deleted_stats.read(folder, indexname), reader)
    searcher = Searcher(reader, weighting=_LengthCachedBM25F(live), fromindex=ix)
    if live:
        raw = reader.doc_frequency
        searcher.doc_frequency = lambda fieldname, text: raw(fieldname, text) - live.deleted_frequency(fieldname, text)
    return searcher


def _word_query(field: str, forms: list[str]) -> Query:
    """One query word: its forms at one position (a lemma and a separable verb's base) are alternatives."""
    unique = list(dict.fromkeys(forms))
    return Term(field, unique[0]) if len(unique) == 1 else Or([Term(field, f) for f in unique])


class _CoordOrGroup(qparser.OrGroup):
    """Query syntax's default group as `_CoordOr`: the coordination bonus counts the query's terms in the
    whole index, so a parsed query scores a passage the same whatever segment it lies in."""

    qclass = _CoordOr

    def __init__(self, nodes=None, **kwargs) -> None:
        kwargs["scale"] = COORD
        super().__init__(nodes=nodes, **kwargs)


def _parser(fields: Sequence[str], schema: Schema) -> qparser.QueryParser:
    """Plain words are OR-ed with a bonus for matching more of them, so a whole question still ranks
    the passages that answer it first; phrases, AND/OR/NOT and field:value keep Whoosh's meaning."""
    parser = qparser.MultifieldParser(list(fields), schema, group=_CoordOrGroup)
    # An explicit OR as well, so `a OR b` merges into the surrounding group as it does with Whoosh's own.
    or_operator = qparser.OperatorsPlugin.OpTagger(r"(?<=\s)OR(?=\s)", _CoordOrGroup, memo="or")
    parser.replace_plugin(qparser.OperatorsPlugin(ops=[(or_operator, 0)], Or=None))
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.remove_plugin_class(qparser.BoostPlugin)
    return parser


_SYNTAX = re.compile(r"[\"():*?^~\[\]{}]|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b")


def _parse(parser: qparser.QueryParser, text: str) -> Query | None:
    """Parse with query syntax; on malformed syntax fall back to the plain words, never an error."""
    try:
        q = parser.parse(text)
    except Exception:  # Whoosh raises assorted errors on malformed syntax.
        log.debug("query syntax not understood, searching the plain words: %r", text)
        q = parser.parse(_SYNTAX.sub(" ", text))
    return None if q is None or q == NullQuery else _exact_and_not(_hoist_not(q))


class _AndNotMatcher(matching.AndNotMatcher):
    """Whoosh's AndNotMatcher moves the prohibited matcher up to the first required document only when
    both start on the same one: when the prohibited one starts earlier, that document was returned even
    if prohibited (`a NOT b` found a document holding b), depending on where the documents lie in the
    index. Every later step already moves it up (`_find_next`)."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class _AndNot(AndNot):
    """`a ANDNOT b` with `_AndNotMatcher`."""

    def matcher(self, searcher, context=None):
        return _AndNotMatcher(self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context()))


def _exact_and_not(q: Query) -> Query:
    """`q` with every `AndNot` (from the syntax or `_hoist_not`) as `_AndNot`; other nodes are copied
    with their children replaced, keeping their own attributes (a `_CoordOr`'s scale)."""
    if isinstance(q, AndNot):
        return _AndNot(_exact_and_not(q.a), _exact_and_not(q.b))
    if isinstance(q, BinaryQuery):
        q = copy.copy(q)
        q.a, q.b = _exact_and_not(q.a), _exact_and_not(q.b)
    elif isinstance(q, CompoundQuery):
        q = copy.copy(q)
        q.subqueries = [_exact_and_not(s) for s in q.subqueries]
    elif isinstance(q, Not):
        q = copy.copy(q)
        q.query = _exact_and_not(q.query)
    return q


def _hoist_not(q: Query) -> Query:
    """With OR as the default group, Whoosh reads `a NOT b` as `a OR (NOT b)`, which matches nearly
    everything; users mean `a` without `b`."""
    if not isinstance(q, Or):
        return q
    negated = [c.query for c in q.subqueries if isinstance(c, Not)]
    if not negated:
        return q
    positive = [c for c in q.subqueries if not isinstance(c, Not)]
    if not positive:
        return q
    return AndNot(Or(positive) if len(positive) > 1 else positive[0], Or(negated))
