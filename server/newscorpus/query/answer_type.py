"""What a question asks for: a question for an amount ranks the passages that state one higher.

An amount is money (as the extractor reads it) or any other cardinal number that is not a year and not
an ordinal (`16. Januar`, list numbers): `10 Gigawatt`, `2–4 Mal`, `500 Stellen`.

"Wie viel Geld hat die Partnerschaft eingesammelt?" is answered by the passage with "12,5 Milliarden
Dollar", which may share only one word with the question, while passages about the partnership in
general share more. Keyword queries ask for nothing in particular and are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from newscorpus.extract.money import parse_amounts
from newscorpus.models import Passage

# A cardinal number standing alone (not part of a word, a date or an ordinal with its full stop).
_CARDINAL = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w.]|\.\w)")
_YEAR = re.compile(r"^(?:1[89]|2[01])\d\d$")
_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}$")

# Multiplies the score of a passage that states an amount when the question asks for one.
AMOUNT_BOOST = 1.5

_AMOUNT_QUESTION = re.compile(
    r"\b(?:how\s+much|how\s+many|how\s+big|how\s+large|how\s+high|what\s+(?:amount|sum|price|value)"
    r"|wie\s*viele?|wie\s+hoch|wie\s+groß|welche[nrs]?\s+(?:summe|betrag|höhe|wert))\b",
    re.IGNORECASE,
)


def asks_for_amount(query: str) -> bool:
    """Whether `query` is a question for an amount of money or a number ("how much", "wie viel", …)."""
    return _AMOUNT_QUESTION.search(query) is not None


def states_amount(text: str) -> bool:
    """Whether `text` states money or another quantity (a cardinal number that is not a year)."""
    if any(not (_YEAR.match(n) or _DATE.match(n)) for n in (m.group(0) for m in _CARDINAL.finditer(text))):
        return True
    return bool(parse_amounts(text))


class AmountPassages:
    """Which passages state an amount, worked out per passage on first need and kept."""

    def __init__(self, passages: Mapping[str, Passage]) -> None:
        self._passages = passages
        self._known: dict[str, bool] = {}

    def __contains__(self, passage_id: str) -> bool:
        known = self._known.get(passage_id)
        if known is None:
            known = self._known[passage_id] = states_amount(self._passages[passage_id].text)
        return known


def boost_amounts(scored: list[tuple[str, float]], amounts: AmountPassages) -> list[tuple[str, float]]:
    """`scored` with amount-stating passages boosted, best first (ties by id, as the engine orders them)."""
    boosted = [(key, round(score * AMOUNT_BOOST, 6) if key in amounts else score) for key, score in scored]
    boosted.sort(key=lambda ks: (-ks[1], ks[0]))
    return boosted
