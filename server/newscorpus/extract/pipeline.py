"""The one call the indexer makes: articles + annotation folder → entities and deals."""

from __future__ import annotations

from pathlib import Path

from newscorpus.extract.annotations import DEALS_FILE, load_curated_deals, load_gazetteer
from newscorpus.extract.curated import build_curated_deals
from newscorpus.extract.deals import extract_deals, merge_with_curated
from newscorpus.extract.entities import find_entities
from newscorpus.models import Article, Deal, Entity


def build_knowledge(articles: list[Article], annotations_dir: Path) -> tuple[list[Entity], list[Deal]]:
    """Entities (sorted by id) and deals (curated first, in file order; then extracted, in article order).

    A missing annotations folder or file means "nothing curated". A malformed file or a curated quote that
    is no longer in its article raises `AnnotationError` naming file, deal and field.
    """
    gazetteer = load_gazetteer(annotations_dir)
    curated_spec = load_curated_deals(annotations_dir)
    found = find_entities(articles, gazetteer)
    curated = build_curated_deals(curated_spec, articles, found.entities, str(annotations_dir / DEALS_FILE))
    extracted = extract_deals(articles, found)
    return found.entities, merge_with_curated(curated, extracted)
