"""Normalized comparison of answers, figures and names, in German and English.

Why not plain string equality: the corpus is German and questions come in two languages, so
"12,5 Milliarden Dollar", "12.5 billion USD" and "$12.5bn" must count as the same figure, "vier" as "4",
"München" as "munchen", and "75–100 GW" as "75 bis 100 GW". Amounts are compared by value and currency
(parsed with the corpus's own money parser); everything else by whole tokens after folding.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from newscorpus.extract.money import parse_amounts
from newscorpus.models import Amount

_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "%": " prozent "})
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_NUMBER_WORDS = {
    **dict.fromkeys(("zwei", "two"), "2"),
    **dict.fromkeys(("drei", "three"), "3"),
    **dict.fromkeys(("vier", "four"), "4"),
    **dict.fromkeys(("funf", "five"), "5"),
    **dict.fromkeys(("sechs", "six"), "6"),
    **dict.fromkeys(("sieben", "seven"), "7"),
    **dict.fromkeys(("acht", "eight"), "8"),
    **dict.fromkeys(("neun", "nine"), "9"),
    **dict.fromkeys(("zehn", "ten"), "10"),
    **dict.fromkeys(("elf", "eleven"), "11"),
    **dict.fromkeys(("zwolf", "twelve"), "12"),
    **dict.fromkeys(("dreizehn", "thirteen"), "13"),
    **dict.fromkeys(("zwanzig", "twenty"), "20"),
    **dict.fromkeys(("dreissig", "thirty"), "30"),
    **dict.fromkeys(("funfzig", "fifty"), "50"),
    **dict.fromkeys(("hundert", "hundred"), "100"),
}
_SYNONYMS = {"percent": "prozent"}
_RANGE_WORDS = {"bis", "to"}

# Phrases (normalized) by which an answer says the corpus does not contain what was asked.
ABSTENTION_PHRASES: tuple[str, ...] = (
    "not in the corpus", "not in corpus", "not stated", "not state", "does not say", "doesn t say",
    "does not mention", "doesn t mention", "not mentioned", "not disclosed", "not reported", "not specified",
    "not given", "no figure", "no amount", "no specific", "no information", "unknown", "cannot be answered",
    "can t be answered", "cannot answer", "not available", "not known",
    "nicht im korpus", "nicht genannt", "nicht angegeben", "nicht beziffert", "nicht bekannt",
    "nicht veroffentlicht", "nicht enthalten", "nicht beantworten", "nicht beantwortet", "keine angabe",
    "keine angaben", "keine zahl", "keine zahlen", "kein betrag", "keine betrage", "keinen betrag",
    "keine spezifischen", "nennt keine", "nennt keinen", "unbekannt",
)

PASSAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*#[pt]\d+(?!\d)")
_BRACKETS = re.compile(r"\[([^\[\]]+)\]")


def tokens(text: str) -> list[str]:
    """Casefolded, accent-free word and number tokens; decimal commas become points, number words digits,
    `%`/percent become `prozent`, and `bis`/`to` between two numbers is dropped (a range, like `75–100`)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold().translate(_FOLD))
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    raw = [_NUMBER_WORDS.get(t, _SYNONYMS.get(t, t)).replace(",", ".") for t in _TOKEN.findall(plain)]
    out: list[str] = []
    for i, tok in enumerate(raw):
        between_numbers = 0 < i < len(raw) - 1 and raw[i - 1][0].isdigit() and raw[i + 1][0].isdigit()
        if tok in _RANGE_WORDS and between_numbers:
            continue
        out.append(tok)
    return out


def normalize(text: str) -> str:
    return " ".join(tokens(text))


def _find(haystack: str, needle: str) -> int:
    """Token position of `needle` in `haystack` (both normalized), -1 if absent; whole tokens only."""
    if not needle:
        return -1
    at = f" {haystack} ".find(f" {needle} ")
    return -1 if at < 0 else haystack[:at].count(" ") + (1 if at else 0)


def _as_amount(text: str) -> Amount | None:
    """The one amount `text` consists of ("12,5 Milliarden Dollar"), else None ("Potsdam", "50 Stellen")."""
    found = parse_amounts(text)
    if len(found) != 1:
        return None
    return found[0] if len(found[0].text) >= 0.6 * len(text.strip()) else None


def _same_amount(a: Amount, b: Amount) -> bool:
    if a.currency and b.currency and a.currency != b.currency:
        return False
    return abs(a.value - b.value) <= 1e-6 * max(abs(a.value), abs(b.value), 1)


def position(haystack: str, needle: str) -> int | None:
    """The token offset at which `needle` first occurs in `haystack` after normalization, or None."""
    amount = _as_amount(needle)
    if amount is not None:
        for found in parse_amounts(haystack):
            if _same_amount(amount, found):
                return len(tokens(haystack[: max(haystack.find(found.text), 0)]))
    at = _find(normalize(haystack), normalize(needle))
    return None if at < 0 else at


def contains(haystack: str, needle: str) -> bool:
    """Whether `haystack` states `needle`: the same amount (value and currency), or the same tokens in order."""
    return position(haystack, needle) is not None


def contains_any(haystack: str, alternatives: Iterable[str]) -> bool:
    return any(contains(haystack, alt) for alt in alternatives)


def abstains(answer: str) -> bool:
    """Whether the answer says the corpus does not contain what was asked."""
    text = f" {normalize(answer)} "
    return any(f" {phrase} " in text for phrase in ABSTENTION_PHRASES)


def cited_ids(answer: str) -> list[str]:
    """Passage ids cited in square brackets, in order, without repeats: `[a#p1]`, `[a#p1, b#p2]`."""
    seen: dict[str, None] = {}
    for group in _BRACKETS.findall(answer):
        for pid in PASSAGE_ID.findall(group):
            seen.setdefault(pid)
    return list(seen)


def without_citations(answer: str) -> str:
    """The answer with its `[passage_id]` citations removed, so ids and their dates never count as content."""
    return _BRACKETS.sub(lambda m: "" if PASSAGE_ID.search(m.group(1)) else m.group(0), answer)


def passage_ids_in(text: str) -> set[str]:
    """Every passage id mentioned anywhere in `text` (a tool result's text or JSON)."""
    return set(PASSAGE_ID.findall(text))
