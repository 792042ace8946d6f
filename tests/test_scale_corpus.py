"""The benchmark's generated corpus: articles generated `newer` arrive after every other one."""

from __future__ import annotations

from newscorpus.bench.scale_corpus import generate_article, load_material
from newscorpus.config import BUNDLED_CORPUS
from newscorpus.ingest.store import load_articles


def test_newer_articles_sort_after_every_shipped_and_generated_one() -> None:
    """The benchmark's second update stands for news arriving in date order: its articles must sort after
    every article of the corpus (ids begin with the date)."""
    material = load_material(BUNDLED_CORPUS)
    old = [a.id for a in load_articles(BUNDLED_CORPUS)] + [generate_article(material, i).id for i in range(300)]
    newer = [generate_article(material, i, newer=True) for i in range(300)]
    assert min(a.id for a in newer) > max(old)
    assert newer[7].body == generate_article(material, 7).body, "only the date differs"
