"""The files an update by rows splices instead of writing whole: per-article deals and entity finds. A
spliced file reads back as the file written whole for the same articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from newscorpus.config import Settings
from newscorpus.extract import deals_by_article
from newscorpus.extract.annotations import load_gazetteer
from newscorpus.extract.entities import find_entities, passage_words
from newscorpus.extract.entity_finds import StoredSpan, load, splice
from newscorpus.extract.pipeline import ArticleDeals
from newscorpus.ingest.store import load_articles
from newscorpus.models import Article, Deal, Evidence


def _deals(article_id: str, title: str) -> ArticleDeals:
    deal = Deal(deal_id=f"{title}-x", title=title, type="partnership",
                evidence=[Evidence(passage_id=f"{article_id}#p1", article_id=article_id, quote=title)])
    return ArticleDeals(key=title, deals=[deal])


@pytest.mark.parametrize("old_ids", [("b", "d", "f"), ("b", "d", "f", "ä-2026"), ()], ids=["ascii", "utf-8", "empty"])
def test_spliced_deals_by_article_read_back_as_written_whole(tmp_path: Path, old_ids: tuple[str, ...]) -> None:
    """Articles go in before the first line, between lines and after the last; a changed article's line is
    replaced; every other line is copied byte for byte."""
    old = {aid: _deals(aid, f"old-{aid}") for aid in old_ids}
    deals_by_article.write(tmp_path / "old.jsonl", old.items())
    changed = {aid: _deals(aid, f"new-{aid}") for aid in ("a", "d", "e", "ä-2025", "g", "h")}
    deals_by_article.splice(tmp_path / "old.jsonl", tmp_path / "new.jsonl", changed)

    expected = dict(sorted({**old, **changed}.items()))
    deals_by_article.write(tmp_path / "whole.jsonl", expected.items())
    assert (tmp_path / "new.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    assert list(deals_by_article.read(tmp_path / "new.jsonl").items()) == list(expected.items())


@pytest.mark.parametrize(("kernel_copy", "scan"), [(True, 1 << 16), (False, 1 << 16), (True, 0)],
                         ids=["copy_file_range", "read and write", "bisected to the line"])
def test_spliced_deals_of_a_large_file_are_placed_by_bisection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel_copy: bool, scan: int
) -> None:
    """A file of ~0.9 MB (bisected, not scanned line by line): articles replaced and inserted at its start,
    middle and end give the file written whole, whether the kernel copies the runs between or not, and
    however far the bisection goes."""
    monkeypatch.setattr(deals_by_article, "SCAN_BYTES", scan)
    if not kernel_copy:
        def refuse(*_args: object) -> int:
            raise OSError("copy_file_range refused")

        monkeypatch.setattr(deals_by_article.os, "copy_file_range", refuse, raising=False)
    old = {f"{n:05d}": _deals(f"{n:05d}", f"old-{n}") for n in range(0, 6000, 2)}
    deals_by_article.write(tmp_path / "old.jsonl", old.items())
    assert (tmp_path / "old.jsonl").stat().st_size > 1 << 19  # many times the 64 KB bisection stops at
    replaced = [f"{n:05d}" for n in range(0, 6000, 98)]  # every 49th line
    changed = {aid: _deals(aid, f"new-{aid}") for aid in (*replaced, "00001", "02999", "03001", "05998", "9")}
    deals_by_article.splice(tmp_path / "old.jsonl", tmp_path / "new.jsonl", changed)
    deals_by_article.write(tmp_path / "whole.jsonl", dict(sorted({**old, **changed}.items())).items())
    assert (tmp_path / "new.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()


def test_splicing_a_truncated_deals_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "old.jsonl").write_bytes(b'"a"\t{"key":"k","deals":[]}')
    with pytest.raises(ValueError, match="complete line"):
        deals_by_article.splice(tmp_path / "old.jsonl", tmp_path / "new.jsonl", {"b": _deals("b", "b")})


def test_spliced_entity_finds_read_back_as_finding_everything(corpus_settings: Settings) -> None:
    """The finds of a corpus less some articles, spliced with those articles' spans (one sorting first, one
    last, one replacing an article's spans), hold what the finds of the whole corpus hold."""
    gazetteer = load_gazetteer(corpus_settings.annotations_dir)
    articles = load_articles(corpus_settings.corpus_dir)
    first = Article(id="0000-first", title="Nvidia", body="Nvidia baut in Quellstadt.")
    last = Article(id="9999-last", title="Microsoft", body="Microsoft investiert in Bayern.")
    every = find_entities(sorted([first, *articles, last], key=lambda a: a.id), gazetteer)
    held = articles[len(articles) // 2]
    previous = load(find_entities([a for a in articles if a.id != held.id] + [held.model_copy(
        update={"body": "\n\n".join("Kein Name hier." for _ in held.passages() if _.kind == "body")}
    )], gazetteer).stored())
    changed = {
        a.id: [[StoredSpan(s.entity_id, s.start, s.end) for s in every.spans[p.passage_id]] for p in a.passages()]
        for a in (first, held, last)
    }
    spliced = load(splice(previous, every.names, changed, passage_words(
        p.text for a in (first, held, last) for p in a.passages()
    )))
    whole = load(every.stored())
    assert spliced.articles() == whole.articles()
    assert list(spliced.articles()) == list(whole.articles()), "corpus order"
    assert spliced.names == whole.names
    # Words only accumulate (an update never changes an old article's text): the held article's old words
    # stay, and the new articles' are added.
    assert spliced.words == previous.words | whole.words and "Quellstadt" in spliced.words - previous.words
    for article_id in whole.articles():
        assert spliced.spans(article_id) == whole.spans(article_id), article_id
    assert spliced.spans(held.id) != previous.spans(held.id), "the held article's spans were replaced"
