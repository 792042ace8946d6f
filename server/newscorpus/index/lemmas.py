"""German lemmas from simplemma's dictionary, kept on disk as SQLite so a process starts without decoding it.

simplemma ships its German dictionary (1.1 million word forms) compressed; decoding it takes about 1.5 s
and 100 MB in every process that uses it. The first process on a machine writes the decoded table into the
user cache; every later one opens it at once and looks up only the words it meets. Only the dictionary is
used (not simplemma's guessing rules for unknown words), the same way at index and at query time.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path

from newscorpus.config import user_cache_dir

log = logging.getLogger(__name__)


class LemmaDictionary:
    """Word form → lemma, read from a SQLite table (or, where none can be written, from memory)."""

    def __init__(self, table: Path | Mapping[str, str]) -> None:
        self._lock = threading.Lock()
        if isinstance(table, Mapping):
            self._memory: Mapping[str, str] | None = table
            self._db = None
        else:
            self._memory = None
            self._db = sqlite3.connect(f"file:{table}?mode=ro", uri=True, check_same_thread=False)

    def _get(self, form: str) -> str | None:
        if self._memory is not None:
            return self._memory.get(form)
        with self._lock:
            row = self._db.execute("SELECT lemma FROM lemma WHERE form = ?", (form,)).fetchone()
        return row[0] if row else None

    def lemma(self, word: str) -> str | None:
        """The lemma of `word` as written, else of its other first-letter case (nouns are capitalized in
        the dictionary, query words arrive in lower case); None for a word the dictionary lacks."""
        found = self._get(word)
        if found is None and word[:1].islower():
            found = self._get(word.capitalize())
        elif found is None and word[:1].isupper():
            found = self._get(word.lower())
        return found


def _simplemma_german() -> Mapping[str, str]:
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    return DefaultDictionaryFactory().get_dictionary("de")


def _write_table(path: Path, entries: Mapping[str, str]) -> None:
    """Write the table to a private file, then rename it into place: readers never see half a table, and
    two processes writing at once both succeed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        db = sqlite3.connect(tmp)
        try:
            db.execute("CREATE TABLE lemma (form TEXT PRIMARY KEY, lemma TEXT NOT NULL) WITHOUT ROWID")
            db.executemany("INSERT INTO lemma VALUES (?, ?)", sorted(entries.items()))
            db.commit()
        finally:
            db.close()
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


@functools.cache
def german_lemmas() -> LemmaDictionary:
    """The process's German lemma dictionary: the cached table, written first if this machine has none."""
    path = user_cache_dir() / f"lemmas-de-simplemma-{version('simplemma')}.sqlite"
    if not path.exists():
        log.info("writing the German lemma table to %s (once per machine)", path)
        entries = _simplemma_german()
        try:
            _write_table(path, entries)
        except (OSError, sqlite3.Error) as exc:
            log.warning("cannot write %s (%s); German lemmas are kept in memory", path, exc)
            return LemmaDictionary(entries)
    return LemmaDictionary(path)
