"""The one call the indexer makes: articles + annotation folder → entities and deals.

Deal extraction runs article by article on the corpus-wide entity spans, so its per-article results are
kept (`ArticleDeals`, keyed by what they depend on, with their ids: a deal's id depends on its article
alone, `deal_ids`) and an update of the corpus reuses them for every article whose text, entity spans
and entity names are unchanged; only the check that no two articles share an id and the merge with the
curated deals are redone. Entity spans are kept too (`entity_finds`): an update searches only the new
articles and the old ones a new name may occur in.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from newscorpus.extract import deal_ids
from newscorpus.extract.annotations import DEALS_FILE, load_curated_deals, load_gazetteer
from newscorpus.extract.curated import build_curated_deals
from newscorpus.extract.deals import extract_deals, merge_with_curated
from newscorpus.extract.entities import EntityResult, EntityUpdate, find_entities, find_entities_update
from newscorpus.extract.entity_finds import StoredFinds
from newscorpus.models import Article, Deal, Entity

if TYPE_CHECKING:
    from newscorpus.index.knowledge_store import KnowledgeStore


class ArticleDeals(BaseModel):
    """The deals the rules find in one article, with their ids within the article (`deal_ids.in_article`);
    `key` is a digest of everything they depend on (the article, its entity spans, those entities' names)."""

    key: str
    deals: list[Deal]


@dataclass
class Knowledge:
    entities: list[Entity]
    deals: list[Deal]
    per_article: dict[str, ArticleDeals] = field(default_factory=dict)
    reused_articles: int = 0
    # `entity-finds.bin` for the next update, and how many articles were searched for entities
    entity_finds: bytes = b""
    searched_articles: int = 0


def build_knowledge(articles: list[Article], annotations_dir: Path) -> tuple[list[Entity], list[Deal]]:
    """Entities (sorted by id) and deals (curated first, in file order; then extracted, in article order).

    A missing annotations folder or file means "nothing curated". A malformed file or a curated quote that
    is no longer in its article raises `AnnotationError` naming file, deal and field.
    """
    kb = extract_knowledge(articles, annotations_dir)
    return kb.entities, kb.deals


def extract_knowledge(
    articles: list[Article],
    annotations_dir: Path,
    reuse: Mapping[str, ArticleDeals] | None = None,
    finds: StoredFinds | None = None,
) -> Knowledge:
    """`build_knowledge` with the per-article deal results, reusing those in `reuse` (by article id)
    whose key still matches, and the entity spans in `finds` (a previous build's) where they still hold."""
    gazetteer = load_gazetteer(annotations_dir)
    curated_spec = load_curated_deals(annotations_dir)
    found = find_entities(articles, gazetteer, finds)
    curated = build_curated_deals(curated_spec, articles, found.entities, str(annotations_dir / DEALS_FILE))
    names = found.by_id()
    per_article: dict[str, ArticleDeals] = {}
    reused = 0
    for article in articles:
        kept = (reuse or {}).get(article.id)
        if kept is not None and article.id in found.kept_articles:
            # Its text, spans and their entities' names are those of the build `reuse` and `finds` come
            # from, so is its key.
            reused += 1
            per_article[article.id] = kept
            continue
        key = _deal_key(article, found, names)
        if kept is not None and kept.key == key:
            reused += 1
        else:
            kept = ArticleDeals(key=key, deals=extract_deals([article], found))
        per_article[article.id] = kept
    extracted = deal_ids.across_articles([(a.id, per_article[a.id].deals) for a in articles])
    return Knowledge(
        found.entities,
        merge_with_curated(curated, extracted),
        per_article,
        reused,
        entity_finds=found.stored(),
        searched_articles=found.searched_articles,
    )


@dataclass
class KnowledgeUpdate:
    """What adding articles to a built corpus changes in its entities and deals (`extract_update`)."""

    entities: EntityUpdate
    # The searched articles' deals (the new articles' and those of the old ones searched again): as the
    # knowledge base has them, and as `deals-by-article` keeps them for the next update.
    deals: dict[str, list[Deal]]
    per_article: dict[str, ArticleDeals]
    old_deals: dict[str, list[Deal]]  # what the previous build had for the old articles searched again


def extract_update(
    new: list[Article], previous: KnowledgeStore, finds: StoredFinds, annotations_dir: Path
) -> KnowledgeUpdate | None:
    """`extract_knowledge` of `previous`'s corpus plus the `new` articles, for what differs only: entity
    spans and deals of the new articles and of the old ones a new name occurs in (`find_entities_update`).
    None when that is not enough: a new article changes an old name, a new entity may be a curated deal's
    party, or an old article's deal ids were lengthened for a clash; everything is then extracted again
    (`extract_knowledge` with reuse)."""
    gazetteer = load_gazetteer(annotations_dir)
    update = find_entities_update(
        new, previous.texts_by_article(), lambda ids: list(previous.articles(ids).values()), finds,
        set(previous.entities), gazetteer,
    )
    if update is None:
        return None
    labels = {label.casefold() for e in update.entities for label in (e.name, *e.aliases)}
    spec = load_curated_deals(annotations_dir)
    if any(p.entity is None and p.name.casefold() in labels for d in spec.deals for p in d.parties):
        return None
    old_deals = {a.id: previous.extracted_deals(a.id) for a in update.searched if previous.has_article(a.id)}
    for article_id, deals in old_deals.items():
        tag = re.escape(deal_ids.article_tag(article_id))
        if any(not re.fullmatch(rf".*-{tag}(-\d+)?", d.deal_id) for d in deals):
            return None
    found = EntityResult(
        entities=[*(info.entity for info in previous.entities.values()), *update.entities], spans=update.spans
    )
    names = found.by_id()
    curated = previous.curated_deals()
    per_article: dict[str, ArticleDeals] = {}
    deals: dict[str, list[Deal]] = {}
    for article in update.searched:
        per_article[article.id] = ArticleDeals(
            key=_deal_key(article, found, names), deals=extract_deals([article], found)
        )
        deals[article.id] = merge_with_curated(curated, per_article[article.id].deals)[len(curated):]
    return KnowledgeUpdate(update, deals, per_article, old_deals)


def _deal_key(article: Article, found: EntityResult, names: Mapping[str, Entity]) -> str:
    spans = [
        [p.passage_id, [[s.entity_id, s.type, s.start, s.end, s.surface, names[s.entity_id].name]
                        for s in found.spans.get(p.passage_id, [])]]
        for p in article.passages()
    ]
    h = hashlib.sha256(article.model_dump_json().encode())
    h.update(json.dumps(spans, ensure_ascii=False).encode())
    return h.hexdigest()
