"""A build's per-article deal results (`deals-by-article.jsonl`), one line per article in id order.

An update that must extract deals again for every article (a new article changed an old entity name)
reuses each article's deals whose key still matches; an update by rows only rewrites the lines of the
articles it searched, copying the others as they are, so the file is written line by line, not as one
JSON document (at 100 000 articles it is ~500 MB, ~50 s to parse whole). A line is the article id as a
JSON string, a tab, and its `ArticleDeals` as JSON.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import mmap
import os
from collections.abc import Iterable, Mapping, Sequence
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
    inserted in id order. Each changed article's place is found by bisecting the lines (only the ids of
    the lines it probes are read); the runs of lines between them are copied as bytes (at 100 000
    articles ~500 MB: decoding every line and its id took 2.8 s)."""
    with previous.open("rb") as old, path.open("wb") as fh:
        size = os.fstat(old.fileno()).st_size
        with mmap.mmap(old.fileno(), 0, access=mmap.ACCESS_READ) if size else contextlib.nullcontext(b"") as data:
            lines = _Lines(data)
            view = memoryview(data)
            at = 0  # bytes of `previous` written or skipped so far
            try:
                for article_id in sorted(changed):
                    n = bisect.bisect_left(lines, article_id)
                    start = lines.start(n)
                    fh.write(view[at:start])
                    at = lines.start(n + 1) if n < len(lines) and lines[n] == article_id else start
                    fh.write(_line(article_id, changed[article_id]).encode())
                fh.write(view[at:])
            finally:
                view.release()


class _Lines(Sequence[str]):
    """The article ids of a file of lines, read from its bytes when asked for (for `bisect`)."""

    def __init__(self, data: bytes | mmap.mmap) -> None:
        self._data = data
        self._starts = [0]
        end = data.find(b"\n")
        while end >= 0:
            self._starts.append(end + 1)
            end = data.find(b"\n", end + 1)
        if self._starts[-1] != len(data):
            raise ValueError("per-article deals do not end with a complete line")

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, n):  # type: ignore[override]
        start, end = self._starts[n], self._starts[n + 1]
        return _split(self._data[start:end].decode("utf-8"))[0]

    def start(self, n: int) -> int:
        """Where line `n` starts (the end of the data for `len(self)`)."""
        return self._starts[n]


def _write_line(fh: TextIO, article_id: str, deals: ArticleDeals) -> None:
    fh.write(_line(article_id, deals))


def _line(article_id: str, deals: ArticleDeals) -> str:
    return f"{json.dumps(article_id, ensure_ascii=False)}\t{deals.model_dump_json()}\n"


def _split(line: str) -> tuple[str, str]:
    key, tab, deals = line.partition("\t")
    if not tab:
        raise ValueError("a line of per-article deals without its article id")
    article_id = json.loads(key)
    if not isinstance(article_id, str):
        raise ValueError("a line of per-article deals whose key is not an article id")
    return article_id, deals
