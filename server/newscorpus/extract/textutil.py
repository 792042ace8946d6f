"""Small text helpers shared by the extractors: slugs, sentence spans, verbatim quote lookup."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

# Same folding as article ids (umlauts spelled out), so all ids in the project read alike.
_FOLD = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS", "ø": "o", "Ø": "O"}
)


_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """A readable ASCII id: `Kuwait Investment Authority` → `kuwait-investment-authority`, `München` → `muenchen`."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode()
    slug = _NON_SLUG.sub("-", folded.lower()).strip("-")
    return slug or "x"


# Characters that re.IGNORECASE matches to characters of another str.lower() (`ſ` to `s`, `ı` to `i`, Greek and
# Cyrillic letters with variant forms, their capitals) or that lower-case to two characters (`İ`). Where neither
# a pattern's literal nor the text holds one, "matches case-insensitively" implies "the lower-cased literal
# occurs in the lower-cased text": the extractors' substring prefilters rely on that and are skipped otherwise.
FOLD_UNSAFE = frozenset(
    "µİıſͅΐΒΕΘΙΚΜΠΡΣΦΰβεθικμπρςσφϐϑϕϖϰϱϴϵВДОСТЪвдостъѢѣᲀᲁᲂᲃᲄᲅᲆᲇᲈṠṡẛꙊꙋﬅﬆ"
    "\u1fbe\u1fd3\u1fe3"  # escaped: Unicode normalization would turn them into ι, ΐ, ΰ
)


_FOLD_UNSAFE_CHAR = re.compile("[" + re.escape("".join(sorted(FOLD_UNSAFE))) + "]")


def fold_safe(text: str) -> bool:
    """True when `text` holds none of FOLD_UNSAFE, so lower-casing it folds exactly like re.IGNORECASE."""
    return text.isascii() or _FOLD_UNSAFE_CHAR.search(text) is None


def is_word_char(c: str) -> bool:
    """What `\\w` matches in a str pattern."""
    return c.isalnum() or c == "_"


def occurrences(text: str, parts: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of each of `parts` in `text`, overlapping ones included, sorted."""
    found = []
    for part in parts:
        if part not in text:  # most parts are absent: one C-level test instead of a loop
            continue
        i = text.find(part)
        while i >= 0:
            found.append((i, i + len(part)))
            i = text.find(part, i + 1)
    found.sort()
    return found


def matches_near(
    pattern: re.Pattern[str], text: str, anchors: Iterable[int], *, low: str, lo: int = 0, reach: int = 0
) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)` for a pattern whose every match starts at most `reach` characters before the
    run of word characters and hyphens that leads up to an anchor occurrence inside the match; `anchors` are
    the sorted offsets in `text` of all those occurrences, `low[lo:lo + len(text)]` is `text` lower-cased
    (character for character). The pattern is tried with `match` only from such offsets, in order and
    resuming after each match as `finditer` does; a search would try every offset of the text."""
    pos = untried = 0
    for at in anchors:
        if at < pos:
            continue
        start = at
        while start > 0 and (low[lo + start - 1] == "-" or is_word_char(low[lo + start - 1])):
            start -= 1
        offset = max(pos, untried, start - reach)
        while offset <= at:
            m = pattern.match(text, offset)
            if m is not None:
                yield m
                pos = m.end()
                break
            offset += 1
        untried = max(untried, offset)


# A sentence ends at . ! ? followed by space and an upper-case letter, digit or quote; abbreviations like
# "Inc." or "Co." before a capitalised word are the price of staying simple.
_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ0-9„\"“])|\n+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line in `text`."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENT_END.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return spans


def find_verbatim(haystack: str, quote: str) -> str | None:
    """The part of `haystack` that is `quote`, tolerating only differences in whitespace; None if absent.

    Returns the haystack's own characters so a citation is always a true substring of its passage.
    """
    if quote in haystack:
        return quote
    words = quote.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.search(pattern, haystack)
    return m.group(0) if m else None
