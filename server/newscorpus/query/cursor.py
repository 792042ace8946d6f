"""Opaque paging cursors bound to the query they page and to the index build they came from."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from newscorpus.query.errors import QueryError

# Real cursors are ~40 characters; anything much longer is not one, and is refused before decoding.
MAX_CURSOR_CHARS = 200


class Cursors:
    """Encodes an offset with a MAC over (offset, query parameters, index fingerprint): a cursor from
    another query, an older index or a hand-edited one is refused instead of silently paging wrong."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _mac(self, offset: int, params: dict[str, Any]) -> str:
        payload = json.dumps([offset, params], sort_keys=True, ensure_ascii=False).encode()
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()[:16]

    def encode(self, offset: int, params: dict[str, Any]) -> str:
        raw = json.dumps({"o": offset, "m": self._mac(offset, params)}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def decode(self, cursor: str | None, params: dict[str, Any]) -> int:
        if cursor is None or cursor == "":
            return 0
        try:
            if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_CHARS:
                raise ValueError("not a cursor")
            padded = cursor + "=" * (-len(cursor) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
            offset, mac = int(data["o"]), str(data["m"])
        except (ValueError, KeyError, TypeError, UnicodeError):
            raise QueryError(
                "Invalid cursor: pass the next_cursor value of the previous result unchanged, "
                "or omit cursor for the first page.",
                argument="cursor",
            ) from None
        if offset < 0 or not hmac.compare_digest(mac, self._mac(offset, params)):
            raise QueryError(
                "Cursor does not belong to this query (other arguments, or the index was rebuilt): "
                "repeat the same call without cursor to start again.",
                argument="cursor",
            )
        return offset
