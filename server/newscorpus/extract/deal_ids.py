"""Stable ids for extracted deals: `<parties-type>-<article tag>`, e.g. `microsoft-blackrock-investment-k3f9qa`.

The readable part is the slug of the first three parties and the deal type; the tag is the start of a
digest of the article's id, so an id depends on its own article only. Adding articles never renames a
deal of another article: a citation keeps resolving, and an update changes the deal index only where
deals change. (Ids numbered across the corpus, `x`, `x-2`, …, moved whenever a new article sorted
before an old one with a deal of the same parties.)

Within one article a repeated slug is numbered (`…-k3f9qa-2`). Two articles whose tags agree (about one
pair in a billion per slug) both take longer tags, as long as needed: the ids stay independent of the
order articles arrive in.
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict

from newscorpus.extract.textutil import slugify
from newscorpus.models import Deal

TAG = 6  # base32 characters: 30 bits


def base_id(deal: Deal) -> str:
    """The readable part: the first three parties and the type."""
    return slugify(" ".join([*(p.name for p in deal.parties[:3]), deal.type]))


def article_tag(article_id: str, length: int = TAG) -> str:
    return base64.b32encode(hashlib.sha256(article_id.encode("utf-8")).digest()).decode("ascii").lower()[:length]


def in_article(article_id: str, deals: list[Deal], length: int = TAG) -> list[Deal]:
    """The ids of one article's deals (in its order)."""
    tag = article_tag(article_id, length)
    seen: dict[str, int] = {}
    out = []
    for d in deals:
        base = base_id(d)
        n = seen[base] = seen.get(base, 0) + 1
        did = f"{base}-{tag}" if n == 1 else f"{base}-{tag}-{n}"
        out.append(d if d.deal_id == did else d.model_copy(update={"deal_id": did}))
    return out


def across_articles(per_article: list[tuple[str, list[Deal]]]) -> list[Deal]:
    """Every article's deals (ids from `in_article`) in order, an id two articles share given to neither:
    both articles' deals take longer tags until their ids differ."""
    lengths: dict[str, int] = {}  # article id -> its tag's length, where longer than TAG
    while True:
        owners: dict[str, set[str]] = defaultdict(set)
        for article_id, deals in per_article:
            for d in deals:
                owners[d.deal_id].add(article_id)
        clashing = {a for ids in owners.values() if len(ids) > 1 for a in ids}
        if not clashing:
            return [d for _article_id, deals in per_article for d in deals]
        for a in clashing:
            lengths[a] = lengths.get(a, TAG) + 1
        per_article = [
            (a, in_article(a, deals, lengths[a]) if a in clashing else deals) for a, deals in per_article
        ]
