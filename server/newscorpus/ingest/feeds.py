"""RSS and Atom feeds → one raw document per entry, with the entry's link, date, author and categories.

`feedparser` reads every RSS/Atom dialect and sanitizes the entries' HTML. An entry's text is its full
content (`content:encoded`, Atom `<content>`) when the feed carries it, else its summary; the HTML is
reduced to one paragraph or heading per line, verbatim, as the cleaner and segmenter expect. An entry
without any text is reported and skipped; the other entries still count.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from typing import Any

import feedparser
import lxml.html

from newscorpus.ingest.readers import RawDocument, ReadError, ReadResult, check_bytes

_BLOCK_TAGS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "tr", "figcaption", "section"}
)
_DROP_TAGS = ("script", "style", "noscript", "iframe", "figure", "img")
_SPACES = re.compile(r"[ \t\u00a0]+")


def read_feed(data: bytes, name: str) -> ReadResult:
    """Every entry of an RSS or Atom feed; a file that is no feed at all is refused with the parser's reason."""
    check_bytes(data)
    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=True)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        detail = f" ({_first_line(reason)})" if reason else ""
        raise ReadError(f"not an RSS or Atom feed{detail}")
    if not parsed.entries:
        raise ReadError("the feed has no entries")
    feed = parsed.feed
    result = ReadResult()
    for n, entry in enumerate(parsed.entries, start=1):
        origin = f"{name}#{n}"
        try:
            result.documents.append(_entry_document(entry, feed, origin))
        except ReadError as exc:
            result.failures.append((origin, f"entry {n}: {exc}"))
    return result


def _entry_document(entry: Any, feed: Any, origin: str) -> RawDocument:
    text = _entry_text(entry)
    if not text:
        raise ReadError("no content or summary text")
    tags = [t.get("term", "").strip() for t in entry.get("tags", []) if t.get("term", "").strip()]
    meta = {
        "title": _plain(entry.get("title", "")),
        "url": entry.get("link", ""),
        "published": _local_date(entry.get("published") or entry.get("updated") or ""),
        "publisher": entry.get("publisher") or feed.get("publisher") or _plain(feed.get("title", "")),
        "author": entry.get("author") or feed.get("author") or "",
        "language": _primary_language(feed.get("language", "")),
    }
    extra = {
        "feed": _plain(feed.get("title", "")),
        "feed_url": feed.get("link", ""),
        "guid": entry.get("id", ""),
        "tags": ", ".join(dict.fromkeys(tags)),
    }
    return RawDocument(
        text=text,
        origin=origin,
        source_file=origin,
        meta={k: v.strip() for k, v in meta.items() if v and v.strip()},
        extra={k: v.strip() for k, v in extra.items() if v and v.strip()},
    )


def _entry_text(entry: Any) -> str:
    """The longest full-content block, else the summary; HTML reduced to lines, plain text kept as is."""
    blocks = [(c.get("value", ""), c.get("type", "")) for c in entry.get("content", [])]
    blocks.sort(key=lambda b: len(b[0]), reverse=True)
    if entry.get("summary"):
        blocks.append((entry.get("summary", ""), entry.get("summary_detail", {}).get("type", "text/html")))
    for value, kind in blocks:
        text = html_to_lines(value) if "html" in kind else _normalize_lines(value)
        if text:
            return text
    return ""


def html_to_lines(fragment: str) -> str:
    """An HTML fragment → one block element (paragraph, heading, list item) per line, whitespace collapsed."""
    if not fragment.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for el in root.iter(*_DROP_TAGS):
        el.drop_tree()
    for el in root.iter():
        if el.tag == "br":
            el.tail = "\n" + (el.tail or "")
        elif el.tag in _BLOCK_TAGS:
            el.text = "\n" + (el.text or "")
            el.tail = "\n" + (el.tail or "")
    return _normalize_lines(root.text_content())


def _normalize_lines(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _plain(value: str) -> str:
    """Titles may carry entities or inline tags; the text only."""
    return html_to_lines(value).replace("\n", " ") if "<" in value else value.strip()


def _local_date(value: str) -> str:
    """The entry's date as the publisher wrote it (its own UTC offset kept, so 00:30 +01:00 stays that day).

    RFC 822 (RSS) and RFC 3339 (Atom) become YYYY-MM-DD; anything else is passed on for `parse_date`.
    """
    value = value.strip()
    if not value:
        return ""
    try:
        return email.utils.parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return dt.datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        return value


def _primary_language(value: str) -> str:
    return re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower() if value.strip() else ""


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
