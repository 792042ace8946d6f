"""Readable, stable article ids: `YYYY-MM-DD-publisher-title-words`, ASCII only.

The id depends only on the normalized metadata, so rebuilding the corpus gives the same ids.
"""

from __future__ import annotations

import re
import unicodedata

MAX_WORDS = 8
MAX_LENGTH = 80

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"})


def ascii_fold(text: str) -> str:
    """German umlauts spelled out, other accents dropped (é → e), anything else non-ASCII removed."""
    text = unicodedata.normalize("NFC", text).translate(_FOLD)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by single hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", ascii_fold(text).lower()))


def title_slug(title: str, max_words: int = MAX_WORDS) -> str:
    """The first `max_words` words of a title that carry letters or digits (dashes and colons skipped)."""
    words = [w for w in title.split() if slugify(w)]
    return slugify(" ".join(words[:max_words]))


def make_article_id(published: str, publisher: str, title: str) -> str:
    """Join the available parts; trim title words at a hyphen so the id stays under MAX_LENGTH."""
    head = "-".join(p for p in (published, slugify(publisher)) if p)
    tail = title_slug(title)
    slug = "-".join(p for p in (head, tail) if p)
    if len(slug) > MAX_LENGTH and tail:
        cut = slug[: MAX_LENGTH + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut[len(head) + 1 :] else slug[:MAX_LENGTH]
    return slug.strip("-") or "article"
