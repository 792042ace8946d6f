"""What a question asks for: a question for an amount ranks the passages that state one higher.

An amount is money or any other cardinal number that is not a year (`extract.quantities.states_amount`,
recorded per passage at index time); the engine multiplies those passages' scores by `AMOUNT_BOOST`.

"Wie viel Geld hat die Partnerschaft eingesammelt?" is answered by the passage with "12,5 Milliarden
Dollar", which may share only one word with the question, while passages about the partnership in
general share more. Keyword queries ask for nothing in particular and are left as they are.
"""

from __future__ import annotations

import re

from newscorpus.extract.quantities import states_amount

__all__ = ["AMOUNT_BOOST", "asks_for_amount", "states_amount"]

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
