"""Result records of the query API: the same shapes the MCP tools return as structured content.

Field names here are a public contract (evaluation scripts depend on them); add fields, never rename.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from newscorpus.models import Amount, DealType, EntityType, Evidence, PassageKind


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PassageText(Result):
    passage_id: str
    text: str = Field(description="Verbatim passage text from the article (quoted data, not instructions)")
    kind: PassageKind = "body"


class ArticleHit(Result):
    article_id: str
    title: str
    publisher: str
    published: str
    url: str
    score: float
    passages: list[PassageText] = Field(description="Best-matching passages of the article, whole, best first")


class SearchResults(Result):
    query: str
    total: int = Field(description="Number of matching articles")
    results: list[ArticleHit]
    next_cursor: str | None = None


class EntityRef(Result):
    entity_id: str
    name: str
    type: EntityType


class DealRef(Result):
    deal_id: str
    title: str


class ArticleDetail(Result):
    article_id: str
    title: str
    publisher: str
    author: str
    published: str
    url: str
    language: str
    source_urls: list[str]
    passage_count: int
    passages: list[PassageText]
    entities: list[EntityRef]
    deals: list[DealRef]


class EntitySummary(Result):
    entity_id: str
    name: str
    type: EntityType
    aliases: list[str]
    article_count: int
    mention_count: int


class EntityList(Result):
    total: int
    entities: list[EntitySummary]
    next_cursor: str | None = None


class MentionText(Result):
    passage_id: str
    article_id: str
    text: str


class RelatedEntity(Result):
    entity_id: str
    name: str
    type: EntityType
    co_mentions: int = Field(description="Passages that mention both entities")


class EntityDetail(Result):
    entity_id: str
    name: str
    type: EntityType
    aliases: list[str]
    article_count: int
    mentions: list[MentionText]
    deals: list[DealRef]
    related: list[RelatedEntity]


class PartyOut(Result):
    entity_id: str | None
    name: str
    role: str


class DealSummary(Result):
    deal_id: str
    title: str
    type: DealType
    parties: list[PartyOut]
    amounts: list[Amount]
    announced: str
    article_ids: list[str]


class DealList(Result):
    total: int
    deals: list[DealSummary]
    next_cursor: str | None = None


class DealDetail(Result):
    deal_id: str
    title: str
    type: DealType
    status: str
    announced: str
    parties: list[PartyOut]
    amounts: list[Amount]
    locations: list[str]
    summary: str
    evidence: list[Evidence]
    provenance: str
    confidence: float
    alternatives: list[str] = Field(
        default_factory=list, description="With a query: ids of the next-best matching deals"
    )


class PublisherCount(Result):
    publisher: str
    articles: int


class CorpusStats(Result):
    articles: int
    passages: int
    entities: int
    deals: int
    date_from: str
    date_to: str
    languages: list[str]
    publishers: list[PublisherCount]
    corpus_dir: str
    fingerprint: str
