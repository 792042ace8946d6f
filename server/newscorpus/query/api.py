"""The query API: the one way to read a built corpus. The MCP tools, the CLI and the tests all call it.

Records (articles, passages, mentions, deals) are read per call from the build's knowledge store; what
most calls need and is small (entity names and counts, publishers, statistics) is held from open time.
Full-text search goes to the engine behind `SearchIndex`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from difflib import SequenceMatcher
from functools import cached_property, lru_cache
from typing import Any, Literal

from newscorpus.config import Settings
from newscorpus.index.build import open_index, open_knowledge
from newscorpus.index.engine import EngineBuilder, ExpandedQuery, Hit, SearchIndex
from newscorpus.index.knowledge_store import (
    RELATED_KEPT,
    EntityInfo,
    KnowledgeStore,
    passage_number,
)
from newscorpus.models import DEAL_TYPES, ENTITY_TYPES, Article, Deal, Entity, KnowledgeBase, Mention, Passage
from newscorpus.query.answer_type import AMOUNT_BOOST, asks_for_amount
from newscorpus.query.cursor import Cursors
from newscorpus.query.errors import NotFoundError, QueryError
from newscorpus.query.expand import QueryExpander, load_glossary
from newscorpus.query.limits import check_dates, check_id, check_text
from newscorpus.query.name_index import NameIndex
from newscorpus.query.results import (
    ArticleDetail,
    ArticleHit,
    CorpusStats,
    DealDetail,
    DealList,
    DealRef,
    DealSummary,
    EntityDetail,
    EntityList,
    EntityRef,
    EntitySummary,
    MentionText,
    PartyOut,
    PassageText,
    PublisherCount,
    RelatedEntity,
    SearchResults,
)
from newscorpus.query.search_config import SearchConfig
from newscorpus.query.suggest import closest_ids as closest
from newscorpus.query.suggest import ratio_of
from newscorpus.query.text import fold, sentence_with

MAX_QUERY_CHARS = 1000
SEARCH_LIMIT = (1, 50)
ENTITY_LIMIT = (1, 200)
DEAL_LIMIT = (1, 100)
PASSAGES_PER_HIT = 3
MENTIONS_SHOWN = 20
RELATED_SHOWN = 10
assert RELATED_SHOWN <= RELATED_KEPT, "the knowledge store keeps fewer related entities than get_entity shows"


def _check_limit(limit: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(limit, bool) or not isinstance(limit, int) or not low <= limit <= high:
        raise QueryError(f"limit must be a whole number from {low} to {high}; got {limit!r}.", argument="limit")


@lru_cache(maxsize=256)
def _char_counts(text: str) -> tuple[tuple[str, int], ...]:
    return tuple(Counter(text).items())


def _similar(a: str, b: str) -> bool:
    """difflib ratio ≥ 0.8. Its cheap upper bounds (real_quick_ratio: the lengths; quick_ratio: the shared
    characters) are worked out first, the same figures without building a SequenceMatcher per pair
    (`NameIndex` has already applied both to all names at once; this checks the pairs they let through)."""
    length = len(a) + len(b)
    if ratio_of(min(len(a), len(b)), length) < 0.8:
        return False
    if ratio_of(sum(min(b.count(c), k) for c, k in _char_counts(a)), length) < 0.8:
        return False
    return SequenceMatcher(None, a, b).ratio() >= 0.8


def _paged(items: list, offset: int, limit: int) -> tuple[list, int | None]:
    page = items[offset : offset + limit]
    nxt = offset + limit
    return page, (nxt if nxt < len(items) else None)


class _Records(Mapping):
    """Records by id, read from the store on access: `query.articles[id]`, `id in query.deals`. Iteration
    and `values()` read every record of the kind, so the API itself never iterates these."""

    def __init__(
        self, get: Callable[[str], Any], ids: Callable[[], Iterator[str]], count: Callable[[], int],
        has: Callable[[str], bool] | None = None,
    ) -> None:
        self._get, self._ids, self._count = get, ids, count
        self._has = has or (lambda key: get(key) is not None)

    def __getitem__(self, key: str) -> Any:
        record = self._get(key) if isinstance(key, str) else None
        if record is None:
            raise KeyError(key)
        return record

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._has(key)

    def __iter__(self) -> Iterator[str]:
        return self._ids()

    def __len__(self) -> int:
        return self._count()


class CorpusQuery:
    """Read-only access to one built corpus. Thread-safe; open once and share."""

    def __init__(
        self, settings: Settings, store: KnowledgeStore, index: SearchIndex, search: SearchConfig | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self._index = index
        search = search or SearchConfig()
        # Entities without their mentions: names, aliases, types and counts are all that open-time tables need.
        self._info: dict[str, EntityInfo] = store.entities
        entities = [info.entity for info in self._info.values()]
        self._expander = QueryExpander(
            load_glossary(settings.annotations_dir), entities, search.analysis(), search.expansion()
        )
        self._cursors = Cursors(store.fingerprint)
        self._answer_types = search.answer_types
        self.articles: Mapping[str, Article] = _Records(
            store.article, store.article_ids, lambda: store.article_count, store.has_article
        )
        self.passages: Mapping[str, Passage] = _Records(store.passage, store.passage_ids, lambda: store.passage_count)
        self.entities: Mapping[str, Entity] = _Records(
            store.entity, lambda: iter(self._info), lambda: len(self._info), self._info.__contains__
        )
        self.deals: Mapping[str, Deal] = _Records(store.deal, store.deal_ids, lambda: store.deal_count, store.has_deal)

    @cached_property
    def _entity_keys(self) -> dict[str, list[str]]:
        """Entity ids by folded id, name and alias, for name resolution. Built at first use, not at open: a
        search without an entity filter never needs it (cold start). Two threads may both build it; same result."""
        keys: dict[str, list[str]] = defaultdict(list)
        for eid, names in self._folded_names.items():
            for key in {fold(eid.replace("-", " ")), *names}:
                keys[key].append(eid)
        return keys

    @cached_property
    def _names(self) -> NameIndex:
        """list_entities' name index, built at its first use (see `_entity_keys`)."""
        return NameIndex(self._folded_names, _similar)

    @cached_property
    def _folded_names(self) -> dict[str, tuple[str, ...]]:
        """Each entity's folded name and aliases."""
        return {
            e.entity_id: tuple(fold(name) for name in (e.name, *e.aliases))
            for e in (info.entity for info in self._info.values())
        }

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        progress: Callable[[str], None] | None = None,
        engine: EngineBuilder | None = None,
        search: SearchConfig | None = None,
    ) -> CorpusQuery:
        """Open the corpus's index, building it first when it is missing, stale or damaged. `search`
        switches retrieval features (default: all on); `engine` must have built the index that way."""
        search = search or SearchConfig()
        opener = engine or search.engine()
        return open_index(
            settings,
            lambda folder: cls(settings, open_knowledge(folder), opener.open(folder), search),
            progress=progress or (lambda _m: None),
        )

    def close(self) -> None:
        self._index.close()
        self.store.close()

    @property
    def kb(self) -> KnowledgeBase:
        """The whole knowledge base, read from the store at each access: for tests and tools, never a call."""
        return self.store.knowledge_base()

    # -- resolving names -------------------------------------------------------------------------

    def resolve_entities(self, name: str, argument: str) -> list[str]:
        """Entity ids for an id, name, alias or part of a name (case- and accent-insensitive)."""
        check_text(argument, name)
        key = fold(name)
        if not key:
            raise QueryError(f"{argument} must not be empty.", argument=argument)
        if name in self._info:
            return [name]
        if key in self._entity_keys:
            return sorted(set(self._entity_keys[key]))
        partial = sorted(
            {eid for k, ids in self._entity_keys.items() if re.search(rf"\b{re.escape(key)}", k) for eid in ids}
        )
        if partial:
            return partial
        raise NotFoundError(
            f"No entity matches {argument}={name!r}. Pass an entity id, name or alias (see list_entities).",
            argument=argument,
            suggestions=closest(key.replace(" ", "-"), self._info),
        )

    def _article(self, article_id: str) -> Article:
        article = self.store.article(article_id) if isinstance(article_id, str) else None
        check_id("article_id", article_id, (article_id,) if article else ())
        if article is None:
            raise NotFoundError(
                f"Unknown article_id {article_id!r}.",
                argument="article_id",
                suggestions=closest(article_id.split("#")[0], self.store.ids("article")),
            )
        return article

    def _deal(self, deal_id: str) -> Deal:
        deal = self.store.deal(deal_id) if isinstance(deal_id, str) else None
        check_id("deal_id", deal_id, (deal_id,) if deal else ())
        if deal is None:
            raise NotFoundError(
                f"Unknown deal_id {deal_id!r}.", argument="deal_id",
                suggestions=closest(deal_id, self.store.ids("deal")),
            )
        return deal

    # -- search ----------------------------------------------------------------------------------

    def search_articles(
        self,
        query: str,
        limit: int = 10,
        date_from: str | None = None,
        date_to: str | None = None,
        publisher: str | None = None,
        entity: str | None = None,
        cursor: str | None = None,
    ) -> SearchResults:
        """Articles ranked by their best-matching passage; each hit carries its best passages, whole."""
        if not isinstance(query, str) or not query.strip():
            raise QueryError("query must be a non-empty search text.", argument="query")
        if len(query) > MAX_QUERY_CHARS:
            raise QueryError(
                f"query is {len(query)} characters long; at most {MAX_QUERY_CHARS} are allowed.", argument="query"
            )
        _check_limit(limit, SEARCH_LIMIT)
        check_text("publisher", publisher)
        check_text("entity", entity)
        date_from, date_to = check_dates(date_from, date_to)
        params: dict[str, Any] = {
            "f": "search", "q": query, "l": limit, "df": date_from, "dt": date_to, "p": publisher, "e": entity,
        }
        offset = self._cursors.decode(cursor, params)

        allowed = self._article_filter(date_from, date_to, publisher, entity)
        total, page = self._index.rank_articles(self._expanded(query), article_ids=allowed, offset=offset, limit=limit)
        nxt = offset + limit if offset + limit < total else None
        bests = {
            hit.article_id: sorted(((score, pid) for pid, score in hit.passages),
                                   key=lambda sp: (-sp[0], passage_number(sp[1])))[:PASSAGES_PER_HIT]
            for hit in page
        }
        articles = self.store.articles(bests)
        texts = self.store.passages(pid for best in bests.values() for _, pid in best)
        results = []
        for article_id, best in bests.items():
            article = articles[article_id]
            results.append(
                ArticleHit(
                    article_id=article_id,
                    title=article.display_title,
                    publisher=article.publisher,
                    published=article.published,
                    url=article.url,
                    score=round(best[0][0], 3),
                    passages=[self._passage_text(texts[pid]) for _, pid in best],
                )
            )
        return SearchResults(
            query=query,
            total=total,
            results=results,
            next_cursor=self._cursors.encode(nxt, params) if nxt is not None else None,
        )

    def rank_passages(self, query: str, *, article_ids: frozenset[str] | None = None) -> list[Hit]:
        """Every passage matching `query` (expanded: translations, entity names, amounts), best first."""
        return [Hit(key=key, score=score) for key, score in self._scored_passages(query, article_ids)]

    def _scored_passages(self, query: str, article_ids: frozenset[str] | None) -> list[tuple[str, float]]:
        return self._index.passage_scores(self._expanded(query), article_ids=article_ids)

    def _expanded(self, query: str) -> ExpandedQuery:
        """The query with its expansions, and the amount boost when it asks for an amount."""
        expanded = self._expander.expand(query)
        if self._answer_types and asks_for_amount(query):
            expanded = expanded.model_copy(update={"amount_boost": AMOUNT_BOOST})
        return expanded

    def _article_filter(
        self, date_from: str | None, date_to: str | None, publisher: str | None, entity: str | None
    ) -> frozenset[str] | None:
        if not (date_from or date_to or publisher or entity):
            return None
        publishers = None
        if publisher:
            key = fold(publisher)
            known = [p for p in self.store.publishers if p]
            if not any(key in fold(p) for p in known):
                raise NotFoundError(
                    f"No article has publisher {publisher!r}. Known publishers: "
                    f"{', '.join(sorted(known)) or 'none'}.",
                    argument="publisher",
                )
            publishers = [p for p in self.store.publishers if key in fold(p)]
        entity_ids = self.resolve_entities(entity, "entity") if entity else None
        return frozenset(self.store.article_ids_where(date_from, date_to, publishers, entity_ids))

    @staticmethod
    def _passage_text(p: Passage) -> PassageText:
        return PassageText(passage_id=p.passage_id, text=p.text, kind=p.kind)

    # -- articles --------------------------------------------------------------------------------

    def get_article(self, article_id: str, passages: list[int] | None = None) -> ArticleDetail:
        article = self._article(article_id)
        all_passages = article.passages()
        body = [p for p in all_passages if p.kind == "body"]
        if passages:
            wanted = list(dict.fromkeys(passages))
            bad = [n for n in wanted if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(body)]
            if bad:
                raise QueryError(
                    f"passages {bad} do not exist in {article.id}: it has passages 1 to {len(body)}.",
                    argument="passages",
                )
            chosen = [body[n - 1] for n in wanted]
        else:
            chosen = all_passages
        # The id breaks ties of type and name, which a set's order decided before (it varies between runs).
        entity_ids = sorted(
            self.store.entities_in_article(article.id),
            key=lambda e: (self._info[e].entity.type, self._info[e].entity.name.casefold(), e),
        )
        return ArticleDetail(
            article_id=article.id,
            title=article.display_title,
            publisher=article.publisher,
            author=article.author,
            published=article.published,
            url=article.url,
            language=article.language,
            source_urls=article.source_urls,
            passage_count=len(body),
            passages=[self._passage_text(p) for p in chosen],
            entities=[self._entity_ref(eid) for eid in entity_ids],
            deals=[DealRef(deal_id=d, title=t) for d, t in self.store.deal_titles_of_article(article.id)],
        )

    def article_markdown(self, article_id: str) -> str:
        article = self._article(article_id)
        meta = [f"# {article.display_title}", ""]
        for label, value in (
            ("id", article.id), ("publisher", article.publisher), ("author", article.author),
            ("published", article.published), ("url", article.url), ("language", article.language),
        ):
            if value:
                meta.append(f"- {label}: {value}")
        blocks = [f"[{p.passage_id}]\n{p.text}" for p in article.passages()]
        return "\n".join(meta) + "\n\n" + "\n\n".join(blocks) + "\n"

    # -- entities --------------------------------------------------------------------------------

    def _entity_ref(self, entity_id: str) -> EntityRef:
        e = self._info[entity_id].entity
        return EntityRef(entity_id=e.entity_id, name=e.name, type=e.type)

    def _summary(self, info: EntityInfo) -> EntitySummary:
        e = info.entity
        return EntitySummary(
            entity_id=e.entity_id,
            name=e.name,
            type=e.type,
            aliases=e.aliases,
            article_count=info.article_count,
            mention_count=info.mention_count,
        )

    def list_entities(
        self,
        type: str | None = None,
        query: str | None = None,
        article_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> EntityList:
        _check_limit(limit, ENTITY_LIMIT)
        check_text("query", query)
        if type is not None and type not in ENTITY_TYPES:
            raise QueryError(f"type must be one of {', '.join(ENTITY_TYPES)}; got {type!r}.", argument="type")
        params: dict[str, Any] = {"f": "entities", "t": type, "q": query, "a": article_id, "l": limit}
        offset = self._cursors.decode(cursor, params)
        candidates: list[EntityInfo] = list(self._info.values())
        if article_id is not None:
            self._article(article_id)
            inside = self.store.entities_in_article(article_id)
            candidates = [i for i in candidates if i.entity.entity_id in inside]
        if type is not None:
            candidates = [i for i in candidates if i.entity.type == type]
        if query:
            strengths = self._names.strengths(fold(query))
            scored = [(s, i) for i in candidates if (s := strengths.get(i.entity.entity_id, 0)) > 0]
            ordered = [
                i for _, i in sorted(scored, key=lambda si: (-si[0], -si[1].mention_count, si[1].entity.entity_id))
            ]
        else:
            ordered = sorted(
                candidates, key=lambda i: (-i.mention_count, i.entity.name.casefold(), i.entity.entity_id)
            )
        page, nxt = _paged(ordered, offset, limit)
        return EntityList(
            total=len(ordered),
            entities=[self._summary(e) for e in page],
            next_cursor=self._cursors.encode(nxt, params) if nxt is not None else None,
        )

    def get_entity(self, entity: str) -> EntityDetail:
        ids = self.resolve_entities(entity, "entity")
        if len(ids) > 1:
            exact = [eid for eid in ids if fold(entity) in {fold(self._info[eid].entity.name), fold(eid)}]
            ids = exact or sorted(ids, key=lambda eid: -self._info[eid].mention_count)
        info = self._info[ids[0]]
        e = info.entity
        # The first mention in each of the first MENTIONS_SHOWN passages that mention the entity.
        shown: dict[str, Mention] = {}
        for m in self.store.mentions(e.entity_id):
            if len(shown) >= MENTIONS_SHOWN:
                break
            shown.setdefault(m.passage_id, m)
        texts = self.store.passages(shown)
        mentions = [
            MentionText(passage_id=pid, article_id=m.article_id, text=sentence_with(texts[pid].text, m.surface))
            for pid, m in shown.items()
        ]
        related = self.store.related(e.entity_id)[:RELATED_SHOWN]
        return EntityDetail(
            entity_id=e.entity_id,
            name=e.name,
            type=e.type,
            aliases=e.aliases,
            article_count=info.article_count,
            mentions=mentions,
            deals=[DealRef(deal_id=d, title=t) for d, t in self.store.deal_titles_of_entity(e.entity_id)],
            related=[RelatedEntity(**self._entity_ref(eid).model_dump(), co_mentions=n) for eid, n in related],
        )

    def entity_markdown(self, entity_id: str) -> str:
        check_id("entity_id", entity_id, self._info)
        if entity_id not in self._info:
            raise NotFoundError(
                f"Unknown entity_id {entity_id!r}.", argument="entity_id", suggestions=closest(entity_id, self._info)
            )
        d = self.get_entity(entity_id)
        lines = [f"# {d.name} ({d.type})", "", f"- id: {d.entity_id}"]
        if d.aliases:
            lines.append(f"- aliases: {', '.join(d.aliases)}")
        lines.append(f"- articles: {d.article_count}")
        if d.deals:
            lines += ["", "## Deals", *(f"- {x.deal_id}: {x.title}" for x in d.deals)]
        lines += ["", "## Mentions", *(f"- [{m.passage_id}] {m.text}" for m in d.mentions)]
        return "\n".join(lines) + "\n"

    # -- deals -----------------------------------------------------------------------------------

    def _deal_summary(self, d: Deal) -> DealSummary:
        return DealSummary(
            deal_id=d.deal_id,
            title=d.title,
            type=d.type,
            parties=[PartyOut(entity_id=p.entity_id, name=p.name, role=p.role) for p in d.parties],
            amounts=d.amounts,
            announced=d.announced,
            article_ids=d.article_ids,
        )

    def list_deals(
        self,
        party: str | None = None,
        type: str | None = None,
        query: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> DealList:
        _check_limit(limit, DEAL_LIMIT)
        check_text("party", party)
        check_text("query", query)
        if type is not None and type not in DEAL_TYPES:
            raise QueryError(f"type must be one of {', '.join(DEAL_TYPES)}; got {type!r}.", argument="type")
        date_from, date_to = check_dates(date_from, date_to)
        params: dict[str, Any] = {
            "f": "deals", "p": party, "t": type, "q": query, "df": date_from, "dt": date_to, "l": limit,
        }
        offset = self._cursors.decode(cursor, params)
        order = [h.key for h in self._index.search_deals(query)] if query else None
        # A party matches by entity id or by a part of its folded name.
        parties = (self.resolve_entities(party, "party"), fold(party)) if party else None
        filtered = bool(party or type or date_from or date_to)
        if order is None:  # curated deals first, then by id: read in that order from the store, one page
            total, page = self.store.deal_page(parties, type, date_from, date_to, offset, limit)
            nxt = offset + limit if offset + limit < total else None
        else:
            if filtered:
                allowed = self.store.deal_ids_where(parties, type, date_from, date_to)
                order = [i for i in order if i in allowed]
            ids, nxt = _paged(order, offset, limit)
            total, page = len(order), self.store.deals(ids)
        return DealList(
            total=total,
            deals=[self._deal_summary(d) for d in page],
            next_cursor=self._cursors.encode(nxt, params) if nxt is not None else None,
        )

    def get_deal(self, deal_id: str | None = None, query: str | None = None) -> DealDetail:
        if (deal_id is None) == (query is None) or (deal_id == "" or query == ""):
            raise QueryError(
                "Pass exactly one of deal_id (an id from list_deals) or query (words describing the deal).",
                argument="deal_id",
            )
        check_text("query", query)
        alternatives: list[str] = []
        if deal_id is not None:
            deal = self._deal(deal_id)
        else:
            ranked = [h.key for h in self._index.search_deals(query or "")]
            if not ranked:
                raise NotFoundError(
                    f"No deal matches query={query!r}. Try list_deals(party=...) or other words.",
                    argument="query",
                )
            deal, alternatives = self.store.deal(ranked[0]), ranked[1:4]
        return DealDetail(
            deal_id=deal.deal_id,
            title=deal.title,
            type=deal.type,
            status=deal.status,
            announced=deal.announced,
            parties=[PartyOut(entity_id=p.entity_id, name=p.name, role=p.role) for p in deal.parties],
            amounts=deal.amounts,
            locations=deal.locations,
            summary=deal.summary,
            evidence=deal.evidence,
            provenance=deal.provenance,
            confidence=deal.confidence,
            alternatives=alternatives,
        )

    def deal_markdown(self, deal_id: str) -> str:
        d = self.get_deal(deal_id=deal_id)
        lines = [f"# {d.title}", "", f"- id: {d.deal_id}", f"- type: {d.type}", f"- status: {d.status}"]
        if d.announced:
            lines.append(f"- announced: {d.announced}")
        lines.append(f"- provenance: {d.provenance} (confidence {d.confidence:.2f})")
        if d.summary:
            lines += ["", d.summary]
        lines += ["", "## Parties", *(f"- {p.name} ({p.role})" for p in d.parties)]
        if d.amounts:
            lines += ["", "## Amounts"]
            lines += [f"- {a.role or 'amount'}: {a.text} [{a.passage_id}]" for a in d.amounts]
        if d.locations:
            lines += ["", "## Locations", *(f"- {loc}" for loc in d.locations)]
        lines += ["", "## Evidence", *(f"- [{e.passage_id}] «{e.quote}»" for e in d.evidence)]
        return "\n".join(lines) + "\n"

    # -- corpus ----------------------------------------------------------------------------------

    def stats(self) -> CorpusStats:
        s = self.store.stats  # worked out by the build
        return CorpusStats(
            articles=s["articles"],
            passages=s["passages"],
            entities=s["entities"],
            deals=s["deals"],
            date_from=s["date_from"],
            date_to=s["date_to"],
            languages=s["languages"],
            publishers=[PublisherCount(publisher=p, articles=n) for p, n in s["publishers"]],
            corpus_dir=str(self.settings.corpus_dir),
            fingerprint=self.store.fingerprint[:16],
        )

    def complete_ids(self, kind: Literal["article", "deal", "entity"], prefix: str, limit: int = 20) -> list[str]:
        """Ids of that kind starting with `prefix` (then containing it), for argument completion."""
        if kind != "entity" and isinstance(limit, int) and limit >= 0:  # read only what is returned
            starts = self.store.ids_starting(kind, prefix, limit)
            more = limit - len(starts)
            return starts + (self.store.ids_containing(kind, prefix, more) if prefix and more > 0 else [])
        pool = self._info if kind == "entity" else list(self.store.ids(kind))
        starts = sorted(i for i in pool if i.startswith(prefix))
        contains = sorted(i for i in pool if prefix and prefix in i and not i.startswith(prefix))
        return (starts + contains)[:limit]
