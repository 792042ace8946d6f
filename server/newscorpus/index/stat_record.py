"""Remembering a result computed from files' contents, keyed by the files' stat data.

Hashing every article and every index file at each start costs time that grows with the corpus. A
record holds the result together with a digest of the files' (name, size, mtime, ctime, inode); while
they are unchanged the result is reused without reading the files. Any write to a file changes its ctime
(which no user call can set back), so an edit is never missed. A file changed within `RACY_NS` of being
recorded could share its timestamps with the recorded state, so results over such recent files are not
recorded (as git does for its index). Records are a cache: unreadable or unwritable ones are ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

RACY_NS = 2_000_000_000


class StatRecord(BaseModel):
    signature: str
    value: str


def stat_signature(files: Iterable[Path | str]) -> tuple[str, int]:
    """Digest of the files' stat data, and the newest mtime/ctime among them (ns)."""
    return signature_of((path, os.stat(path)) for path in files)


def signature_of(stats: Iterable[tuple[Path | str, os.stat_result]]) -> tuple[str, int]:
    """`stat_signature` of files already stat'ed."""
    h = hashlib.sha256()
    newest = 0
    for path, st in stats:
        newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0"
                 f"{st.st_ino}\n".encode())
    return h.hexdigest(), newest


def recall(record: Path, signature: str) -> str | None:
    """The recorded value for `signature`, or None when there is none (or it is for other file states)."""
    try:
        saved = StatRecord.model_validate_json(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return saved.value if saved.signature == signature else None


def remember(record: Path, signature: str, newest_ns: int, value: str) -> None:
    """Record `value` for `signature` unless a file changed too recently to be told apart by its stat."""
    if newest_ns >= time.time_ns() - RACY_NS:
        return
    tmp = record.with_name(f"{record.name}.{uuid.uuid4().hex[:8]}")
    try:
        tmp.write_text(StatRecord(signature=signature, value=value).model_dump_json(), encoding="utf-8")
        os.replace(tmp, record)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
