"""HTML news pages → one raw document: the main text that `trafilatura` extracts, plus the page's metadata.

A saved news page is mostly navigation, consent banners, teaser boxes, ads, share buttons and comments;
trafilatura's main-text extraction keeps the article's paragraphs and headings (one per line, verbatim)
and reads the metadata the page states (`og:`/`article:` meta tags, JSON-LD, `<time>`, byline). The
cleaner then treats the text like any other article.
"""

from __future__ import annotations

import re

import trafilatura

from newscorpus.ingest.readers import RawDocument, ReadError, check_bytes

# The publication date, from metadata and markup only: no guessing from the page's free text.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}
# Below this, what trafilatura found is navigation or a login form, not an article (a news brief has more).
MIN_WORDS = 20
_LANG_ATTR = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})\b", re.IGNORECASE)


def read_html(data: bytes, name: str) -> RawDocument:
    """One article from an HTML page; refused with a reason when no main text can be found."""
    check_bytes(data)
    doc = trafilatura.bare_extraction(
        data,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        date_extraction_params=_DATE_PARAMS,
    )
    text = (doc.text or "").strip() if doc is not None else ""
    if len(text.split()) < MIN_WORDS:
        raise ReadError(
            f"no article text found in the HTML page ({len(text.split())} words of main text, at least {MIN_WORDS} "
            "needed); is it an article page rather than an index, search or login page?"
        )
    meta = {
        "title": doc.title or "",
        "url": doc.url or "",
        "published": doc.date or "",
        "publisher": _publisher(doc.sitename or "", doc.hostname or ""),
        "author": doc.author or "",
        "language": _language(data),
    }
    extra = {
        "description": doc.description or "",
        "section": ", ".join(doc.categories or []),
        "tags": ", ".join(doc.tags or []),
    }
    return RawDocument(
        text=text,
        origin=name,
        source_file=name,
        meta={k: v.strip() for k, v in meta.items() if v and v.strip()},
        extra={k: v.strip() for k, v in extra.items() if v and v.strip()},
    )


def _publisher(sitename: str, hostname: str) -> str:
    """The site name the page states; trafilatura's fallback to the bare host name is not a publisher name
    (the cleaner maps known domains of the page URL to publisher names instead)."""
    if not sitename or sitename.lower().removeprefix("www.") == hostname.lower().removeprefix("www."):
        return ""
    return sitename


def _language(data: bytes) -> str:
    """The primary language subtag of `<html lang="…">`, when the page states it."""
    m = _LANG_ATTR.search(data[:4096])
    return m.group(1).decode("ascii").lower() if m else ""
