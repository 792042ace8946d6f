"""A build's per-article deal results (`deals-by-article.jsonl`), one line per article in id order.

An update that must extract deals again for every article (a new article changed an old entity name)
reuses each article's deals whose key still matches; an update by rows only rewrites the lines of the
articles it searched, copying the others as they are, so the file is written line by line, not as one
JSON document (at 100 000 articles it is ~500 MB, ~50 s to parse whole). A line is the article id as a
JSON string, a tab, and its `ArticleDeals` as JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO, TextIO

from newscorpus.extract.pipeline import ArticleDeals

# Bisection stops at this many bytes and reads the lines left one by one (a few disk blocks).
SCAN_BYTES = 1 << 16


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
    inserted in id order. Each changed article's place is found by bisecting the file (only the ids of
    the lines it probes are read); the runs of lines between them are copied by the kernel where it can
    (at 100 000 articles ~500 MB: decoding every line and its id took 2.8 s)."""
    with previous.open("rb") as old, path.open("wb") as fh:
        size = os.fstat(old.fileno()).st_size
        old.seek(max(size - 1, 0))
        if size and old.read(1) != b"\n":
            raise ValueError("per-article deals do not end with a complete line")
        at = 0  # bytes of `previous` written or skipped so far
        for article_id in sorted(changed):
            start, found = _place(old, at, size, article_id)
            _copy(old, fh, at, start)
            at = _line_end(old, start) if found else start
            fh.write(_line(article_id, changed[article_id]).encode())
        _copy(old, fh, at, size)


def _place(fh: BinaryIO, lo: int, size: int, article_id: str) -> tuple[int, bool]:
    """Where the line of `article_id` is or would go among the lines from `lo` (a line start; the lines
    before it sort first) to the end of the file (`size` bytes), and whether it is there."""
    hi = size  # a line start (or the end) whose line sorts at or after `article_id`
    while hi - lo > SCAN_BYTES:
        mid = (lo + hi) // 2
        start = _line_end(fh, mid - 1)  # the first line starting at `mid` or after
        if start >= hi:
            break
        if _article_id(fh, start) >= article_id:
            hi = start
        else:
            lo = _line_end(fh, start)
    while lo < size:  # stops at `hi` at the latest
        line_id = _article_id(fh, lo)
        if line_id >= article_id:
            return lo, line_id == article_id
        lo = _line_end(fh, lo)
    return lo, False


def _line_end(fh: BinaryIO, at: int) -> int:
    """Where the line holding byte `at` ends (just past its newline); 0 for -1."""
    if at < 0:
        return 0
    fh.seek(at)
    return at + len(fh.readline())


def _article_id(fh: BinaryIO, start: int) -> str:
    fh.seek(start)
    return _split(fh.readline().decode("utf-8"))[0]


def _copy(source: BinaryIO, target: BinaryIO, start: int, end: int) -> None:
    """Append bytes `start` to `end` of `source` to `target` (in the kernel with `copy_file_range`)."""
    target.flush()
    while start < end:
        try:
            copied = os.copy_file_range(source.fileno(), target.fileno(), end - start, start)
        except (AttributeError, OSError):  # no such call (not Linux), or not between these files
            source.seek(start)
            copied = target.write(source.read(min(end - start, 1 << 24)))
        if not copied:
            raise OSError(f"{end - start} bytes of per-article deals could not be copied")
        start += copied


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
