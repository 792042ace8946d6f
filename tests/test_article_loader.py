"""Article files read with libyaml's BaseLoader give exactly what PyYAML's pure-Python BaseLoader gives."""

from __future__ import annotations

import pytest
import yaml

from newscorpus.config import BUNDLED_CORPUS
from newscorpus.ingest import store
from newscorpus.models import Article, Teaser

TRICKY = ["yes", "no", "null", "~", "0123", "1e3", "12:30", "a: b", "# not a comment", "'quoted'", '"double"',
          " leading space", "trailing space ", "Zürich – “Anführung” ‚x‘", "emoji 🚀", "tab\there", "a\\b",
          "- dash", "[list]", "{map}", "&anchor", "*alias", "!tag", "%percent", "@at", "`tick`", "|", ">", ""]


def _articles() -> list[Article]:
    out = [store.read_article(p) for p in sorted(store.articles_dir(BUNDLED_CORPUS).glob("*.md"))]
    for n, text in enumerate(TRICKY):
        out.append(Article(
            id=f"x-{n}", title=text, publisher=text, author=text, published="2026-01-21", url=f"https://e.x/{n}",
            language="de", source_file=text, source_urls=[text, "https://e.x"] if text else [],
            teasers=[Teaser(title=text, published="2026-01-20")] if text else [],
            extra={"key": text, "other": "v"}, body=f"Erster Absatz {text}\n\nZweiter Absatz.",
        ))
    return out


@pytest.mark.skipif(not hasattr(yaml, "CBaseLoader"), reason="PyYAML without libyaml: the pure-Python loader is used")
def test_libyaml_reads_what_the_python_loader_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [store.article_to_markdown(a) for a in _articles()]
    assert store._LOADER is yaml.CBaseLoader
    fast = [store.article_from_markdown(t) for t in texts]
    monkeypatch.setattr(store, "_LOADER", yaml.BaseLoader)
    slow = [store.article_from_markdown(t) for t in texts]
    assert fast == slow
    assert [(a.title, a.extra, a.teasers) for a in fast] == [(a.title, a.extra, a.teasers) for a in _articles()]
