"""Whether a passage states an amount: money (as the extractor reads it) or any other cardinal number
that is not a year and not an ordinal (`16. Januar`, list numbers): `10 Gigawatt`, `2–4 Mal`, `500 Stellen`.

Worked out once per passage at index time (the passage index's `amount` field), so a question for an
amount can favour those passages without reading their text at query time.
"""

from __future__ import annotations

import re

from newscorpus.extract.money import parse_amounts

# A cardinal number standing alone (not part of a word, a date or an ordinal with its full stop).
_CARDINAL = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w.]|\.\w)")
_YEAR = re.compile(r"^(?:1[89]|2[01])\d\d$")
_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}$")


def states_amount(text: str) -> bool:
    """Whether `text` states money or another quantity (a cardinal number that is not a year)."""
    if any(not (_YEAR.match(n) or _DATE.match(n)) for n in (m.group(0) for m in _CARDINAL.finditer(text))):
        return True
    return bool(parse_amounts(text))
