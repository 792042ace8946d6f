"""Ingestion entry point: files and folders → normalized articles in `corpus_dir/articles/`.

Nothing already in the corpus is ever overwritten: identical content is reported as a duplicate,
different content under a taken id gets the next free `<id>-2`, `<id>-3`, …, and a file that cannot be
used is reported and skipped while the rest go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from newscorpus.config import pause_point
from newscorpus.ingest.clean import clean
from newscorpus.ingest.dates import parse_date
from newscorpus.ingest.ids import make_article_id
from newscorpus.ingest.readers import SUPPORTED_SUFFIXES, RawDocument, ReadError, read_file
from newscorpus.ingest.segment import segment
from newscorpus.ingest.store import (
    article_to_markdown,
    articles_dir,
    content_key,
    load_articles,
    write_new,
)
from newscorpus.models import Article

log = logging.getLogger(__name__)


class Duplicate(BaseModel):
    path: str
    existing_id: str


class Renamed(BaseModel):
    path: str
    wanted_id: str
    given_id: str


class Skipped(BaseModel):
    path: str
    reason: str


class IngestReport(BaseModel):
    """What one ingest run did; `ok` is False when any input (file or record) was skipped."""

    added: list[str] = Field(default_factory=list)
    duplicates: list[Duplicate] = Field(default_factory=list)
    renamed: list[Renamed] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.skipped

    def render(self) -> str:
        """Human-readable summary, one line per outcome, for the CLI."""
        out = [
            f"added {len(self.added)}, duplicates {len(self.duplicates)}, "
            f"renamed {len(self.renamed)}, skipped {len(self.skipped)}"
        ]
        out += [f"  added      {article_id}" for article_id in self.added]
        out += [f"  duplicate  {d.path} (already stored as {d.existing_id})" for d in self.duplicates]
        out += [f"  renamed    {r.path}: id {r.wanted_id} taken, stored as {r.given_id}" for r in self.renamed]
        out += [f"  skipped    {s.path}: {s.reason}" for s in self.skipped]
        return "\n".join(out)


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[Skipped]]:
    """Folders walked recursively (sorted, hidden entries ignored) for supported files; files kept as given."""
    files: list[Path] = []
    missing: list[Skipped] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append(Skipped(path=str(path), reason="no such file or directory"))
    return files, missing


def build_article(doc: RawDocument) -> Article:
    """Clean and segment one raw document; stated metadata wins over what the text suggests."""
    meta = doc.meta
    extra = dict(doc.extra)
    cleaned = clean(doc.text, markdown=doc.markdown, title=meta.get("title", ""), url=meta.get("url", ""))
    passages = segment(cleaned.lines)
    if not passages:
        raise ReadError("no article text left after removing boilerplate")
    published = ""
    if meta.get("published"):
        published = parse_date(meta["published"])
        if not published:
            extra.setdefault("published_raw", meta["published"])
    if cleaned.tags and "tags" not in extra:
        extra["tags"] = ", ".join(dict.fromkeys(cleaned.tags))
    title = meta.get("title") or cleaned.title
    article = Article(
        id="pending",
        title=title,
        publisher=meta.get("publisher") or cleaned.publisher,
        author=meta.get("author") or cleaned.author,
        published=published or cleaned.published,
        url=meta.get("url", ""),
        language=meta.get("language") or cleaned.language,
        source_file=doc.source_file,
        source_urls=list(dict.fromkeys(cleaned.source_urls)),
        teasers=cleaned.teasers,
        extra=extra,
        body="\n\n".join(passages),
    )
    wanted = make_article_id(article.published, article.publisher, title or passages[0])
    return article.model_copy(update={"id": wanted})


FileProgress = Callable[[int, int, str], None]


def ingest_paths(paths: list[Path], corpus_dir: Path, progress: FileProgress | None = None) -> IngestReport:
    """Ingest files/folders into `corpus_dir/articles`; the report says what happened to each input.

    `progress(done, total, path)` is called before each file (for a progress bar); it must not print to stdout.
    """
    files, missing = expand_paths(paths)
    report = IngestReport(skipped=missing)
    folder = articles_dir(corpus_dir)
    existing = load_articles(corpus_dir)
    by_content = {content_key(a): a.id for a in existing}
    for done, path in enumerate(files):
        if progress is not None:
            progress(done, len(files), str(path))
        try:
            result = read_file(path)
        except ReadError as exc:
            log.warning("skipping %s: %s", path, exc)
            report.skipped.append(Skipped(path=str(path), reason=str(exc)))
            continue
        for origin, reason in result.failures:
            report.skipped.append(Skipped(path=_origin_path(path, origin), reason=reason))
        for doc in result.documents:
            where = _origin_path(path, doc.origin)
            try:
                article = build_article(doc)
            except ReadError as exc:
                report.skipped.append(Skipped(path=where, reason=str(exc)))
                continue
            key = content_key(article)
            if key in by_content:
                report.duplicates.append(Duplicate(path=where, existing_id=by_content[key]))
                continue
            given = _store(article, folder)
            by_content[key] = given
            report.added.append(given)
            pause_point("ingest:article-written")
            if given != article.id:
                report.renamed.append(Renamed(path=where, wanted_id=article.id, given_id=given))
    return report


def _store(article: Article, folder: Path) -> str:
    """Write under the wanted id, or the first free `<id>-N`; returns the id used."""
    n = 1
    while True:
        candidate = article.id if n == 1 else f"{article.id}-{n}"
        final = article.model_copy(update={"id": candidate})
        if write_new(folder / f"{candidate}.md", article_to_markdown(final)):
            log.info("added %s", candidate)
            return candidate
        n += 1


def _origin_path(path: Path, origin: str) -> str:
    """The file path, with the record suffix (`:line` / `#item`) when the file held several records."""
    suffix = origin[len(path.name) :] if origin.startswith(path.name) else ""
    return f"{path}{suffix}"
