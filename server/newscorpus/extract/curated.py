"""Turn curated deal annotations into Deal records whose every fact is cited to a passage.

Each fact in deals.yaml carries the verbatim quote it rests on. The build looks the quote up in the named
article and fails when it is gone, so an edited article or a typo cannot leave a deal citing nothing.
"""

from __future__ import annotations

from pathlib import Path

from newscorpus.extract.annotations import AnnotationError, CuratedDeal, CuratedDeals, QuotedFact
from newscorpus.extract.money import parse_amounts
from newscorpus.extract.textutil import find_verbatim
from newscorpus.models import Article, Deal, Entity, Evidence, Party, Passage


def resolve_article(ref: str, articles: list[Article]) -> Article | None:
    """An article by id, or by its source file's name or stem (stable even if ids are re-derived)."""
    return ArticleRefs(articles).get(ref)


class ArticleRefs:
    """`resolve_article` for many references: the articles are indexed once instead of scanned per quote."""

    def __init__(self, articles: list[Article]) -> None:
        self.by_id: dict[str, Article] = {}
        self.by_file: dict[str, Article] = {}
        for a in articles:
            self.by_id.setdefault(a.id, a)
        for a in articles:
            if a.source_file:
                src = Path(a.source_file)
                self.by_file.setdefault(src.name, a)
                self.by_file.setdefault(src.stem, a)

    def get(self, ref: str) -> Article | None:
        found = self.by_id.get(ref)
        return found if found is not None else self.by_file.get(ref)


class _Resolver:
    """Finds quotes in passages and turns failures into messages naming deal, field, quote and article."""

    def __init__(self, source: str, deal: CuratedDeal, articles: ArticleRefs) -> None:
        self.source, self.deal, self.articles = source, deal, articles

    def fail(self, field: str, message: str) -> AnnotationError:
        return AnnotationError(f"{self.source}: deal {self.deal.id}: field {field}: {message}")

    def article(self, field: str, ref: str) -> Article:
        art = self.articles.get(ref)
        if art is None:
            raise self.fail(field, f"article {ref!r} is not in the corpus")
        return art

    def cite(self, field: str, fact: QuotedFact) -> tuple[Passage, str]:
        """The passage holding the quote and the quote exactly as the passage spells it."""
        ref = fact.article or self.deal.article
        art = self.article(field, ref)
        for p in art.passages():
            found = find_verbatim(p.text, fact.quote)
            if found is not None:
                return p, found
        raise self.fail(field, f"quote {fact.quote!r} not found in article {art.id!r} ({ref})")


def _entity_lookup(entities: list[Entity]) -> dict[str, Entity]:
    table: dict[str, Entity] = {}
    for e in entities:
        for label in (e.name, *e.aliases):
            table.setdefault(label.casefold(), e)
    return table


def build_curated_deal(deal: CuratedDeal, refs: ArticleRefs, entities: list[Entity], source: str) -> Deal:
    """One curated deal with passage ids filled in; raises AnnotationError when any quote is missing."""
    r = _Resolver(source, deal, refs)
    by_id = {e.entity_id: e for e in entities}
    by_name = _entity_lookup(entities)
    r.article("article", deal.article)
    cited: list[tuple[str, Passage, str]] = []

    def cite(field: str, fact: QuotedFact) -> Passage:
        passage, quote = r.cite(field, fact)
        cited.append((field, passage, quote))
        return passage

    evidence_passages = [cite(f"evidence[{i}]", ev) for i, ev in enumerate(deal.evidence)]

    parties = []
    for i, party in enumerate(deal.parties):
        cite(f"parties[{i}]", party)
        if party.entity is not None:
            if party.entity not in by_id:
                raise r.fail(f"parties[{i}].entity", f"unknown entity id {party.entity!r}")
            entity_id: str | None = party.entity
        else:
            found = by_name.get(party.name.casefold())
            entity_id = found.entity_id if found else None
        parties.append(Party(entity_id=entity_id, name=party.name, role=party.role))

    amounts = []
    for i, amount in enumerate(deal.amounts):
        passage = cite(f"amounts[{i}]", amount)
        parsed = parse_amounts(amount.text, passage.passage_id)
        if not parsed:
            raise r.fail(f"amounts[{i}].text", f"the money parser finds no amount in {amount.text!r}")
        first = parsed[0]
        text = first.text if first.text and first.text in passage.text else amount.text
        amounts.append(first.model_copy(update={"text": text, "passage_id": passage.passage_id, "role": amount.role}))

    if deal.announced is not None:
        cite("announced", deal.announced)
        announced = deal.announced.date
    else:
        first = evidence_passages[0]
        host = refs.by_id[first.article_id]
        announced = host.teasers[first.n - 1].published if first.kind == "teaser" else host.published

    locations = []
    for i, loc in enumerate(deal.locations):
        cite(f"locations[{i}]", loc)
        locations.append(loc.name)

    evidence: list[Evidence] = []
    for _field, passage, quote in cited:
        if any(e.passage_id == passage.passage_id and quote in e.quote for e in evidence):
            continue
        evidence.append(Evidence(passage_id=passage.passage_id, article_id=passage.article_id, quote=quote))

    return Deal(
        deal_id=deal.id,
        title=deal.title,
        type=deal.type,
        status=deal.status,
        announced=announced,
        parties=parties,
        amounts=amounts,
        locations=list(dict.fromkeys(locations)),
        summary=deal.summary,
        evidence=evidence,
        provenance="curated",
        confidence=1.0,
    )


def build_curated_deals(
    curated: CuratedDeals, articles: list[Article], entities: list[Entity], source: str = "deals.yaml"
) -> list[Deal]:
    """All curated deals in file order."""
    refs = ArticleRefs(articles)
    return [build_curated_deal(d, refs, entities, source) for d in curated.deals]
