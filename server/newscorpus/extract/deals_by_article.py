"""A build's per-article deal results (`deals-by-article.jsonl`), one line per article in id order.

An update that must extract deals again for every article (a new article changed an old entity name)
reuses each article's deals whose key still matches; an update by rows only rewrites the lines of the
articles it searched, copying the others as they are, so the file is written line by line, not as one
JSON document (at 100 000 articles it is ~500 MB, ~50 s to parse whole). A line is the article id as a
JSON string, a tab, and its `ArticleDeals` as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from newscorpus.extract.pipeline import ArticleDeals


def write(path: Path, articles: Iterable[tuple[str, ArticleDeals]]) -> None:
    """Write the articles' deals (in id order) to a new file at `path`."""
    with path.open("w", encoding="utf-8") as fh:
        for article_id, deals in articles:
            _write_line(fh, article_id, deals)


def read(path: Path) -> dict[str, ArticleDeals]:
    """Every article's deals, by article id; ValueError when a line is not one `write` writes."""
    out: dict[str, ArticleDeals] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            article_id, deals = _split(line)
            out[article_id] = ArticleDeals.model_validate_json(deals)
    return out


def splice(previous: Path, path: Path, changed: Mapping[str, ArticleDeals]) -> None:
    """Write to `path` the lines of `previous` with those of the articles in `changed` replaced or
    inserted in id order; the other lines are copied, not parsed."""
    pending = sorted(changed)
    at = 0
    with previous.open(encoding="utf-8") as old, path.open("w", encoding="utf-8") as fh:
        for line in old:
            article_id, _ = _split(line)
            while at < len(pending) and pending[at] <= article_id:  # an article in `changed` replaces its line
                _write_line(fh, pending[at], changed[pending[at]])
                at += 1
            if article_id in changed:
                continue
            fh.write(line)
        for article_id in pending[at:]:
            _write_line(fh, article_id, changed[article_id])


def _write_line(fh: TextIO, article_id: str, deals: ArticleDeals) -> None:
    fh.write(f"{json.dumps(article_id, ensure_ascii=False)}\t{deals.model_dump_json()}\n")


def _split(line: str) -> tuple[str, str]:
    key, tab, deals = line.partition("\t")
    if not tab:
        raise ValueError("a line of per-article deals without its article id")
    article_id = json.loads(key)
    if not isinstance(article_id, str):
        raise ValueError("a line of per-article deals whose key is not an article id")
    return article_id, deals
