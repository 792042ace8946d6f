"""Index builds: fingerprinted, rebuilt only on change, atomic, located by corpus path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newscorpus.config import Settings, default_index_dir
from newscorpus.index.build import (
    CURRENT,
    BuildError,
    build_index,
    corpus_fingerprint,
    ensure_index,
    is_fresh,
    live_build,
    load_knowledge,
)
from newscorpus.query.api import CorpusQuery

BUNDLED_CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Settings:
    """A private copy of the bundled corpus that a test may change."""
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS / "articles", corpus / "articles")
    shutil.copytree(BUNDLED_CORPUS / "annotations", corpus / "annotations")
    return Settings.resolve(corpus=corpus, index=tmp_path / "index")


def test_fingerprint_is_stable_and_tracks_content(corpus_copy: Settings) -> None:
    first = corpus_fingerprint(corpus_copy)
    assert corpus_fingerprint(corpus_copy) == first
    article = sorted(corpus_copy.articles_dir.glob("*.md"))[0]
    article.write_text(article.read_text(encoding="utf-8") + "\nNeuer Absatz.\n", encoding="utf-8")
    assert corpus_fingerprint(corpus_copy) != first


def test_index_is_built_once_and_rebuilt_only_on_change(corpus_copy: Settings) -> None:
    messages: list[str] = []
    first = ensure_index(corpus_copy, progress=messages.append)
    assert any("building" in m for m in messages)
    assert is_fresh(corpus_copy)

    messages.clear()
    assert ensure_index(corpus_copy, progress=messages.append) == first
    assert messages == []

    annotations = corpus_copy.annotations_dir / "entities.yaml"
    annotations.write_text(annotations.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert not is_fresh(corpus_copy)
    second = ensure_index(corpus_copy, progress=messages.append)
    assert second != first and first.exists(), "the replaced build stays for processes still reading it"
    assert any("changed" in m for m in messages)
    third = ensure_index(corpus_copy, rebuild=True)
    assert third.exists() and second.exists() and not first.exists()


def test_failed_build_keeps_the_previous_index_live(corpus_copy: Settings) -> None:
    good = ensure_index(corpus_copy)
    deals = corpus_copy.annotations_dir / "deals.yaml"
    text = deals.read_text(encoding="utf-8")
    # Break one curated quote so the build must refuse the annotations.
    needle = "250 Millionen Yuan"
    assert needle in text
    deals.write_text(text.replace(needle, "999 Millionen Yuan", 1), encoding="utf-8")

    with pytest.raises(BuildError, match="quote"):
        build_index(corpus_copy)
    assert live_build(corpus_copy.index_dir) == good
    assert not [p for p in corpus_copy.index_dir.iterdir() if p.name.startswith("tmp-")]
    kb = load_knowledge(good)
    assert any(a.value == 250_000_000 for d in kb.deals for a in d.amounts)


def test_interrupted_build_leaves_no_live_pointer_change(corpus_copy: Settings) -> None:
    good = ensure_index(corpus_copy)
    pointer = (corpus_copy.index_dir / CURRENT).read_text(encoding="utf-8")

    class Boom(RuntimeError):
        pass

    def explode(_message: str) -> None:
        raise Boom

    shutil.rmtree(corpus_copy.annotations_dir)  # force a different fingerprint
    with pytest.raises(Boom):
        build_index(corpus_copy, progress=explode)
    assert (corpus_copy.index_dir / CURRENT).read_text(encoding="utf-8") == pointer
    assert live_build(corpus_copy.index_dir) == good


def test_empty_corpus_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings.resolve(corpus=tmp_path / "empty", index=tmp_path / "index")
    with pytest.raises(BuildError, match="No articles"):
        ensure_index(settings)


def test_default_index_location_is_keyed_by_corpus_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSCORPUS_INDEX", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    a = Settings.resolve(corpus=tmp_path / "a")
    b = Settings.resolve(corpus=tmp_path / "b")
    assert a.index_dir != b.index_dir
    assert a.index_dir == default_index_dir(tmp_path / "a")
    assert a.index_dir.is_relative_to(tmp_path / "cache")
    monkeypatch.chdir(tmp_path)
    assert Settings.resolve(corpus="a").index_dir == a.index_dir


def test_env_vars_configure_corpus_and_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSCORPUS_CORPUS", str(tmp_path / "c"))
    monkeypatch.setenv("NEWSCORPUS_INDEX", str(tmp_path / "i"))
    s = Settings.resolve()
    assert (s.corpus_dir, s.index_dir) == ((tmp_path / "c").resolve(), (tmp_path / "i").resolve())
    flags = Settings.resolve(corpus=tmp_path / "x", index=tmp_path / "y")
    assert flags.corpus_dir == (tmp_path / "x").resolve()


def test_same_corpus_gives_same_ids_and_ranking(corpus_copy: Settings, tmp_path: Path) -> None:
    other = Settings.resolve(corpus=corpus_copy.corpus_dir, index=tmp_path / "index2")
    one, two = CorpusQuery.open(corpus_copy), CorpusQuery.open(other)
    try:
        for q in ("Rechenzentrum Investition", "Kernenergie Alibaba", "Partnerschaft Milliarden Dollar"):
            assert one.search_articles(q).model_dump() == two.search_articles(q).model_dump()
        assert one.list_deals(limit=100).model_dump() == two.list_deals(limit=100).model_dump()
        assert one.list_entities(limit=200).model_dump() == two.list_entities(limit=200).model_dump()
    finally:
        one.close()
        two.close()
