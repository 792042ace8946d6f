"""The normalized article files `corpus/articles/<id>.md`: format, reading, and never-overwriting writes.

Format: a YAML front-matter block between `---` lines, a blank line, then the body (passages separated
by exactly one blank line) and a final newline. Keys come in a fixed order; `source_urls`, `teasers`
and `extra` appear only when non-empty. Reading uses YAML's BaseLoader (every scalar stays a string),
so writing and reading round-trip exactly.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import yaml
from pydantic import ValidationError

from newscorpus.models import Article

log = logging.getLogger(__name__)

ARTICLES_SUBDIR = "articles"
SCALAR_KEYS = ("id", "title", "publisher", "author", "published", "url", "language", "source_file")
OPTIONAL_KEYS = ("source_urls", "teasers", "extra")
_FENCE = "---"
# libyaml's BaseLoader when PyYAML has it (the same strings, ~5x faster: a build reads every article),
# else the pure-Python one.
_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class MalformedArticleError(ValueError):
    """A normalized article file that cannot be parsed; the message names the file."""


def articles_dir(corpus_dir: Path) -> Path:
    return corpus_dir / ARTICLES_SUBDIR


def normalize_body(body: str) -> str:
    """Passages separated by exactly one blank line, no edge whitespace, no blank lines inside."""
    blocks = [b.strip() for b in body.replace("\r\n", "\n").split("\n\n")]
    return "\n\n".join(b for b in blocks if b)


def content_key(article: Article) -> str:
    """What makes two articles the same: normalized title and body (metadata and id do not count)."""
    data = article.title.strip() + "\n\x00\n" + normalize_body(article.body)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def article_to_markdown(article: Article) -> str:
    """Serialize deterministically: fixed key order, Unicode kept, no line wrapping."""
    front: dict[str, object] = {key: getattr(article, key) for key in SCALAR_KEYS}
    if article.source_urls:
        front["source_urls"] = list(article.source_urls)
    if article.teasers:
        front["teasers"] = [{"title": t.title, "published": t.published} for t in article.teasers]
    if article.extra:
        front["extra"] = dict(sorted(article.extra.items()))
    dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=10**9, default_flow_style=False)
    return f"{_FENCE}\n{dumped}{_FENCE}\n\n{normalize_body(article.body)}\n"


def article_from_markdown(text: str, name: str = "<string>") -> Article:
    """Parse the normalized format; any deviation raises MalformedArticleError naming `name`."""
    if not text.startswith(_FENCE + "\n"):
        raise MalformedArticleError(f"{name}: does not start with a '---' front-matter line")
    end = text.find(f"\n{_FENCE}\n", len(_FENCE))
    if end < 0:
        raise MalformedArticleError(f"{name}: front matter is not closed by a '---' line")
    try:
        front = yaml.load(text[len(_FENCE) + 1 : end + 1], Loader=_LOADER)  # BaseLoader: strings only
    except yaml.YAMLError as exc:
        raise MalformedArticleError(f"{name}: invalid YAML front matter: {exc}") from exc
    if not isinstance(front, dict):
        raise MalformedArticleError(f"{name}: front matter is not a mapping")
    unknown = set(front) - set(SCALAR_KEYS) - set(OPTIONAL_KEYS)
    if unknown:
        raise MalformedArticleError(f"{name}: unknown front-matter keys {sorted(unknown)}")
    rest = text[end + len(_FENCE) + 2 :]
    body = rest.removeprefix("\n").removesuffix("\n")
    try:
        return Article(**front, body=body)
    except (ValidationError, TypeError) as exc:
        raise MalformedArticleError(f"{name}: invalid article fields: {exc}") from exc


def read_article(path: Path) -> Article:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MalformedArticleError(f"{path}: cannot read: {exc}") from exc
    article = article_from_markdown(text, str(path))
    if article.id != path.stem:
        raise MalformedArticleError(f"{path}: id {article.id!r} does not match the file name")
    return article


def load_articles(corpus_dir: Path) -> list[Article]:
    """Every `corpus_dir/articles/*.md`, sorted by id; a malformed file raises, naming the file."""
    folder = articles_dir(corpus_dir)
    if not folder.is_dir():
        return []
    return sorted((read_article(p) for p in folder.glob("*.md")), key=lambda a: a.id)


def write_new(path: Path, text: str) -> bool:
    """Atomically create `path` with `text`; returns False (and writes nothing) if it already exists.

    The content goes to a temp file in the same folder first; `os.link` then publishes it only if the
    name is free, so a concurrent writer can never be overwritten. Where hard links are unsupported,
    an existence check plus `os.replace` is the fallback.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:
            if path.exists():
                return False
            os.replace(tmp, path)
        return True
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
