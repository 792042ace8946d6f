"""Date expressions as news pages write them → ISO `YYYY-MM-DD`.

One pattern (`DATE`) is shared by the cleaner so that "a date" means the same thing everywhere.
Numeric `dd/mm/yyyy` is read day-first (European pages); it flips to month-first only when the
first number cannot be a month's day-of-month order (e.g. `01/16/2026`).
"""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "april": 4, "mai": 5, "juni": 6,
    "juli": 7, "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12,
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "october": 10,
    "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "okt": 10, "oct": 10, "nov": 11, "dez": 12, "dec": 12,
}  # fmt: skip
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

DATE = (
    r"(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}[./]\d{1,2}[./]\d{4}"
    rf"|\d{{1,2}}\.?\s+{_MONTH}\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
TIME = (
    r"(?:\s*(?:[-–,|·]\s*)?(?:um\s+|at\s+)?\d{1,2}[:.]\d{2}(?:\s*Uhr)?(?:\s*[ap]\.?m\.?)?"
    r"(?:\s*(?:CET|CEST|MEZ|MESZ|UTC|GMT|ET|EST|EDT|BST))?)?"
)
_DATE_RE = re.compile(DATE, re.IGNORECASE)


def parse_date(text: str) -> str:
    """The first date in `text` as YYYY-MM-DD, or "" when there is none (or it is not a real day)."""
    for m in _DATE_RE.finditer(text):
        iso = _to_iso(m.group(0))
        if iso:
            return iso
    return ""


def _to_iso(s: str) -> str:
    s = s.strip()
    parts: tuple[int, int, int] | None = None
    if m := re.match(r"(\d{4})-(\d{2})-(\d{2})", s):
        parts = (int(m[1]), int(m[2]), int(m[3]))
    elif m := re.match(r"(\d{1,2})[./](\d{1,2})[./](\d{4})$", s):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        parts = (year, a, b) if b > 12 and a <= 12 else (year, b, a)
    elif m := re.match(r"(\d{1,2})\.?\s+([^\W\d]+)\.?\s+(\d{4})$", s):
        month = _MONTHS.get(m[2].lower())
        parts = (int(m[3]), month, int(m[1])) if month else None
    elif m := re.match(r"([^\W\d]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$", s):
        month = _MONTHS.get(m[1].lower())
        parts = (int(m[3]), month, int(m[2])) if month else None
    if parts is None:
        return ""
    try:
        return dt.date(*parts).isoformat()
    except ValueError:
        return ""
