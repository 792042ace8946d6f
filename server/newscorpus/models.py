"""Records that cross a boundary: normalized articles, passages, entities, amounts and deals.

Everything the pipeline hands from one stage to the next (ingest → extract → index → query) is one of
these pydantic models, so each stage can be tested on its own and the JSON form is the documented form.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EntityType = Literal["organization", "person", "location", "product"]
ENTITY_TYPES: tuple[EntityType, ...] = ("organization", "person", "location", "product")

DealType = Literal[
    "partnership",
    "investment",
    "joint_venture",
    "acquisition",
    "supply_contract",
    "cooperation",
    "funding_round",
    "other",
]
DEAL_TYPES: tuple[DealType, ...] = (
    "partnership",
    "investment",
    "joint_venture",
    "acquisition",
    "supply_contract",
    "cooperation",
    "funding_round",
    "other",
)

Qualifier = Literal["exact", "about", "almost", "more_than", "up_to", "at_least"]
PassageKind = Literal["body", "teaser"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Teaser(Record):
    """A headline of another article that the source page showed before this one (not this article's text)."""

    title: str
    published: str = ""


class Article(Record):
    """A normalized article: metadata plus a body whose blank-line-separated blocks are its passages.

    Fields the source did not give stay empty; nothing is invented.
    """

    id: str
    title: str = ""
    publisher: str = ""
    author: str = ""
    published: str = Field(default="", description="YYYY-MM-DD, or empty when the source gives no date")
    url: str = ""
    language: str = ""
    source_file: str = ""
    source_urls: list[str] = Field(default_factory=list)
    teasers: list[Teaser] = Field(default_factory=list)
    extra: dict[str, str] = Field(default_factory=dict)
    body: str = ""

    def passages(self) -> list[Passage]:
        """Body passages `#p1…`, then teaser headlines `#t1…`; ids depend only on the normalized text."""
        blocks = [b.strip("\n") for b in self.body.split("\n\n")]
        out = [
            Passage(passage_id=f"{self.id}#p{n}", article_id=self.id, n=n, text=text)
            for n, text in enumerate((b for b in blocks if b.strip()), start=1)
        ]
        out += [
            Passage(passage_id=f"{self.id}#t{n}", article_id=self.id, n=n, kind="teaser", text=t.title)
            for n, t in enumerate(self.teasers, start=1)
        ]
        return out

    @property
    def display_title(self) -> str:
        """The title, or for an untitled article the opening words of its first passage, marked as such."""
        if self.title:
            return self.title
        first = next((p.text for p in self.passages() if p.kind == "body"), "")
        words = first.split()
        lead = " ".join(words[:10]) + ("…" if len(words) > 10 else "")
        return f"[untitled] {lead}" if lead else "[untitled]"


class Passage(Record):
    """One citable unit: a paragraph with the heading that heads it, or a list with its lead-in."""

    passage_id: str
    article_id: str
    n: int
    kind: PassageKind = "body"
    text: str


class Mention(Record):
    passage_id: str
    article_id: str
    surface: str = Field(description="The text as it stands in the passage")


class Entity(Record):
    entity_id: str
    name: str
    type: EntityType
    aliases: list[str] = Field(default_factory=list)
    source: Literal["gazetteer", "rule"] = "gazetteer"
    mentions: list[Mention] = Field(default_factory=list)


class Amount(Record):
    """A money amount as written; `currency` is None when the text does not say it (never guessed)."""

    value: int | float
    currency: str | None = None
    qualifier: Qualifier = "exact"
    text: str
    passage_id: str = ""
    role: str | None = None


class Party(Record):
    entity_id: str | None = None
    name: str
    role: str = "party"


class Evidence(Record):
    passage_id: str
    article_id: str
    quote: str


class Deal(Record):
    deal_id: str
    title: str
    type: DealType
    status: str = "announced"
    announced: str = Field(default="", description="YYYY-MM-DD or YYYY-MM as precise as the text allows")
    parties: list[Party] = Field(default_factory=list)
    amounts: list[Amount] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list)
    summary: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    provenance: Literal["curated", "extracted"] = "extracted"
    confidence: float = 1.0

    @property
    def article_ids(self) -> list[str]:
        return sorted({e.article_id for e in self.evidence})


class KnowledgeBase(Record):
    """What the build derives from a corpus; stored next to the search index and loaded by the query API."""

    fingerprint: str
    articles: list[Article]
    entities: list[Entity]
    deals: list[Deal]
