"""Input limits of the query API. Every refusal names the argument, says what is allowed, and echoes what
came shortened, so a hostile or confused caller gets a clear error and never a huge or odd echo."""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import date

from newscorpus.query.errors import QueryError

MAX_TEXT_CHARS = 1000
MAX_ID_CHARS = 200
ECHO_CHARS = 80
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def shown(value: object) -> str:
    """`repr(value)`, cut to ECHO_CHARS characters."""
    text = repr(value)
    return text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 1] + "…"


def check_text(argument: str, value: str | None) -> None:
    """Free text (query, name, publisher): a string of at most MAX_TEXT_CHARS characters."""
    if value is None:
        return
    if not isinstance(value, str):
        raise QueryError(f"{argument} must be text; got {shown(value)}.", argument=argument)
    if len(value) > MAX_TEXT_CHARS:
        raise QueryError(
            f"{argument} is {len(value)} characters long; at most {MAX_TEXT_CHARS} are allowed.", argument=argument
        )


def check_id(argument: str, value: str, known: Container[str]) -> None:
    """An id the corpus does not know must at least look like one (lowercase ASCII letters, digits, '-'),
    otherwise the caller learns the format instead of a list of near misses. `#p<n>` (a passage id) is
    tolerated so that the not-found message can point to the article."""
    if isinstance(value, str) and value in known:
        return
    base = value.split("#")[0] if isinstance(value, str) else ""
    if not _ID.fullmatch(base) or len(value) > MAX_ID_CHARS:
        raise QueryError(
            f"{argument} must be an id as the tools return it: lowercase ASCII letters, digits and '-', "
            f"at most {MAX_ID_CHARS} characters; got {shown(value)}.",
            argument=argument,
        )


def check_date(argument: str, value: str | None) -> str | None:
    """YYYY-MM-DD, YYYY-MM or YYYY naming a real calendar date; empty means no bound."""
    if value is None or value == "":
        return None
    m = _DATE.fullmatch(value) if isinstance(value, str) else None
    valid = m is not None
    if m is not None and m.group(2):
        try:
            date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
        except ValueError:
            valid = False
    if not valid:
        raise QueryError(
            f"{argument} must be a calendar date as YYYY-MM-DD (or YYYY-MM, YYYY); got {shown(value)}.",
            argument=argument,
        )
    return value


def check_dates(date_from: str | None, date_to: str | None) -> tuple[str | None, str | None]:
    """Both bounds valid, and not the wrong way round (a partial date stands for its whole period)."""
    date_from, date_to = check_date("date_from", date_from), check_date("date_to", date_to)
    if date_from and date_to and date_from[: len(date_to)] > date_to:
        raise QueryError(
            f"date_from {date_from} is after date_to {date_to}: swap them, or omit one for an open range.",
            argument="date_from",
        )
    return date_from, date_to
